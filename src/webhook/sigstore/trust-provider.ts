/**
 * The trust material keyless authorities are verified against. The base root (a `--trusted-root` file, else
 * the public-good root: through TUF with its on-disk cache, or offline from that cache or the embedded copy)
 * is loaded once per provider, in the background, and retried while it fails. Until it loads, keyless
 * authorities fail closed (TRUST_ROOT_UNAVAILABLE) and `notReadyReason` says why.
 *
 * An authority's `ca-cert` replaces the base root's Fulcio CAs; the Rekor and CT logs still come from the base
 * root (as policy-controller takes them from TUF). `trustRootRef` names a TrustRoot resource, which signet does
 * not read: such an authority fails closed with the reason.
 */
import { createHash } from "node:crypto";
import { SignetError, toSignetError } from "../../errors/index.js";
import { trustMaterialFromKeys, type LoadTrustedRootOptions, type TrustMaterial } from "../../trust/index.js";
import type { KeylessTrust } from "../policy/types.js";

export interface KeylessTrustProviderOptions {
  /** A trusted_root.json instead of the public-good root. */
  readonly trustedRootPath?: string;
  /** Never touch the network: the TUF cache's verified copy, else the embedded public-good root. */
  readonly offline?: boolean;
  readonly tufCacheDir?: string;
  /** How the base root is loaded; tests pass trust material directly. Default: `loadTrustedRoot`. */
  readonly load?: (options: LoadTrustedRootOptions) => Promise<TrustMaterial>;
  /** Wait this long before loading again after a failure (default 30 s). */
  readonly retryMs?: number;
  /** Told once per failed load (for the log). */
  readonly onLoadError?: (error: SignetError) => void;
}

export interface KeylessTrustProvider {
  /** Starts loading the base root (idempotent); resolves when it is loaded or has failed. */
  start(): Promise<void>;
  /** Undefined once the base root is loaded; otherwise why keyless authorities cannot be verified. */
  notReadyReason(): string | undefined;
  /** Identifies the base root in force ("pending" before it loads): verdicts are cached per version. */
  version(): string;
  /** The trust material for one keyless authority; throws a SignetError when it cannot be had. */
  trustFor(trust: KeylessTrust): Promise<TrustMaterial>;
  /** Stops the retry timer. */
  close(): void;
}

const DEFAULT_RETRY_MS = 30_000;

export function createKeylessTrustProvider(options: KeylessTrustProviderOptions = {}): KeylessTrustProvider {
  const loadOptions: LoadTrustedRootOptions = {
    ...(options.trustedRootPath !== undefined ? { trustedRootPath: options.trustedRootPath } : {}),
    ...(options.offline === true ? { offline: true } : {}),
    ...(options.tufCacheDir !== undefined ? { tufCacheDir: options.tufCacheDir } : {}),
  };
  const retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  let base: TrustMaterial | undefined;
  let baseVersion = "pending";
  let failure: SignetError | undefined;
  let loading: Promise<void> | undefined;
  let lastAttempt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;
  // Derived per CA certificate PEM (one entry per distinct `ca-cert` in the policies), rebuilt with the base.
  const withCa = new Map<string, TrustMaterial>();

  const load = async (): Promise<void> => {
    lastAttempt = Date.now();
    try {
      const loader = options.load ?? (await import("../../trust/index.js")).loadTrustedRoot;
      const material = await loader(loadOptions);
      base = material;
      baseVersion = versionOf(material);
      failure = undefined;
      withCa.clear();
    } catch (error) {
      failure = toSignetError(error);
      options.onLoadError?.(failure);
      if (!closed && retryTimer === undefined) {
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          void start();
        }, retryMs);
        retryTimer.unref();
      }
    }
  };
  const start = (): Promise<void> => {
    if (base !== undefined) return Promise.resolve();
    loading ??= load().finally(() => {
      loading = undefined;
    });
    return loading;
  };

  const baseTrust = async (): Promise<TrustMaterial> => {
    if (base === undefined && (failure === undefined || Date.now() - lastAttempt >= retryMs)) await start();
    if (base !== undefined) return base;
    const reason = failure?.message ?? "the trust root is still loading";
    throw new SignetError("TRUST_ROOT_UNAVAILABLE", `keyless verification has no trust root: ${reason}`, { ...(failure !== undefined ? { cause: failure } : {}) });
  };

  return {
    start,
    notReadyReason() {
      if (base !== undefined) return undefined;
      return failure === undefined ? "the sigstore trust root is loading" : `the sigstore trust root could not be loaded: ${failure.message}`;
    },
    version: () => baseVersion,
    async trustFor(trust) {
      if (trust.trustRootRef !== undefined && trust.trustRootRef !== "") {
        throw new SignetError("POLICY_UNSUPPORTED", `trustRootRef ${JSON.stringify(trust.trustRootRef)}: TrustRoot resources are not read by signet`, {
          hint: "Give the webhook the private instance's trusted_root.json with --trusted-root, and drop trustRootRef from the policy; or give the CA as ca-cert.",
        });
      }
      if (trust.ctlog?.trustRootRef !== undefined && trust.ctlog.trustRootRef !== "") throw unsupported("ctlog.trustRootRef");
      if (trust.rfc3161timestamp !== undefined) throw unsupported("rfc3161timestamp (RFC 3161 timestamps for keyless authorities)");
      const root = await baseTrust();
      let material = root;
      if (trust.caCertPem !== undefined) {
        material = withCa.get(trust.caCertPem) ?? withCertificateAuthority(root, trust.caCertPem);
        withCa.set(trust.caCertPem, material);
      }
      // With no CT log in the material the verifier does not ask for SCTs.
      return trust.insecureIgnoreSCT ? { ...material, ctlogs: [] } : material;
    },
    close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      retryTimer = undefined;
    },
  };
}

function withCertificateAuthority(root: TrustMaterial, caCertPem: string): TrustMaterial {
  const ca = trustMaterialFromKeys({ fulcioCaPem: caCertPem, description: "the policy's ca-cert" });
  return { ...root, description: `the policy's ca-cert with the logs of ${root.description}`, certificateAuthorities: ca.certificateAuthorities };
}

function unsupported(what: string): SignetError {
  return new SignetError("POLICY_UNSUPPORTED", `${what} is not supported for keyless authorities`, { hint: "Remove it from the authority, or use a key authority." });
}

/** A short hash over what the material trusts: its CAs, logs and TSAs (not object identity). */
function versionOf(material: TrustMaterial): string {
  const hash = createHash("sha256");
  hash.update(material.description);
  for (const authority of [...material.certificateAuthorities, ...material.timestampAuthorities]) {
    hash.update(`|ca:${authority.name}:${authority.validFor.start.getTime()}-${authority.validFor.end.getTime()}`);
    for (const certificate of authority.certChain) hash.update(certificate.der);
  }
  for (const log of [...material.tlogs, ...material.ctlogs]) hash.update(`|log:${log.baseURL}:${log.logID.toString("hex")}:${log.validFor.start.getTime()}-${log.validFor.end.getTime()}`);
  return `sigstore:${hash.digest("hex").slice(0, 16)}`;
}
