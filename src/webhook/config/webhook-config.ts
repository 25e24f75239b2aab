import { z } from "zod";
import { parseDurationText } from "./duration.js";

export type NoMatchAction = "deny" | "allow" | "warn";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** The API server waits at most 30 s for a webhook; the deadline must leave it time to receive the answer. */
export const MAX_DEADLINE_MS = 29_000;

/** Everything `signet webhook serve` needs, defaults applied. Durations are in milliseconds. */
export interface WebhookConfig {
  readonly port: number;
  /** Listen address; undefined listens on every interface (IPv6 and IPv4 where available). */
  readonly address: string | undefined;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** ClusterImagePolicy YAML files or folders of them. */
  readonly policy: readonly string[];
  /** A containers-policy.json file, for teams that already have one. */
  readonly policyJson: string | undefined;
  readonly noMatchAction: NoMatchAction;
  /** For a multi-arch index: verify the index, the platform instance a node would pull, or accept either. */
  readonly multiArch: "index" | "instance" | "either";
  /** The platform whose instance is verified (`instance`, `either`, and policy.json), os/arch[/variant]. */
  readonly platform: string;
  /** registries.d for policy.json: lookaside stores of GPG signatures (default: none configured). */
  readonly registriesD: string | undefined;
  readonly redisUrl: string | undefined;
  /** A file (from a Secret) holding the HMAC key(s) that authenticate Redis records; else SIGNET_REDIS_HMAC_KEY. */
  readonly redisHmacKeyFile: string | undefined;
  readonly registryCacert: readonly string[];
  readonly allowHttpRegistry: boolean;
  readonly allowInsecureRegistry: boolean;
  /** A docker config.json / auth.json with registry credentials, in addition to the pods' pull secrets. */
  readonly registryAuthFile: string | undefined;
  /** The cluster to read Secrets and ServiceAccounts from; undefined: in-cluster. */
  readonly kubeconfig: string | undefined;
  /** The webhook's own namespace: where policy keys (secretRef) may come from. */
  readonly namespace: string;
  /** Read `subject.cosign.sigstore.dev/<container>` and `issuer.cosign.sigstore.dev/<container>` annotations. */
  readonly identityAnnotations: boolean;
  /** A sigstore trusted_root.json for keyless authorities instead of the public-good root (`--trusted-root`). */
  readonly trustedRoot: string | undefined;
  /** Never fetch the public-good root through TUF: use the TUF cache's copy, else the embedded one. */
  readonly offline: boolean;
  /** Every admission is answered within this time; what is not verified by then is denied. */
  readonly deadlineMs: number;
  /** Registry timeout for one request; below the deadline. */
  readonly registryTimeoutMs: number;
  readonly maxRequestBytes: number;
  /** An object naming more images than this is denied without evaluating any (ADMISSION_TOO_MANY_IMAGES). */
  readonly maxImagesPerRequest: number;
  /** Image verifications (tag resolutions and evaluations) running at once in the process, across all requests. */
  readonly maxConcurrentVerifications: number;
  /** /validate denies governed images named by tag (it cannot pin them to the verified digest). */
  readonly validateRequiresDigest: boolean;
  /** "Could not evaluate" under warn-mode policies: denied (fail closed) or admitted with a warning. */
  readonly warnModeUnavailable: "deny" | "warn";
  /** After SIGTERM, keep serving (not ready) this long so load balancers stop sending before the listener closes. */
  readonly shutdownDelayMs: number;
  /** Then wait at most this long for requests in flight. */
  readonly shutdownGraceMs: number;
  readonly tlsReloadIntervalMs: number;
  /** A connection that has not finished its TLS handshake this long after it opened is closed. */
  readonly tlsHandshakeTimeoutMs: number;
  readonly policyReloadIntervalMs: number;
  readonly logLevel: LogLevel;
  /** Plain-HTTP port of `GET /metrics` (Prometheus), apart from the admission port; 0: any free port. */
  readonly metricsPort: number;
  /** Listen address of the metrics port; undefined: every interface. */
  readonly metricsAddress: string | undefined;
  /** Also read ClusterImagePolicy objects through the Kubernetes API (list and watch the CRD). */
  readonly watchClusterImagePolicies: boolean;
  /** The webhook issues and renews its own serving certificate (no cert-manager); undefined: the files are managed outside. */
  readonly certRotation: CertRotationConfig | undefined;
  readonly cache: {
    readonly maxEntries: number;
    /** How long an allowed verdict is reused. */
    readonly verdictTtlMs: number;
    /** How long a denied verdict is reused (short: the image may be signed a minute later). */
    readonly negativeTtlMs: number;
    /** How long a tag stays pinned to the digest it resolved to. */
    readonly tagTtlMs: number;
    /** A Redis command that takes longer counts as a miss. */
    readonly redisTimeoutMs: number;
  };
}

/** `certRotation`: the serving certificate is kept in a Secret, renewed before it expires, and its CA put into the webhook configurations. */
export interface CertRotationConfig {
  /** The Secret (in `namespace`) that holds the CA and the serving certificate, shared by the replicas. */
  readonly secretName: string;
  /** The Service the API server dials: the certificate names SERVICE.NAMESPACE.svc. */
  readonly service: string;
  /** Webhook configurations whose every webhook gets the caBundle; empty names are skipped. */
  readonly mutatingWebhookConfiguration: string | undefined;
  readonly validatingWebhookConfiguration: string | undefined;
  /** Lifetime of a serving certificate; it is renewed when less than a third of it is left. */
  readonly validityMs: number;
  /** How often the Secret and the webhook configurations are checked. */
  readonly checkIntervalMs: number;
}

const K8S_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

const duration = (what: string, max?: number) =>
  z.union([z.string(), z.number()]).transform((value, context) => {
    const ms = parseDurationText(value);
    if (ms === undefined) {
      context.addIssue({ code: "custom", message: `${what}: ${JSON.stringify(value)} is not a duration (write e.g. 8s, 500ms or 2m)` });
      return z.NEVER;
    }
    if (max !== undefined && ms > max) {
      context.addIssue({ code: "custom", message: `${what}: ${JSON.stringify(value)} is longer than ${max / 1000}s` });
      return z.NEVER;
    }
    return ms;
  });

const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((value) => (Array.isArray(value) ? value : [value]));

/**
 * The configuration as written in a `--config` YAML file (and as flags are merged into it): camelCase keys,
 * unknown keys refused so a typo never silently falls back to a default.
 */
export const webhookConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(8443),
    address: z.string().min(1).optional(),
    tlsCertFile: z.string().min(1, "tlsCertFile is required (--tls-cert-file)"),
    tlsKeyFile: z.string().min(1, "tlsKeyFile is required (--tls-key-file)"),
    policy: stringList.default([]),
    policyJson: z.string().min(1).optional(),
    noMatchAction: z.enum(["deny", "allow", "warn"]).default("deny"),
    multiArch: z.enum(["index", "instance", "either"]).default("index"),
    platform: z.string().regex(/^[a-z0-9._-]+\/[a-z0-9._-]+(?:\/[a-z0-9._-]+)?$/, "platform: write os/arch[/variant], e.g. linux/amd64").default("linux/amd64"),
    registriesD: z.string().min(1).optional(),
    redisUrl: z.string().min(1).optional(),
    redisHmacKeyFile: z.string().min(1).optional(),
    registryCacert: stringList.default([]),
    allowHttpRegistry: z.boolean().default(false),
    allowInsecureRegistry: z.boolean().default(false),
    registryAuthFile: z.string().min(1).optional(),
    kubeconfig: z.string().min(1).optional(),
    namespace: z.string().regex(/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/, "namespace: not a valid Kubernetes namespace name").default("signet-system"),
    identityAnnotations: z.boolean().default(false),
    trustedRoot: z.string().min(1).optional(),
    offline: z.boolean().default(false),
    deadline: duration("deadline", MAX_DEADLINE_MS).default(8_000),
    registryTimeout: duration("registryTimeout").optional(),
    maxRequestBytes: z.number().int().min(64 * 1024).max(64 * 1024 * 1024).default(6 * 1024 * 1024),
    maxImagesPerRequest: z.number().int().min(1).max(10_000).default(256),
    maxConcurrentVerifications: z.number().int().min(1).max(10_000).default(64),
    validateRequiresDigest: z.boolean().default(true),
    warnModeUnavailable: z.enum(["deny", "warn"]).default("deny"),
    shutdownDelay: duration("shutdownDelay").default(0),
    shutdownGrace: duration("shutdownGrace").default(20_000),
    tlsReloadInterval: duration("tlsReloadInterval").default(10_000),
    tlsHandshakeTimeout: duration("tlsHandshakeTimeout", 60_000).default(5_000),
    policyReloadInterval: duration("policyReloadInterval").default(10_000),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    metricsPort: z.number().int().min(0).max(65535).default(9090),
    metricsAddress: z.string().min(1).optional(),
    watchClusterImagePolicies: z.boolean().default(false),
    certRotation: z
      .object({
        secretName: z.string().regex(K8S_NAME, "certRotation.secretName: not a valid Secret name"),
        service: z.string().regex(/^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/, "certRotation.service: not a valid Service name"),
        mutatingWebhookConfiguration: z.string().regex(K8S_NAME).optional(),
        validatingWebhookConfiguration: z.string().regex(K8S_NAME).optional(),
        validity: duration("certRotation.validity").default(90 * 24 * 3_600_000),
        checkInterval: duration("certRotation.checkInterval").default(3_600_000),
      })
      .strict()
      .optional(),
    cache: z
      .object({
        maxEntries: z.number().int().min(1).max(10_000_000).default(50_000),
        verdictTtl: duration("cache.verdictTtl").default(10 * 60_000),
        negativeTtl: duration("cache.negativeTtl").default(30_000),
        tagTtl: duration("cache.tagTtl").default(30_000),
        redisTimeout: duration("cache.redisTimeout").default(100),
      })
      .strict()
      .default({ maxEntries: 50_000, verdictTtl: 10 * 60_000, negativeTtl: 30_000, tagTtl: 30_000, redisTimeout: 100 }),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.policy.length === 0 && config.policyJson === undefined && !config.watchClusterImagePolicies) {
      context.addIssue({ code: "custom", message: "no policy: give --policy FILE|DIR (ClusterImagePolicy), --policy-json FILE or --watch-cluster-image-policies" });
    }
    const rotation = config.certRotation;
    if (rotation !== undefined) {
      if (rotation.validity < 24 * 3_600_000) context.addIssue({ code: "custom", message: "certRotation.validity: at least 24h" });
      if (rotation.checkInterval < 1_000 || rotation.checkInterval * 3 > rotation.validity) {
        context.addIssue({ code: "custom", message: "certRotation.checkInterval: at least 1s and at most a third of certRotation.validity" });
      }
    }
    if (config.deadline < 100) context.addIssue({ code: "custom", message: "deadline: at least 100ms" });
    if (config.tlsHandshakeTimeout < 100) context.addIssue({ code: "custom", message: "tlsHandshakeTimeout: at least 100ms" });
  });

export type WebhookConfigInput = z.input<typeof webhookConfigSchema>;

/** Turns the schema's output into the resolved configuration. */
export function toWebhookConfig(parsed: z.output<typeof webhookConfigSchema>): WebhookConfig {
  return {
    port: parsed.port,
    address: parsed.address,
    tlsCertFile: parsed.tlsCertFile,
    tlsKeyFile: parsed.tlsKeyFile,
    policy: parsed.policy,
    policyJson: parsed.policyJson,
    noMatchAction: parsed.noMatchAction,
    multiArch: parsed.multiArch,
    platform: parsed.platform,
    registriesD: parsed.registriesD,
    redisUrl: parsed.redisUrl,
    redisHmacKeyFile: parsed.redisHmacKeyFile,
    registryCacert: parsed.registryCacert,
    allowHttpRegistry: parsed.allowHttpRegistry,
    allowInsecureRegistry: parsed.allowInsecureRegistry,
    registryAuthFile: parsed.registryAuthFile,
    kubeconfig: parsed.kubeconfig,
    namespace: parsed.namespace,
    identityAnnotations: parsed.identityAnnotations,
    trustedRoot: parsed.trustedRoot,
    offline: parsed.offline,
    deadlineMs: parsed.deadline,
    // A registry request may take most of the deadline, never all of it: the answer must still go out.
    registryTimeoutMs: Math.min(parsed.registryTimeout ?? parsed.deadline, Math.max(50, parsed.deadline - 250)),
    maxRequestBytes: parsed.maxRequestBytes,
    maxImagesPerRequest: parsed.maxImagesPerRequest,
    maxConcurrentVerifications: parsed.maxConcurrentVerifications,
    validateRequiresDigest: parsed.validateRequiresDigest,
    warnModeUnavailable: parsed.warnModeUnavailable,
    shutdownDelayMs: parsed.shutdownDelay,
    shutdownGraceMs: parsed.shutdownGrace,
    tlsReloadIntervalMs: parsed.tlsReloadInterval,
    tlsHandshakeTimeoutMs: parsed.tlsHandshakeTimeout,
    policyReloadIntervalMs: parsed.policyReloadInterval,
    logLevel: parsed.logLevel,
    metricsPort: parsed.metricsPort,
    metricsAddress: parsed.metricsAddress,
    watchClusterImagePolicies: parsed.watchClusterImagePolicies,
    certRotation:
      parsed.certRotation === undefined
        ? undefined
        : {
            secretName: parsed.certRotation.secretName,
            service: parsed.certRotation.service,
            mutatingWebhookConfiguration: parsed.certRotation.mutatingWebhookConfiguration,
            validatingWebhookConfiguration: parsed.certRotation.validatingWebhookConfiguration,
            validityMs: parsed.certRotation.validity,
            checkIntervalMs: parsed.certRotation.checkInterval,
          },
    cache: {
      maxEntries: parsed.cache.maxEntries,
      verdictTtlMs: parsed.cache.verdictTtl,
      negativeTtlMs: parsed.cache.negativeTtl,
      tagTtlMs: parsed.cache.tagTtl,
      redisTimeoutMs: parsed.cache.redisTimeout,
    },
  };
}
