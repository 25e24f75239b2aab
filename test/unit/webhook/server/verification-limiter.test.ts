import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { createVerificationLimiter } from "../../../../src/webhook/server/verification-limiter.js";

describe("createVerificationLimiter (issue #9 item 6)", () => {
  test("never more than `max` verifications at once, whatever the number asked for; all of them run", async () => {
    const seen: number[] = [];
    const limiter = createVerificationLimiter(4, (running) => seen.push(running));
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        limiter.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await sleep(1);
          running -= 1;
          return i;
        }, 10_000),
      ),
    );
    assert.equal(peak, 4);
    assert.equal(Math.max(...seen), 4);
    assert.deepEqual(results, Array.from({ length: 200 }, (_, i) => i));
    assert.equal(limiter.running, 0);
    assert.equal(limiter.waiting, 0);
  });

  test("a verification that cannot start within its wait limit gives up with TIMEOUT and leaves the queue", async () => {
    const limiter = createVerificationLimiter(1);
    let release!: () => void;
    const holding = limiter.run(() => new Promise<void>((resolve) => (release = resolve)), 1000);
    await assertRejectsWithCode(() => limiter.run(async () => "late", 20), "TIMEOUT");
    assert.equal(limiter.waiting, 0);
    release();
    await holding;
    assert.equal(await limiter.run(async () => "next", 20), "next");
  });

  test("a failing verification frees its slot", async () => {
    const limiter = createVerificationLimiter(1);
    await assert.rejects(limiter.run(() => Promise.reject(new Error("boom")), 100), /boom/);
    assert.equal(limiter.running, 0);
    assert.equal(await limiter.run(async () => 1, 100), 1);
  });
});
