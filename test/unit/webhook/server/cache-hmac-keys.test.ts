import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { readCacheHmacKeys } from "../../../../src/webhook/server/serve.js";

describe("readCacheHmacKeys (issue #9 item 3)", () => {
  const dir = mkdtempSync(join(tmpdir(), "signet-hmac-"));
  const key = "a".repeat(64);

  test("the lines of the key file, the first signing; else SIGNET_REDIS_HMAC_KEY", () => {
    const file = join(dir, "keys");
    writeFileSync(file, `${key}\n${"b".repeat(32)}\n\n`);
    assert.deepEqual(readCacheHmacKeys(file, {}).map((k) => k.toString()), [key, "b".repeat(32)]);
    assert.deepEqual(readCacheHmacKeys(undefined, { SIGNET_REDIS_HMAC_KEY: key }).map((k) => k.toString()), [key]);
  });

  test("no key, an empty file, or a key under 32 bytes: WEBHOOK_CONFIG_INVALID, without the key in the message", async () => {
    await assertRejectsWithCode(() => readCacheHmacKeys(undefined, {}), "WEBHOOK_CONFIG_INVALID");
    const empty = join(dir, "empty");
    writeFileSync(empty, "\n");
    await assertRejectsWithCode(() => readCacheHmacKeys(empty, {}), "WEBHOOK_CONFIG_INVALID");
    const short = join(dir, "short");
    writeFileSync(short, "secret-but-short\n");
    const error = await assertRejectsWithCode(() => readCacheHmacKeys(short, {}), "WEBHOOK_CONFIG_INVALID");
    assert.doesNotMatch(error.message, /secret-but-short/);
  });

  test("a missing key file is FILE_NOT_FOUND", async () => {
    await assertRejectsWithCode(() => readCacheHmacKeys(join(dir, "missing"), {}), "FILE_NOT_FOUND");
  });
});
