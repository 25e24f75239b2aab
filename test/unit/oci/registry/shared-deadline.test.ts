import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DEADLINE_SHARING_MS, sharedDeadline } from "../../../../src/oci/registry/transport.js";

describe("sharedDeadline: one controller and timer per batch of requests", () => {
  test("requests starting together share a deadline of at least their timeout; later ones get their own", () => {
    const now = Date.now() + 10_000_000; // a moment no other test shares
    const first = sharedDeadline(60_000, now);
    const second = sharedDeadline(60_000, now + DEADLINE_SHARING_MS - 1);
    assert.equal(second, first);
    assert.ok(first.deadline >= now + DEADLINE_SHARING_MS - 1 + 60_000, "the later request still gets its whole timeout");
    assert.ok(first.deadline <= now + 60_000 + DEADLINE_SHARING_MS);
    const third = sharedDeadline(60_000, now + DEADLINE_SHARING_MS);
    assert.notEqual(third, first);
    assert.notEqual(sharedDeadline(30_000, now + DEADLINE_SHARING_MS), third, "another timeout, another deadline");
  });

  test("the shared signal aborts once the deadline passes, and the next request gets a fresh one", async () => {
    const deadline = sharedDeadline(20);
    assert.equal(deadline.signal.aborted, false);
    await sleep(20 + DEADLINE_SHARING_MS + 30);
    assert.equal(deadline.signal.aborted, true);
    assert.match(String((deadline.signal.reason as Error).message), /timed out after 20 ms/);
    const next = sharedDeadline(20);
    assert.notEqual(next, deadline);
    assert.equal(next.signal.aborted, false);
  });
});
