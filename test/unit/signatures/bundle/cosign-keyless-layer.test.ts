/**
 * cosign `.sig` layers made by real cosign (containers/image fixtures, MANIFEST §2.2): Fulcio + Rekor, key +
 * Rekor, and the lower-level Rekor SET vectors, with containers/image's expectations.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parsePublicKeyPem } from "../../../../src/keys/index.js";
import { verifyCosignKeylessLayer, type UntrustedCosignLayer } from "../../../../src/signatures/bundle/index.js";
import { parseRekorBundle } from "../../../../src/signatures/bundle/cosign-keyless-layer.js";
import { trustMaterialFromKeys } from "../../../../src/trust/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { VECTORS } from "../../../helpers/peers.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const TESTDATA = join(VECTORS, "containers__image", "signature", "internal", "testdata");
const read = (path: string): string => readFileSync(path, "utf8");

/** A `dir:` signature file: "\0sigstore-json\n" + {mimeType, payload, annotations}, i.e. one .sig layer. */
function layerOf(dir: string): UntrustedCosignLayer {
  const raw = readFileSync(join(FIXTURES, dir, "signature-1"));
  const { payload, annotations } = JSON.parse(raw.subarray(raw.indexOf(10) + 1).toString("utf8")) as { payload: string; annotations: Record<string, string> };
  return {
    payload: Buffer.from(payload, "base64"),
    signatureBase64: annotations["dev.cosignproject.cosign/signature"]!,
    ...(annotations["dev.sigstore.cosign/certificate"] === undefined ? {} : { certificatePem: annotations["dev.sigstore.cosign/certificate"] }),
    ...(annotations["dev.sigstore.cosign/chain"] === undefined ? {} : { chainPem: annotations["dev.sigstore.cosign/chain"] }),
    ...(annotations["dev.sigstore.cosign/bundle"] === undefined ? {} : { rekorBundleJson: annotations["dev.sigstore.cosign/bundle"] }),
  };
}

const fulcioAndRekor = trustMaterialFromKeys({ fulcioCaPem: read(join(FIXTURES, "fulcio_v1.crt.pem")), rekorPublicKeyPem: read(join(FIXTURES, "rekor.pub")) });
const MITR = { kind: "identity", subject: "mitr@redhat.com", issuer: "https://github.com/login/oauth" } as const;

describe("dir-img-cosign-fulcio-rekor-valid (Fulcio certificate + Rekor SET)", () => {
  const layer = layerOf("dir-img-cosign-fulcio-rekor-valid");

  test("accepted: the certificate checked at the SET time, though it expired in 2023", () => {
    const verified = verifyCosignKeylessLayer(layer, MITR, fulcioAndRekor);
    assert.equal(verified.signer.subject, "mitr@redhat.com");
    assert.equal(verified.signer.issuer, "https://github.com/login/oauth");
    assert.equal(verified.tlogEntries[0]!.kind, "hashedrekord");
    assert.equal(verified.mediaType, "cosign-legacy");
  });

  test("rejected for another email", async () => {
    await assertRejectsWithCode(() => verifyCosignKeylessLayer(layer, { ...MITR, subject: "this-does-not-match@example.com" }, fulcioAndRekor), "CERT_IDENTITY_MISMATCH");
  });

  test("rejected without the chain annotation, unless the intermediate is trusted directly", async () => {
    const { chainPem, ...withoutChain } = layer;
    await assertRejectsWithCode(() => verifyCosignKeylessLayer(withoutChain, MITR, fulcioAndRekor), "CERT_CHAIN_INVALID");
    const intermediate = chainPem!.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n";
    const direct = trustMaterialFromKeys({ fulcioCaPem: intermediate, rekorPublicKeyPem: read(join(FIXTURES, "rekor.pub")) });
    assert.equal(verifyCosignKeylessLayer(withoutChain, MITR, direct).signer.subject, "mitr@redhat.com");
  });

  test("rejected for a corrupted certificate or SET, or without the SET", async () => {
    const certificate = layer.certificatePem!;
    const truncated = certificate.replace(/(-----BEGIN CERTIFICATE-----\n)[\s\S]{200}/, "$1");
    await assertRejectsWithCode(() => verifyCosignKeylessLayer({ ...layer, certificatePem: truncated }, MITR, fulcioAndRekor), "BUNDLE_INVALID");
    // One changed byte inside: still DER, but no longer the certificate the log recorded (nor the one the CA signed).
    const lines = certificate.split("\n");
    lines[1] = lines[1]!.slice(0, 22) + (lines[1]![22] === "A" ? "B" : "A") + lines[1]!.slice(23); // in the serial number
    await assertRejectsWithCode(() => verifyCosignKeylessLayer({ ...layer, certificatePem: lines.join("\n") }, MITR, fulcioAndRekor), "TLOG_ENTRY_MISMATCH");
    const set = JSON.parse(layer.rekorBundleJson!) as { SignedEntryTimestamp: string; Payload: { integratedTime: number } };
    const badSet = JSON.stringify({ ...set, Payload: { ...set.Payload, integratedTime: set.Payload.integratedTime + 1 } });
    await assertRejectsWithCode(() => verifyCosignKeylessLayer({ ...layer, rekorBundleJson: badSet }, MITR, fulcioAndRekor), "TLOG_PROOF_INVALID");
    const { rekorBundleJson: _set, ...withoutSet } = layer;
    await assertRejectsWithCode(() => verifyCosignKeylessLayer(withoutSet, MITR, fulcioAndRekor), "TLOG_ENTRY_MISSING");
  });

  test("rejected when the requirement has Fulcio but no Rekor key", async () => {
    const fulcioOnly = trustMaterialFromKeys({ fulcioCaPem: read(join(FIXTURES, "fulcio_v1.crt.pem")) });
    await assertRejectsWithCode(() => verifyCosignKeylessLayer(layer, MITR, fulcioOnly), "TLOG_PROOF_INVALID");
  });

  test("a changed payload is refused", async () => {
    await assertRejectsWithCode(() => verifyCosignKeylessLayer({ ...layer, payload: Buffer.concat([Buffer.from(layer.payload), Buffer.from(" ")]) }, MITR, fulcioAndRekor), "SIG_INVALID");
  });
});

describe("dir-img-cosign-key-rekor-valid (key + Rekor SET)", () => {
  const layer = layerOf("dir-img-cosign-key-rekor-valid");
  const key = { kind: "key", publicKey: parsePublicKeyPem(read(join(FIXTURES, "cosign2.pub"))) } as const;

  test("accepted with cosign2.pub and rekor.pub", () => {
    const verified = verifyCosignKeylessLayer(layer, key, fulcioAndRekor);
    assert.equal(verified.timestamps[0]!.kind, "tlog");
    assert.equal(verified.signer.subject, undefined);
  });

  test("rejected without the SET, with another log key, or another signing key", async () => {
    const { rekorBundleJson: _set, ...withoutSet } = layer;
    await assertRejectsWithCode(() => verifyCosignKeylessLayer(withoutSet, key, fulcioAndRekor), "TLOG_ENTRY_MISSING");
    for (const wrongLog of ["cosign.pub", "some-rsa-key.pub"]) {
      const trust = trustMaterialFromKeys({ rekorPublicKeyPem: read(join(FIXTURES, wrongLog)) });
      await assertRejectsWithCode(() => verifyCosignKeylessLayer(layer, key, trust), "TLOG_PROOF_INVALID");
    }
    await assertRejectsWithCode(() => verifyCosignKeylessLayer(layer, { kind: "key", publicKey: parsePublicKeyPem(read(join(FIXTURES, "cosign.pub"))) }, fulcioAndRekor), "SIG_INVALID");
  });

  test("a malformed dev.sigstore.cosign/rfc3161timestamp annotation is refused (BUNDLE_INVALID); one from an unlisted TSA counts for nothing", async () => {
    for (const bad of ["not json", "{}", '{"SignedRFC3161Timestamp":5}', '{"SignedRFC3161Timestamp":"%%%"}', '{"SignedRFC3161Timestamp":""}']) {
      await assertRejectsWithCode(() => verifyCosignKeylessLayer({ ...layer, rfc3161TimestampJson: bad }, key, fulcioAndRekor), "BUNDLE_INVALID");
    }
    // Parsed, but not a timestamp of a TSA of the trust material: the SET still gives the time, the token adds none.
    const verified = verifyCosignKeylessLayer({ ...layer, rfc3161TimestampJson: '{"SignedRFC3161Timestamp":"MAMCAQA="}' }, key, fulcioAndRekor);
    assert.deepEqual(verified.timestamps.map((t) => t.kind), ["tlog"]);
  });
});

describe("containers/image internal/testdata rekor-* (a hashedrekord SET for rekor-payload)", () => {
  const layer: UntrustedCosignLayer = {
    payload: readFileSync(join(TESTDATA, "rekor-payload")),
    signatureBase64: read(join(TESTDATA, "rekor-sig")),
    certificatePem: read(join(TESTDATA, "rekor-cert")),
    chainPem: read(join(FIXTURES, "fulcio-chain")),
    rekorBundleJson: read(join(TESTDATA, "rekor-set")),
  };

  test("verifies with rekor.pub and returns integratedTime 1670870899", () => {
    assert.equal(parseRekorBundle(read(join(TESTDATA, "rekor-set"))).integratedTime, 1670870899n);
    const trust = trustMaterialFromKeys({ fulcioCaPem: read(join(FIXTURES, "fulcio_v1.crt.pem")), rekorPublicKeyPem: read(join(TESTDATA, "rekor.pub")) });
    const verified = verifyCosignKeylessLayer(layer, MITR, trust);
    assert.equal(verified.timestamps[0]!.time.getTime(), 1670870899 * 1000);
  });

  test("empty or garbage SETs are refused", async () => {
    for (const bundle of ["{}", "garbage", '{"SignedEntryTimestamp":"","Payload":{}}', '{"SignedEntryTimestamp":"!!","Payload":{"body":"e30=","integratedTime":1,"logIndex":1,"logID":"00"}}']) {
      await assertRejectsWithCode(() => verifyCosignKeylessLayer({ ...layer, rekorBundleJson: bundle }, MITR, fulcioAndRekor), "BUNDLE_INVALID");
    }
  });
});
