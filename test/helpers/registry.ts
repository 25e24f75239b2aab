import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { requirePeer } from "./peers.js";

/** How long a peer may take to start listening on a loaded machine before the test fails. */
export const PEER_START_TIMEOUT_MS = 30_000;

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  readonly host: string;
  readonly dir: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Extra YAML appended to the config, e.g. an `auth:` section. */
  extraConfig?: string;
}

/**
 * Starts Debian's docker-registry on a random loopback port with storage in a temp dir.
 * Tests call stop() in an after() hook; the process is also killed when the test process exits.
 * Fails at once with "docker-registry is not installed: install …" when it is missing.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  requirePeer("docker-registry");
  const dir = mkdtempSync(join(tmpdir(), "signet-registry-"));
  const config = [
    "version: 0.1",
    "log: {level: info}",
    `storage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: true}}`,
    'http: {addr: "127.0.0.1:0"}',
    options.extraConfig ?? "",
  ].join("\n");
  writeFileSync(join(dir, "config.yml"), config);
  const logPath = join(dir, "registry.log");
  const { openSync } = await import("node:fs");
  const log = openSync(logPath, "w");
  const child: ChildProcess = spawn("docker-registry", ["serve", join(dir, "config.yml")], { stdio: ["ignore", log, log] });
  let spawnError: Error | undefined;
  child.once("error", (error) => (spawnError = error));
  const kill = () => child.kill("SIGTERM");
  process.once("exit", kill);
  let port: string | undefined;
  const deadline = Date.now() + PEER_START_TIMEOUT_MS;
  while (port === undefined && spawnError === undefined && child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
    const text = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    port = /listening on 127\.0\.0\.1:(\d+)/.exec(text)?.[1];
    if (port === undefined) await sleep(10);
  }
  if (port === undefined) {
    process.removeListener("exit", kill);
    kill();
    const why = spawnError?.message ?? (child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : `no "listening on" in its log after ${PEER_START_TIMEOUT_MS / 1000} s`);
    const logText = readFileSync(logPath, "utf8").slice(-500).trim();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`docker-registry did not start: ${why}${logText ? `; its log ends: ${logText}` : ""}`);
  }
  return {
    host: `127.0.0.1:${port}`,
    dir,
    pid: child.pid ?? 0,
    async stop() {
      process.removeListener("exit", kill);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        kill();
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
