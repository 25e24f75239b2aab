import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

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
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
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
  const kill = () => child.kill("SIGTERM");
  process.once("exit", kill);
  let port: string | undefined;
  for (let i = 0; i < 500 && port === undefined; i++) {
    if (child.exitCode !== null) break;
    const text = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    port = /listening on 127\.0\.0\.1:(\d+)/.exec(text)?.[1];
    if (port === undefined) await sleep(10);
  }
  if (port === undefined) {
    kill();
    throw new Error(`docker-registry did not start: ${readFileSync(logPath, "utf8").slice(-500)}`);
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
