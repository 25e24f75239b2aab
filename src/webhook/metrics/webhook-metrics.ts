import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type AdmissionEndpoint = "validate" | "mutate";
/** What one admission request ended as: every image allowed, some denied, allowed with warnings, or an error answer. */
export type AdmissionResult = "allowed" | "denied" | "warned" | "error";
export type ImageResult = "allowed" | "denied" | "warned";
export type CacheName = "verdict" | "tag";

export interface WebhookMetricsOptions {
  /** Registry requests sent so far (read when Prometheus scrapes). */
  readonly registryRequests?: () => number;
  /** Process metrics (memory, CPU, event loop lag, GC); off in unit tests. Default true. */
  readonly processMetrics?: boolean;
}

/**
 * The webhook's Prometheus metrics, in a registry of their own (no prom-client global state): two servers
 * in one process, as the tests run them, count separately.
 */
export interface WebhookMetrics {
  readonly registry: Registry;
  readonly admissions: Counter<"endpoint" | "result">;
  readonly imageVerdicts: Counter<"result" | "policy">;
  readonly admissionSeconds: Histogram<"endpoint" | "result">;
  readonly imageSeconds: Histogram<"source">;
  readonly cacheHits: Counter<"cache" | "store">;
  readonly cacheMisses: Counter<"cache" | "store">;
  readonly cacheErrors: Counter<"store" | "operation">;
  readonly singleFlightShared: Counter;
  readonly deadlineExceeded: Counter<"endpoint">;
  readonly inFlight: Gauge;
  readonly tlsReloads: Counter<"result">;
  readonly policyReloads: Counter<"result">;
  readonly policyInfo: Gauge<"version">;
  readonly policyProblems: Gauge;
  /** TLS handshakes that failed, by reason ("timeout": the client never finished it in time). */
  readonly tlsHandshakeFailures: Counter<"reason">;
  /** Shared-store records refused (bad MAC, wrong key, malformed): each one was a miss. */
  readonly cacheRejected: Counter<"store" | "reason">;
  /** Image verifications running now (bounded by maxConcurrentVerifications) and waiting for a slot. */
  readonly verifications: Gauge<"state">;
  /** notAfter of the serving certificate in use (Unix seconds): alert well before it comes. */
  readonly certificateExpiry: Gauge;
}

/** Latency buckets from 0.5 ms (cached decisions) to 10 s (the longest webhook timeout the API server allows is 30 s). */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createWebhookMetrics(options: WebhookMetricsOptions = {}): WebhookMetrics {
  const registry = new Registry();
  const registers = [registry];
  // The standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, ...) that dashboards expect.
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registryRequests = options.registryRequests;
  if (registryRequests !== undefined) {
    new Counter({
      name: "signet_webhook_registry_requests_total",
      help: "HTTP requests sent to registries (manifests, signatures, tokens, retries).",
      registers,
      collect() {
        this.reset();
        this.inc(registryRequests());
      },
    });
  }
  return {
    registry,
    admissions: new Counter({
      name: "signet_webhook_admission_requests_total",
      help: "AdmissionReview requests answered, by endpoint and result.",
      labelNames: ["endpoint", "result"],
      registers,
    }),
    imageVerdicts: new Counter({
      name: "signet_webhook_image_decisions_total",
      help: "Images decided, by result and by policy that decided (\"none\" when no policy matched).",
      labelNames: ["result", "policy"],
      registers,
    }),
    admissionSeconds: new Histogram({
      name: "signet_webhook_admission_duration_seconds",
      help: "Time from an AdmissionReview's last byte to its answer.",
      labelNames: ["endpoint", "result"],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    imageSeconds: new Histogram({
      name: "signet_webhook_image_duration_seconds",
      help: "Time to decide one image, by where the decision came from (cache, shared, evaluated).",
      labelNames: ["source"],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    cacheHits: new Counter({ name: "signet_webhook_cache_hits_total", help: "Cache hits, by cache and store.", labelNames: ["cache", "store"], registers }),
    cacheMisses: new Counter({ name: "signet_webhook_cache_misses_total", help: "Cache misses, by cache and store.", labelNames: ["cache", "store"], registers }),
    cacheErrors: new Counter({
      name: "signet_webhook_cache_errors_total",
      help: "Cache store failures (each one was treated as a miss or a dropped write).",
      labelNames: ["store", "operation"],
      registers,
    }),
    singleFlightShared: new Counter({
      name: "signet_webhook_shared_evaluations_total",
      help: "Image checks that waited for an identical check already running instead of starting their own.",
      registers,
    }),
    deadlineExceeded: new Counter({
      name: "signet_webhook_deadline_exceeded_total",
      help: "Admission requests denied because their images were not verified before the deadline.",
      labelNames: ["endpoint"],
      registers,
    }),
    inFlight: new Gauge({ name: "signet_webhook_in_flight_requests", help: "AdmissionReview requests being answered.", registers }),
    tlsReloads: new Counter({ name: "signet_webhook_tls_reloads_total", help: "Serving certificate reloads, by result.", labelNames: ["result"], registers }),
    policyReloads: new Counter({ name: "signet_webhook_policy_reloads_total", help: "Policy reloads, by result.", labelNames: ["result"], registers }),
    policyInfo: new Gauge({ name: "signet_webhook_policy_info", help: "The version (hash) of the policy set in force: 1 for the current one.", labelNames: ["version"], registers }),
    certificateExpiry: new Gauge({
      name: "signet_webhook_serving_certificate_expiry_timestamp_seconds",
      help: "When the serving certificate in use expires (Unix time); renewed by certRotation or cert-manager well before.",
      registers,
    }),
    policyProblems: new Gauge({
      name: "signet_webhook_policy_problems",
      help: "Authorities of the policies in force whose keys could not be loaded (each fails closed until a reload succeeds).",
      registers,
    }),
    tlsHandshakeFailures: new Counter({
      name: "signet_webhook_tls_handshake_failures_total",
      help: "TLS handshakes that failed, by reason (timeout: not finished within tlsHandshakeTimeout; the connection was closed).",
      labelNames: ["reason"],
      registers,
    }),
    cacheRejected: new Counter({
      name: "signet_webhook_cache_rejected_total",
      help: "Records of a shared cache store refused (bad_mac: not written with this webhook's key, or altered; invalid: malformed); each was a miss.",
      labelNames: ["store", "reason"],
      registers,
    }),
    verifications: new Gauge({
      name: "signet_webhook_verifications",
      help: "Image verifications running (state=running, at most maxConcurrentVerifications) and waiting for a slot (state=waiting).",
      labelNames: ["state"],
      registers,
    }),
  };
}
