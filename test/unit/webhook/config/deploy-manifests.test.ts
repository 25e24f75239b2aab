// deploy/ (kustomize base and overlays) rendered and validated offline against the Kubernetes schemas
// (kubernetes-models), and checked for what the webhook depends on: fail closed, scoped to opted-in
// namespaces, never its own, enough replicas, least-privilege RBAC, a config and policies the server loads.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { MutatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration";
import { ValidatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parse as parseYaml } from "yaml";
import { parseWebhookConfig } from "../../../../src/webhook/config/load-config.js";
import { checkClusterImagePolicyText } from "../../../../src/webhook/policy/index.js";
import { REPO_ROOT } from "../../../helpers/peers.js";
import { applyJsonPatch, renderKustomization, type K8sObject } from "./kustomize.js";

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "rbac.authorization.k8s.io/v1/ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": ClusterRoleBinding,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": MutatingWebhookConfiguration,
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": ValidatingWebhookConfiguration,
};

const DEPLOY = join(REPO_ROOT, "deploy");
const VARIANTS = ["base", ...readdirSync(join(DEPLOY, "overlays")).map((name) => `overlays/${name}`)];

function render(variant: string): K8sObject[] {
  return renderKustomization(join(DEPLOY, variant));
}

function find<T = Record<string, unknown>>(objects: K8sObject[], kind: string, name?: string): T {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ""}`);
  return found[0] as unknown as T;
}

type Webhook = {
  failurePolicy: string;
  sideEffects: string;
  admissionReviewVersions: string[];
  timeoutSeconds: number;
  namespaceSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] };
  clientConfig: { service: { name: string; namespace: string; path: string } };
  rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
};

describe("deploy/ manifests", () => {
  test("there are overlays for Redis and warn mode", () => {
    assert.ok(VARIANTS.includes("overlays/redis"));
    assert.ok(VARIANTS.includes("overlays/warn"));
  });

  for (const variant of VARIANTS) {
    describe(variant, () => {
      const objects = render(variant);

      test("every rendered object validates against the Kubernetes schema", () => {
        assert.ok(objects.length >= 12);
        for (const object of objects) {
          const Model = MODELS[`${object.apiVersion}/${object.kind}`];
          assert.ok(Model, `no schema for ${object.apiVersion} ${object.kind}: add it to the test`);
          assert.doesNotThrow(() => new Model(object as never).validate(), `${object.kind}/${object.metadata.name}`);
        }
      });

      test("both webhooks fail closed, opt-in namespaces only, never the webhook's own, v1 reviews, no side effects", () => {
        const mutating = find<{ webhooks: Webhook[] }>(objects, "MutatingWebhookConfiguration").webhooks;
        const validating = find<{ webhooks: Webhook[] }>(objects, "ValidatingWebhookConfiguration").webhooks;
        const config = parseWebhookConfig(parseYaml(find<{ data: Record<string, string> }>(objects, "ConfigMap", "signet-webhook-config").data["config.yaml"]!), "deploy");
        for (const [webhook, path] of [
          [mutating[0]!, "/mutate"],
          [validating[0]!, "/validate"],
        ] as const) {
          assert.equal(webhook.failurePolicy, "Fail");
          assert.equal(webhook.sideEffects, "None");
          assert.deepEqual(webhook.admissionReviewVersions, ["v1"]);
          assert.ok(webhook.timeoutSeconds * 1000 > config.deadlineMs, "the deadline is below the webhook timeout");
          assert.ok(webhook.timeoutSeconds <= 30);
          assert.deepEqual(webhook.namespaceSelector.matchLabels, { "policy.sigstore.dev/include": "true" });
          assert.deepEqual(webhook.namespaceSelector.matchExpressions, [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["signet-system"] }]);
          assert.deepEqual(webhook.clientConfig.service, { name: "signet-webhook", namespace: "signet-system", path, port: 443 });
          const covered = new Set(webhook.rules.flatMap((rule) => rule.resources.map((resource) => `${rule.apiGroups[0]}/${resource}`)));
          for (const resource of ["/pods", "/pods/ephemeralcontainers", "/replicationcontrollers", "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "batch/cronjobs"]) {
            assert.ok(covered.has(resource), `${path} covers ${resource}`);
          }
          for (const rule of webhook.rules) assert.ok(rule.operations.every((operation) => operation === "CREATE" || operation === "UPDATE"));
        }
      });

      test("2+ replicas spread over nodes, a PodDisruptionBudget, probes, a locked-down container", () => {
        type Container = { image: string; args: string[]; readinessProbe: { httpGet: { path: string; scheme: string } }; livenessProbe: { httpGet: { path: string } }; securityContext: Record<string, unknown> };
        const deployment = find<{ spec: { replicas: number; template: { spec: { containers: Container[]; securityContext: Record<string, unknown>; terminationGracePeriodSeconds: number } } } }>(objects, "Deployment", "signet-webhook");
        assert.ok(deployment.spec.replicas >= 2);
        const pdb = find<{ spec: { minAvailable: number } }>(objects, "PodDisruptionBudget");
        assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas);
        const container = deployment.spec.template.spec.containers[0]!;
        assert.match(container.image, /^ghcr\.io\/signet-dev\/signet:/);
        assert.deepEqual(container.args.slice(0, 2), ["webhook", "serve"]);
        assert.equal(container.readinessProbe.httpGet.path, "/readyz");
        assert.equal(container.readinessProbe.httpGet.scheme, "HTTPS");
        assert.equal(container.livenessProbe.httpGet.path, "/healthz");
        assert.equal(container.securityContext["readOnlyRootFilesystem"], true);
        assert.equal(container.securityContext["allowPrivilegeEscalation"], false);
        assert.equal(deployment.spec.template.spec.securityContext["runAsNonRoot"], true);
        const config = parseWebhookConfig(parseYaml(find<{ data: Record<string, string> }>(objects, "ConfigMap", "signet-webhook-config").data["config.yaml"]!), "deploy");
        assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000 > config.shutdownDelayMs + config.shutdownGraceMs);
      });

      test("RBAC reads only: secrets by name, serviceaccounts, its own configmaps; no wildcards", () => {
        type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
        const role = find<{ rules: Rule[]; metadata: { namespace: string } }>(objects, "Role");
        const clusterRole = find<{ rules: Rule[] }>(objects, "ClusterRole");
        assert.equal(role.metadata.namespace, "signet-system");
        for (const rule of [...role.rules, ...clusterRole.rules]) {
          assert.ok(rule.verbs.every((verb) => ["get", "list", "watch"].includes(verb)), JSON.stringify(rule));
          assert.ok(!rule.resources.includes("*") && !rule.apiGroups.includes("*") && !rule.verbs.includes("*"));
        }
        for (const rule of clusterRole.rules) assert.deepEqual(rule.verbs, ["get"], "cluster-wide: get by name only, never list");
        assert.deepEqual(clusterRole.rules.flatMap((rule) => rule.resources).sort(), ["secrets", "serviceaccounts"]);
      });

      test("the shipped config and example policies load as the server loads them", () => {
        const configMap = find<{ data: Record<string, string> }>(objects, "ConfigMap", "signet-webhook-config");
        const config = parseWebhookConfig(parseYaml(configMap.data["config.yaml"]!), "deploy");
        assert.equal(config.noMatchAction, "deny");
        const policies = find<{ data: Record<string, string> }>(objects, "ConfigMap", "signet-webhook-policies");
        for (const [name, text] of Object.entries(policies.data)) {
          const reports = checkClusterImagePolicyText(text, { file: name, systemNamespace: "signet-system" });
          assert.ok(reports.length > 0);
          for (const report of reports) assert.deepEqual(report.problems.filter((problem) => problem.level === "error"), [], name);
        }
      });
    });
  }

  test("overlays/redis adds a Redis reachable only from the webhook, and --redis-url", () => {
    const objects = render("overlays/redis");
    const args = find<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>(objects, "Deployment", "signet-webhook").spec.template.spec.containers[0]!.args;
    assert.ok(args.includes("--redis-url=redis://signet-redis.signet-system.svc:6379"));
    // Issue #9 item 3: a password and protected mode on Redis, the password and the record HMAC key from a Secret.
    type EnvVar = { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
    const webhookEnv = find<{ spec: { template: { spec: { containers: { env: EnvVar[] }[] } } } }>(objects, "Deployment", "signet-webhook").spec.template.spec.containers[0]!.env;
    assert.deepEqual(webhookEnv.find((e) => e.name === "SIGNET_REDIS_HMAC_KEY")?.valueFrom?.secretKeyRef, { name: "signet-redis", key: "hmac-key" });
    assert.deepEqual(webhookEnv.find((e) => e.name === "SIGNET_REDIS_PASSWORD")?.valueFrom?.secretKeyRef, { name: "signet-redis", key: "password" });
    const redisContainer = find<{ spec: { template: { spec: { containers: { args: string[]; env: EnvVar[] }[] } } } }>(objects, "Deployment", "signet-redis").spec.template.spec.containers[0]!;
    assert.equal(redisContainer.args[redisContainer.args.indexOf("--protected-mode") + 1], "yes");
    assert.equal(redisContainer.args[redisContainer.args.indexOf("--requirepass") + 1], "$(REDIS_PASSWORD)");
    assert.deepEqual(redisContainer.env.find((e) => e.name === "REDIS_PASSWORD")?.valueFrom?.secretKeyRef, { name: "signet-redis", key: "password" });
    find(objects, "Service", "signet-redis");
    const policy = find<{ spec: { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] } }>(objects, "NetworkPolicy");
    assert.deepEqual(policy.spec.ingress[0]!.from[0]!.podSelector.matchLabels, { "app.kubernetes.io/name": "signet-webhook" });
  });

  test("overlays/warn switches the no-match action to warn and keeps failurePolicy Fail", () => {
    const objects = render("overlays/warn");
    const args = find<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>(objects, "Deployment", "signet-webhook").spec.template.spec.containers[0]!.args;
    assert.ok(args.includes("--no-match-action=warn"));
    assert.equal(find<{ webhooks: Webhook[] }>(objects, "ValidatingWebhookConfiguration").webhooks[0]!.failurePolicy, "Fail");
  });

  test("the renderer's JSON patch fails on a path that does not exist (so a broken overlay cannot pass)", () => {
    assert.throws(() => applyJsonPatch({ spec: {} }, { op: "add", path: "/spec/template/spec/containers/0/args/-", value: "x" }), /does not exist/);
    assert.throws(() => applyJsonPatch({ a: 1 }, { op: "replace", path: "/b", value: 2 }), /does not exist/);
  });

  test("a schema violation is caught (the validators are live)", () => {
    const broken = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "x" }, webhooks: [{ name: "x.signet.dev", failurePolicy: 7 }] };
    assert.throws(() => new ValidatingWebhookConfiguration(broken as never).validate());
  });
});
