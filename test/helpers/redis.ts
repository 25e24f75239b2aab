import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { requirePeer } from "./peers.js";
import { PEER_START_TIMEOUT_MS } from "./registry.js";

export interface TestRedis {
  /** unix:///…/redis.sock, or redis://127.0.0.1:PORT with `tcp: true`. */
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** SIGSTOP: Redis stops answering but keeps its connections (commands time out). */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** Listen on a free loopback TCP port instead of a unix socket. */
  tcp?: boolean;
  /** requirepass: clients must AUTH (the URL then carries it: redis://:PASSWORD@127.0.0.1:PORT). */
  password?: string;
}

/**
 * Starts `redis-server` with no persistence in a temp dir, on a unix socket (or a free loopback port).
 * Tests call stop() in an after() hook; the process is also killed when the test process exits.
 */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  requirePeer("redis-server");
  const dir = mkdtempSync(join(tmpdir(), "signet-redis-"));
  const socket = join(dir, "redis.sock");
  const port = options.tcp === true ? await freePort() : 0;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", join(dir, "redis.log")];
  if (options.tcp !== true) args.push("--unixsocket", socket, "--unixsocketperm", "700");
  if (options.password !== undefined) args.push("--requirepass", options.password, "--protected-mode", "yes");
  const child: ChildProcess = spawn("redis-server", args, { stdio: "ignore" });
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const auth = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
  const url = options.tcp === true ? `redis://${auth}127.0.0.1:${port}` : `unix://${socket}`;
  const ready = () => (options.tcp === true ? /Ready to accept connections/.test(readLog(dir)) : existsSync(socket));
  const deadline = Date.now() + PEER_START_TIMEOUT_MS;
  while (!ready() && spawnError === undefined && child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(10);
  if (!ready()) {
    process.removeListener("exit", kill);
    kill();
    const why = spawnError?.message ?? (child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `not ready after ${PEER_START_TIMEOUT_MS / 1000} s`);
    const logText = readLog(dir).slice(-500).trim();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start: ${why}${logText ? `; its log ends: ${logText}` : ""}`);
  }
  return {
    url,
    dir,
    pid: child.pid ?? 0,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    async stop() {
      process.removeListener("exit", kill);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGCONT");
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readLog(dir: string): string {
  const path = join(dir, "redis.log");
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
