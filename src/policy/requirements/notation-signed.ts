/**
 * notationSigned (a signet extension of policy.json): the image needs a Notation signature that a Notary Project
 * trust policy accepts (docs/notation.md). The trust policy and the certificates of its trust stores are loaded
 * once, at compile time; evaluation runs the one image verifier (signatures/verifier) with a notation
 * requirement, as `signet notation verify` and the webhook's notation authority do. Signatures are ORed: one
 * accepted signature is enough. A trust policy statement with level `skip` proves nothing and never allows.
 */
import { SignetError } from "../../errors/index.js";
import { parseSignedJson } from "../../internal/json-reader.js";
import { repositoryName } from "../../oci/reference/index.js";
import type { NotationRequirement } from "../../signatures/notation/notation-requirement.js";
import { combinedTrustStores, storeCertificates } from "../../signatures/notation/trust-store-files.js";
import { parseTrustPolicy, type TrustPolicyDocument } from "../../signatures/notation/trust-policy.js";
import type { NotationTrustStores } from "../../signatures/notation/verify-notation.js";
import { verifySignatureRecords, type VerifiedSigner } from "../../signatures/verifier/index.js";
import type { Certificate } from "../../trust/x509.js";
import type { NotationSignedConfig } from "../config/index.js";
import type { RequirementOutcome } from "../decision.js";
import type { RequirementContext } from "../evaluation-context.js";
import type { KeyFailure, KeyLoader } from "../key-material.js";
import { fetchDigestAndSignatures, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
import { describeKeySource, summarizeSignatures, toSignatureVerdicts } from "./signature-outcomes.js";

export async function compileNotationSigned(config: NotationSignedConfig, loader: KeyLoader): Promise<CompiledRequirement> {
  const summary = `notationSigned, trust policy ${describeKeySource(config.trustPolicy)}`;
  const policy = await loadTrustPolicy(config, loader);
  if (!policy.ok) return { config, summary, evaluate: () => Promise.resolve(keyFailureOutcome(policy.failure)) };
  const stores = await loadTrustStores(config, loader);
  if (!stores.ok) return { config, summary, evaluate: () => Promise.resolve(keyFailureOutcome(stores.failure)) };
  const trustPolicy = policy.value;
  const trustStores = stores.value;
  return { config, summary, evaluate: (context) => evaluateNotation(context, config, trustPolicy, trustStores) };
}

type Loaded<T> = { ok: true; value: T } | { ok: false; failure: KeyFailure };

async function loadTrustPolicy(config: NotationSignedConfig, loader: KeyLoader): Promise<Loaded<TrustPolicyDocument>> {
  const loaded = await loader.loadBytes(config.trustPolicy);
  if (!loaded.ok) return loaded;
  try {
    return { ok: true, value: parseTrustPolicy(parseSignedJson(loaded.keys[0]!.bytes, "the Notation trust policy", "NOTATION_POLICY_INVALID")) };
  } catch (error) {
    return unusable(error, describeKeySource(config.trustPolicy), "Fix the trust policy (notation's trustpolicy.json, version 1.0; `signet notation policy show` checks one); until then every image in this scope is rejected.");
  }
}

/** The directory stores and the certificate lists, one view (a store named in both is the union). */
async function loadTrustStores(config: NotationSignedConfig, loader: KeyLoader): Promise<Loaded<NotationTrustStores>> {
  const listed = new Map<string, Certificate[]>();
  for (const { store, certificates } of config.trustStoreCertificates) {
    const loaded = await loader.loadBytes(certificates);
    if (!loaded.ok) return loaded;
    try {
      listed.set(store, [...(listed.get(store) ?? []), ...loaded.keys.flatMap(({ label, bytes }) => storeCertificates(store, bytes, label))]);
    } catch (error) {
      return unusable(error, `trustStoreCertificates ${JSON.stringify(store)}`, "Give the trust store CA certificates (PEM or DER) as notation's trust stores hold them; until then every image in this scope is rejected.");
    }
  }
  return { ok: true, value: combinedTrustStores(config.trustStorePath, listed) };
}

function unusable<T>(error: unknown, where: string, hint: string): Loaded<T> {
  if (!SignetError.is(error)) throw error;
  return { ok: false, failure: { code: error.code, reason: `${where}: ${error.message}`, problem: error.message, hint } };
}

async function evaluateNotation(context: RequirementContext, config: NotationSignedConfig, policy: TrustPolicyDocument, trustStores: NotationTrustStores): Promise<RequirementOutcome> {
  const scope = context.dockerReference !== undefined ? repositoryName(context.dockerReference) : config.scope;
  if (scope === undefined) {
    return {
      allowed: false,
      reason: `${context.imageName} has no registry scope to choose a trust policy statement by`,
      hint: 'Give the notationSigned requirement a "scope" (REGISTRY/REPOSITORY) for images in OCI layouts.',
      code: "POLICY_CONFIG_INVALID",
      signatures: [],
    };
  }
  const fetched = await fetchDigestAndSignatures(context, () => context.notationSignatures(), "Notation signatures");
  if ("failure" in fetched) return fetched.failure;
  const { imageDigest, signatures: set } = fetched;
  const requirement: NotationRequirement = {
    kind: "notation",
    policy,
    scope,
    trustStores,
    now: context.now,
    ...(context.notationRevocation === undefined ? {} : { checkRevocation: context.notationRevocation }),
    ...(Object.keys(config.userMetadata).length > 0 ? { userMetadata: config.userMetadata } : {}),
  };
  const verification = await verifySignatureRecords({
    records: set.records,
    requirement,
    claims: { imageDigest, repository: context.imageName, now: context.now },
    firstAcceptedOnly: true,
  });
  const describe = (signer: VerifiedSigner) => (signer.kind === "notation" ? `"${signer.subject}" (trust policy statement "${signer.statement}")` : signer.kind);
  const { verdicts, ignored } = toSignatureVerdicts(verification, describe);
  return summarizeSignatures({
    verdicts,
    total: set.records.length,
    ignored,
    kind: "Notation",
    searched: set.searched,
    missingHint: `Sign the image with \`signet notation sign\` (or notation sign) with a certificate the trust policy's statement for ${scope} trusts.`,
  });
}
