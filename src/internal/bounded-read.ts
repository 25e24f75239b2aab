import { SignetError } from "../errors/index.js";

/**
 * Reads an async byte stream into memory, stopping with SIZE_LIMIT_EXCEEDED as soon as it passes `limit`
 * (never after buffering the excess). `what` names the content in the error.
 */
export async function readBounded(stream: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > limit) {
      destroy(stream);
      throw new SignetError("SIZE_LIMIT_EXCEEDED", `${what} is larger than the limit of ${limit} bytes`, { details: { limit } });
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, total);
}

function destroy(stream: unknown): void {
  const candidate = stream as { destroy?: () => void };
  if (typeof candidate.destroy === "function") candidate.destroy();
}
