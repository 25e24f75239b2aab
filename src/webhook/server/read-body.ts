import type { IncomingMessage } from "node:http";

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 400 | 408 | 413; message: string };

/**
 * Reads a request body up to `maxBytes`: a declared length above the limit is refused before reading, and a
 * body that grows past it is cut off. An AdmissionReview carries at most two objects of etcd's 1.5 MiB limit.
 */
export function readBoundedBody(request: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) {
    request.resume();
    return Promise.resolve({ ok: false, status: 413, message: `the request body of ${declared} bytes is larger than ${maxBytes} bytes` });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    request.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        // Stop buffering; the rest is drained and dropped so the answer can still be written.
        chunks.length = 0;
        finish({ ok: false, status: 413, message: `the request body is larger than ${maxBytes} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    request.on("error", () => finish({ ok: false, status: 400, message: "the request body could not be read" }));
    request.on("aborted", () => finish({ ok: false, status: 400, message: "the client aborted the request" }));
  });
}
