/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Runs `fn` over `items` with at most `limit` in flight and hands each result to `consume` in the order of the
 * items, as soon as every earlier one has been consumed; only results that finished ahead of an earlier item are
 * held. For output written as results come (`signet verify` of many images): memory stays flat in their number.
 */
export async function forEachConcurrentlyInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, consume: (result: R, index: number) => void): Promise<void> {
  const waiting = new Map<number, R>();
  let nextToConsume = 0;
  await mapConcurrently(items, limit, async (item, index) => {
    waiting.set(index, await fn(item, index));
    while (waiting.has(nextToConsume)) {
      const result = waiting.get(nextToConsume)!;
      waiting.delete(nextToConsume);
      consume(result, nextToConsume++);
    }
  });
}
