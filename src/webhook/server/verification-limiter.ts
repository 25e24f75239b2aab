import { SignetError } from "../../errors/index.js";

/**
 * A bound on the image verifications (registry reads, signature checks) running at once in the whole process,
 * whatever the number of requests: memory then grows with this bound, never with the number of images under
 * review. A verification that cannot start within its wait limit (the admission deadline) gives up with
 * TIMEOUT, so a burst never leaves a queue of work running long after its requests were answered.
 */
export interface VerificationLimiter {
  run<T>(work: () => Promise<T>, waitMs: number): Promise<T>;
  readonly running: number;
  readonly waiting: number;
}

interface Waiter {
  start(): void;
  timer: NodeJS.Timeout;
}

export function createVerificationLimiter(max: number, onChange?: (running: number, waiting: number) => void): VerificationLimiter {
  let running = 0;
  // A Set keeps insertion order and removes in O(1): a burst of thousands of waiters that time out costs no scans.
  const queue = new Set<Waiter>();
  const changed = () => onChange?.(running, queue.size);
  // One error per wait limit, shared by every waiter that gives up: a burst of thousands builds one stack, not thousands.
  let lastTimeout: { waitMs: number; error: SignetError } | undefined;
  const timeoutError = (waitMs: number): SignetError => {
    if (lastTimeout?.waitMs !== waitMs) {
      const error = new SignetError("TIMEOUT", `no verification slot became free within ${waitMs} ms (${max} verifications were running)`, {
        hint: "The webhook is verifying as many images as maxConcurrentVerifications allows; retry, or raise that setting if memory allows.",
      });
      lastTimeout = { waitMs, error };
    }
    return lastTimeout.error;
  };

  const release = () => {
    const next = queue.values().next();
    if (next.done === true) {
      running -= 1;
    } else {
      queue.delete(next.value);
      clearTimeout(next.value.timer);
      next.value.start(); // the slot passes to the next waiter: running stays the same
    }
    changed();
  };

  return {
    get running() {
      return running;
    },
    get waiting() {
      return queue.size;
    },
    async run(work, waitMs) {
      if (running < max) {
        running += 1;
        changed();
      } else {
        await new Promise<void>((resolve, reject) => {
          const waiter: Waiter = {
            start: resolve,
            timer: setTimeout(() => {
              queue.delete(waiter);
              changed();
              reject(timeoutError(waitMs));
            }, waitMs),
          };
          queue.add(waiter);
          changed();
        });
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
