import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSingleFlight } from "../../../../src/webhook/cache/single-flight.js";

describe("createSingleFlight", () => {
  test("concurrent callers of one key share one computation", async () => {
    const flight = createSingleFlight<number>();
    let runs = 0;
    let release!: (value: number) => void;
    const compute = () => {
      runs += 1;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const calls = Array.from({ length: 20 }, () => flight.run("image", compute));
    assert.equal(runs, 1);
    assert.deepEqual(
      calls.map((call) => call.shared),
      [false, ...Array<boolean>(19).fill(true)],
    );
    assert.equal(flight.inFlight, 1);
    release(42);
    assert.deepEqual(await Promise.all(calls.map((call) => call.promise)), Array<number>(20).fill(42));
    assert.equal(flight.inFlight, 0);
  });

  test("different keys run separately", async () => {
    const flight = createSingleFlight<string>();
    const a = flight.run("a", async () => "A");
    const b = flight.run("b", async () => "B");
    assert.equal(a.shared || b.shared, false);
    assert.deepEqual([await a.promise, await b.promise], ["A", "B"]);
  });

  test("a failure reaches every waiter and is not kept for later callers", async () => {
    const flight = createSingleFlight<number>();
    const first = flight.run("k", async () => {
      throw new Error("registry down");
    });
    const second = flight.run("k", async () => 1);
    assert.equal(second.shared, true);
    await assert.rejects(first.promise, /registry down/);
    await assert.rejects(second.promise, /registry down/);
    const third = flight.run("k", async () => 7);
    assert.equal(third.shared, false);
    assert.equal(await third.promise, 7);
  });

  test("a computation that throws synchronously is a rejected promise, not a throw", async () => {
    const flight = createSingleFlight<number>();
    const call = flight.run("k", () => {
      throw new Error("sync");
    });
    await assert.rejects(call.promise, /sync/);
    assert.equal(flight.inFlight, 0);
  });
});
