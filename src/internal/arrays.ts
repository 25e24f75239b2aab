/**
 * Array helpers safe for inputs of any length. `target.push(...items)` and `Math.max(...values)` pass every element
 * as a call argument, and V8 throws "Maximum call stack size exceeded" past ~100,000 of them: a 130,000-scope policy
 * crashed `policy lint` that way. Use these wherever the length comes from input.
 */

/** Appends every item of `items` to `target` (a loop, not a spread) and returns `target`. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** The largest of `values`, or `empty` when there are none. */
export function maxOf(values: Iterable<number>, empty: number): number {
  let max: number | undefined;
  for (const value of values) if (max === undefined || value > max) max = value;
  return max ?? empty;
}
