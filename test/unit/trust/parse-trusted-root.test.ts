import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { END_OF_TIME, parseTrustedRoot } from "../../../src/trust/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";

const PYTHON = join(VECTORS, "sigstore__sigstore-python");
const PROD_PATH = join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json");
const STAGING_PATH = join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev", "trusted_root.json");
const prodJson = (): Record<string, unknown> => JSON.parse(readFileSync(PROD_PATH, "utf8")) as Record<string, unknown>;

describe("parseTrustedRoot", () => {
  test("reads the public-good root: Fulcio CAs, Rekor v1 and v2, CT logs, the TSA", () => {
    const trust = parseTrustedRoot(readFileSync(PROD_PATH), "PROD");
    assert.equal(trust.description, "PROD");
    assert.deepEqual(trust.tlogs.map((log) => log.baseURL), ["https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"]);
    assert.equal(trust.tlogs[0]!.logID.toString("base64"), "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=");
    assert.equal(trust.tlogs[1]!.publicKey.asymmetricKeyType, "ed25519");
    assert.equal(trust.tlogs[1]!.validFor.start.toISOString(), "2025-09-23T00:00:00.000Z");
    assert.equal(trust.certificateAuthorities.length, 2);
    assert.equal(trust.certificateAuthorities[1]!.certChain.length, 2);
    assert.equal(trust.certificateAuthorities[0]!.validFor.end.toISOString(), "2022-12-31T23:59:59.999Z");
    assert.equal(trust.certificateAuthorities[1]!.validFor.end, END_OF_TIME);
    assert.equal(trust.ctlogs.length, 2);
    assert.equal(trust.timestampAuthorities[0]!.name, "https://timestamp.sigstore.dev/api/v1/timestamp");
    assert.ok(parseTrustedRoot(readFileSync(STAGING_PATH), "STAGING").tlogs.length >= 2);
  });

  test("accepts both media types, and the v1 test roots sigstore-python ships", () => {
    const v02 = { ...prodJson(), mediaType: "application/vnd.dev.sigstore.trustedroot.v0.2+json" };
    assert.equal(parseTrustedRoot(JSON.stringify(v02), "v0.2").tlogs.length, 2);
    for (const name of ["trustedroot.v1.json", "trustedroot.v1.local_tlog_ed25519_rekor-tiles.json"]) {
      assert.ok(parseTrustedRoot(readFileSync(join(PYTHON, "test", "assets", "trusted_root", name)), name).tlogs.length > 0, name);
    }
  });

  test("a log's checkpointKeyId becomes the id its checkpoint signatures hint at", () => {
    const root = prodJson() as { tlogs: Record<string, unknown>[] };
    root.tlogs[1] = { ...root.tlogs[1]!, checkpointKeyId: { keyId: Buffer.alloc(32, 5).toString("base64") } };
    const trust = parseTrustedRoot(JSON.stringify(root), "with checkpointKeyId");
    assert.deepEqual(trust.tlogs[1]!.checkpointKeyID, Buffer.alloc(32, 5));
    assert.notDeepEqual(trust.tlogs[1]!.logID, Buffer.alloc(32, 5));
  });

  test("a log whose key type is unknown (a newer root) is skipped, not the whole root refused", () => {
    const root = prodJson() as { tlogs: { publicKey: Record<string, unknown> }[] };
    root.tlogs[1]!.publicKey["keyDetails"] = "ML_DSA_65";
    root.tlogs[1]!.publicKey["rawBytes"] = Buffer.from("a future key").toString("base64");
    assert.deepEqual(parseTrustedRoot(JSON.stringify(root), "future key").tlogs.map((log) => log.baseURL), ["https://rekor.sigstore.dev"]);
  });

  test("refuses a media type that is not a trusted root (sigstore-python trustedroot.badtype.json)", async () => {
    await assertRejectsWithCode(() => parseTrustedRoot(readFileSync(join(PYTHON, "test", "assets", "trusted_root", "trustedroot.badtype.json")), "badtype"), "TRUST_ROOT_INVALID");
  });

  test("a log validity without its start is invalid, not unbounded; an absent validity is unbounded", async () => {
    const root = prodJson() as { tlogs: { publicKey: Record<string, unknown> }[] };
    root.tlogs[0]!.publicKey["validFor"] = {};
    const error = await assertRejectsWithCode(() => parseTrustedRoot(JSON.stringify(root), "no start"), "TRUST_ROOT_INVALID");
    assert.match(error.message, /tlogs\[0\]\.publicKey\.validFor\.start is missing/);
    delete root.tlogs[0]!.publicKey["validFor"];
    assert.equal(parseTrustedRoot(JSON.stringify(root), "no validFor").tlogs[0]!.validFor.start.getTime(), 0);
  });

  test("refuses unknown fields, bad base64, keys that are not keys, certificates that are not certificates", async () => {
    const mutations: [string, readonly (string | number)[], unknown][] = [
      ["unknown top-level field", ["extra"], 1],
      ["unknown log field", ["tlogs", 0, "surprise"], true],
      ["junk in base64", ["tlogs", 0, "publicKey", "rawBytes"], "!!!!"],
      ["not a key", ["tlogs", 0, "publicKey", "rawBytes"], Buffer.from("not a key").toString("base64")],
      ["not a certificate", ["certificateAuthorities", 0, "certChain", "certificates", 0, "rawBytes"], Buffer.from("no").toString("base64")],
      ["empty chain", ["certificateAuthorities", 0, "certChain", "certificates"], []],
      ["bad time", ["certificateAuthorities", 0, "validFor", "start"], "yesterday"],
      ["end before start", ["certificateAuthorities", 0, "validFor"], { start: "2024-01-01T00:00:00Z", end: "2023-01-01T00:00:00Z" }],
      ["a log without its id", ["tlogs", 0, "logId"], undefined],
      ["no media type", ["mediaType"], undefined],
    ];
    for (const [what, path, value] of mutations) {
      const root = prodJson();
      let parent = root as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      if (value === undefined) delete parent[path[path.length - 1]!];
      else parent[path[path.length - 1]!] = value;
      await assertRejectsWithCode(() => parseTrustedRoot(JSON.stringify(root), what), "TRUST_ROOT_INVALID");
    }
    await assertRejectsWithCode(() => parseTrustedRoot("{", "truncated"), "TRUST_ROOT_INVALID");
    await assertRejectsWithCode(() => parseTrustedRoot(Buffer.from([0xff, 0xfe]), "not UTF-8"), "TRUST_ROOT_INVALID");
  });
});
