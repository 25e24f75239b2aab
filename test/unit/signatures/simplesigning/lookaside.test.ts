// Lookaside signature stores: the layout containers/image uses, reading from file: and http: stores (end at the
// first missing signature, fail closed on anything else, bounded count and size), and non-overwriting writes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { parseImageReference } from "../../../../src/oci/reference/index.js";
import { lookasideFor, mergeRegistriesDFiles, parseRegistriesDFile } from "../../../../src/signatures/registries-d/index.js";
import { parseGpgKeyring, verifyGpgSignature } from "../../../../src/signatures/simplesigning/gpg.js";
import { lookasideSignatureUrl, readLookasideSignatures, writeLookasideSignature } from "../../../../src/signatures/simplesigning/lookaside.js";
import { parseAtomicPayload } from "../../../../src/signatures/simplesigning/payload.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { VECTORS } from "../../../helpers/peers.js";

const DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const MAPPED = "sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const REFERENCE = parseImageReference("registry.example:5000/ns/app:1.0");

describe("lookasideSignatureUrl", () => {
  // containers/image TestLookasideStorageURL, with the repository path appended as lookasideStorageBaseURL does.
  const cases: [string, number, string][] = [
    ["file:///tmp", 1, `file:///tmp/ns/app@${MAPPED}/signature-1`],
    ["file:///tmp", 2, `file:///tmp/ns/app@${MAPPED}/signature-2`],
    ["https://localhost:5555/root", 1, `https://localhost:5555/root/ns/app@${MAPPED}/signature-1`],
    ["http://localhost:5555/root", 2, `http://localhost:5555/root/ns/app@${MAPPED}/signature-2`],
    // A base without a path, or with a trailing slash, gets one slash before the repository path.
    ["http://localhost:5555", 1, `http://localhost:5555/ns/app@${MAPPED}/signature-1`],
    ["https://sigs.example/root/", 1, `https://sigs.example/root/ns/app@${MAPPED}/signature-1`],
    ["file:///", 1, `file:///ns/app@${MAPPED}/signature-1`],
  ];
  for (const [base, index, expected] of cases) {
    test(`${base} #${index}`, () => {
      assert.equal(lookasideSignatureUrl(base, REFERENCE, DIGEST, index).href, expected);
    });
  }

  test("the path is the repository without the registry; docker.io names get library/", () => {
    assert.equal(lookasideSignatureUrl("file:///s", parseImageReference("busybox"), DIGEST, 1).pathname, `/s/library/busybox@${MAPPED}/signature-1`);
    assert.equal(lookasideSignatureUrl("file:///s", parseImageReference("127.0.0.1:5000/test/gpg:v1"), DIGEST, 1).pathname, `/s/test/gpg@${MAPPED}/signature-1`);
  });

  test("digests that could climb out of the store, and unusable bases, are refused", async () => {
    await assertRejectsWithCode(() => lookasideSignatureUrl("file:///tmp", REFERENCE, "sha256:../hello", 1), "DIGEST_INVALID");
    await assertRejectsWithCode(() => lookasideSignatureUrl("file:///tmp", { registry: "x.example", repository: "../../etc" }, DIGEST, 1), "REF_INVALID");
    await assertRejectsWithCode(() => lookasideSignatureUrl("no/scheme/relative/path", REFERENCE, DIGEST, 1), "POLICY_CONFIG_INVALID");
    await assertRejectsWithCode(() => lookasideSignatureUrl(":emptyscheme", REFERENCE, DIGEST, 1), "POLICY_CONFIG_INVALID");
    await assertRejectsWithCode(() => lookasideSignatureUrl("ftp://example.com/sigs", REFERENCE, DIGEST, 1), "POLICY_CONFIG_INVALID");
    await assertRejectsWithCode(() => lookasideSignatureUrl("file:///tmp", REFERENCE, DIGEST, 0), "USAGE");
  });
});

describe("file: lookaside stores", () => {
  let root: string;
  let base: string;
  let signatureDir: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "signet-lookaside-"));
    base = pathToFileURL(root).href;
    signatureDir = join(root, "ns", `app@${MAPPED}`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function reset(count: number): void {
    rmSync(join(root, "ns"), { recursive: true, force: true });
    if (count === 0) return;
    mkdirSync(signatureDir, { recursive: true });
    for (let i = 1; i <= count; i++) writeFileSync(join(signatureDir, `signature-${i}`), `sig ${i}`);
  }

  test("no directory means no signatures", async () => {
    reset(0);
    assert.deepEqual(await readLookasideSignatures(base, REFERENCE, DIGEST), []);
  });

  test("reads signature-1..N in order and stops at the first gap", async () => {
    reset(3);
    writeFileSync(join(signatureDir, "signature-5"), "after a gap");
    const signatures = await readLookasideSignatures(base, REFERENCE, DIGEST);
    assert.deepEqual(signatures.map((s) => s.toString()), ["sig 1", "sig 2", "sig 3"]);
  });

  test("more signatures than allowed is COUNT_LIMIT_EXCEEDED; exactly the limit is fine", async () => {
    reset(3);
    assert.equal((await readLookasideSignatures(base, REFERENCE, DIGEST, { maxSignatures: 3 })).length, 3);
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST, { maxSignatures: 2 }), "COUNT_LIMIT_EXCEEDED");
  });

  test("an oversized signature is SIZE_LIMIT_EXCEEDED", async () => {
    reset(1);
    writeFileSync(join(signatureDir, "signature-1"), Buffer.alloc(2000));
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST, { maxBytes: 1000 }), "SIZE_LIMIT_EXCEEDED");
  });

  test("a signature path that is a directory fails closed with IO_ERROR", async () => {
    reset(1);
    mkdirSync(join(signatureDir, "signature-2"));
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST), "IO_ERROR");
  });

  test("writes take the next free number and never overwrite", async () => {
    reset(0);
    const first = await writeLookasideSignature(base, REFERENCE, DIGEST, Buffer.from("one"));
    assert.equal(first, join(signatureDir, "signature-1"));
    writeFileSync(join(signatureDir, "signature-2"), "someone else's");
    const third = await writeLookasideSignature(base, REFERENCE, DIGEST, Buffer.from("three"));
    assert.equal(third, join(signatureDir, "signature-3"));
    assert.deepEqual((await readLookasideSignatures(base, REFERENCE, DIGEST)).map((s) => s.toString()), ["one", "someone else's", "three"]);
    assert.deepEqual(readdirSync(signatureDir).sort(), ["signature-1", "signature-2", "signature-3"], "no temporary files are left behind");
  });

  test("concurrent writers get different numbers and every signature is intact", async () => {
    reset(0);
    const contents = Array.from({ length: 25 }, (_, i) => Buffer.from(`signature from writer ${i} `.repeat(50)));
    const paths = await Promise.all(contents.map((bytes) => writeLookasideSignature(base, REFERENCE, DIGEST, bytes)));
    assert.equal(new Set(paths).size, contents.length);
    const read = await readLookasideSignatures(base, REFERENCE, DIGEST);
    assert.equal(read.length, contents.length);
    assert.deepEqual(read.map((s) => s.toString()).sort(), contents.map((s) => s.toString()).sort());
    assert.deepEqual(readdirSync(signatureDir).filter((n) => !n.startsWith("signature-")), []);
  });

  test("a full store refuses to write a signature nobody would read", async () => {
    reset(2);
    await assertRejectsWithCode(() => writeLookasideSignature(base, REFERENCE, DIGEST, Buffer.from("x"), { maxSignatures: 2 }), "COUNT_LIMIT_EXCEEDED");
    assert.equal(existsSync(join(signatureDir, "signature-3")), false);
  });

  test("only file: stores can be written", async () => {
    await assertRejectsWithCode(() => writeLookasideSignature("https://sigs.example/x", REFERENCE, DIGEST, Buffer.from("x")), "USAGE");
  });
});

describe("http: lookaside stores", () => {
  let server: Server;
  let base: string;
  let handler: (request: IncomingMessage, response: ServerResponse) => void;
  const requests: string[] = [];
  before(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? "");
      handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sigs`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Serves `count` signatures; everything else 404. */
  function serving(count: number): void {
    handler = (request, response) => {
      const match = /^\/sigs\/ns\/app@sha256=[0-9a-f]{64}\/signature-(\d+)$/.exec(request.url ?? "");
      if (match && Number(match[1]) <= count) response.end(`http sig ${match[1]}`);
      else response.writeHead(404).end("not found");
    };
  }

  test("reads until the first 404", async () => {
    serving(2);
    requests.length = 0;
    const signatures = await readLookasideSignatures(base, REFERENCE, DIGEST);
    assert.deepEqual(signatures.map((s) => s.toString()), ["http sig 1", "http sig 2"]);
    assert.deepEqual(requests, [1, 2, 3].map((n) => `/sigs/ns/app@${MAPPED}/signature-${n}`));
  });

  test("follows a redirect to the same or another http location", async () => {
    handler = (request, response) => {
      if (request.url?.startsWith("/sigs/")) response.writeHead(302, { location: request.url.replace("/sigs/", "/moved/") }).end();
      else if (request.url?.endsWith("/signature-1")) response.end("moved sig");
      else response.writeHead(404).end();
    };
    assert.deepEqual((await readLookasideSignatures(base, REFERENCE, DIGEST)).map((s) => s.toString()), ["moved sig"]);
  });

  test("a redirect loop is refused", async () => {
    handler = (request, response) => response.writeHead(302, { location: request.url ?? "/" }).end();
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST), "REGISTRY_REDIRECT_LOOP");
  });

  for (const [status, code] of [
    [500, "REGISTRY_ERROR"],
    [403, "REGISTRY_ERROR"],
    [401, "REGISTRY_ERROR"],
    [429, "REGISTRY_TOO_MANY_REQUESTS"],
  ] as const) {
    test(`HTTP ${status} fails closed with ${code} (it is not "no signatures")`, async () => {
      handler = (_request, response) => response.writeHead(status).end("error page");
      await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST), code);
    });
  }

  test("an error after some signatures still fails the whole read", async () => {
    handler = (request, response) => {
      if (request.url?.endsWith("/signature-1")) response.end("good");
      else response.writeHead(503).end();
    };
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST), "REGISTRY_ERROR");
  });

  test("a declared or actual body over the limit is SIZE_LIMIT_EXCEEDED", async () => {
    handler = (_request, response) => response.end(Buffer.alloc(5000));
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST, { maxBytes: 1000 }), "SIZE_LIMIT_EXCEEDED");
    handler = (_request, response) => {
      response.writeHead(200, { "transfer-encoding": "chunked" });
      response.write(Buffer.alloc(800));
      response.end(Buffer.alloc(800));
    };
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST, { maxBytes: 1000 }), "SIZE_LIMIT_EXCEEDED");
  });

  test("more signatures than allowed is COUNT_LIMIT_EXCEEDED", async () => {
    serving(1000);
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST, { maxSignatures: 5 }), "COUNT_LIMIT_EXCEEDED");
  });

  test("a store that does not answer times out with REGISTRY_TIMEOUT", async () => {
    handler = () => undefined; // never responds
    await assertRejectsWithCode(() => readLookasideSignatures(base, REFERENCE, DIGEST, { fetchTimeoutMs: 200 }), "REGISTRY_TIMEOUT");
  });

  test("a store nobody listens on is REGISTRY_UNREACHABLE", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assertRejectsWithCode(() => readLookasideSignatures(`http://127.0.0.1:${port}/sigs`, REFERENCE, DIGEST), "REGISTRY_UNREACHABLE");
  });

  test("a file written by writeLookasideSignature is read back over http", async () => {
    const root = mkdtempSync(join(tmpdir(), "signet-lookaside-http-"));
    try {
      const path = await writeLookasideSignature(pathToFileURL(root).href, REFERENCE, DIGEST, Buffer.from("served"));
      handler = (request, response) => {
        const file = join(root, decodeURIComponent((request.url ?? "").replace(/^\/sigs\//, "")));
        if (existsSync(file)) response.end(readFileSync(file));
        else response.writeHead(404).end();
      };
      assert.ok(path.startsWith(root));
      assert.deepEqual((await readLookasideSignatures(base, REFERENCE, DIGEST)).map((s) => s.toString()), ["served"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

const SCHEME = join(VECTORS, "confidential-containers__guest-components", "image-rs", "test_data", "simple-signing-scheme");

describe("image-rs signatures.tar as a lookaside store", { skip: !existsSync(SCHEME) && `no vectors at ${SCHEME}` }, () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "signet-image-rs-store-"));
    execFileSync("tar", ["-xf", join(SCHEME, "signatures.tar"), "-C", root]);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test("its registries.d entry, pointed at the unpacked store, finds the signatures of each digest", async () => {
    // sigstore_config.yaml names /etc/containers/quay_verification/signatures; the same store lives in a temp dir here.
    const text = readFileSync(join(SCHEME, "sigstore_config.yaml"), "utf8").replaceAll("file:///etc/containers/quay_verification/signatures", pathToFileURL(root).href);
    const registries = mergeRegistriesDFiles([await parseRegistriesDFile(text, "sigstore_config.yaml")]);
    const reference = parseImageReference("quay.io/kata-containers/confidential-containers:signed");
    const base = lookasideFor(registries, reference).lookaside;
    assert.equal(base, pathToFileURL(root).href);
    const keyring = await parseGpgKeyring(readFileSync(join(SCHEME, "pubkey.gpg")));

    const signed = await readLookasideSignatures(base!, reference, "sha256:febcf61cd6e1ac9628f6ac14fa40836d16f3c6ddef3b303ff0321606e55ddd0b");
    assert.equal(signed.length, 1);
    const verified = await verifyGpgSignature(keyring, signed[0]!, { now: new Date("2022-01-01T00:00:00Z") });
    assert.equal(parseAtomicPayload(verified.payload).dockerReference, "quay.io/kata-containers/confidential-containers:signed");
    const expired = await assertRejectsWithCode(() => verifyGpgSignature(keyring, signed[0]!), "SIG_INVALID");
    assert.equal(expired.details["reason"], "key-expired");

    const other = await readLookasideSignatures(base!, reference, "sha256:7250923ba3543110040462388756ef099331822c6172a050b12c7a38361ea46f");
    assert.equal(other.length, 1);
    const unknown = await assertRejectsWithCode(() => verifyGpgSignature(keyring, other[0]!, { now: new Date("2022-01-01T00:00:00Z") }), "SIG_INVALID");
    assert.equal(unknown.details["reason"], "unknown-key");

    assert.deepEqual(await readLookasideSignatures(base!, reference, `sha256:${"0".repeat(64)}`), []);
  });
});
