import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadWebhookConfig, parseWebhookConfig } from "../../../../src/webhook/config/load-config.js";
import { parseDurationText } from "../../../../src/webhook/config/duration.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const MINIMAL = { tlsCertFile: "/tls/tls.crt", tlsKeyFile: "/tls/tls.key", policy: ["/policies"] };

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "signet-webhook-config-"));
  const path = join(dir, "config.yaml");
  writeFileSync(path, text);
  return path;
}

describe("webhook configuration", () => {
  test("defaults: port 8443, deny on no match, 8 s deadline, memory cache", () => {
    const config = parseWebhookConfig(MINIMAL, "test");
    assert.equal(config.port, 8443);
    assert.equal(config.noMatchAction, "deny");
    assert.equal(config.deadlineMs, 8000);
    assert.ok(config.registryTimeoutMs < config.deadlineMs, "a registry request ends before the deadline");
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.cache.negativeTtlMs < config.cache.verdictTtlMs, true);
    assert.equal(config.namespace, "signet-system");
    assert.equal(config.identityAnnotations, false);
  });

  test("a --config file sets everything; flags override it; relative paths are relative to the file", async () => {
    const path = configFile(
      [
        "port: 9443",
        "tlsCertFile: certs/tls.crt",
        "tlsKeyFile: /abs/tls.key",
        "policy: [policies, /etc/more]",
        "noMatchAction: warn",
        "redisUrl: redis://cache:6379",
        "deadline: 5s",
        "cache: {verdictTtl: 2m, negativeTtl: 10s, tagTtl: 15s, maxEntries: 1000}",
      ].join("\n"),
    );
    const config = await loadWebhookConfig({ configFile: path, flags: { noMatchAction: "allow", deadline: "3s", port: undefined } });
    const dir = join(path, "..");
    assert.equal(config.port, 9443);
    assert.equal(config.tlsCertFile, join(dir, "certs/tls.crt"));
    assert.equal(config.tlsKeyFile, "/abs/tls.key");
    assert.deepEqual(config.policy, [join(dir, "policies"), "/etc/more"]);
    assert.equal(config.noMatchAction, "allow", "the flag wins");
    assert.equal(config.deadlineMs, 3000, "the flag wins");
    assert.equal(config.redisUrl, "redis://cache:6379");
    assert.deepEqual(config.cache, { maxEntries: 1000, verdictTtlMs: 120_000, negativeTtlMs: 10_000, tagTtlMs: 15_000, redisTimeoutMs: 100 });
  });

  test("an unknown key is refused, not ignored (a typo never falls back to a default)", async () => {
    const error = await assertRejectsWithCode(() => parseWebhookConfig({ ...MINIMAL, noMatchActoin: "allow" }, "test"), "WEBHOOK_CONFIG_INVALID");
    assert.match(error.message, /unknown setting noMatchActoin/);
    await assertRejectsWithCode(() => parseWebhookConfig({ ...MINIMAL, cache: { ttl: "1m" } }, "test"), "WEBHOOK_CONFIG_INVALID");
  });

  test("invalid values are refused with the setting named", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...MINIMAL, noMatchAction: "ignore" }, /noMatchAction/],
      [{ ...MINIMAL, deadline: "31s" }, /deadline.*longer than 29s/],
      [{ ...MINIMAL, deadline: "soon" }, /deadline.*not a duration/],
      [{ ...MINIMAL, deadline: "50ms" }, /at least 100ms/],
      [{ ...MINIMAL, port: 70000 }, /port/],
      [{ ...MINIMAL, namespace: "Not_A_Namespace" }, /namespace/],
      [{ tlsCertFile: "a", tlsKeyFile: "b" }, /no policy/],
      [{ ...MINIMAL, tlsCertFile: undefined }, /tlsCertFile/],
    ];
    for (const [input, message] of cases) {
      const error = await assertRejectsWithCode(() => parseWebhookConfig(input, "test"), "WEBHOOK_CONFIG_INVALID");
      assert.match(error.message, message);
    }
  });

  test("a --policy-json alone is a policy", () => {
    const config = parseWebhookConfig({ tlsCertFile: "a", tlsKeyFile: "b", policyJson: "/etc/containers/policy.json" }, "test");
    assert.deepEqual(config.policy, []);
    assert.equal(config.policyJson, "/etc/containers/policy.json");
  });

  test("a config file that is not a YAML mapping, or is missing, is refused", async () => {
    await assertRejectsWithCode(() => loadWebhookConfig({ configFile: configFile("- a\n- b\n"), flags: {} }), "WEBHOOK_CONFIG_INVALID");
    await assertRejectsWithCode(() => loadWebhookConfig({ configFile: configFile("port: [\n"), flags: {} }), "WEBHOOK_CONFIG_INVALID");
    await assertRejectsWithCode(() => loadWebhookConfig({ configFile: configFile("port: 1\nport: 2\n"), flags: {} }), "WEBHOOK_CONFIG_INVALID");
    await assertRejectsWithCode(() => loadWebhookConfig({ configFile: "/nonexistent/config.yaml", flags: {} }), "FILE_NOT_FOUND");
  });

  test("durations", () => {
    assert.equal(parseDurationText("8s"), 8000);
    assert.equal(parseDurationText("250ms"), 250);
    assert.equal(parseDurationText("2m"), 120_000);
    assert.equal(parseDurationText("1h"), 3_600_000);
    assert.equal(parseDurationText("1.5"), 1500);
    assert.equal(parseDurationText(3), 3000);
    assert.equal(parseDurationText("-1s"), undefined);
    assert.equal(parseDurationText("1d"), undefined);
  });
});
