import { readFileSync } from "node:fs";
import { SignetError, toSignetError } from "../../errors/index.js";
import { ImageAccess, type ImageAccessOptions } from "../../oci/image-access.js";
import { createCredentialStore } from "../../oci/registry/index.js";
import type { CacheErrorListener, CacheStore } from "../cache/cache-store.js";
import { parseCachedVerdict } from "../cache/cached-verdict.js";
import { createMemoryStore } from "../cache/memory-store.js";
import { createRedisStore, redactRedisUrl } from "../cache/redis-store.js";
import { RECORD_KEY_MIN_BYTES, createVerdictCache } from "../cache/verdict-cache.js";
import type { WebhookConfig } from "../config/webhook-config.js";
import { createWebhookMetrics, type WebhookMetrics } from "../metrics/webhook-metrics.js";
import { createAdmissionHandler, type AdmissionHandlerOptions } from "./admission-handler.js";
import { createCacheErrorLog } from "./cache-error-log.js";
import { watchFiles, type FileWatcher } from "./file-watcher.js";
import { createImageChecker, type EvaluateImage, type ImageCheckerOptions } from "./image-checker.js";
import type { WebhookLogger } from "./logger.js";
import { loadPolicyState } from "./policy-loader.js";
import type { PolicyState } from "./policy-state.js";
import { loadServingTls } from "./serving-tls.js";
import { createTlsReloader } from "./tls-reloader.js";
import { createVerificationLimiter } from "./verification-limiter.js";
import type { KubeClient } from "../kube/kube-client.js";
import type { ClusterImagePolicyWatch } from "./crd-watch.js";
import { startMetricsServer } from "./metrics-server.js";
import { startWebhookServer, type WebhookServer } from "./webhook-server.js";

/** Policies are recompiled this often even when no file changed: keys read from Secrets may have rotated. */
const POLICY_RESYNC_MS = 5 * 60_000;

export interface ServeWebhookOptions {
  readonly config: WebhookConfig;
  /** Evaluates one image (src/webhook/evaluate); tests pass fakes. */
  readonly evaluateImage: EvaluateImage;
  readonly logger: WebhookLogger;
  readonly env: NodeJS.ProcessEnv;
  /** Keyless and attestation verifiers (the sigstore work); without them those authorities fail closed. */
  readonly evaluationDeps?: ImageCheckerOptions["evaluationDeps"];
  /** Process metrics (memory, CPU, event loop); default true. */
  readonly processMetrics?: boolean;
  /**
   * Why the server is not ready yet beyond its own policies, e.g. trust roots still loading (undefined: ready).
   * The keyless verifier passed in evaluationDeps should say so here until its trust roots are loaded.
   */
  readonly notReadyReason?: () => string | undefined;
  /** Changes when the trust roots change, so verdicts that relied on the old ones are not reused. */
  readonly trustVersion?: () => string;
  /** Told the policies in force at start and after every reload (e.g. to load the trust root only when needed). */
  readonly onPolicies?: (state: PolicyState) => void;
  /** Timing of the ClusterImagePolicy list/watch (tests shorten it). */
  readonly clusterImagePolicyWatch?: { readonly backoff?: { readonly initialMs: number; readonly maxMs: number }; readonly watchTimeoutSeconds?: number };
  /** The same for the watches of key Secrets (tests shorten them). */
  readonly keySecretWatch?: { readonly backoff?: { readonly initialMs: number; readonly maxMs: number }; readonly watchTimeoutSeconds?: number };
}

export interface RunningWebhook {
  readonly port: number;
  /** The plain-HTTP metrics port. */
  readonly metricsPort: number;
  readonly metrics: WebhookMetrics;
  /** The policies in force now. */
  readonly policies: PolicyState;
  /** Reloads the policies now (the file watcher does it on change); keeps the old ones if the new are invalid. */
  reloadPolicies(): Promise<void>;
  /** Checks the certificate files now (the watcher does it on change). */
  reloadTls(): Promise<void>;
  /** Graceful shutdown: not ready, stop accepting, drain in-flight requests, close everything. */
  close(): Promise<void>;
}

/**
 * Starts `signet webhook serve`: loads the policies (the server does not start without valid ones), the
 * serving certificate, the cache (memory, and Redis when configured), and serves HTTPS until closed.
 */
export async function serveWebhook(options: ServeWebhookOptions): Promise<RunningWebhook> {
  const { config, logger } = options;
  const stop = new AbortController();
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const registryOptions = {
      allowHttpRegistry: config.allowHttpRegistry,
      allowInsecureRegistry: config.allowInsecureRegistry,
      caCertificates: config.registryCacert.map((path) => readCaFile(path)),
      timeoutMs: config.registryTimeoutMs,
      userAgent: "signet-webhook",
      ...(config.registryAuthFile !== undefined ? { credentials: createCredentialStore({ authFiles: [config.registryAuthFile] }) } : {}),
    };
    const access = new ImageAccess(registryOptions);
    closers.push(() => access.close());
    const requestAccess = await createPullSecretAccess(config, options.env, registryOptions, access, logger, closers);
    const metrics = createWebhookMetrics({ registryRequests: () => access.requestCount(), processMetrics: options.processMetrics ?? true });

    const kube = await createKubeClientIfNeeded(config, options.env, closers);
    // Until the reload machinery below exists, a change is only noted (and reloaded as soon as it does).
    let changedBeforeStart = false;
    let scheduleReload = (): void => {
      changedBeforeStart = true;
    };
    let cipWatch: ClusterImagePolicyWatch | undefined;
    if (config.watchClusterImagePolicies) {
      const { watchClusterImagePolicies } = await import("./crd-watch.js");
      const watch = watchClusterImagePolicies({ client: kube!, logger, onChange: () => scheduleReload(), ...(options.clusterImagePolicyWatch ?? {}) });
      cipWatch = watch;
      closers.push(() => watch.close());
      await watch.synced;
    }

    // Key Secrets and KMS keys: resolved once, Secrets watched (a change reloads the policies).
    const [{ createWebhookKeyCache }, { createKubeClient }] = await Promise.all([import("./key-cache.js"), import("../kube/kube-client.js")]);
    let keyClient: KubeClient | undefined = kube;
    const keyCache = createWebhookKeyCache({
      client: () => {
        if (keyClient === undefined) {
          const client = createKubeClient({ kubeconfig: config.kubeconfig, env: options.env, timeoutMs: 10_000 });
          closers.push(() => client.close());
          keyClient = client;
        }
        return keyClient;
      },
      logger,
      onChange: () => scheduleReload(),
      env: options.env,
      timeoutMs: Math.max(config.registryTimeoutMs, 10_000),
      ...(options.keySecretWatch ?? {}),
    });
    closers.push(() => keyCache.close());

    const sources = {
      keyCache,
      policyPaths: config.policy,
      policyJsonPath: config.policyJson,
      noMatchAction: config.noMatchAction,
      systemNamespace: config.namespace,
      kubeconfig: config.kubeconfig,
      env: options.env,
      timeoutMs: Math.max(config.registryTimeoutMs, 10_000),
      trustVersion: options.trustVersion?.() ?? "none",
      ...(cipWatch !== undefined ? { apiPolicies: cipWatch.objects } : {}),
    };
    let state = await loadPolicyState(sources);
    options.onPolicies?.(state);
    let loadedAt = Date.now();
    logPolicies(logger, state, "policies loaded");
    metrics.policyInfo.set({ version: state.version }, 1);
    metrics.policyProblems.set(state.clusterImagePolicies.problems.length);

    const cacheLog = createCacheErrorLog({ logger, store: config.redisUrl === undefined ? "redis" : redactRedisUrl(config.redisUrl) });
    const onCacheError: CacheErrorListener = (operation, error) => {
      metrics.cacheErrors.inc({ store: "redis", operation });
      // Never fatal, never a pass (E.35): the image is verified again. Logged once per state change, not per retry.
      cacheLog.error(operation, error);
    };
    const stores: CacheStore[] = [createMemoryStore({ maxEntries: config.cache.maxEntries })];
    let recordKeys: Buffer[] = [];
    if (config.redisUrl !== undefined) {
      // Read before connecting: without a key, Redis records cannot be authenticated and the server does not start.
      recordKeys = readCacheHmacKeys(config.redisHmacKeyFile, options.env);
      const password = nonEmpty(options.env["SIGNET_REDIS_PASSWORD"]);
      stores.push(
        await createRedisStore({
          url: config.redisUrl,
          ...(password !== undefined ? { password } : {}),
          keyPrefix: "signet:webhook:",
          commandTimeoutMs: config.cache.redisTimeoutMs,
          onError: onCacheError,
          onReady: () => cacheLog.ready(),
        }),
      );
      logger.info({ redis: redactRedisUrl(config.redisUrl), recordKeys: recordKeys.length, redisAuth: password !== undefined || config.redisUrl.includes("@") }, "sharing the verdict cache through Redis");
    }
    closers.push(async () => {
      for (const store of stores) await store.close();
    });
    const cache = createVerdictCache({
      stores,
      validate: parseCachedVerdict,
      onHit: (kind, source) => metrics.cacheHits.inc({ cache: kind, store: source }),
      onMiss: (kind) => metrics.cacheMisses.inc({ cache: kind, store: stores.length > 1 ? "redis" : "memory" }),
      recordKeys,
      onRejected(kind, reason) {
        metrics.cacheRejected.inc({ store: "redis", reason });
        // The record is a miss (the image is verified again); the key is never logged.
        logger.warn({ store: "redis", cache: kind, reason }, reason === "bad_mac" ? "Redis record with a bad MAC refused (written without this webhook's key, or altered)" : "malformed Redis record refused");
      },
    });
    const checker = createImageChecker({
      evaluate: options.evaluateImage,
      access,
      cache,
      ttl: { verdictMs: config.cache.verdictTtlMs, negativeMs: config.cache.negativeTtlMs, tagMs: config.cache.tagTtlMs },
      evaluationTimeoutMs: config.deadlineMs,
      stopSignal: stop.signal,
      ...(options.evaluationDeps !== undefined ? { evaluationDeps: options.evaluationDeps } : {}),
      onSharedEvaluation: () => metrics.singleFlightShared.inc(),
      limiter: createVerificationLimiter(config.maxConcurrentVerifications, (running, waiting) => {
        metrics.verifications.set({ state: "running" }, running);
        metrics.verifications.set({ state: "waiting" }, waiting);
      }),
      warnModeUnavailable: config.warnModeUnavailable,
    });
    const handleAdmission = createAdmissionHandler({
      checker,
      policies: () => state,
      deadlineMs: config.deadlineMs,
      plan: { identityAnnotations: config.identityAnnotations },
      maxImagesPerRequest: config.maxImagesPerRequest,
      validateRequiresDigest: config.validateRequiresDigest,
      metrics,
      logger,
      ...(requestAccess !== undefined ? { requestAccess } : {}),
    });

    const tlsFiles = { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile };
    if (config.certRotation !== undefined) {
      // The pair is issued (or read from the shared Secret) and written to the files before the server reads them.
      const { startCertRotation } = await import("./cert-rotation.js");
      const rotation = await startCertRotation({ client: kube!, namespace: config.namespace, config: config.certRotation, files: tlsFiles, logger });
      closers.push(() => rotation.close());
    }
    const tls = await loadServingTls(tlsFiles);
    metrics.certificateExpiry.set(tls.notAfter.getTime() / 1000);
    let ready = true;
    const server: WebhookServer = await startWebhookServer({
      tls,
      port: config.port,
      address: config.address,
      maxRequestBytes: config.maxRequestBytes,
      requestTimeoutMs: config.deadlineMs + 5_000,
      tlsHandshakeTimeoutMs: config.tlsHandshakeTimeoutMs,
      handleAdmission,
      notReadyReason: () => (ready ? options.notReadyReason?.() : "shutting down"),
      metrics,
      logger,
    });
    closers.push(async () => {
      await server.close(0);
    });
    const metricsServer = await startMetricsServer({ registry: metrics.registry, port: config.metricsPort, address: config.metricsAddress ?? config.address, logger });
    closers.push(() => metricsServer.close());
    logger.info(
      {
        port: server.port,
        metricsPort: metricsServer.port,
        certificate: tls.fingerprint,
        notAfter: tls.notAfter.toISOString(),
        policyVersion: state.version,
        // The choices that decide what is admitted without a verified digest, stated once at start.
        validateRequiresDigest: config.validateRequiresDigest,
        warnModeUnavailable: config.warnModeUnavailable,
        maxImagesPerRequest: config.maxImagesPerRequest,
        maxConcurrentVerifications: config.maxConcurrentVerifications,
      },
      "webhook serving",
    );

    const tlsReloader = createTlsReloader({
      files: tlsFiles,
      initial: tls,
      pollIntervalMs: config.tlsReloadIntervalMs,
      onReload(next) {
        server.setTls(next);
        metrics.tlsReloads.inc({ result: "reloaded" });
        metrics.certificateExpiry.set(next.notAfter.getTime() / 1000);
        logger.info({ certificate: next.fingerprint, subject: next.subject, notAfter: next.notAfter.toISOString() }, "serving certificate reloaded");
      },
      onInvalid(error) {
        metrics.tlsReloads.inc({ result: "invalid" });
        logger.error({ code: error.code, error: error.message }, "new serving certificate refused; still serving the previous one");
      },
    });
    closers.push(() => tlsReloader.close());

    let reloading: Promise<void> | undefined;
    const reloadPolicies = async (): Promise<void> => {
      if (reloading !== undefined) return reloading;
      reloading = (async () => {
        try {
          const next = await loadPolicyState({ ...sources, trustVersion: options.trustVersion?.() ?? "none" });
          loadedAt = Date.now();
          metrics.policyProblems.set(next.clusterImagePolicies.problems.length);
          if (next.version === state.version) return;
          metrics.policyInfo.remove({ version: state.version });
          metrics.policyInfo.set({ version: next.version }, 1);
          metrics.policyReloads.inc({ result: "reloaded" });
          logPolicies(logger, next, "policies reloaded", state.version);
          // Cached verdicts are keyed by the versions of the policies that decide each image: those of
          // changed policies are simply never read again, the others stay valid.
          state = next;
          options.onPolicies?.(next);
        } catch (error) {
          const signetError = toSignetError(error);
          metrics.policyReloads.inc({ result: "invalid" });
          logger.error({ code: signetError.code, error: signetError.message, details: signetError.details }, "policy reload refused; the previous policies stay in force");
        } finally {
          reloading = undefined;
        }
      })();
      return reloading;
    };
    // A change seen while a reload runs is reloaded after it: the last change is never lost.
    let changedDuringReload = false;
    scheduleReload = () => {
      if (reloading !== undefined) {
        changedDuringReload = true;
        return;
      }
      void reloadPolicies().then(function again(): Promise<void> | undefined {
        if (!changedDuringReload) return undefined;
        changedDuringReload = false;
        return reloadPolicies().then(again);
      });
    };
    if (changedBeforeStart) scheduleReload();
    const watchedPolicyPaths = [...config.policy, ...(config.policyJson !== undefined ? [config.policyJson] : [])];
    const policyWatcher: FileWatcher = watchFiles({ paths: watchedPolicyPaths, pollIntervalMs: config.policyReloadIntervalMs, onChange: reloadPolicies });
    closers.push(() => policyWatcher.close());
    // Keys in Kubernetes Secrets change without any file changing: reload now and then, and soon after a key
    // could not be loaded (its authority fails closed meanwhile).
    const resync = setInterval(() => {
      const age = Date.now() - loadedAt;
      if (state.clusterImagePolicies.problems.length > 0 || age >= POLICY_RESYNC_MS) void reloadPolicies();
    }, config.policyReloadIntervalMs);
    resync.unref();
    closers.push(() => clearInterval(resync));

    return {
      port: server.port,
      metricsPort: metricsServer.port,
      metrics,
      get policies() {
        return state;
      },
      reloadPolicies,
      reloadTls: () => tlsReloader.check(),
      async close() {
        ready = false;
        logger.info({ inFlight: server.inFlight, delayMs: config.shutdownDelayMs, graceMs: config.shutdownGraceMs }, "shutting down");
        if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
        policyWatcher.close();
        cipWatch?.close();
        keyCache.close();
        clearInterval(resync);
        tlsReloader.close();
        const left = await server.close(config.shutdownGraceMs);
        stop.abort(new SignetError("TIMEOUT", "the webhook is shutting down"));
        if (left > 0) logger.warn({ left }, "requests still running at the end of the grace period were cut off");
        await closeAll();
        logger.info("stopped");
      },
    };
  } catch (error) {
    stop.abort();
    await closeAll();
    throw error;
  }
}

function logPolicies(logger: WebhookLogger, state: PolicyState, message: string, previousVersion?: string): void {
  logger.info(
    {
      policyVersion: state.version,
      ...(previousVersion !== undefined ? { previousVersion } : {}),
      clusterImagePolicies: state.clusterImagePolicies.policies.map((policy) => ({ name: policy.name, mode: policy.mode, file: policy.source.file })),
      policyJson: state.policyJson !== undefined,
      noMatchAction: state.noMatchAction,
    },
    message,
  );
  for (const problem of state.clusterImagePolicies.problems) logger.warn({ problem }, "policy problem (the authority fails closed)");
  for (const warning of state.warnings ?? []) logger.warn({ warning }, "policy document not loaded");
}

/**
 * Pods' pull secrets are read through the Kubernetes API: with --kubeconfig, or in-cluster when
 * KUBERNETES_SERVICE_HOST is set. Without either, only the configured auth file is used (logged once).
 */
async function createPullSecretAccess(
  config: WebhookConfig,
  env: NodeJS.ProcessEnv,
  registryOptions: ImageAccessOptions,
  defaultAccess: ImageAccess,
  logger: WebhookLogger,
  closers: (() => Promise<void> | void)[],
): Promise<AdmissionHandlerOptions["requestAccess"]> {
  const host = env["KUBERNETES_SERVICE_HOST"];
  if (config.kubeconfig === undefined && (host === undefined || host === "")) {
    logger.info("no Kubernetes API (no --kubeconfig, KUBERNETES_SERVICE_HOST unset): pods' imagePullSecrets are not read; only the configured registry credentials are used");
    return undefined;
  }
  const [{ createK8sApiReader }, credentials] = await Promise.all([import("../../policy/locations/k8s-location.js"), import("../credentials/index.js")]);
  const api = createK8sApiReader({ ...(config.kubeconfig !== undefined ? { kubeconfig: config.kubeconfig } : {}), env, timeoutMs: Math.min(config.registryTimeoutMs, 5_000) });
  const pool = credentials.createAccessPool({ registry: registryOptions, defaultAccess });
  closers.push(() => pool.close(), () => api.close());
  logger.info({ source: config.kubeconfig ?? "in-cluster" }, "registry credentials: pods' and service accounts' imagePullSecrets are read through the Kubernetes API");
  return credentials.createRequestAccess(credentials.createPullSecretReader({ api }), pool);
}

/**
 * The HMAC keys for Redis records: the lines of --redis-hmac-key-file (a file mounted from a Secret), else of
 * SIGNET_REDIS_HMAC_KEY. The first line signs, every line verifies (rotation: add the new key first, later
 * remove the old). Each key is at least 32 bytes; nothing about them is logged but their number.
 */
export function readCacheHmacKeys(file: string | undefined, env: NodeJS.ProcessEnv): Buffer[] {
  let text: string | undefined;
  let where: string;
  if (file !== undefined) {
    where = `--redis-hmac-key-file ${file}`;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read ${where}: ${code ?? (error as Error).message}`);
    }
  } else {
    where = "SIGNET_REDIS_HMAC_KEY";
    text = nonEmpty(env["SIGNET_REDIS_HMAC_KEY"]);
  }
  const hint = "Create a Secret with at least 32 random bytes (`openssl rand -hex 32`) and mount it as --redis-hmac-key-file, or set SIGNET_REDIS_HMAC_KEY from it; every replica needs the same key.";
  if (text === undefined) {
    throw new SignetError("WEBHOOK_CONFIG_INVALID", "--redis-url needs a key to authenticate the records it shares: give --redis-hmac-key-file or SIGNET_REDIS_HMAC_KEY", { hint });
  }
  const keys = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => Buffer.from(line, "utf8"));
  if (keys.length === 0) throw new SignetError("WEBHOOK_CONFIG_INVALID", `${where} holds no key`, { hint });
  if (keys.some((key) => key.length < RECORD_KEY_MIN_BYTES)) {
    throw new SignetError("WEBHOOK_CONFIG_INVALID", `${where}: every key must be at least ${RECORD_KEY_MIN_BYTES} bytes long`, { hint });
  }
  return keys;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** One API client for the ClusterImagePolicy watch and the certificate rotation, when either is on. */
async function createKubeClientIfNeeded(config: WebhookConfig, env: NodeJS.ProcessEnv, closers: (() => Promise<void> | void)[]): Promise<KubeClient | undefined> {
  if (!config.watchClusterImagePolicies && config.certRotation === undefined) return undefined;
  const host = env["KUBERNETES_SERVICE_HOST"];
  if (config.kubeconfig === undefined && (host === undefined || host === "")) {
    const what = [config.watchClusterImagePolicies ? "watchClusterImagePolicies" : undefined, config.certRotation !== undefined ? "certRotation" : undefined].filter(Boolean).join(" and ");
    throw new SignetError("WEBHOOK_CONFIG_INVALID", `${what} need${what.includes(" and ") ? "" : "s"} the Kubernetes API: run in a pod (KUBERNETES_SERVICE_HOST) or give --kubeconfig`);
  }
  const { createKubeClient } = await import("../kube/kube-client.js");
  const client = createKubeClient({ kubeconfig: config.kubeconfig, env, timeoutMs: 10_000 });
  closers.push(() => client.close());
  return client;
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read --registry-cacert ${path}: ${code ?? (error as Error).message}`);
  }
}
