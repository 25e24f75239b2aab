/**
 * Keyless authorities through the webhook's verifier, on containers/image's dir-img-cosign-fulcio-rekor-valid
 * (MANIFEST §2.2: mitr@redhat.com, issuer https://github.com/login/oauth, Fulcio root fulcio_v1.crt.pem, Rekor
 * key rekor.pub; the certificate is checked at the SET's time). The signature is attached to an in-memory
 * registry repository as cosign attaches it, and evaluateImage is driven with a ClusterImagePolicy.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SignetError } from "../../../../src/errors/index.js";
import type { Digest } from "../../../../src/internal/digest.js";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { attachSignatureLayer } from "../../../../src/signatures/cosign/attach.js";
import { trustMaterialFromKeys, type TrustMaterial } from "../../../../src/trust/index.js";
import type { ContainerImage } from "../../../../src/webhook/admission/index.js";
import { evaluateImage, type EvaluateImageDeps } from "../../../../src/webhook/evaluate/index.js";
import { compileClusterImagePolicies, type ClusterImagePolicy } from "../../../../src/webhook/policy/index.js";
import { createAttestationVerifier } from "../../../../src/webhook/sigstore/attestation-verifier.js";
import { createKeylessVerifier } from "../../../../src/webhook/sigstore/keyless-verifier.js";
import { createKeylessTrustProvider } from "../../../../src/webhook/sigstore/trust-provider.js";
import { VECTORS } from "../../../helpers/peers.js";
import { clusterImagePolicy } from "../policy/policy-helpers.js";
import { FakeAccess } from "../evaluate/fake-access.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const REPOSITORY = "192.168.64.2:5000/cosign-signed/fulcio-rekor-1";
const SUBJECT = "mitr@redhat.com";
const ISSUER = "https://github.com/login/oauth";
const container = (image: string, extra: Partial<ContainerImage> = {}): ContainerImage => ({ field: "/spec/containers/0/image", containerName: "app", kind: "container", image, ...extra });

function fixtureTrust(): TrustMaterial {
  return trustMaterialFromKeys({ fulcioCaPem: readFileSync(join(FIXTURES, "fulcio_v1.crt.pem")), rekorPublicKeyPem: readFileSync(join(FIXTURES, "rekor.pub")), description: "fixture Fulcio root and Rekor key" });
}

/** The fixture image in a fake registry, its one signature attached as a `.sig` layer. */
async function fixtureImage(): Promise<{ access: FakeAccess; digest: Digest }> {
  const access = new FakeAccess();
  const repository = access.repository(REPOSITORY);
  const dir = join(FIXTURES, "dir-img-cosign-fulcio-rekor-valid");
  const manifest = readFileSync(join(dir, "manifest.json"));
  const digest = await repository.putManifest(manifest, "application/vnd.docker.distribution.manifest.v2+json", "latest");
  assert.equal(digest, sha256Digest(manifest));
  const prefix = "\x00sigstore-json\n";
  const raw = readFileSync(join(dir, "signature-1"));
  const signature = JSON.parse(raw.subarray(prefix.length).toString()) as { mimeType: string; payload: string; annotations: Record<string, string> };
  await attachSignatureLayer(repository, digest, { payload: Buffer.from(signature.payload, "base64"), annotations: signature.annotations, mediaType: signature.mimeType });
  return { access, digest };
}

async function evaluate(identities: Record<string, string>[], options: { load?: () => Promise<TrustMaterial>; image?: Partial<ContainerImage>; keyless?: Record<string, unknown>; attestations?: unknown[] } = {}) {
  const { access } = await fixtureImage();
  const trust = createKeylessTrustProvider({ load: options.load ?? (async () => fixtureTrust()), retryMs: 60_000 });
  const policies = await compileClusterImagePolicies([
    clusterImagePolicy({ name: "keyless", authorities: [{ keyless: { ...(options.keyless?.["ca-cert"] === undefined ? { url: "https://fulcio.sigstore.dev" } : {}), identities, ...options.keyless }, ...(options.attestations ? { attestations: options.attestations } : {}) }] }),
  ] as unknown as ClusterImagePolicy[]);
  const deps: EvaluateImageDeps = { access: access.asAccess(), verifyKeyless: createKeylessVerifier({ trust }), verifyAttestations: createAttestationVerifier({ trust }) };
  const verdict = await evaluateImage(container(`${REPOSITORY}:latest`, options.image), policies, deps);
  trust.close();
  return verdict;
}

describe("keyless authorities (webhook sigstore verifier)", () => {
  test("allowed: the certificate chains to fulcio_v1 at the SET time and names the policy's subject and issuer", async () => {
    const verdict = await evaluate([{ issuer: ISSUER, subject: SUBJECT }]);
    assert.equal(verdict.allowed, true, verdict.reason);
    const authority = verdict.policies[0]!.authorities[0]!;
    assert.match(authority.reason, /signed by "mitr@redhat\.com" \(issuer "https:\/\/github\.com\/login\/oauth"\), logged in Rekor at 20/);
    assert.ok(authority.signatures.some((s) => s.allowed));
  });

  test("allowed by an anchored RE2 regexp; a regexp matching only part of the value is not enough", async () => {
    assert.equal((await evaluate([{ issuerRegExp: "https://github\\.com/.*", subjectRegExp: ".*@redhat\\.com" }])).allowed, true);
    const partial = await evaluate([{ issuer: ISSUER, subjectRegExp: "mitr@redhat" }]);
    assert.equal(partial.allowed, false);
    assert.equal(partial.code, "CERT_IDENTITY_MISMATCH");
  });

  test("any one of several identities is enough", async () => {
    const verdict = await evaluate([{ issuer: ISSUER, subject: "someone@example.com" }, { issuer: ISSUER, subject: SUBJECT }]);
    assert.equal(verdict.allowed, true, verdict.reason);
  });

  test("denied for another subject, with the verified signer named in the reason", async () => {
    const verdict = await evaluate([{ issuer: ISSUER, subject: "this-does-not-match@example.com" }]);
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.error, undefined, "evaluated and rejected, not 'could not evaluate'");
    assert.equal(verdict.code, "CERT_IDENTITY_MISMATCH");
    assert.match(verdict.reason, /this-does-not-match@example\.com/);
    assert.match(verdict.reason, /signed by "mitr@redhat\.com" \(issuer "https:\/\/github\.com\/login\/oauth"\)/);
  });

  test("denied for another issuer", async () => {
    const verdict = await evaluate([{ issuer: "https://accounts.google.com", subject: SUBJECT }]);
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.code, "CERT_IDENTITY_MISMATCH");
    assert.match(verdict.reason, /issuer "https:\/\/github\.com\/login\/oauth"/);
  });

  test("the per-container identity annotations only narrow: another subject there denies an image the policy accepts", async () => {
    const narrowed = await evaluate([{ issuer: ISSUER, subjectRegExp: ".*" }], { image: { identity: { subject: "other@redhat.com" } } });
    assert.equal(narrowed.allowed, false);
    assert.match(narrowed.reason, /annotation requires/);
    const same = await evaluate([{ issuer: ISSUER, subjectRegExp: ".*" }], { image: { identity: { subject: SUBJECT, issuer: ISSUER } } });
    assert.equal(same.allowed, true, same.reason);
    // An annotation cannot widen what the policy accepts.
    const widened = await evaluate([{ issuer: ISSUER, subject: "someone@example.com" }], { image: { identity: { subject: SUBJECT } } });
    assert.equal(widened.allowed, false);
  });

  test("a trust root that does not vouch for the certificate denies it", async () => {
    const otherCa = () => Promise.resolve(trustMaterialFromKeys({ fulcioCaPem: readFileSync(join(FIXTURES, "pki_root_crts.pem")), rekorPublicKeyPem: readFileSync(join(FIXTURES, "rekor.pub")) }));
    const verdict = await evaluate([{ issuer: ISSUER, subject: SUBJECT }], { load: otherCa });
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.code, "CERT_CHAIN_INVALID");
  });

  test("the authority's ca-cert replaces the root's Fulcio CAs (the logs stay the root's)", async () => {
    const pkiRoot = readFileSync(join(FIXTURES, "pki_root_crts.pem"), "utf8");
    const denied = await evaluate([{ issuer: ISSUER, subject: SUBJECT }], { keyless: { "ca-cert": { data: pkiRoot } } });
    assert.equal(denied.allowed, false, "the fixture's Fulcio certificate does not chain to the policy's CA");
    const fulcio = readFileSync(join(FIXTURES, "fulcio_v1.crt.pem"), "utf8");
    const rekorOnly = () => Promise.resolve(trustMaterialFromKeys({ rekorPublicKeyPem: readFileSync(join(FIXTURES, "rekor.pub")) }));
    const allowed = await evaluate([{ issuer: ISSUER, subject: SUBJECT }], { keyless: { "ca-cert": { data: fulcio } }, load: rekorOnly });
    assert.equal(allowed.allowed, true, allowed.reason);
  });

  test("a trust root that cannot be loaded fails closed as 'could not evaluate'", async () => {
    const failing = () => Promise.reject(new SignetError("TRUST_ROOT_UNAVAILABLE", "TUF is unreachable"));
    const verdict = await evaluate([{ issuer: ISSUER, subject: SUBJECT }], { load: failing });
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.code, "TRUST_ROOT_UNAVAILABLE");
    assert.equal(verdict.error, true);
  });

  test("trustRootRef fails closed with the reason", async () => {
    const verdict = await evaluate([{ issuer: ISSUER, subject: SUBJECT }], { keyless: { trustRootRef: "my-root" } });
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.code, "POLICY_UNSUPPORTED");
    assert.match(verdict.reason, /trustRootRef "my-root"/);
  });

  test("required attestations that the image lacks deny it (never passed by their absence)", async () => {
    const verdict = await evaluate([{ issuer: ISSUER, subject: SUBJECT }], { attestations: [{ name: "provenance", predicateType: "slsaprovenance" }] });
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.code, "ATTESTATION_MISSING");
    assert.match(verdict.reason, /attestation "provenance"/);
  });
});

describe("createKeylessTrustProvider", () => {
  test("not ready until the root loads; a failure is reported and retried on demand", async () => {
    let attempts = 0;
    const trust = createKeylessTrustProvider({
      retryMs: 0,
      load: async () => {
        attempts++;
        if (attempts === 1) throw new SignetError("TRUST_ROOT_UNAVAILABLE", "TUF is unreachable");
        return fixtureTrust();
      },
    });
    assert.match(trust.notReadyReason()!, /loading/);
    assert.equal(trust.version(), "pending");
    await trust.start();
    assert.match(trust.notReadyReason()!, /could not be loaded: TUF is unreachable/);
    const material = await trust.trustFor({ insecureIgnoreSCT: false });
    assert.equal(material.tlogs.length, 1);
    assert.equal(trust.notReadyReason(), undefined);
    assert.match(trust.version(), /^sigstore:[0-9a-f]{16}$/);
    assert.equal((await trust.trustFor({ insecureIgnoreSCT: true })).ctlogs.length, 0);
    trust.close();
  });
});
