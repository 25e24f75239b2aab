/**
 * Trust policy validation with notation's messages (the e2e suite's policy table, MANIFEST §11), and trust
 * store loading over notation-go's store layouts (MANIFEST §12).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { VECTORS } from "../../../helpers/peers.js";
import { parseTrustPolicy } from "../../../../src/signatures/notation/trust-policy.js";
import { readTrustStore } from "../../../../src/signatures/notation/trust-store-files.js";
import { parseDistinguishedName } from "../../../../src/signatures/notation/distinguished-name.js";

const statement = (changes: Record<string, unknown>) => ({
  name: "e2e",
  registryScopes: ["localhost:5000/test-repo"],
  signatureVerification: { level: "strict" },
  trustStores: ["ca:e2e"],
  trustedIdentities: ["*"],
  ...changes,
});
const policy = (...statements: Record<string, unknown>[]) => ({ version: "1.0", trustPolicies: statements });

function refused(document: unknown, message: RegExp): void {
  assert.throws(() => parseTrustPolicy(document), (error: Error & { code?: string }) => {
    assert.equal(error.code, "NOTATION_POLICY_INVALID");
    assert.match(error.message, message);
    return true;
  });
}

describe("trust policy validation", () => {
  test("a valid statement with the level's actions and overrides", () => {
    const parsed = parseTrustPolicy(policy(statement({ signatureVerification: { level: "permissive", override: { authenticity: "log", expiry: "enforce" } } })));
    assert.deepEqual(parsed.statements[0]!.actions, { integrity: "enforce", authenticity: "log", authenticTimestamp: "log", expiry: "enforce", revocation: "log" });
  });
  const cases: [string, unknown, RegExp][] = [
    ["integrity cannot be overridden", policy(statement({ signatureVerification: { level: "permissive", override: { integrity: "log" } } })), /"integrity" verification can not be overridden in custom signature verification/],
    ["zero registry scopes", policy(statement({ registryScopes: [] })), /trust policy statement "e2e" has zero registry scopes/],
    ["a malformed scope", policy(statement({ registryScopes: ["localhost:5000\\test-repo"] })), /registry scope "localhost:5000\\test-repo" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag/],
    ["a scope with a tag", policy(statement({ registryScopes: ["localhost:5000/test-repo:v1"] })), /is not valid/],
    ["a scope in two statements", policy(statement({}), statement({ name: "other" })), /registry scope "localhost:5000\/test-repo" is present in multiple oci trust policy statements/],
    ["a wildcard with other scopes", policy(statement({ registryScopes: ["*", "localhost:5000/test-repo"] })), /a wildcard scope cannot be used in conjunction with other scope values/],
    ["two wildcard statements", policy(statement({ registryScopes: ["*"] }), statement({ name: "other", registryScopes: ["*"] })), /registry scope "\*" is present in multiple oci trust policy statements/],
    ["the same name twice", policy(statement({}), statement({ registryScopes: ["localhost:5000/other"] })), /multiple oci trust policy statements use the same name "e2e", statement names must be unique/],
    ["no trust stores", policy(statement({ trustStores: undefined })), /is either missing trust stores or trusted identities, both must be specified/],
    ["no trusted identities", policy(statement({ trustedIdentities: undefined })), /is either missing trust stores or trusted identities, both must be specified/],
    ["an empty store name", policy(statement({ trustStores: ["ca:"] })), /uses an unsupported trust store name "" in trust store value "ca:"/],
    ["a wildcard store", policy(statement({ trustStores: ["*"] })), /has malformed trust store value "\*". The required format is <TrustStoreType>:<TrustStoreName>/],
    ["an identity without separator", policy(statement({ trustedIdentities: ["x509.subject CN=e2e,O=Notary,L=Seattle,ST=WA,C=US"] })), /missing separator/],
    ["an empty identity", policy(statement({ trustedIdentities: [""] })), /has an empty trusted identity/],
    ["overlapping identities", policy(statement({ trustedIdentities: ["x509.subject:CN=e2e,O=Notary,ST=WA,C=US", "x509.subject:C=US,ST=WA,O=Notary,CN=e2e"] })), /has overlapping x509 trustedIdentities/],
    ["a wildcard identity with others", policy(statement({ trustedIdentities: ["*", "x509.subject:CN=e2e,O=Notary,ST=WA,C=US"] })), /a wildcard identity cannot be used in conjunction with other values/],
    ["an identity without O", policy(statement({ trustedIdentities: ["x509.subject:CN=e2e,ST=WA,C=US"] })), /has no mandatory RDN attribute for "O"/],
    ["an identity without ST", policy(statement({ trustedIdentities: ["x509.subject:CN=e2e,O=Notary,C=US"] })), /has no mandatory RDN attribute for "ST"/],
    ["an identity without C", policy(statement({ trustedIdentities: ["x509.subject:CN=e2e,O=Notary,ST=WA"] })), /has no mandatory RDN attribute for "C"/],
    ["skip with stores", policy(statement({ signatureVerification: { level: "skip" } })), /is set to skip signature verification but configured with trust stores/],
    ["an unknown version", { version: "2.0", trustPolicies: [statement({})] }, /unsupported version "2.0"/],
  ];
  for (const [name, document, message] of cases) test(name, () => refused(document, message));
  test("S is ST, and a DN attribute may not repeat", () => {
    assert.equal(parseDistinguishedName("CN=a,S=WA,O=x,C=US").get("ST"), "WA");
    assert.throws(() => parseDistinguishedName("CN=a,CN=b"), /duplicate RDN attribute for "CN"/);
  });
});

describe("trust stores on disk", () => {
  const root = join(VECTORS, "notaryproject__notation-go", "verifier", "testdata");
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return undefined;
  };
  test("valid stores load PEM and DER files", () => {
    assert.equal(readTrustStore(root, "ca", "valid-trust-store")?.length, 6);
    assert.equal(readTrustStore(root, "signingAuthority", "valid-trust-store-2")?.length, 2);
  });
  test("a missing store is undefined (the verifier names it)", () => assert.equal(readTrustStore(root, "ca", "no-such-store"), undefined));
  test("a ca store holding a leaf certificate is refused", () => assert.equal(code(() => readTrustStore(root, "ca", "trust-store-with-leaf-certs")), "NOTATION_TRUST_STORE_INVALID"));
  test("a file that is not a certificate is refused", () => assert.equal(code(() => readTrustStore(root, "ca", "trust-store-with-invalid-certs")), "NOTATION_TRUST_STORE_INVALID"));
  test("a tsa store's certificate must be a self-issued CA", () => {
    assert.equal(code(() => readTrustStore(root, "tsa", "test-nonCA")), "NOTATION_TRUST_STORE_INVALID");
    assert.equal(code(() => readTrustStore(root, "tsa", "test-nonSelfIssued")), "NOTATION_TRUST_STORE_INVALID");
    assert.equal(readTrustStore(root, "tsa", "test-timestamp")?.length, 1);
  });
});
