import { Readable } from "node:stream";
import { SignetError } from "../errors/index.js";

/**
 * Reads an async byte stream into memory, stopping with SIZE_LIMIT_EXCEEDED as soon as it passes `limit`
 * (never after buffering the excess). `what` names the content in the error.
 */
export async function readBounded(stream: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  if (stream instanceof Readable) return readReadable(stream, limit, what);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > limit) {
      destroy(stream);
      throw tooLarge(what, limit);
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, total);
}

/**
 * A Node stream (every registry response) is read through its events: the same outcomes as `for await` (its error,
 * a premature close, the bytes), without the async iterator's promise per chunk and its end-of-stream watcher,
 * which cost a verify of many images more than a tenth of its CPU.
 */
function readReadable(stream: Readable, limit: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (stream.readableEnded) return resolve(Buffer.alloc(0));
    if (stream.destroyed) return reject(stream.errored ?? prematureClose());
    const chunks: Buffer[] = [];
    let total = 0;
    const stop = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      // An error after the read is settled (undici's body reports its own destruction as one) must not crash the
      // process: the read already has its outcome.
      stream.off("error", onError);
      stream.on("error", ignore);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      total += bytes.byteLength;
      if (total > limit) {
        stop();
        stream.destroy();
        reject(tooLarge(what, limit));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, total));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(stream.errored ?? prematureClose());
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}

function ignore(): void {
  // see stop() in readReadable
}

function tooLarge(what: string, limit: number): SignetError {
  return new SignetError("SIZE_LIMIT_EXCEEDED", `${what} is larger than the limit of ${limit} bytes`, { details: { limit } });
}

/** What `for await` throws when a stream closes before its end (a connection dropped mid-body). */
function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

function destroy(stream: unknown): void {
  const candidate = stream as { destroy?: () => void };
  if (typeof candidate.destroy === "function") candidate.destroy();
}
