/**
 * The webhook's own serving certificate, when no cert-manager issues it: a CA and a serving certificate kept
 * in one Secret of the webhook's namespace (shared by the replicas), renewed when a third of its lifetime is
 * left, with the CA put into the caBundle of the webhook configurations through the API. Each replica writes
 * the pair from the Secret to its certificate files (an emptyDir), where the TLS reloader picks it up: no
 * restart, no manual one-year certificate.
 *
 * Replicas agree through the API server's optimistic concurrency: a replica that renews writes the Secret
 * with the resourceVersion it read; if another replica wrote first (409), it reads again and uses theirs.
 * A new CA (once the old one has less than two certificate lifetimes left) is added to the caBundle next to
 * the old one before any certificate it signs is served, so the API server trusts both meanwhile.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SignetError, toSignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import type { CertRotationConfig } from "../config/webhook-config.js";
import type { KubeClient } from "../kube/kube-client.js";
import { kubeApiError } from "../kube/kube-client.js";
import { createServingCertificates } from "./certificates/serving-certificates.js";
import type { WebhookLogger } from "./logger.js";
import { parseServingTls, type ServingTlsFiles } from "./serving-tls.js";

export interface CertRotationOptions {
  readonly client: KubeClient;
  /** The webhook's namespace: the Secret's and the Service's. */
  readonly namespace: string;
  readonly config: CertRotationConfig;
  /** Where the serving pair is written for the server (and its reloader) to read. */
  readonly files: ServingTlsFiles;
  readonly logger: WebhookLogger;
  /** Tests move the clock. */
  readonly now?: () => Date;
}

export interface CertRotation {
  /** Checks the Secret, the webhook configurations and the files now; renews when due. Never throws. */
  check(): Promise<CertCheckResult>;
  /** The notAfter of the certificate being served (from the Secret). */
  readonly notAfter: Date | undefined;
  close(): void;
}

export type CertCheckResult = { readonly ok: true; readonly renewed: boolean } | { readonly ok: false; readonly error: SignetError };

/** What the Secret holds: the keys of a kubernetes.io/tls Secret, plus the CA (ca.crt may bundle an older CA too). */
interface StoredCertificates {
  readonly caCertsPem: string;
  readonly caKeyPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 86_400_000;
const SECRET_MAX_BYTES = 1024 * 1024;
const CONFIG_MAX_BYTES = 4 * 1024 * 1024;
const TRIES = 3;

/** Makes sure a valid pair is in the files before the server starts (throws if it cannot), then checks on a timer. */
export async function startCertRotation(options: CertRotationOptions): Promise<CertRotation> {
  const rotation = createCertRotation(options);
  const first = await rotation.check();
  if (!first.ok) {
    rotation.close();
    throw first.error;
  }
  return rotation;
}

export function createCertRotation(options: CertRotationOptions): CertRotation {
  const { client, namespace, config, logger } = options;
  const now = options.now ?? (() => new Date());
  const secretPath = `/api/v1/namespaces/${namespace}/secrets/${config.secretName}`;
  let notAfter: Date | undefined;
  let running: Promise<CertCheckResult> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const readSecret = async (): Promise<{ stored: StoredCertificates | undefined; resourceVersion: string | undefined; exists: boolean }> => {
    const response = await client.send({ method: "GET", path: secretPath, maxBytes: SECRET_MAX_BYTES, what: `get secret ${namespace}/${config.secretName}` });
    if (response.status === 404) return { stored: undefined, resourceVersion: undefined, exists: false };
    if (response.status !== 200) throw kubeApiError(`get secret ${namespace}/${config.secretName}`, response.status, response.body);
    const secret = response.body as { metadata?: { resourceVersion?: unknown }; data?: Record<string, unknown> } | undefined;
    const resourceVersion = typeof secret?.metadata?.resourceVersion === "string" ? secret.metadata.resourceVersion : undefined;
    const value = (key: string) => {
      const text = secret?.data?.[key];
      return typeof text === "string" ? Buffer.from(text, "base64").toString("utf8") : undefined;
    };
    const [caCertsPem, caKeyPem, certPem, keyPem] = [value("ca.crt"), value("ca.key"), value("tls.crt"), value("tls.key")];
    const stored = caCertsPem !== undefined && caKeyPem !== undefined && certPem !== undefined && keyPem !== undefined ? { caCertsPem, caKeyPem, certPem, keyPem } : undefined;
    return { stored, resourceVersion, exists: true };
  };

  /** Why the stored certificates must be replaced (undefined: they serve), and whether the CA must be too. */
  const assess = (stored: StoredCertificates | undefined): { reason: string | undefined; newCa: boolean } => {
    if (stored === undefined) return { reason: "no certificate yet", newCa: true };
    const at = now().getTime();
    let ca: X509Certificate;
    let leaf: X509Certificate;
    try {
      ca = new X509Certificate(firstPem(stored.caCertsPem));
      leaf = new X509Certificate(stored.certPem);
      parseServingTls(Buffer.from(stored.certPem), Buffer.from(stored.keyPem), { certFile: "tls.crt", keyFile: "tls.key" });
      if (!ca.checkPrivateKey(createPrivateKey(stored.caKeyPem))) return { reason: "ca.key is not the key of ca.crt", newCa: true };
    } catch (error) {
      return { reason: `the stored certificates are unusable: ${(error as Error).message}`, newCa: true };
    }
    const caLeft = Date.parse(ca.validTo) - at;
    if (caLeft < 2 * config.validityMs) return { reason: "the CA expires within two certificate lifetimes", newCa: true };
    if (!leaf.verify(ca.publicKey)) return { reason: "the serving certificate is not signed by the CA", newCa: false };
    if (!(leaf.subjectAltName ?? "").includes(`DNS:${config.service}.${namespace}.svc`)) return { reason: `the serving certificate does not name ${config.service}.${namespace}.svc`, newCa: false };
    const left = Date.parse(leaf.validTo) - at;
    if (Date.parse(leaf.validFrom) > at + 3_600_000) return { reason: "the serving certificate is not valid yet", newCa: false };
    if (left < config.validityMs / 3) return { reason: left <= 0 ? "the serving certificate has expired" : "a third of the serving certificate's lifetime is left", newCa: false };
    return { reason: undefined, newCa: false };
  };

  const issue = (stored: StoredCertificates | undefined, newCa: boolean): StoredCertificates => {
    const days = Math.max(1, Math.floor(config.validityMs / DAY_MS));
    if (newCa || stored === undefined) {
      const made = createServingCertificates({ service: config.service, namespace, days, now: now() });
      // The old CA stays in the bundle while it is valid: replicas still serving its certificates stay trusted.
      const previous = stored === undefined ? [] : validPems(stored.caCertsPem, now()).slice(0, 1);
      return { caCertsPem: [made.caCertPem, ...previous].join(""), caKeyPem: made.caKeyPem!, certPem: made.certPem, keyPem: made.keyPem };
    }
    const caCertPem = firstPem(stored.caCertsPem);
    const made = createServingCertificates({ service: config.service, namespace, days, now: now(), ca: { certPem: caCertPem, keyPem: stored.caKeyPem } });
    return { caCertsPem: [caCertPem, ...validPems(stored.caCertsPem, now()).slice(1, 2)].join(""), caKeyPem: stored.caKeyPem, certPem: made.certPem, keyPem: made.keyPem };
  };

  const writeSecret = async (next: StoredCertificates, resourceVersion: string | undefined, exists: boolean): Promise<boolean> => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name: config.secretName, namespace, labels: { "app.kubernetes.io/name": "signet-webhook", "app.kubernetes.io/managed-by": "signet-webhook" }, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
      data: {
        "tls.crt": Buffer.from(next.certPem).toString("base64"),
        "tls.key": Buffer.from(next.keyPem).toString("base64"),
        "ca.crt": Buffer.from(next.caCertsPem).toString("base64"),
        "ca.key": Buffer.from(next.caKeyPem).toString("base64"),
      },
    };
    const what = `${exists ? "update" : "create"} secret ${namespace}/${config.secretName}`;
    const response = exists
      ? await client.send({ method: "PUT", path: secretPath, body: secret, maxBytes: SECRET_MAX_BYTES, what })
      : await client.send({ method: "POST", path: `/api/v1/namespaces/${namespace}/secrets`, body: secret, maxBytes: SECRET_MAX_BYTES, what });
    // 409: another replica wrote it since we read it (conflict) or created it first (already exists).
    if (response.status === 409) return false;
    if (response.status !== 200 && response.status !== 201) throw kubeApiError(what, response.status, response.body);
    return true;
  };

  /** Puts the caBundle into every webhook of the configurations named; an absent configuration is reported, not fatal. */
  const patchCaBundles = async (caBundle: string): Promise<void> => {
    const targets = [
      ["mutatingwebhookconfigurations", config.mutatingWebhookConfiguration],
      ["validatingwebhookconfigurations", config.validatingWebhookConfiguration],
    ] as const;
    for (const [resource, name] of targets) {
      if (name === undefined) continue;
      const path = `/apis/admissionregistration.k8s.io/v1/${resource}/${name}`;
      const response = await client.send({ method: "GET", path, maxBytes: CONFIG_MAX_BYTES, what: `get ${resource} ${name}` });
      if (response.status === 404) {
        logger.warn({ resource, name }, "webhook configuration not found: its caBundle is set when it appears");
        continue;
      }
      if (response.status !== 200) throw kubeApiError(`get ${resource} ${name}`, response.status, response.body);
      const webhooks = (response.body as { webhooks?: { name?: unknown; clientConfig?: { caBundle?: unknown } }[] } | undefined)?.webhooks ?? [];
      const operations = webhooks.flatMap((webhook, index) =>
        webhook.clientConfig?.caBundle === caBundle
          ? []
          : [
              // The test pins the index to the webhook read: a concurrent reorder fails the patch instead of misplacing it.
              { op: "test", path: `/webhooks/${index}/name`, value: webhook.name },
              { op: "add", path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
            ],
      );
      if (operations.length === 0) continue;
      const patched = await client.send({ method: "PATCH", path, body: operations, contentType: "application/json-patch+json", maxBytes: CONFIG_MAX_BYTES, what: `patch ${resource} ${name}` });
      if (patched.status !== 200) throw kubeApiError(`patch ${resource} ${name}`, patched.status, patched.body);
      logger.info({ resource, name, webhooks: operations.length / 2 }, "caBundle set in the webhook configuration");
    }
  };

  const writeFiles = async (stored: StoredCertificates): Promise<boolean> => {
    const [currentCert, currentKey] = await Promise.all([readFile(options.files.certFile, "utf8").catch(() => ""), readFile(options.files.keyFile, "utf8").catch(() => "")]);
    if (currentCert === stored.certPem && currentKey === stored.keyPem) return false;
    // Key first: the reloader waits for a pair that belongs together, and never sees half a file.
    await writeFileAtomic(options.files.keyFile, stored.keyPem, { mode: 0o600, guard: true });
    await writeFileAtomic(options.files.certFile, stored.certPem, { mode: 0o644, guard: true });
    return true;
  };

  const run = async (): Promise<CertCheckResult> => {
    try {
      let renewed = false;
      let current: StoredCertificates | undefined;
      for (let attempt = 1; current === undefined; attempt += 1) {
        const read = await readSecret();
        const { reason, newCa } = assess(read.stored);
        if (reason === undefined) {
          current = read.stored!;
          break;
        }
        if (attempt > TRIES) throw new SignetError("KUBE_API_FAILED", `secret ${namespace}/${config.secretName}: other writers kept replacing it; gave up after ${TRIES} tries`);
        const next = issue(read.stored, newCa);
        // A new CA replacing one in use goes into the caBundle (next to the old one) before anything it signed is
        // stored and served. On a first issue nothing is served yet: the bundle is set once the Secret is written,
        // so replicas racing to create it never set a losing CA.
        if (newCa && read.stored !== undefined) await patchCaBundles(Buffer.from(next.caCertsPem).toString("base64"));
        if (await writeSecret(next, read.resourceVersion, read.exists)) {
          logger.info({ secret: `${namespace}/${config.secretName}`, reason, newCa, notAfter: new X509Certificate(next.certPem).validTo }, "serving certificate issued");
          current = next;
          renewed = true;
        }
      }
      await patchCaBundles(Buffer.from(current.caCertsPem).toString("base64"));
      await writeFiles(current);
      notAfter = new Date(new X509Certificate(current.certPem).validTo);
      return { ok: true, renewed };
    } catch (error) {
      const signetError = toSignetError(error);
      logger.error({ code: signetError.code, error: signetError.message, details: signetError.details }, "serving certificate check failed; retrying at the next check");
      return { ok: false, error: signetError };
    }
  };

  const check = (): Promise<CertCheckResult> => {
    if (closed) return Promise.resolve({ ok: true, renewed: false });
    running ??= run().finally(() => (running = undefined));
    return running;
  };

  timer = setInterval(() => void check(), config.checkIntervalMs);
  timer.unref();

  return {
    check,
    get notAfter() {
      return notAfter;
    },
    close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

function firstPem(bundle: string): string {
  const first = bundle.match(PEM_CERTIFICATE)?.[0];
  if (first === undefined) throw new SignetError("WEBHOOK_TLS_INVALID", "ca.crt holds no PEM certificate");
  return first.endsWith("\n") ? first : `${first}\n`;
}

function validPems(bundle: string, at: Date): string[] {
  return (bundle.match(PEM_CERTIFICATE) ?? [])
    .map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`))
    .filter((pem) => {
      try {
        return Date.parse(new X509Certificate(pem).validTo) > at.getTime();
      } catch {
        return false;
      }
    });
}

