import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AdmissionRequest } from "../../../../src/webhook/admission/types.js";
import { pullSecretRefsOf } from "../../../../src/webhook/credentials/pull-secret-refs.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

function request(group: string, kind: string, object: unknown, namespace: string | null = "apps"): AdmissionRequest {
  return {
    uid: "u",
    kind: { group, version: "v1", kind },
    resource: { group, version: "v1", resource: `${kind.toLowerCase()}s` },
    ...(namespace !== null ? { namespace } : {}),
    operation: "CREATE",
    userInfo: {},
    untrustedObject: object,
    untrustedOldObject: null,
    dryRun: false,
  };
}

describe("pullSecretRefsOf", () => {
  test("a pod: its secrets (deduplicated) and service account", () => {
    const pod = { spec: { serviceAccountName: "builder", imagePullSecrets: [{ name: "a" }, { name: "b" }, { name: "a" }, {}] } };
    assert.deepEqual(pullSecretRefsOf(request("", "Pod", pod)), { namespace: "apps", serviceAccountName: "builder", podSecrets: ["a", "b"] });
  });

  test("templates of workloads and CronJobs; the default service account when unset", () => {
    const template = { spec: { template: { spec: { imagePullSecrets: [{ name: "t" }] } } } };
    assert.deepEqual(pullSecretRefsOf(request("apps", "Deployment", template)), { namespace: "apps", serviceAccountName: "default", podSecrets: ["t"] });
    const cronJob = { spec: { jobTemplate: { spec: { template: { spec: { serviceAccountName: "cron", imagePullSecrets: [{ name: "c" }] } } } } } };
    assert.deepEqual(pullSecretRefsOf(request("batch", "CronJob", cronJob)), { namespace: "apps", serviceAccountName: "cron", podSecrets: ["c"] });
  });

  test("no namespace: nothing to read; a malformed list or name is refused", async () => {
    assert.equal(pullSecretRefsOf(request("", "Pod", { spec: {} }, null)), undefined);
    await assertRejectsWithCode(() => pullSecretRefsOf(request("", "Pod", { spec: { imagePullSecrets: "a" } })), "ADMISSION_REVIEW_INVALID");
    await assertRejectsWithCode(() => pullSecretRefsOf(request("", "Pod", { spec: { imagePullSecrets: [{ name: "../x" }] } })), "ADMISSION_REVIEW_INVALID");
  });
});
