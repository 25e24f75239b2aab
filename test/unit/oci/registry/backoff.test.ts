import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffDelay, parseRetryAfter } from "../../../../src/oci/registry/backoff.js";

describe("backoffDelay", () => {
  test("doubles per attempt, between half and all of the ceiling", () => {
    const low = () => 0;
    const high = () => 0.999999;
    assert.equal(backoffDelay(0, { baseMs: 100, maxMs: 10_000, random: low }), 50);
    assert.equal(backoffDelay(0, { baseMs: 100, maxMs: 10_000, random: high }), 100);
    assert.equal(backoffDelay(1, { baseMs: 100, maxMs: 10_000, random: low }), 100);
    assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 10_000, random: high }), 800);
  });

  test("never exceeds the maximum, even for huge attempt numbers", () => {
    assert.equal(backoffDelay(1000, { baseMs: 100, maxMs: 5000, random: () => 0.999999 }), 5000);
  });

  test("jitter spreads delays", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, { baseMs: 100, maxMs: 10_000 })));
    assert.ok(delays.size > 5);
    for (const delay of delays) assert.ok(delay >= 800 && delay <= 1600);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");

  test("delay in seconds", () => {
    assert.equal(parseRetryAfter("3", now), 3000);
    assert.equal(parseRetryAfter(["0"], now), 0);
  });

  test("an HTTP date", () => {
    assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now), 10_000);
    assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now), 0);
  });

  test("absent or unreadable", () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter("-5", now), undefined);
    assert.equal(parseRetryAfter("1.5", now), undefined);
  });
});
