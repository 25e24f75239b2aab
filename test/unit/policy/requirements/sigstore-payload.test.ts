import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { parseStrictSigstorePayload } from "../../../../src/policy/requirements/index.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const payload = (value: unknown): Buffer => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
const valid = { critical: { identity: { "docker-reference": "example.com/app" }, image: { "docker-manifest-digest": DIGEST }, type: "cosign container image signature" }, optional: null };

describe("parseStrictSigstorePayload (containers/image's UntrustedSigstorePayload rules)", () => {
  test("reads cosign's payload, optional null or an object with unknown fields", () => {
    assert.deepEqual(parseStrictSigstorePayload(payload(valid)), { dockerReference: "example.com/app", manifestDigest: DIGEST });
    assert.doesNotThrow(() => parseStrictSigstorePayload(payload({ ...valid, optional: { creator: "x", anything: [1] } })));
  });

  test("refuses unknown critical fields, missing fields, other types, duplicate keys and bad digests", async () => {
    const bad: unknown[] = [
      { ...valid, critical: { ...valid.critical, extra: 1 } },
      { ...valid, extra: 1 },
      { critical: valid.critical },
      { ...valid, critical: { ...valid.critical, type: "atomic container signature" } },
      { ...valid, critical: { ...valid.critical, image: { "docker-manifest-digest": "sha256:../x" } } },
      { ...valid, critical: { ...valid.critical, identity: { "docker-reference": 5 } } },
      { ...valid, optional: "text" },
      `{"critical":{"identity":{"docker-reference":"a.example/x"},"image":{"docker-manifest-digest":"${DIGEST}","docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
      "this is not a signature",
    ];
    for (const value of bad) await assertRejectsWithCode(() => parseStrictSigstorePayload(payload(value)), "SIG_PAYLOAD_INVALID");
    await assertRejectsWithCode(() => parseStrictSigstorePayload(Buffer.from([0x7b, 0xff])), "SIG_PAYLOAD_INVALID");
  });
});
