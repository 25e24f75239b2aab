/**
 * Walks the Notary Project's vectors (test/vectors/notaryproject__notation-go, MANIFEST §12) and checks every
 * envelope verifies or fails as upstream's tests state, with the check that fails, its code and notation's
 * message. A file that no rule below describes fails the test: every case found is run.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VECTORS } from "../../../helpers/peers.js";
import { parseNotationEnvelope } from "../../../../src/signatures/notation/parse-envelope.js";
import { applicableStatement, parseTrustPolicy, type TrustPolicyStatement } from "../../../../src/signatures/notation/trust-policy.js";
import { trustStoresAt } from "../../../../src/signatures/notation/trust-store-files.js";
import { verifyNotationSignature, type NotationVerification, type SubjectDescriptor } from "../../../../src/signatures/notation/verify-notation.js";
import { parseNotationPayload } from "../../../../src/signatures/notation/payload.js";

const ROOT = join(VECTORS, "notaryproject__notation-go");
const MOCK = join(ROOT, "internal", "mock", "testdata");
const TIMESTAMPED = join(ROOT, "verifier", "testdata", "timestamp", "sigEnv");
const stores = trustStoresAt(join(ROOT, "verifier", "testdata"));
const NOW = new Date("2026-12-01T00:00:00Z");
const NET_MONITOR = { mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: "sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e", size: 528 };

function policyFile(name: string): TrustPolicyStatement[] {
  return [...parseTrustPolicy(JSON.parse(readFileSync(join(ROOT, "_derived", name), "utf8"))).statements];
}
const OCI = policyFile("trustpolicy.oci.json")[0]!;
const TIMESTAMP = policyFile("trustpolicy.timestamp.oci.json")[0]!;

function withChanges(statement: TrustPolicyStatement, changes: Partial<TrustPolicyStatement>): TrustPolicyStatement {
  return { ...statement, ...changes };
}

function mediaTypeOf(bytes: Buffer): string {
  return bytes[0] === 0x7b ? "application/jose+json" : "application/cose";
}

function run(path: string, statement: TrustPolicyStatement, subject?: SubjectDescriptor): NotationVerification {
  const bytes = readFileSync(path);
  const target = subject ?? parseNotationPayload(parseNotationEnvelope(mediaTypeOf(bytes), bytes).payload);
  return verifyNotationSignature(() => parseNotationEnvelope(mediaTypeOf(bytes), bytes), { statement, trustStores: stores, subject: target, now: NOW });
}

function failure(result: NotationVerification) {
  return result.outcomes.find((outcome) => outcome.passed === false);
}

describe("notation-go mock envelopes (verifier_test.go)", () => {
  const files = readdirSync(MOCK).sort();
  test("the folder holds the envelopes the rules describe", () => assert.ok(files.length >= 17));
  for (const file of files) {
    const path = join(MOCK, file);
    test(file, () => {
      if (/^(ca|sa)_valid_sig_env\.json$/.test(file)) {
        const result = run(path, OCI, NET_MONITOR);
        assert.equal(result.verified, true, JSON.stringify(result.outcomes));
        assert.deepEqual(result.outcomes.map((outcome) => [outcome.check, outcome.passed]), [["integrity", true], ["authenticity", true], ["expiry", true], ["authenticTimestamp", true], ["revocation", true]]);
        // Other stores: no trusted certificate. Another identity: not trusted.
        const other = run(path, withChanges(OCI, { trustStores: [{ type: "ca", name: "valid-trust-store-2" }, { type: "signingAuthority", name: "valid-trust-store-2" }] }), NET_MONITOR);
        assert.equal(failure(other)?.code, "NOTATION_AUTHENTICITY");
        assert.equal(failure(other)?.message, "the signature's certificate chain does not contain any trusted certificate");
        const lol = parseTrustPolicy({ version: "1.0", trustPolicies: [{ name: "p", registryScopes: ["*"], signatureVerification: { level: "strict" }, trustStores: ["ca:valid-trust-store", "signingAuthority:valid-trust-store"], trustedIdentities: ["x509.subject:CN=LOL,O=DummyOrg,L=Hyderabad,ST=TG,C=IN"] }] });
        assert.equal(failure(run(path, lol.statements[0]!, NET_MONITOR))?.code, "NOTATION_UNTRUSTED_IDENTITY");
        // Every level but skip checks integrity: a signature for another digest fails it.
        const moved = run(path, OCI, { ...NET_MONITOR, digest: `sha256:${"0".repeat(64)}` });
        assert.equal(failure(moved)?.check, "integrity");
        assert.equal(failure(moved)?.code, "NOTATION_INTEGRITY");
      } else if (/^(ca|sa)_invalid_sig_env\.json$/.test(file)) {
        const result = run(path, OCI, NET_MONITOR);
        assert.equal(result.verified, false);
        assert.equal(failure(result)?.check, "integrity");
        assert.equal(failure(result)?.code, "NOTATION_ENVELOPE_INVALID");
        assert.match(failure(result)?.message ?? "", /illegal data at input byte 242/);
      } else if (/^(ca|sa)_expired_sig_env\.json$/.test(file)) {
        const result = run(path, OCI, NET_MONITOR);
        assert.equal(result.verified, false);
        assert.equal(failure(result)?.code, "NOTATION_EXPIRED");
        assert.equal(failure(result)?.message, 'digital signature has expired on "Fri, 29 Jul 2022 23:59:00 +0000"');
        // permissive and audit log the expiry and accept.
        for (const level of ["permissive", "audit"] as const) {
          const statement = parseTrustPolicy({ version: "1.0", trustPolicies: [{ name: "p", registryScopes: ["*"], signatureVerification: { level }, trustStores: ["ca:valid-trust-store", "signingAuthority:valid-trust-store"], trustedIdentities: ["*"] }] }).statements[0]!;
          const logged = run(path, statement, NET_MONITOR);
          assert.equal(logged.verified, true, level);
          assert.match(logged.warnings.join("\n"), /expiry validation failed: digital signature has expired/);
        }
      } else if (/plugin/.test(file)) {
        // Extended critical attributes for a verification plugin: a verifier without the plugin must fail.
        const result = run(path, OCI);
        assert.equal(result.verified, false);
        assert.equal(failure(result)?.check, "integrity");
        assert.match(failure(result)?.message ?? "", /verification plugin/);
      } else if (file === "sig_env_with_metadata.json") {
        const bytes = readFileSync(path);
        const target = parseNotationPayload(parseNotationEnvelope("application/jose+json", bytes).payload);
        assert.deepEqual(target.annotations, { "io.wabbit-networks.buildId": "123", "io.wabbit-networks.buildTime": "1672944615" });
        const result = run(path, withChanges(OCI, { actions: { ...OCI.actions, authenticity: "log" } }));
        assert.equal(result.outcomes[0]?.passed, true, "integrity holds");
      } else {
        assert.fail(`no expectation for ${file}: add one from upstream's tests`);
      }
    });
  }
});

describe("notation-go timestamped envelopes (timestamp_test.go)", () => {
  // Upstream checks the authentic-timestamp step on its own: authenticity is only logged here.
  const statement = withChanges(TIMESTAMP, { actions: { ...TIMESTAMP.actions, authenticity: "log" } });
  const noTsa = withChanges(statement, { trustStores: TIMESTAMP.trustStores.filter((store) => store.type !== "tsa") });
  const timestampOutcome = (result: NotationVerification) => result.outcomes.find((outcome) => outcome.check === "authenticTimestamp");
  const expectations: Record<string, (path: string) => void> = {
    "jwsWithTimestamp.sig": (path) => assert.equal(timestampOutcome(run(path, statement))?.passed, true),
    "coseWithTimestamp.sig": (path) => assert.equal(timestampOutcome(run(path, statement))?.passed, true),
    "jwsExpiredWithTimestamp.sig": (path) => {
      assert.equal(timestampOutcome(run(path, statement))?.passed, true, "the timestamp vouches for the expired certificate");
      assert.equal(timestampOutcome(run(path, noTsa))?.code, "NOTATION_AUTHENTIC_TIMESTAMP");
    },
    "coseExpiredWithTimestamp.sig": (path) => {
      assert.equal(timestampOutcome(run(path, statement))?.passed, true);
      assert.equal(timestampOutcome(run(path, noTsa))?.message, 'verification time is after certificate "CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US" validity period, it was expired at "Tue, 18 Jun 2024 07:30:31 +0000"');
    },
    "withoutTimestamp.sig": (path) => assert.equal(timestampOutcome(run(path, statement))?.message, "no timestamp countersignature was found in the signature envelope"),
    "timestampBeforeNotBefore.sig": (path) =>
      assert.equal(timestampOutcome(run(path, statement))?.message, 'timestamp can be before certificate "CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US" validity period, it will be valid from "Fri, 18 Sep 2099 11:54:34 +0000"'),
    "timestampAfterNotAfter.sig": (path) =>
      assert.equal(timestampOutcome(run(path, statement))?.message, 'timestamp can be after certificate "CN=testTSA,O=Notary,L=Seattle,ST=WA,C=US" validity period, it was expired at "Tue, 18 Sep 2001 11:54:34 +0000"'),
  };
  for (const file of readdirSync(TIMESTAMPED).sort()) {
    test(file, () => {
      const expectation = expectations[file];
      assert.ok(expectation, `no expectation for ${file}`);
      expectation(join(TIMESTAMPED, file));
    });
  }
});

describe("notation-go envelopes over an OCI layout manifest (internal/testdata)", () => {
  const index = JSON.parse(readFileSync(join(ROOT, "internal", "testdata", "oci-layout", "index.json"), "utf8")) as { manifests: SubjectDescriptor[] };
  const manifest = index.manifests[0]!;
  for (const file of ["jws_signature.sig", "cose_signature.sig"]) {
    test(`${file}: intact and bound to the layout's manifest; its signer is in no store`, () => {
      const path = join(ROOT, "internal", "testdata", file);
      const subject = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
      const result = run(path, OCI, subject);
      assert.equal(result.outcomes[0]?.passed, true, "integrity");
      assert.equal(failure(result)?.code, "NOTATION_AUTHENTICITY");
      // A flipped byte in the signature is an integrity failure.
      const bytes = readFileSync(path);
      const envelope = parseNotationEnvelope(mediaTypeOf(bytes), bytes);
      const tampered = verifyNotationSignature({ ...envelope, signature: Buffer.from(envelope.signature.map((byte, i) => (i === 10 ? byte ^ 1 : byte))) }, { statement: OCI, trustStores: stores, subject, now: NOW });
      assert.equal(failure(tampered)?.check, "integrity");
      assert.equal(failure(tampered)?.code, "NOTATION_INTEGRITY");
    });
  }
});

test("the statement for a repository: exact scope first, then '*'; none names both what was sought and what exists", () => {
  const policy = parseTrustPolicy(JSON.parse(readFileSync(join(ROOT, "_derived", "trustpolicy.oci.json"), "utf8")));
  assert.equal(applicableStatement(policy, "registry.acme-rockets.io/software/net-monitor").name, "test-statement-name");
  assert.throws(() => applicableStatement(policy, "localhost:5000/test-repo"), (error: Error & { code?: string }) => {
    assert.equal(error.code, "NOTATION_NO_APPLICABLE_POLICY");
    assert.match(error.message, /"localhost:5000\/test-repo"/);
    assert.match(error.message, /registry\.acme-rockets\.io\/software\/net-monitor/);
    return true;
  });
});
