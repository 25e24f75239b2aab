import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseAdmissionReview } from "../../../../src/webhook/admission/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { fixtureNames, loadReview } from "./fixtures.js";

describe("parseAdmissionReview", () => {
  test("every v1 fixture parses, with its kind, operation and subresource", () => {
    for (const name of fixtureNames().filter((n) => !n.includes("v1beta1"))) {
      const request = parseAdmissionReview(loadReview(name));
      assert.match(request.uid, /^[0-9a-f-]{36}$/, name);
      assert.ok(["CREATE", "UPDATE", "DELETE", "CONNECT"].includes(request.operation), name);
    }
    const debug = parseAdmissionReview(loadReview("pod-ephemeralcontainers-update.json"));
    assert.deepEqual([debug.kind.kind, debug.operation, debug.subResource, debug.namespace], ["Pod", "UPDATE", "ephemeralcontainers", "shop"]);
    const deleted = parseAdmissionReview(loadReview("pod-delete.json"));
    assert.equal(deleted.untrustedObject, null);
  });

  test("admission.k8s.io/v1beta1 is refused with a hint to configure v1", async () => {
    const error = await assertRejectsWithCode(() => parseAdmissionReview(loadReview("pod-create-v1beta1.json")), "ADMISSION_REVIEW_INVALID");
    assert.match(error.hint, /admissionReviewVersions/);
  });

  test("malformed reviews are refused with the reason", async () => {
    const valid = loadReview("pod-create.json");
    const request = valid["request"] as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [[], /not a JSON object/],
      [{ ...valid, kind: "Other" }, /kind/],
      [{ ...valid, request: undefined }, /no request/],
      [{ ...valid, request: { ...request, uid: "" } }, /request\.uid/],
      [{ ...valid, request: { ...request, operation: "PATCH" } }, /request\.operation/],
      [{ ...valid, request: { ...request, kind: "Pod" } }, /request\.kind/],
    ];
    for (const [input, message] of cases) {
      const error = await assertRejectsWithCode(() => parseAdmissionReview(input), "ADMISSION_REVIEW_INVALID");
      assert.match(error.message, message);
    }
  });
});
