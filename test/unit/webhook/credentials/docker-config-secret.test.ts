import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parsePullSecret } from "../../../../src/webhook/credentials/docker-config-secret.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { dockerConfigSecret } from "./fake-kube-api.js";

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("parsePullSecret", () => {
  test("reads kubernetes.io/dockerconfigjson auths, normalising legacy keys", () => {
    const auths = parsePullSecret(bytes(dockerConfigSecret({ "https://registry.example.com/v1/": { username: "u", password: "p" }, "ghcr.io/org": { username: "o", password: "q" } })), "ns/s");
    assert.deepEqual(auths.get("registry.example.com"), { username: "u", password: "p" });
    assert.deepEqual(auths.get("ghcr.io/org"), { username: "o", password: "q" });
    assert.equal(auths.size, 2);
  });

  test("reads legacy kubernetes.io/dockercfg", () => {
    const dockercfg = { "registry.example.com": { username: "u", password: "p" } };
    const auths = parsePullSecret(bytes({ type: "kubernetes.io/dockercfg", data: { ".dockercfg": Buffer.from(JSON.stringify(dockercfg)).toString("base64") } }), "ns/s");
    assert.deepEqual(auths.get("registry.example.com"), { username: "u", password: "p" });
  });

  test("refuses other secret types and malformed data", async () => {
    await assertRejectsWithCode(() => parsePullSecret(bytes({ type: "Opaque", data: {} }), "ns/s"), "PULL_SECRET_INVALID");
    await assertRejectsWithCode(() => parsePullSecret(bytes({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "%%%" } }), "ns/s"), "PULL_SECRET_INVALID");
    await assertRejectsWithCode(
      () => parsePullSecret(bytes({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": Buffer.from("{not json").toString("base64") } }), "ns/s"),
      "PULL_SECRET_INVALID",
    );
  });
});
