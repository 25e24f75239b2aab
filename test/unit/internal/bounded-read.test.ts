// readBounded: every outcome of reading a body (all of it, too much, an error, a dropped connection) is the same
// for Node streams (read through their events) and other async iterables (read with for await).
import assert from "node:assert/strict";
import { createServer, get, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Readable } from "node:stream";
import { describe, test } from "node:test";
import { readBounded } from "../../../src/internal/bounded-read.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";

async function* generated(chunks: string[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield Buffer.from(chunk);
}

describe("readBounded", () => {
  for (const [kind, make] of [
    ["a Node stream", (chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c)))],
    ["an async iterable", (chunks: string[]) => generated(chunks)],
  ] as const) {
    test(`${kind}: the whole body, and exactly the limit`, async () => {
      assert.equal((await readBounded(make(["ab", "cd", "e"]), 5, "body")).toString(), "abcde");
      assert.equal((await readBounded(make([]), 5, "body")).length, 0);
    });
    test(`${kind}: one byte over the limit is SIZE_LIMIT_EXCEEDED`, async () => {
      await assertRejectsWithCode(() => readBounded(make(["ab", "cd", "ef"]), 5, "body"), "SIZE_LIMIT_EXCEEDED");
    });
  }

  test("a Node stream over the limit is destroyed (its connection is not reused)", async () => {
    const stream = new PassThrough();
    const reading = readBounded(stream, 3, "body");
    stream.write("abcd");
    await assertRejectsWithCode(() => reading, "SIZE_LIMIT_EXCEEDED");
    assert.equal(stream.destroyed, true);
  });

  test("a stream that reports its destruction as an error (undici's body does) does not crash the process", async () => {
    const stream = new PassThrough();
    const destroy = stream.destroy.bind(stream);
    stream.destroy = (error?: Error) => destroy(error ?? new Error("Request aborted"));
    const reading = readBounded(stream, 3, "body");
    stream.write("abcd");
    await assertRejectsWithCode(() => reading, "SIZE_LIMIT_EXCEEDED");
    await new Promise((resolve) => setImmediate(resolve));
  });

  test("a stream's error is the read's error; a close before the end is a premature close", async () => {
    const failing = new PassThrough();
    const reading = readBounded(failing, 100, "body");
    failing.write("ab");
    failing.destroy(Object.assign(new Error("boom"), { code: "ECONNRESET" }));
    await assert.rejects(reading, { code: "ECONNRESET" });

    const closing = new PassThrough();
    const closed = readBounded(closing, 100, "body");
    closing.write("ab");
    closing.destroy();
    await assert.rejects(closed, { code: "ERR_STREAM_PREMATURE_CLOSE" });

    await assert.rejects(readBounded(closing, 100, "body"), { code: "ERR_STREAM_PREMATURE_CLOSE" }, "already destroyed");
    const ended = Readable.from([Buffer.from("x")]);
    await readBounded(ended, 100, "body");
    assert.equal((await readBounded(ended, 100, "body")).length, 0, "already read to its end");
  });

  test("an HTTP body cut short of its Content-Length is an error, never a short body", async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write("only part");
      setTimeout(() => response.socket?.destroy(), 10);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const incoming = await new Promise<IncomingMessage>((resolve, reject) => get({ host: "127.0.0.1", port, path: "/" }, resolve).on("error", reject));
      await assert.rejects(readBounded(incoming, 1000, "body"), { code: "ECONNRESET" });
    } finally {
      server.close();
    }
  });
});
