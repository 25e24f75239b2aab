// Issue #9 item 4: `kubectl get clusterimagepolicies -o yaml` writes a v1 List; it must be read, never skipped.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { checkClusterImagePolicyText, formatPolicyProblem, parseClusterImagePolicies } from "../../../../src/webhook/policy/index.js";

const policy = (name: string, glob: string) => `  - apiVersion: policy.sigstore.dev/v1beta1
    kind: ClusterImagePolicy
    metadata:
      name: ${name}
    spec:
      images:
      - glob: "${glob}"
      authorities:
      - static:
          action: fail
`;

describe("kind: List of ClusterImagePolicies", () => {
  test("every item is loaded, with its place", () => {
    const text = `apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: ""\nitems:\n${policy("one", "registry.example.com/**")}${policy("two", "ghcr.io/**")}`;
    const loaded = parseClusterImagePolicies(text, { file: "list.yaml" });
    assert.deepEqual(loaded.map((entry) => [entry.policy.metadata.name, entry.source.document, entry.source.item]), [["one", 0, 0], ["two", 0, 1]]);
  });

  test("a typed list (ClusterImagePolicyList) is read the same way", () => {
    const text = `apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicyList\nitems:\n${policy("one", "registry.example.com/**")}`;
    assert.equal(parseClusterImagePolicies(text).length, 1);
  });

  test("an invalid item fails the whole load (CLUSTER_IMAGE_POLICY_INVALID), naming the item and its line", async () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n${policy("one", "registry.example.com/**")}${policy("two", "bad glob")}`;
    const error = await assertRejectsWithCode(() => parseClusterImagePolicies(text, { file: "list.yaml" }), "CLUSTER_IMAGE_POLICY_INVALID");
    assert.match(error.message, /list\.yaml \(document 1, item 2, line \d+\): ClusterImagePolicy "two":.*glob/);
  });

  test("items of other kinds are skipped with a warning; a List in a List, or items that are not a list, are errors", () => {
    const other = checkClusterImagePolicyText("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n");
    assert.equal(other[0]!.problems[0]!.level, "warning");
    assert.match(formatPolicyProblem(other[0]!, other[0]!.problems[0]!), /item 1.*skipped: ConfigMap is not a ClusterImagePolicy/);
    const nested = checkClusterImagePolicyText("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n");
    assert.equal(nested[0]!.problems[0]!.level, "error");
    const notAList = checkClusterImagePolicyText("apiVersion: v1\nkind: List\nitems: {}\n");
    assert.equal(notAList[0]!.problems[0]!.level, "error");
    const empty = checkClusterImagePolicyText("apiVersion: v1\nkind: List\nitems: []\n");
    assert.equal(empty[0]!.problems[0]!.level, "warning");
  });
});
