import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { SignetError } from "../../../../src/errors/index.js";
import { compileIdentityPolicy, matchIdentity, type IdentityPolicy, type SubjectAlternativeName } from "../../../../src/signatures/bundle/index.js";
import { describe, test } from "node:test";
import { publicKeyToPem } from "../../../../src/keys/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import {
  compileClusterImagePolicies,
  findMatchingPolicies,
  type ClusterImagePolicy,
  type CompiledAuthority,
  type ResourceContext,
} from "../../../../src/webhook/policy/index.js";
import { clusterImagePolicy, keyAuthority, newKey } from "./policy-helpers.js";

const asPolicy = (document: Record<string, unknown>) => document as unknown as ClusterImagePolicy;

describe("compileClusterImagePolicies", () => {
  test("the version is stable, ignores document order, and changes with any policy or key", async () => {
    const key = newKey();
    const a = asPolicy(clusterImagePolicy({ name: "a", authorities: [keyAuthority(key)] }));
    const b = asPolicy(clusterImagePolicy({ name: "b", globs: ["ghcr.io/**"] }));
    const first = await compileClusterImagePolicies([a, b]);
    const again = await compileClusterImagePolicies([b, a]);
    assert.equal(first.version, again.version);
    assert.match(first.version, /^sha256:[0-9a-f]{64}$/);
    const otherKey = await compileClusterImagePolicies([asPolicy(clusterImagePolicy({ name: "a", authorities: [keyAuthority(newKey())] })), b]);
    assert.notEqual(otherKey.version, first.version);
    const otherGlob = await compileClusterImagePolicies([a, asPolicy(clusterImagePolicy({ name: "b", globs: ["ghcr.io/*"] }))]);
    assert.notEqual(otherGlob.version, first.version);
    assert.equal(first.policies.find((p) => p.name === "b")?.version, otherKey.policies.find((p) => p.name === "b")?.version, "a policy's own version depends only on it");
  });

  test("secretRef keys are read once, from the webhook's namespace by default; a rotated secret changes the version", async () => {
    const key = newKey();
    const reads: string[] = [];
    let pem = publicKeyToPem(key.publicKey);
    const readSecret = async (ref: { name: string; namespace: string }) => {
      reads.push(`${ref.namespace}/${ref.name}`);
      return { "cosign.pub": pem, "cosign.key": "ENCRYPTED", "cosign.password": "x" };
    };
    const policy = asPolicy(clusterImagePolicy({ authorities: [{ key: { secretRef: { name: "signing" } } }] }));
    const compiled = await compileClusterImagePolicies([policy], { readSecret, systemNamespace: "signet-system" });
    assert.deepEqual(reads, ["signet-system/signing"]);
    const authority = compiled.policies[0]!.authorities[0]!;
    assert.equal(authority.type, "key");
    assert.equal((authority as Extract<CompiledAuthority, { type: "key" }>).keySource, "secret signet-system/signing");
    pem = publicKeyToPem(newKey().publicKey);
    const rotated = await compileClusterImagePolicies([policy], { readSecret, systemNamespace: "signet-system" });
    assert.notEqual(rotated.version, compiled.version);
  });

  test("an unreadable secret fails its authority closed and is reported, without failing the set", async () => {
    const policy = asPolicy(clusterImagePolicy({ authorities: [{ key: { secretRef: { name: "gone" } } }] }));
    const compiled = await compileClusterImagePolicies([policy], {
      readSecret: async () => {
        throw new Error("secrets \"gone\" not found");
      },
    });
    const authority = compiled.policies[0]!.authorities[0]!;
    assert.equal(authority.type, "unavailable");
    assert.equal(authority.type === "unavailable" && authority.code, "POLICY_KEY_UNREADABLE");
    assert.match(compiled.problems[0] ?? "", /secret signet-system\/gone cannot be read/);
    const ambiguous = await compileClusterImagePolicies([policy], { readSecret: async () => ({ a: "x", b: "y" }) });
    assert.match(ambiguous.problems[0] ?? "", /holds 2 entries/);
  });

  test("invalid documents are refused at compile time too", async () => {
    await assertRejectsWithCode(() => compileClusterImagePolicies([asPolicy(clusterImagePolicy({ authorities: [{ static: { action: "maybe" } }] }))]), "CLUSTER_IMAGE_POLICY_INVALID");
    const twice = asPolicy(clusterImagePolicy({ name: "same" }));
    await assertRejectsWithCode(() => compileClusterImagePolicies([twice, twice]), "CLUSTER_IMAGE_POLICY_INVALID");
  });

  test("identities match exactly, and regexps match the whole value (security case A.7)", async () => {
    const compiled = await compileClusterImagePolicies([
      asPolicy(
        clusterImagePolicy({
          authorities: [
            {
              keyless: {
                identities: [
                  { issuer: "https://token.actions.githubusercontent.com", subject: "user@example.com" },
                  { issuerRegExp: "https://accounts\\.example\\.com", subjectRegExp: "https://github\\.com/org/repo/\\.github/workflows/release\\.yml@.*" },
                ],
              },
            },
          ],
        }),
      ),
    ]);
    const authority = compiled.policies[0]!.authorities[0]!;
    assert.equal(authority.type, "keyless");
    const [exact, pattern] = authority.type === "keyless" ? authority.identities : [];
    // The one keyless identity matcher (signatures/bundle/identity-match.ts), as every entry point uses it.
    const matches = (policy: IdentityPolicy, san: SubjectAlternativeName, issuer: string) => {
      try {
        matchIdentity(compileIdentityPolicy(policy), { subjectAlternativeNames: [san], extensions: { issuer } });
        return true;
      } catch {
        return false;
      }
    };
    const actions = "https://token.actions.githubusercontent.com";
    assert.ok(matches(exact!.policy, { type: "email", value: "user@example.com" }, actions));
    assert.ok(!matches(exact!.policy, { type: "email", value: "user@example.com.evil.net" }, actions));
    assert.ok(!matches(exact!.policy, { type: "email", value: "xuser@example.com" }, actions));
    const workflow = { type: "uri", value: "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main" } as const;
    assert.ok(matches(pattern!.policy, workflow, "https://accounts.example.com"));
    assert.ok(!matches(pattern!.policy, workflow, "https://accounts.example.com.evil.net"));
    assert.ok(!matches(pattern!.policy, workflow, "evil https://accounts.example.com"));
    assert.ok(!matches(pattern!.policy, { type: "uri", value: "https://github.com/org/repo/.github/workflows/evil.yml@refs/heads/main" }, "https://accounts.example.com"));
    assert.equal(authority.type === "keyless" && authority.trust.url, "https://fulcio.sigstore.dev");
  });

  test("KMS keys are opened through the key reference grammar: a key, or unavailable with its code; static authorities keep their message", async () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const asked: string[] = [];
    const compiled = await compileClusterImagePolicies(
      [asPolicy(clusterImagePolicy({ authorities: [{ key: { kms: "hashivault://transit/keys/signing" } }, { static: { action: "fail", message: "frozen" } }] }))],
      { kmsPublicKey: async (reference) => (asked.push(reference), publicKey) },
    );
    const [kms, fixed] = compiled.policies[0]!.authorities;
    assert.deepEqual(asked, ["hashivault://transit/keys/signing"]);
    assert.ok(kms?.type === "key" && kms.publicKeys[0]!.equals(publicKey) && kms.keySource === "KMS key hashivault://transit/keys/signing");
    // With no provider built (the default opener), the authority fails closed saying so.
    const unbuilt = await compileClusterImagePolicies([asPolicy(clusterImagePolicy({ authorities: [{ key: { kms: "hashivault://transit/keys/signing" } }] }))], {
      kmsPublicKey: () => Promise.reject(new SignetError("KEY_REF_UNSUPPORTED", "KMS provider not built")),
    });
    const [unavailable] = unbuilt.policies[0]!.authorities;
    assert.ok(unavailable?.type === "unavailable" && unavailable.code === "KEY_REF_UNSUPPORTED", JSON.stringify(unavailable));
    assert.deepEqual(fixed?.type === "static" ? [fixed.action, fixed.message] : [], ["fail", "frozen"]);
  });
});

describe("findMatchingPolicies", () => {
  const deployments = { group: "apps", version: "v1", resource: "deployments" };
  const resource = (labels: Record<string, string>, base = deployments): ResourceContext => ({ ...base, labels });

  test("globs pick the policies; all of them apply", async () => {
    const set = await compileClusterImagePolicies([
      asPolicy(clusterImagePolicy({ name: "all", globs: ["**"] })),
      asPolicy(clusterImagePolicy({ name: "ghcr", globs: ["ghcr.io/org/*"] })),
      asPolicy(clusterImagePolicy({ name: "hub", globs: ["*"] })),
    ]);
    assert.deepEqual(findMatchingPolicies(set, "ghcr.io/org/app:1").map((p) => p.name), ["all", "ghcr"]);
    assert.deepEqual(findMatchingPolicies(set, "nginx").map((p) => p.name), ["all", "hub"]);
  });

  test("spec.match selects resources and labels; an unknown resource still gets the policy", async () => {
    const set = await compileClusterImagePolicies([
      asPolicy(clusterImagePolicy({ name: "prod-deployments", match: [{ ...deployments, selector: { matchLabels: { env: "prod" }, matchExpressions: [{ key: "team", operator: "NotIn", values: ["sandbox"] }] } }] })),
      asPolicy(clusterImagePolicy({ name: "any-version-pods", match: [{ group: "", version: "*", resource: "pods" }] })),
    ]);
    const names = (context: ResourceContext | undefined) => findMatchingPolicies(set, "ghcr.io/a/b", context).map((p) => p.name);
    assert.deepEqual(names(resource({ env: "prod" })), ["prod-deployments"]);
    assert.deepEqual(names(resource({ env: "prod", team: "sandbox" })), []);
    assert.deepEqual(names(resource({ env: "dev" })), []);
    assert.deepEqual(names(resource({}, { group: "", version: "v1", resource: "pods" })), ["any-version-pods"]);
    assert.deepEqual(names(undefined), ["any-version-pods", "prod-deployments"]);
  });
});
