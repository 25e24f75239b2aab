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
  const queue: Waiter[] = [];
  const changed = () => onChange?.(running, queue.length);

  const release = () => {
    const next = queue.shift();
    if (next === undefined) {
      running -= 1;
    } else {
      clearTimeout(next.timer);
      next.start(); // the slot passes to the next waiter: running stays the same
    }
    changed();
  };

  return {
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
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
              const index = queue.indexOf(waiter);
              if (index !== -1) queue.splice(index, 1);
              changed();
              reject(
                new SignetError("TIMEOUT", `no verification slot became free within ${waitMs} ms (${max} verifications were running)`, {
                  hint: "The webhook is verifying as many images as maxConcurrentVerifications allows; retry, or raise that setting if memory allows.",
                }),
              );
            }, waitMs),
          };
          queue.push(waiter);
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
