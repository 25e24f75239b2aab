import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkClusterImagePolicyText, validateClusterImagePolicy, type PolicyProblem } from "../../../../src/webhook/policy/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { parseClusterImagePolicies } from "../../../../src/webhook/policy/index.js";
import { clusterImagePolicy, keyAuthority, newKey } from "./policy-helpers.js";

const errors = (problems: PolicyProblem[]) => problems.filter((p) => p.level === "error").map((p) => p.text);

function problemsOf(authorities: unknown[], extra: Partial<Parameters<typeof clusterImagePolicy>[0]> = {}, options = {}): string[] {
  return errors(validateClusterImagePolicy(clusterImagePolicy({ authorities, ...extra }), options).problems);
}

describe("ClusterImagePolicy validation", () => {
  test("a keyless authority without identities is a configuration error (security case A.6)", () => {
    const text = problemsOf([{ keyless: { url: "https://fulcio.example.com" } }]).join("\n");
    assert.match(text, /spec\.authorities\[0\]\.keyless\.identities: Invalid value/);
    assert.match(problemsOf([{ keyless: { url: "https://fulcio.example.com", identities: [] } }]).join("\n"), /missing field\(s\): spec\.authorities\[0\]\.keyless\.identities/);
  });

  test("an identity needs both an issuer and a subject (exact or regexp), never both forms", () => {
    assert.deepEqual(problemsOf([{ keyless: { identities: [{ subjectRegExp: ".*" }] } }]), [
      "missing field(s): spec.authorities[0].keyless.identities[0].issuer, spec.authorities[0].keyless.identities[0].issuerRegExp",
    ]);
    assert.deepEqual(problemsOf([{ keyless: { identities: [{ issuer: "https://i", issuerRegExp: "x", subject: "s" }] } }]), [
      "expected exactly one, got both: spec.authorities[0].keyless.identities[0].issuer, spec.authorities[0].keyless.identities[0].issuerRegExp",
    ]);
  });

  test("identity regexps must be valid RE2", () => {
    const text = problemsOf([{ keyless: { identities: [{ issuer: "https://i", subjectRegExp: "(a" }] } }]).join("\n");
    assert.match(text, /invalid value: \(a: spec\.authorities\[0\]\.keyless\.identities\[0\]\.subjectRegExp/);
    // Backreferences are not RE2 (no catastrophic backtracking can be written).
    assert.match(problemsOf([{ keyless: { identities: [{ issuer: "https://i", subjectRegExp: "(a)\\1" }] } }]).join("\n"), /subjectRegExp/);
  });

  test("the keyless URL defaults to Fulcio, as policy-controller does", () => {
    const result = validateClusterImagePolicy(clusterImagePolicy({ authorities: [{ keyless: { identities: [{ issuer: "https://i", subject: "s" }] } }] }));
    assert.equal(result.policy?.spec.authorities?.[0]?.keyless?.url, "https://fulcio.sigstore.dev");
    assert.equal(result.policy?.spec.authorities?.[0]?.name, "authority-0");
    assert.equal(result.policy?.spec.mode, "enforce");
  });

  test("notation authorities: one trust policy source, at least one trust store, TYPE:NAME stores, Secrets from the webhook's namespace", () => {
    const policy = '{"version":"1.0","trustPolicies":[]}';
    assert.deepEqual(problemsOf([{ notation: { trustPolicy: policy, trustStorePath: "/ts" } }]), []);
    assert.match(problemsOf([{ notation: { trustStorePath: "/ts" } }]).join("\n"), /got neither: spec\.authorities\[0\]\.notation\.trustPolicy, .*trustPolicyPath, .*trustPolicySecretRef/);
    assert.match(problemsOf([{ notation: { trustPolicy: policy, trustPolicyPath: "/p", trustStorePath: "/ts" } }]).join("\n"), /got both: spec\.authorities\[0\]\.notation\.trustPolicy/);
    assert.match(problemsOf([{ notation: { trustPolicy: policy } }]).join("\n"), /notation\.trustStorePath, spec\.authorities\[0\]\.notation\.trustStores/);
    assert.match(problemsOf([{ notation: { trustPolicy: policy, trustStores: [{ name: "acme", data: "x" }] } }]).join("\n"), /notation\.trustStores\[0\]\.name \(trust store names are TYPE:NAME/);
    assert.match(problemsOf([{ notation: { trustPolicy: policy, trustStores: [{ name: "ca:acme" }] } }]).join("\n"), /got neither: .*trustStores\[0\]\.data/);
    assert.match(
      problemsOf([{ notation: { trustPolicy: policy, trustStores: [{ name: "ca:acme", secretRef: { name: "s", namespace: "other" } }] } }], {}, { systemNamespace: "signet-system" }).join("\n"),
      /secretRef\.namespace \(secrets are read only from the webhook's namespace/,
    );
    assert.match(problemsOf([{ notation: { trustPolicy: policy, trustStorePath: "/ts" }, key: { data: "x" } }]).join("\n"), /got both: spec\.authorities\[0\]\.key, .*notation/);
  });

  test("static authorities take pass or fail, and nothing that needs signatures", () => {
    assert.deepEqual(problemsOf([{ static: { action: "maybe" } }]), ["invalid value: maybe: spec.authorities[0].static.action (unsupported action)"]);
    assert.deepEqual(problemsOf([{ static: { action: "pass" }, attestations: [{ name: "a", predicateType: "https://slsa.dev/provenance/v1" }] }]), [
      "expected exactly one, got both: spec.authorities[0].attestations, spec.authorities[0].static",
    ]);
  });

  test("key authorities: one of data, kms, secretRef; PEM that parses; known hash; KMS formats", () => {
    const key = newKey();
    assert.deepEqual(problemsOf([keyAuthority(key)]), []);
    assert.match(problemsOf([{ key: { data: "nope", kms: "hashivault://k" } }]).join("\n"), /got both: spec\.authorities\[0\]\.key\.data, spec\.authorities\[0\]\.key\.kms/);
    assert.match(problemsOf([{ key: { kms: "vault://x" } }]).join("\n"), /spec\.authorities\[0\]\.key\.kms \(malformed KMS format/);
    assert.deepEqual(problemsOf([{ key: { kms: "awskms:///arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" } }]), []);
    assert.match(problemsOf([{ key: { kms: "awskms://localhost/arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" } }]).join("\n"), /malformed endpoint/);
    assert.match(problemsOf([keyAuthority(key, { key: { data: "x", hashAlgorithm: "md5" } })]).join("\n"), /spec\.authorities\[0\]\.key\.hashAlgorithm/);
  });

  test("a secret in another namespace than the webhook's is refused when the namespace is known (C.25)", () => {
    const authorities = [{ key: { secretRef: { name: "k", namespace: "tenant-a" } } }];
    assert.deepEqual(problemsOf(authorities), []);
    assert.match(problemsOf(authorities, {}, { systemNamespace: "signet-system" }).join("\n"), /secretref\.namespace/);
    assert.deepEqual(problemsOf([{ key: { secretRef: { name: "k", namespace: "signet-system" } } }], {}, { systemNamespace: "signet-system" }), []);
  });

  test("spec.match names resources the webhook inspects, and selectors need a resource", () => {
    assert.deepEqual(problemsOf([{ static: { action: "pass" } }], { match: [{ group: "apps", version: "v1", resource: "deployments", selector: { matchLabels: { a: "b" } } }] }), []);
    assert.match(problemsOf([{ static: { action: "pass" } }], { match: [{ resource: "configmaps" }] }).join("\n"), /invalid value: configmaps: spec\.match\[0\]\.resource/);
    assert.match(problemsOf([{ static: { action: "pass" } }], { match: [{ selector: { matchLabels: { a: "b" } } }] }).join("\n"), /spec\.match\[0\]\.selector/);
    assert.match(
      problemsOf([{ static: { action: "pass" } }], { match: [{ resource: "pods", version: "v1", group: "", selector: { matchExpressions: [{ key: "a", operator: "In" }] } }] }).join("\n"),
      /matchExpressions\[0\]\.values/,
    );
  });

  test("unknown and mistyped fields are refused (a misspelt field must not weaken a policy)", () => {
    const document = clusterImagePolicy({ authorities: [{ keyless: { identity: [{ issuer: "i", subject: "s" }], url: "https://f" } }] });
    const text = errors(validateClusterImagePolicy(document).problems).join("\n");
    assert.match(text, /unknown field "spec\.authorities\[0\]\.keyless\.identity"/);
    const typed = clusterImagePolicy({ authorities: [{ static: { action: 1 } }] });
    assert.match(errors(validateClusterImagePolicy(typed).problems).join("\n"), /spec\.authorities\[0\]\.static\.action: Invalid value: 1: must be of type string/);
  });

  test("apiVersion, kind, name and images are required", () => {
    const text = errors(validateClusterImagePolicy({ apiVersion: "policy.sigstore.dev/v2", kind: "ClusterImagePolicy", metadata: {}, spec: { images: [] } }).problems).join("\n");
    assert.match(text, /apiVersion/);
    const missing = errors(validateClusterImagePolicy({ apiVersion: "policy.sigstore.dev/v1beta1", kind: "ClusterImagePolicy", metadata: {}, spec: { images: [], authorities: [{ static: { action: "pass" } }] } }).problems).join("\n");
    assert.match(missing, /missing field\(s\): metadata\.name, spec\.images/);
    assert.match(problemsOf([], { globs: ["ghcr.io/[abc]"] }).join("\n"), /spec\.images\[0\]\.glob/);
    assert.match(problemsOf([]).join("\n"), /missing field\(s\): spec\.authorities/);
  });

  test("problems carry the YAML line, other kinds are skipped with a warning, names are unique", async () => {
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: x}",
      "---",
      "apiVersion: policy.sigstore.dev/v1beta1",
      "kind: ClusterImagePolicy",
      "metadata:",
      "  name: a",
      "spec:",
      "  images: [{glob: '**'}]",
      "  authorities:",
      "  - static:",
      "      action: maybe",
      "---",
      "apiVersion: policy.sigstore.dev/v1beta1",
      "kind: ClusterImagePolicy",
      "metadata: {name: a}",
      "spec: {images: [{glob: '**'}], authorities: [{static: {action: pass}}]}",
      "---",
      "apiVersion: policy.sigstore.dev/v1beta1",
      "kind: ClusterImagePolicy",
      "metadata: {name: a}",
      "spec: {images: [{glob: '**'}], authorities: [{static: {action: pass}}]}",
      "",
    ].join("\n");
    const reports = checkClusterImagePolicyText(text, { file: "policies.yaml" });
    assert.equal(reports[0]?.problems[0]?.level, "warning");
    assert.equal(reports[1]?.problems[0]?.line, 13);
    assert.match(reports[1]?.problems[0]?.text ?? "", /spec\.authorities\[0\]\.static\.action/);
    assert.deepEqual(reports[2]?.problems, []);
    assert.match(reports[3]?.problems[0]?.text ?? "", /another ClusterImagePolicy of this name/);
    await assertRejectsWithCode(() => parseClusterImagePolicies(text), "CLUSTER_IMAGE_POLICY_INVALID");
  });

  test("YAML errors and duplicate keys are problems, not crashes", () => {
    const duplicate = "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nkind: ClusterImagePolicy\n";
    assert.match(checkClusterImagePolicyText(duplicate)[0]?.problems[0]?.text ?? "", /^YAML: /);
    assert.match(checkClusterImagePolicyText("spec: [unclosed")[0]?.problems[0]?.text ?? "", /^YAML: /);
    const bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nkind: ClusterImagePolicy\n";
    assert.equal(checkClusterImagePolicyText(bomb)[0]?.problems[0]?.level, "error");
  });
});
