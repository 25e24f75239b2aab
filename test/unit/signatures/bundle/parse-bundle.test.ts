import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseBundle } from "../../../../src/signatures/bundle/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { VECTORS } from "../../../helpers/peers.js";

const CASES = join(VECTORS, "sigstore__sigstore-conformance", "test", "assets", "bundle-verify");
const load = (name: string): unknown => JSON.parse(readFileSync(join(CASES, name, "bundle.sigstore.json"), "utf8"));

/** A deep copy of `value` with the field at `path` set (undefined removes it). */
function set(value: unknown, path: readonly (string | number)[], field: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (field === undefined) delete parent[last];
  else parent[last] = field;
  return copy;
}

function get(value: unknown, path: readonly (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

describe("parseBundle", () => {
  test("reads v0.1, v0.2 and v0.3 bundles, message signatures and DSSE", () => {
    const v2 = parseBundle(load("happy-path-v0.2"));
    assert.equal(v2.version, "0.2");
    assert.equal(v2.content.type, "messageSignature");
    assert.equal(v2.signingKey.type, "certificate");
    assert.equal(v2.tlogEntries[0]!.inclusionProof!.hashes.length > 0, true);
    const dsse = parseBundle(load("happy-path-intoto-in-dsse-v3"));
    assert.equal(dsse.version, "0.3");
    assert.equal(dsse.content.type === "dsseEnvelope" && dsse.content.payloadType, "application/vnd.in-toto+json");
    const key = parseBundle(load("managed-key-happy-path"));
    assert.equal(key.signingKey.type, "publicKey");
  });

  test("the old v0.3 media type and the new one are the same version", () => {
    const bundle = load("happy-path-v0.3");
    assert.equal(parseBundle(set(bundle, ["mediaType"], "application/vnd.dev.sigstore.bundle+json;version=0.3")).version, "0.3");
    assert.equal(parseBundle(set(bundle, ["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json")).version, "0.3");
  });

  const ENTRY = ["verificationMaterial", "tlogEntries", 0];
  const refusals: [string, string, (bundle: unknown) => unknown][] = [
    ["an unknown version", "happy-path-v0.3", (b) => set(b, ["mediaType"], "application/vnd.dev.sigstore.bundle.v99.9+json")],
    ["v0.4 of the old form", "happy-path-v0.3", (b) => set(b, ["mediaType"], "application/vnd.dev.sigstore.bundle+json;version=0.4")],
    ["an unknown field", "happy-path-v0.3", (b) => set(b, ["extra"], true)],
    ["junk in base64", "happy-path-v0.3", (b) => set(b, ["messageSignature", "signature"], "MEUC!!!")],
    ["a log index that is not an integer", "happy-path-v0.3", (b) => set(b, [...ENTRY, "logIndex"], "1.5")],
    ["both content kinds", "happy-path-v0.3", (b) => set(b, ["dsseEnvelope"], get(load("happy-path-intoto-in-dsse-v3"), ["dsseEnvelope"]))],
    ["no content", "happy-path-v0.3", (b) => set(b, ["messageSignature"], undefined)],
    ["two signing keys", "happy-path-v0.3", (b) => set(b, ["verificationMaterial", "publicKey"], { hint: "x" })],
    ["a certificate chain in v0.3", "happy-path-v0.3", (b) => set(set(b, ["verificationMaterial", "x509CertificateChain"], { certificates: [get(b, ["verificationMaterial", "certificate"])] }), ["verificationMaterial", "certificate"], undefined)],
    ["a v0.2 entry without an inclusion proof", "happy-path-v0.2", (b) => set(b, [...ENTRY, "inclusionProof"], undefined)],
    ["an inclusion proof without a checkpoint", "happy-path-v0.2", (b) => set(b, [...ENTRY, "inclusionProof", "checkpoint"], undefined)],
    ["a v0.1 entry without an inclusion promise", "bundle-from-wrong-instance_fail", (b) => set(b, [...ENTRY, "inclusionPromise"], undefined)],
    ["a DSSE envelope with two signatures", "happy-path-intoto-in-dsse-v3", (b) => set(b, ["dsseEnvelope", "signatures", 1], get(b, ["dsseEnvelope", "signatures", 0]))],
    ["a DSSE envelope without a signature", "happy-path-intoto-in-dsse-v3", (b) => set(b, ["dsseEnvelope", "signatures"], [])],
    ["a certificate that is not one", "happy-path-v0.3", (b) => set(b, ["verificationMaterial", "certificate"], { rawBytes: "AAAA" })],
    ["a digest of the wrong length", "happy-path-v0.3", (b) => set(b, ["messageSignature", "messageDigest"], { algorithm: "SHA2_256", digest: "AAAA" })],
    ["not an object", "happy-path-v0.3", () => "a string"],
  ];
  for (const [what, base, mutate] of refusals) {
    test(`refuses ${what}`, async () => {
      await assertRejectsWithCode(() => parseBundle(mutate(load(base))), "BUNDLE_INVALID");
    });
  }

  test("too many log entries or timestamps are refused before any is checked", async () => {
    const bundle = load("happy-path-v0.3");
    const entries = Array.from({ length: 33 }, () => get(bundle, ENTRY));
    await assertRejectsWithCode(() => parseBundle(set(bundle, ["verificationMaterial", "tlogEntries"], entries)), "BUNDLE_INVALID");
  });
});
