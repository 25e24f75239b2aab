// deploy/ rendered with the real `kubectl kustomize` (every overlay) and the Helm chart with the real
// `helm template` / `helm lint` when helm is installed; every object validated offline against its schema
// (Kubernetes' with kubernetes-models, cert-manager's and the Prometheus Operator's models, the CRD's
// openAPIV3Schema for ClusterImagePolicies), and checked for what the webhook depends on: fail closed, scoped
// to opted-in namespaces, never its own, enough replicas, RBAC with only the verbs the code uses, a config
// and policies the server loads, a certificate that is kept (by the webhook or by cert-manager), metrics.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Certificate, Issuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { CustomResourceDefinition } from "kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { MutatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration";
import { ValidatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parse as parseYaml, stringify } from "yaml";
import type { WebhookConfig } from "../../../../src/webhook/config/webhook-config.js";
import { parseWebhookConfig } from "../../../../src/webhook/config/load-config.js";
import { clusterImagePolicyCrd } from "../../../../src/webhook/policy/crd.js";
import { checkClusterImagePolicyText } from "../../../../src/webhook/policy/index.js";
import { helmPath, helmTemplate, kustomize, parseObjects, type K8sObject } from "../../../helpers/kube-tools.js";
import { REPO_ROOT, VECTORS } from "../../../helpers/peers.js";
import { validateStructural, type StructuralSchema } from "./structural-schema.js";

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
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
  "apiextensions.k8s.io/v1/CustomResourceDefinition": CustomResourceDefinition,
  "cert-manager.io/v1/Certificate": Certificate,
  "cert-manager.io/v1/Issuer": Issuer,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

const DEPLOY = join(REPO_ROOT, "deploy");
const CHART = join(DEPLOY, "helm", "signet-webhook");
const OVERLAYS = readdirSync(join(DEPLOY, "overlays")).sort();
const CRD = clusterImagePolicyCrd();
const CIP_SCHEMA = (CRD["spec"] as { versions: { name: string; schema: { openAPIV3Schema: StructuralSchema } }[] }).versions[0]!.schema.openAPIV3Schema;

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Webhook = {
  failurePolicy: string;
  sideEffects: string;
  admissionReviewVersions: string[];
  timeoutSeconds: number;
  namespaceSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] };
  clientConfig: { service: { name: string; namespace: string; path: string; port: number }; caBundle?: string };
  rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
};
type Container = {
  image: string;
  args: string[];
  ports: { name: string; containerPort: number }[];
  readinessProbe: { httpGet: { path: string; scheme: string } };
  livenessProbe: { httpGet: { path: string } };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
};
type DeploymentShape = {
  spec: {
    replicas: number;
    template: { spec: { containers: Container[]; securityContext: Record<string, unknown>; terminationGracePeriodSeconds: number; priorityClassName?: string; volumes: { name: string; secret?: { secretName: string }; emptyDir?: { medium?: string } }[] } };
  };
};

function all(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((object) => object.kind === kind);
}

function find<T = Record<string, unknown>>(objects: K8sObject[], kind: string, name?: string): T {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  assert.equal(found.length, 1, `exactly one ${kind}${name ? ` ${name}` : ""}`);
  return found[0] as unknown as T;
}

function webhookConfig(objects: K8sObject[]): WebhookConfig {
  return parseWebhookConfig(parseYaml(find<{ data: Record<string, string> }>(objects, "ConfigMap", "signet-webhook-config").data["config.yaml"]!), "deploy");
}

/** Every property the webhook depends on, for one rendered variant (kustomize overlay or Helm values). */
function checkVariant(objects: K8sObject[]): void {
  test("every rendered object validates against its schema", () => {
    assert.ok(objects.length >= 12);
    const seen = new Set<string>();
    for (const object of objects) {
      const id = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
      assert.ok(!seen.has(id), `${id} is defined twice`);
      seen.add(id);
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      assert.ok(Model, `no schema for ${object.apiVersion} ${object.kind}: add it to the test`);
      assert.doesNotThrow(() => new Model(object as never).validate(), `${object.kind}/${object.metadata.name}`);
    }
  });

  test("both webhooks fail closed, opt-in namespaces only, never the webhook's own, v1 reviews, no side effects", () => {
    const mutating = find<{ webhooks: Webhook[] }>(objects, "MutatingWebhookConfiguration").webhooks;
    const validating = find<{ webhooks: Webhook[] }>(objects, "ValidatingWebhookConfiguration").webhooks;
    const config = webhookConfig(objects);
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
      assert.equal(webhook.clientConfig.caBundle, undefined, "the caBundle is set in the cluster (certRotation or cert-manager), never a stale one in a manifest");
      const covered = new Set(webhook.rules.flatMap((rule) => rule.resources.map((resource) => `${rule.apiGroups[0]}/${resource}`)));
      for (const resource of ["/pods", "/pods/ephemeralcontainers", "/replicationcontrollers", "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "batch/cronjobs"]) {
        assert.ok(covered.has(resource), `${path} covers ${resource}`);
      }
      for (const rule of webhook.rules) assert.ok(rule.operations.every((operation) => operation === "CREATE" || operation === "UPDATE"));
    }
  });

  test("2+ replicas spread over nodes, a PodDisruptionBudget, probes, a locked-down container, a metrics port", () => {
    const deployment = find<DeploymentShape>(objects, "Deployment", "signet-webhook");
    assert.ok(deployment.spec.replicas >= 2);
    const pdb = find<{ spec: { minAvailable: number } }>(objects, "PodDisruptionBudget");
    assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas);
    const container = deployment.spec.template.spec.containers[0]!;
    assert.match(container.image, /^ghcr\.io\/signet-dev\/signet[:@]/);
    assert.deepEqual(container.args.slice(0, 2), ["webhook", "serve"]);
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    assert.equal(container.readinessProbe.httpGet.scheme, "HTTPS");
    assert.equal(container.livenessProbe.httpGet.path, "/healthz");
    assert.equal(container.securityContext["readOnlyRootFilesystem"], true);
    assert.equal(container.securityContext["allowPrivilegeEscalation"], false);
    assert.equal(deployment.spec.template.spec.securityContext["runAsNonRoot"], true);
    const config = webhookConfig(objects);
    assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000 > config.shutdownDelayMs + config.shutdownGraceMs);
    assert.equal(container.ports.find((port) => port.name === "metrics")?.containerPort, config.metricsPort);
    const service = find<{ spec: { ports: { name: string; port: number; targetPort: string }[] } }>(objects, "Service", "signet-webhook");
    assert.ok(service.spec.ports.some((port) => port.name === "metrics" && port.targetPort === "metrics"));
    assert.ok(service.spec.ports.some((port) => port.name === "https" && port.port === 443));
  });

  test("the serving certificate is kept: by the webhook (certRotation, in memory) or by cert-manager (a Secret it writes)", () => {
    const config = webhookConfig(objects);
    const deployment = find<DeploymentShape>(objects, "Deployment", "signet-webhook");
    const mount = deployment.spec.template.spec.containers[0]!.volumeMounts.find((item) => config.tlsCertFile.startsWith(`${item.mountPath}/`));
    assert.ok(mount, "the certificate files are on a volume");
    const volume = deployment.spec.template.spec.volumes.find((item) => item.name === mount.name)!;
    const certificates = all(objects, "Certificate") as unknown as { metadata: { name: string; namespace: string }; spec: { secretName: string; dnsNames: string[] } }[];
    if (config.certRotation !== undefined) {
      assert.equal(volume.emptyDir?.medium, "Memory", "the private key never touches the node's disk");
      assert.notEqual(mount.readOnly, true);
      assert.equal(certificates.length, 0);
      assert.equal(config.certRotation.service, "signet-webhook");
      assert.equal(config.certRotation.mutatingWebhookConfiguration, find<K8sObject>(objects, "MutatingWebhookConfiguration").metadata.name);
      assert.equal(config.certRotation.validatingWebhookConfiguration, find<K8sObject>(objects, "ValidatingWebhookConfiguration").metadata.name);
      assert.ok(config.certRotation.checkIntervalMs * 3 <= config.certRotation.validityMs);
    } else {
      const serving = certificates.find((certificate) => certificate.spec.secretName === volume.secret?.secretName);
      assert.ok(serving, "a cert-manager Certificate writes the mounted Secret");
      assert.ok(serving.spec.dnsNames.includes("signet-webhook.signet-system.svc"));
      for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
        assert.equal(find<K8sObject>(objects, kind).metadata.annotations?.["cert-manager.io/inject-ca-from"], `${serving.metadata.namespace}/${serving.metadata.name}`);
      }
    }
  });

  test("RBAC: only the verbs the webhook uses, on what it uses them; no wildcards; cluster-wide secrets by name only", () => {
    const config = webhookConfig(objects);
    const roles = [...all(objects, "Role"), ...all(objects, "ClusterRole")] as unknown as { kind: string; metadata: { name: string }; rules: Rule[] }[];
    const granted = new Set(roles.flatMap((role) => role.rules.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${role.kind}:${rule.apiGroups[0]}/${resource}:${verb}${rule.resourceNames ? `@${[...rule.resourceNames].sort().join(",")}` : ""}`)))));
    // What the code does (src/webhook): read pods' pull secrets and service accounts by name anywhere; key Secrets in its namespace, read and watched.
    const expected = new Set(["ClusterRole:/secrets:get", "ClusterRole:/serviceaccounts:get", "Role:/secrets:get", "Role:/secrets:list", "Role:/secrets:watch"]);
    if (config.certRotation !== undefined) {
      const secret = config.certRotation.secretName;
      for (const item of ["Role:/secrets:create", `Role:/secrets:get@${secret}`, `Role:/secrets:update@${secret}`]) expected.add(item);
      for (const verb of ["get", "patch"]) {
        expected.add(`ClusterRole:admissionregistration.k8s.io/mutatingwebhookconfigurations:${verb}@signet-webhook`);
        expected.add(`ClusterRole:admissionregistration.k8s.io/validatingwebhookconfigurations:${verb}@signet-webhook`);
      }
    }
    if (config.watchClusterImagePolicies || find<DeploymentShape>(objects, "Deployment", "signet-webhook").spec.template.spec.containers[0]!.args.includes("--watch-cluster-image-policies")) {
      expected.add("ClusterRole:policy.sigstore.dev/clusterimagepolicies:list");
      expected.add("ClusterRole:policy.sigstore.dev/clusterimagepolicies:watch");
    }
    assert.deepEqual([...granted].sort(), [...expected].sort());
    for (const binding of [...all(objects, "RoleBinding"), ...all(objects, "ClusterRoleBinding")] as unknown as { roleRef: { kind: string; name: string }; subjects: { name: string; namespace: string }[] }[]) {
      assert.ok(roles.some((role) => role.kind === binding.roleRef.kind && role.metadata.name === binding.roleRef.name), `binding to ${binding.roleRef.name}`);
      assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "signet-webhook", namespace: "signet-system" }]);
    }
  });

  test("the shipped config and example policies load as the server loads them, and pass the CRD's schema", () => {
    assert.equal(webhookConfig(objects).noMatchAction === "deny" || webhookConfig(objects).noMatchAction === "warn", true);
    const policies = find<{ data: Record<string, string> }>(objects, "ConfigMap", "signet-webhook-policies");
    for (const [name, text] of Object.entries(policies.data)) {
      const reports = checkClusterImagePolicyText(text, { file: name, systemNamespace: "signet-system" });
      assert.ok(reports.length > 0);
      for (const report of reports) assert.deepEqual(report.problems.filter((problem) => problem.level === "error"), [], name);
      for (const document of parseObjects(text, name)) assert.deepEqual(validateStructural(document, CIP_SCHEMA), [], name);
    }
  });
}

describe("deploy/ rendered by kubectl kustomize", () => {
  test("there are overlays for Redis, warn mode, cert-manager, monitoring and ClusterImagePolicy objects", () => {
    for (const name of ["redis", "warn", "cert-manager", "monitoring", "cluster-image-policies"]) assert.ok(OVERLAYS.includes(name), name);
  });

  for (const variant of ["base", ...OVERLAYS.map((name) => `overlays/${name}`)]) {
    describe(variant, () => checkVariant(kustomize(join(DEPLOY, variant))));
  }

  test("base: the webhook keeps its own certificate; no priorityClassName is imposed", () => {
    const objects = kustomize(join(DEPLOY, "base"));
    assert.ok(webhookConfig(objects).certRotation !== undefined);
    assert.equal(find<DeploymentShape>(objects, "Deployment", "signet-webhook").spec.template.spec.priorityClassName, undefined);
  });

  test("overlays/redis adds a Redis reachable only from the webhook, and --redis-url", () => {
    const objects = kustomize(join(DEPLOY, "overlays/redis"));
    const args = find<DeploymentShape>(objects, "Deployment", "signet-webhook").spec.template.spec.containers[0]!.args;
    assert.ok(args.some((arg) => arg.startsWith("--redis-url=redis://signet-redis.signet-system.svc:6379")));
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
    const objects = kustomize(join(DEPLOY, "overlays/warn"));
    const args = find<DeploymentShape>(objects, "Deployment", "signet-webhook").spec.template.spec.containers[0]!.args;
    assert.ok(args.includes("--no-match-action=warn"));
    assert.equal(find<{ webhooks: Webhook[] }>(objects, "ValidatingWebhookConfiguration").webhooks[0]!.failurePolicy, "Fail");
  });

  test("overlays/cert-manager: cert-manager's Secret is mounted read-only, and the webhook writes nothing", () => {
    const objects = kustomize(join(DEPLOY, "overlays/cert-manager"));
    assert.equal(webhookConfig(objects).certRotation, undefined);
    const deployment = find<DeploymentShape>(objects, "Deployment", "signet-webhook");
    assert.deepEqual(deployment.spec.template.spec.volumes.find((volume) => volume.name === "tls"), { name: "tls", secret: { secretName: "signet-webhook-tls" } });
    assert.equal(deployment.spec.template.spec.containers[0]!.volumeMounts.find((mount) => mount.name === "tls")?.readOnly, true);
    const verbs = [...all(objects, "Role"), ...all(objects, "ClusterRole")].flatMap((role) => (role as unknown as { rules: Rule[] }).rules.flatMap((rule) => rule.verbs));
    assert.deepEqual([...new Set(verbs)], ["get", "list", "watch"]);
    const ca = find<{ spec: { isCA: boolean; secretName: string } }>(objects, "Certificate", "signet-webhook-ca");
    assert.equal(ca.spec.isCA, true);
    assert.equal(find<{ spec: { ca: { secretName: string } } }>(objects, "Issuer", "signet-webhook-ca").spec.ca.secretName, ca.spec.secretName);
  });

  test("overlays/monitoring: a ServiceMonitor scrapes the metrics port of the webhook's Service", () => {
    const objects = kustomize(join(DEPLOY, "overlays/monitoring"));
    const monitor = find<{ spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } }>(objects, "ServiceMonitor");
    const service = find<{ metadata: { labels: Record<string, string> }; spec: { ports: { name: string }[] } }>(objects, "Service", "signet-webhook");
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(service.metadata.labels[key], value);
    assert.deepEqual(monitor.spec.endpoints.map((endpoint) => [endpoint.port, endpoint.path]), [["metrics", "/metrics"]]);
    assert.ok(service.spec.ports.some((port) => port.name === "metrics"));
  });

  test("overlays/cluster-image-policies: the CRD, --watch-cluster-image-policies, and list/watch on it", () => {
    const objects = kustomize(join(DEPLOY, "overlays/cluster-image-policies"));
    const crd = find<K8sObject>(objects, "CustomResourceDefinition");
    assert.deepEqual(crd, JSON.parse(JSON.stringify(CRD)));
    assert.ok(find<DeploymentShape>(objects, "Deployment", "signet-webhook").spec.template.spec.containers[0]!.args.includes("--watch-cluster-image-policies"));
  });
});

describe("the ClusterImagePolicy CRD", () => {
  const versions = (CRD["spec"] as { versions: { name: string; served: boolean; storage: boolean }[] }).versions;

  test("is policy-controller's resource: policy.sigstore.dev, cluster-scoped, v1alpha1 and v1beta1 served", () => {
    assert.deepEqual(versions.map((version) => [version.name, version.served]), [["v1alpha1", true], ["v1beta1", true]]);
    assert.equal(versions.filter((version) => version.storage).length, 1);
    assert.equal((CRD["spec"] as { scope: string }).scope, "Cluster");
  });

  test("the committed manifests are what scripts/gen-crd.mjs writes from the policy schema", () => {
    const generated = parseObjects(stringify(CRD), "generated")[0];
    for (const file of ["deploy/crds/clusterimagepolicy.yaml", "deploy/helm/signet-webhook/files/clusterimagepolicy-crd.yaml"]) {
      assert.deepEqual(parseObjects(readFileSync(join(REPO_ROOT, file), "utf8"), file)[0], generated, `${file} is stale: npm run build && node scripts/gen-crd.mjs`);
    }
  });

  test("accepts every valid policy of policy-controller's own test data (v1alpha1 and v1beta1)", () => {
    const folder = join(VECTORS, "sigstore__policy-controller", "test", "testdata", "policy-controller", "valid");
    const files = readdirSync(folder).filter((name) => name.endsWith(".yaml"));
    assert.ok(files.length >= 10);
    for (const name of files) {
      for (const document of parseObjects(readFileSync(join(folder, name), "utf8"), name)) {
        assert.deepEqual(validateStructural(document, CIP_SCHEMA), [], name);
      }
    }
  });

  test("refuses a misspelt field and a wrong type, as the API server does with strict field validation", () => {
    const policy = { apiVersion: "policy.sigstore.dev/v1beta1", kind: "ClusterImagePolicy", metadata: { name: "x" }, spec: { images: [{ glob: "**" }], authorities: [{ keyless: { identity: [{ issuer: "i", subject: "s" }] } }] } };
    assert.deepEqual(validateStructural(policy, CIP_SCHEMA), ["/spec/authorities/0/keyless/identity: unknown field"]);
    const wrongType = { ...policy, spec: { images: [{ glob: 7 }], authorities: [] } };
    assert.deepEqual(validateStructural(wrongType, CIP_SCHEMA), ["/spec/images/0/glob: expected string, found integer"]);
    assert.deepEqual(validateStructural({ ...policy, spec: undefined }, CIP_SCHEMA).length, 1);
  });

  test("a schema violation is caught by the Kubernetes models (the validators are live)", () => {
    const broken = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "x" }, webhooks: [{ name: "x.signet.dev", failurePolicy: 7 }] };
    assert.throws(() => new ValidatingWebhookConfiguration(broken as never).validate());
  });
});

describe("the Helm chart (deploy/helm/signet-webhook)", () => {
  const helm = helmPath();
  const skip = helm === undefined ? "helm is not installed (not packaged for Debian): install helm, or set HELM=/path/to/helm, to render and lint the chart" : false;
  const valuesFiles = readdirSync(join(CHART, "ci")).filter((name) => name.endsWith("-values.yaml")).sort();

  test("HELM naming a missing binary fails at once, saying to install helm", () => {
    const saved = process.env["HELM"];
    process.env["HELM"] = "/nonexistent/helm";
    try {
      assert.throws(() => helmPath(), /install helm/);
    } finally {
      if (saved === undefined) delete process.env["HELM"];
      else process.env["HELM"] = saved;
    }
  });

  test("the chart has values for every variant CI renders", () => {
    for (const name of ["default-values.yaml", "cert-manager-values.yaml", "full-values.yaml"]) assert.ok(valuesFiles.includes(name), name);
    const values = parseYaml(readFileSync(join(CHART, "values.yaml"), "utf8")) as Record<string, unknown>;
    for (const key of ["image", "replicaCount", "resources", "namespaceSelector", "priorityClassName", "policies", "redis", "certManager", "certRotation", "metrics", "clusterImagePolicies"]) assert.ok(key in values, `values.yaml has ${key}`);
  });

  test("without helm too: every .Values path the templates use is in values.yaml, and every action block is closed", () => {
    const values = parseYaml(readFileSync(join(CHART, "values.yaml"), "utf8")) as Record<string, unknown>;
    const templates = readdirSync(join(CHART, "templates")).filter((name) => /\.(yaml|tpl|txt)$/.test(name));
    assert.ok(templates.length >= 10);
    for (const name of templates) {
      const text = readFileSync(join(CHART, "templates", name), "utf8");
      assert.equal(text.split("{{").length, text.split("}}").length, `${name}: unbalanced {{ }}`);
      const actions = [...text.matchAll(/\{\{-?\s*(if|with|range|define|else|end)\b/g)].map((match) => match[1]);
      let depth = 0;
      for (const action of actions) {
        if (action === "end") depth -= 1;
        else if (action !== "else") depth += 1;
        assert.ok(depth >= 0, `${name}: {{ end }} without an opening block`);
      }
      assert.equal(depth, 0, `${name}: a block is not closed with {{ end }}`);
      for (const match of text.matchAll(/\.Values((?:\.[A-Za-z][A-Za-z0-9]*)+)/g)) {
        let node: unknown = values;
        for (const key of match[1]!.slice(1).split(".")) {
          assert.ok(typeof node === "object" && node !== null && key in node, `${name}: .Values${match[1]} is not in values.yaml`);
          node = (node as Record<string, unknown>)[key];
        }
      }
    }
  });

  test("helm lint passes (values checked against values.schema.json)", { skip }, () => {
    for (const name of valuesFiles) execFileSync(helm!, ["lint", "--strict", CHART, "-f", join(CHART, "ci", name)], { stdio: "pipe" });
  });

  for (const name of valuesFiles) {
    describe(`helm template with ci/${name}`, { skip }, () => {
      if (helm === undefined) return;
      checkVariant(helmTemplate(helm, CHART, { release: "signet-webhook", namespace: "signet-system", valuesFiles: [join(CHART, "ci", name)] }));
    });
  }
});
