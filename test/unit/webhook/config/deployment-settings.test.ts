// The settings deployments use: the metrics port, the ClusterImagePolicy watch, and certRotation.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseWebhookConfig } from "../../../../src/webhook/config/load-config.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const MINIMAL = { tlsCertFile: "/tls/tls.crt", tlsKeyFile: "/tls/tls.key", policy: ["/policies"] };
const ROTATION = { secretName: "signet-webhook-tls", service: "signet-webhook", mutatingWebhookConfiguration: "signet-webhook", validatingWebhookConfiguration: "signet-webhook" };

describe("deployment settings", () => {
  test("defaults: metrics on 9090, no watch, certificates managed outside", () => {
    const config = parseWebhookConfig(MINIMAL, "test");
    assert.equal(config.metricsPort, 9090);
    assert.equal(config.metricsAddress, undefined);
    assert.equal(config.watchClusterImagePolicies, false);
    assert.equal(config.certRotation, undefined);
  });

  test("certRotation: 90-day certificates checked hourly by default", () => {
    const config = parseWebhookConfig({ ...MINIMAL, certRotation: ROTATION }, "test");
    assert.deepEqual(config.certRotation, { ...ROTATION, validityMs: 90 * 86_400_000, checkIntervalMs: 3_600_000 });
  });

  test("watching ClusterImagePolicies is a policy source of its own", () => {
    const config = parseWebhookConfig({ tlsCertFile: "a", tlsKeyFile: "b", watchClusterImagePolicies: true }, "test");
    assert.deepEqual(config.policy, []);
  });

  for (const [what, input, message] of [
    ["no policy source at all", { tlsCertFile: "a", tlsKeyFile: "b" }, /--watch-cluster-image-policies/],
    ["a validity under a day", { ...MINIMAL, certRotation: { ...ROTATION, validity: "12h" } }, /certRotation.validity: at least 24h/],
    ["a check interval above a third of the validity", { ...MINIMAL, certRotation: { ...ROTATION, validity: "72h", checkInterval: "25h" } }, /certRotation.checkInterval/],
    ["an invalid Secret name", { ...MINIMAL, certRotation: { ...ROTATION, secretName: "Not_A_Name" } }, /certRotation.secretName/],
    ["an unknown certRotation key", { ...MINIMAL, certRotation: { ...ROTATION, renew: "1h" } }, /unknown setting certRotation.renew/],
    ["a metrics port out of range", { ...MINIMAL, metricsPort: 70000 }, /metricsPort/],
  ] as const) {
    test(`refused: ${what}`, async () => {
      const error = await assertRejectsWithCode(() => parseWebhookConfig(input, "test"), "WEBHOOK_CONFIG_INVALID");
      assert.match(error.message, message);
    });
  }
});
