import type { EvaluateImageDeps } from "../evaluate/index.js";
import { toSignetError } from "../../errors/index.js";
import { loadWebhookConfig } from "../config/load-config.js";
import { createWebhookLogger } from "./logger.js";
import { serveWebhook, type RunningWebhook, type ServeWebhookOptions } from "./serve.js";
import type { WebhookConfig } from "../config/webhook-config.js";
import type { KeylessTrustProvider } from "../sigstore/trust-provider.js";
import type { WebhookLogger } from "./logger.js";
import type { PolicyState } from "./policy-state.js";

export interface RunWebhookOptions {
  readonly configFile: string | undefined;
  /** Flag values under their config names; they override the file. */
  readonly flags: Record<string, unknown>;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * `signet webhook serve`: runs until SIGTERM or SIGINT, then shuts down gracefully and resolves with the exit
 * code. A second signal during shutdown exits at once.
 */
export async function runWebhook(options: RunWebhookOptions): Promise<number> {
  const config = await loadWebhookConfig({ ...(options.configFile !== undefined ? { configFile: options.configFile } : {}), flags: options.flags });
  const logger = await createWebhookLogger({ level: config.logLevel });
  const { evaluateImage } = await import("../evaluate/index.js");
  const sigstore = await createSigstoreDeps(config, options.env, logger);
  let running: RunningWebhook | undefined;
  let trustRequested = false;
  let trustStarted = false;
  const startTrust = async (): Promise<void> => {
    trustRequested = true;
    // Before serveWebhook returns there is no server to reload yet: started right after it.
    if (running === undefined || trustStarted) return;
    trustStarted = true;
    await sigstore.trust.start();
    // Once the root is in, policy versions name it, so verdicts reached without it are never reused.
    if (sigstore.trust.notReadyReason() === undefined) {
      logger.info({ trustVersion: sigstore.trust.version() }, "sigstore trust root loaded");
      void running.reloadPolicies();
    }
  };
  try {
    running = await serveWebhook({
      config,
      evaluateImage,
      logger,
      env: options.env,
      evaluationDeps: { ...sigstore.evaluationDeps, ...(await platformDeps(config)), notationRevocation: notationRevocationChecker() },
      // Unready only while policies in force need keyless trust that is not loaded: an unready replica would
      // turn every admission into "webhook unreachable", including images whose policies need no root.
      notReadyReason: () => (running === undefined || needsKeylessTrust(running.policies) ? sigstore.trust.notReadyReason() : undefined),
      trustVersion: () => sigstore.trust.version(),
      // The trust root is fetched only once a policy in force needs it: key-only policies never touch TUF.
      onPolicies: (state) => {
        if (needsKeylessTrust(state)) void startTrust();
      },
    });
  } catch (error) {
    sigstore.trust.close();
    const signetError = toSignetError(error);
    logger.fatal({ code: signetError.code, error: signetError.message, details: signetError.details }, "webhook did not start");
    logger.flush();
    throw error;
  }
  const webhook = running;
  if (trustRequested) void startTrust();
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting now");
        logger.flush();
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, "signal received");
      webhook
        .close()
        .then(
          () => 0,
          (error: unknown) => {
            logger.error({ error: toSignetError(error).message }, "shutdown failed");
            return 1;
          },
        )
        .then((code) => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          sigstore.trust.close();
          logger.flush();
          resolve(code);
        });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** The keyless and attestation verifiers, sharing one trust root loaded once per process (in the background). */
async function createSigstoreDeps(config: WebhookConfig, env: NodeJS.ProcessEnv, logger: WebhookLogger): Promise<{ trust: KeylessTrustProvider; evaluationDeps: NonNullable<ServeWebhookOptions["evaluationDeps"]> }> {
  const [{ createKeylessTrustProvider }, { createKeylessVerifier }, { createAttestationVerifier }, { defaultTufCacheDir }] = await Promise.all([
    import("../sigstore/trust-provider.js"),
    import("../sigstore/keyless-verifier.js"),
    import("../sigstore/attestation-verifier.js"),
    import("../../trust/index.js"),
  ]);
  const trust = createKeylessTrustProvider({
    ...(config.trustedRoot !== undefined ? { trustedRootPath: config.trustedRoot } : {}),
    offline: config.offline,
    tufCacheDir: defaultTufCacheDir(env),
    onLoadError: (error) => logger.error({ code: error.code, error: error.message }, "sigstore trust root not loaded; keyless authorities fail closed until it is"),
  });
  return { trust, evaluationDeps: { verifyKeyless: createKeylessVerifier({ trust }), verifyAttestations: createAttestationVerifier({ trust }) } };
}

/** Notation authorities' OCSP/CRL checks (notation's 2 s OCSP timeout); faults end in "unknown", judged by the trust policy. */
function notationRevocationChecker(): NonNullable<EvaluateImageDeps["notationRevocation"]> {
  return async (chain) => (await import("../../signatures/notation/revocation.js")).checkChainRevocation(chain, { ocspTimeoutMs: 2000, crlTimeoutMs: 5000 });
}

function needsKeylessTrust(state: PolicyState): boolean {
  return state.clusterImagePolicies.policies.some((policy) => policy.authorities.some((authority) => authority.type === "keyless"));
}

/** The multi-arch rule, the nodes' platform, and policy.json's registries.d (docs/architecture.md, "Multi-arch images"). */
async function platformDeps(config: WebhookConfig): Promise<Pick<NonNullable<ServeWebhookOptions["evaluationDeps"]>, "multiArch" | "platform" | "policyJsonRegistriesD">> {
  const { parsePlatform } = await import("../../oci/manifest/platform.js");
  const registriesD = config.registriesD === undefined ? undefined : await (await import("../../signatures/registries-d/index.js")).loadRegistriesD(config.registriesD);
  return { multiArch: config.multiArch, platform: parsePlatform(config.platform), ...(registriesD === undefined ? {} : { policyJsonRegistriesD: registriesD }) };
}
