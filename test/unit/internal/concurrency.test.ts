// mapConcurrently and forEachConcurrentlyInOrder: the limit holds, results keep the items' order, and results are
// handed on in order as soon as every earlier one is done (not at the end).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";
import { forEachConcurrentlyInOrder, mapConcurrently } from "../../../src/internal/concurrency.js";

describe("concurrency helpers", () => {
  test("mapConcurrently keeps order and never runs more than the limit", async () => {
    let running = 0;
    let most = 0;
    const results = await mapConcurrently([30, 5, 20, 1, 10, 2], 3, async (ms, i) => {
      most = Math.max(most, ++running);
      await sleep(ms);
      running--;
      return i * 10;
    });
    assert.deepEqual(results, [0, 10, 20, 30, 40, 50]);
    assert.equal(most, 3);
  });

  test("forEachConcurrentlyInOrder hands each result on in order, as soon as the ones before it are done", async () => {
    const events: string[] = [];
    const delays = [40, 1, 1, 80, 1];
    await forEachConcurrentlyInOrder(
      delays,
      5,
      async (ms, i) => {
        await sleep(ms);
        events.push(`done ${i}`);
        return i;
      },
      (result, index) => {
        assert.equal(result, index);
        events.push(`consumed ${index}`);
      },
    );
    assert.deepEqual(events.filter((e) => e.startsWith("consumed")), ["consumed 0", "consumed 1", "consumed 2", "consumed 3", "consumed 4"]);
    // 0, 1 and 2 are consumed when 0 is done, long before 3 is
    assert.ok(events.indexOf("consumed 2") < events.indexOf("done 3"), events.join(", "));
  });

  test("a failure of one item is the failure of the whole", async () => {
    await assert.rejects(
      forEachConcurrentlyInOrder([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error("two");
        return n;
      }, () => undefined),
      /two/,
    );
  });
});
