/**
 * Concurrent callers asking for the same key share one running computation: when a Deployment scales to 50
 * pods, one verification of its image runs and 50 admissions wait for it. The entry is removed as soon as the
 * computation settles, so a failure is never served to later callers (they start a fresh attempt).
 */
export interface SingleFlight<T> {
  /** Runs `compute` unless a computation for `key` is already running; `shared` says which happened. */
  run(key: string, compute: () => Promise<T>): { promise: Promise<T>; shared: boolean };
  /** Keys being computed now. */
  readonly inFlight: number;
}

export function createSingleFlight<T>(): SingleFlight<T> {
  const running = new Map<string, Promise<T>>();
  return {
    run(key, compute) {
      const existing = running.get(key);
      if (existing !== undefined) return { promise: existing, shared: true };
      const promise = (async () => compute())();
      running.set(key, promise);
      const forget = () => {
        if (running.get(key) === promise) running.delete(key);
      };
      promise.then(forget, forget);
      return { promise, shared: false };
    },
    get inFlight() {
      return running.size;
    },
  };
}
