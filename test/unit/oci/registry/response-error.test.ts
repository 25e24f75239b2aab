import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeUrl, redactSecrets } from "../../../../src/oci/registry/redact.js";
import { parseRegistryErrors, registryErrorFromResponse } from "../../../../src/oci/registry/response-error.js";

const url = new URL("http://127.0.0.1:5000/v2/app/manifests/v1");
const errorBody = (code: string, message: string) => Buffer.from(JSON.stringify({ errors: [{ code, message, detail: { x: 1 } }] }));

describe("registry error answers", () => {
  test("status and distribution codes map to catalog codes", () => {
    const cases: Array<[number, Buffer, string]> = [
      [401, errorBody("UNAUTHORIZED", "authentication required"), "REGISTRY_UNAUTHORIZED"],
      [403, errorBody("DENIED", "requested access to the resource is denied"), "REGISTRY_DENIED"],
      [400, errorBody("DENIED", "no"), "REGISTRY_DENIED"],
      [404, errorBody("MANIFEST_UNKNOWN", "manifest unknown"), "REGISTRY_NOT_FOUND"],
      [404, Buffer.from("404 page not found\n"), "REGISTRY_NOT_FOUND"],
      [400, errorBody("NAME_UNKNOWN", "repository name not known to registry"), "REGISTRY_NOT_FOUND"],
      [429, errorBody("TOOMANYREQUESTS", "slow down"), "REGISTRY_TOO_MANY_REQUESTS"],
      [500, Buffer.from("<html>oops</html>"), "REGISTRY_ERROR"],
      [400, errorBody("MANIFEST_INVALID", "manifest invalid"), "REGISTRY_ERROR"],
    ];
    for (const [status, body, code] of cases) {
      const error = registryErrorFromResponse({ status, url, method: "GET", body }, "fetching x");
      assert.equal(error.code, code, `${status} ${body.toString()}`);
      assert.equal(error.details.status, status);
    }
  });

  test("the registry's message is kept, the body is not", () => {
    const error = registryErrorFromResponse({ status: 400, url, method: "PUT", body: errorBody("MANIFEST_INVALID", "manifest invalid") }, "pushing x");
    assert.match(error.message, /pushing x failed with HTTP 400: MANIFEST_INVALID: manifest invalid/);
    assert.deepEqual(error.details.errors, [{ code: "MANIFEST_INVALID", message: "manifest invalid" }]);
    const html = registryErrorFromResponse({ status: 502, url, method: "GET", body: Buffer.from("<html><body>Bad gateway</body></html>") }, "x");
    assert.equal(html.message, "x failed with HTTP 502");
  });

  test("messages are bounded", () => {
    const body = Buffer.from(JSON.stringify({ errors: Array.from({ length: 1000 }, () => ({ code: "X", message: "m".repeat(10_000) })) }));
    const error = registryErrorFromResponse({ status: 500, url, method: "GET", body }, "x");
    assert.ok(error.message.length < 10_000);
    assert.equal(parseRegistryErrors(body).length, 10);
  });

  test("tokens and passwords are redacted from registry messages", () => {
    const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl";
    const body = errorBody("UNAUTHORIZED", `token ${jwt} rejected for Bearer abcdef123 with password=hunter22 and "secret":"s3cr3t"`);
    const error = registryErrorFromResponse({ status: 401, url, method: "GET", body }, "x", ["hunter22"]);
    const text = JSON.stringify(error.toJSON());
    for (const secret of [jwt, "abcdef123", "hunter22", "s3cr3t"]) assert.ok(!text.includes(secret), secret);
    assert.match(text, /\[redacted\]/);
  });

  test("redaction of given secrets and URL descriptions", () => {
    assert.equal(redactSecrets("user alice:topsecret failed", ["topsecret"]), "user alice:[redacted] failed");
    assert.equal(describeUrl(new URL("https://u:p@s3.example.com/blob?X-Amz-Signature=abc")), "https://s3.example.com/blob?…");
  });
});
