// A shared cache's failures are logged once per state change, and rate-limited while it is up.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { createCacheErrorLog } from "../../../../src/webhook/server/cache-error-log.js";
import { createWebhookLogger } from "../../../../src/webhook/server/logger.js";

async function setup() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  let now = 0;
  const log = createCacheErrorLog({ logger: await createWebhookLogger({ level: "debug", destination }), store: "redis://cache:6379", now: () => now });
  return { lines, log, advance: (ms: number) => (now += ms) };
}

describe("cache error log", () => {
  test("down, many retries and misses, back up: two lines in all", async () => {
    const { lines, log } = await setup();
    log.ready();
    for (let i = 0; i < 50; i += 1) log.error("connect", new Error("ECONNREFUSED"));
    for (let i = 0; i < 500; i += 1) log.error("get", new Error("Stream isn't writeable"));
    log.ready();
    assert.deepEqual(
      lines.map((line) => [line["level"], line["msg"]]),
      [
        ["info", "cache store connected"],
        ["warn", "cache store unreachable: every lookup is a miss (images are verified again) until it is back; retrying in the background"],
        ["info", "cache store reachable again"],
      ],
    );
    assert.equal(lines[2]!["failuresWhileDown"], 550);
    assert.equal(lines[1]!["error"], "ECONNREFUSED");
  });

  test("while up, failed commands (timeouts) are logged at most once a minute, with the count not logged", async () => {
    const { lines, log, advance } = await setup();
    log.ready();
    for (let i = 0; i < 100; i += 1) log.error("get", new Error("Command timed out"));
    advance(61_000);
    log.error("set", new Error("Command timed out"));
    const warnings = lines.filter((line) => line["level"] === "warn");
    assert.equal(warnings.length, 2);
    assert.equal(warnings[1]!["notLogged"], 99);
  });

  test("never connected: the first failure of any kind is the one line", async () => {
    const { lines, log } = await setup();
    log.error("get", new Error("Stream isn't writeable"));
    log.error("connect", new Error("ECONNREFUSED"));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!["level"], "warn");
  });
});
