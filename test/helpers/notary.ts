// Debian's Notary v1 (the `notary` package): notary-server on a random loopback port with its memory backend and
// local (in-process) signer, the real `notary` client to publish trust data, and a proxy in front of the server
// that can replay or alter what it serves (rollback, tampering) while passing the client's uploads through.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runProgram, type RunResult } from "./cli.js";
import { requirePeer } from "./peers.js";
import { PEER_START_TIMEOUT_MS } from "./registry.js";

export interface TestNotaryServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** Stops the server and starts a fresh one (its memory backend forgets every repository) on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts notary-server (memory storage, local ed25519 timestamp signer, plain HTTP on loopback). */
export async function startNotaryServer(): Promise<TestNotaryServer> {
  requirePeer("notary-server");
  const dir = mkdtempSync(join(tmpdir(), "signet-notary-server-"));
  let port = await freePort();
  let child: ChildProcess | undefined;
  const kill = () => child?.kill("SIGTERM");
  process.once("exit", kill);
  const start = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const config = join(dir, "server.json");
      writeFileSync(config, JSON.stringify({ server: { http_addr: `127.0.0.1:${port}` }, trust_service: { type: "local", hostname: "", port: "", key_algorithm: "ecdsa" }, storage: { backend: "memory" }, logging: { level: "info" } }));
      const logPath = join(dir, "server.log");
      const log = openSync(logPath, "w");
      child = spawn("notary-server", ["-config", config], { stdio: ["ignore", log, log] });
      const deadline = Date.now() + PEER_START_TIMEOUT_MS;
      while (Date.now() < deadline && child.exitCode === null) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/_notary_server/health`)).status === 200) return;
        } catch {
          // not listening yet
        }
        await sleep(20);
      }
      const text = readFileSync(logPath, "utf8").slice(-400).trim();
      child.kill("SIGTERM");
      // Another process took the port between freePort() and the server's listen: try another one.
      if (attempt < 3 && /address already in use/.test(text)) {
        port = await freePort();
        continue;
      }
      throw new Error(`notary-server did not start: ${text}`);
    }
  };
  const stopChild = async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  };
  await start();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    async restart() {
      await stopChild();
      await start();
    },
    async stop() {
      process.removeListener("exit", kill);
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The `notary` client with its own trust directory, its passphrases in NOTARY_*_PASSPHRASE. */
export function notaryClient(serverUrl: () => string, trustDir: string): (args: string[], input?: string) => Promise<RunResult> {
  requirePeer("notary");
  const env = {
    ...process.env,
    NOTARY_ROOT_PASSPHRASE: "root-passphrase",
    NOTARY_TARGETS_PASSPHRASE: "targets-passphrase",
    NOTARY_SNAPSHOT_PASSPHRASE: "snapshot-passphrase",
    NOTARY_DELEGATION_PASSPHRASE: "delegation-passphrase",
  };
  return (args, input) => runProgram("notary", ["-d", trustDir, "-s", serverUrl(), ...args], { env, ...(input !== undefined ? { input } : {}) });
}

export interface NotaryProxy {
  readonly url: string;
  /** What the proxy serves instead of the server's answer, by metadata name ("timestamp.json"); the rest passes through. */
  readonly replace: Map<string, (upstream: Buffer) => Buffer>;
  stop(): Promise<void>;
}

/** A pass-through HTTP proxy in front of a Notary server, whose GET answers for _trust/tuf/ names can be replaced. */
export async function startNotaryProxy(upstream: () => string): Promise<NotaryProxy> {
  const replace = new Map<string, (upstream: Buffer) => Buffer>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const target = new URL(request.url ?? "/", upstream());
      const forwarded = httpRequest(target, { method: request.method, headers: { ...request.headers, host: target.host } }, (answer) => {
        const body: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => body.push(chunk));
        answer.on("end", () => {
          let bytes: Buffer = Buffer.concat(body);
          const name = /\/_trust\/tuf\/(.+)$/.exec(target.pathname)?.[1];
          const change = name === undefined || request.method !== "GET" ? undefined : replace.get(name);
          if (change !== undefined && answer.statusCode === 200) bytes = change(bytes);
          const { "transfer-encoding": _chunked, ...rest } = answer.headers;
          void _chunked;
          const headers = { ...rest, "content-length": String(bytes.length) };
          response.writeHead(answer.statusCode ?? 502, headers);
          response.end(bytes);
        });
      });
      forwarded.on("error", () => {
        response.writeHead(502);
        response.end();
      });
      forwarded.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    replace,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
