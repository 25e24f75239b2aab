/**
 * signetThreshold (signet's extension of policy.json): `threshold` distinct signers of the list, and every
 * `required` one, must have signed the image. Each signer's trust is loaded by its own requirement type's loader
 * (sigstoreSigned: keys or Fulcio + Rekor; signedBy: a GPG keyring), and the counting is the one verifier's
 * (signatures/verifier/signers.ts): distinct keys and identities, never the same signature twice.
 *
 * The records are every store a signer could use: cosign `.sig` attachments for sigstore signers, the lookaside
 * store and swr-cosign `.asc` objects for GPG signers. Each is read only when some signer needs it.
 */
import { SignetError } from "../../errors/index.js";
import { appendAll } from "../../internal/arrays.js";
import { parseSignatureBlob } from "../../signatures/simplesigning/signature-blob.js";
import { describeFoundSigners, explainSigners, verifySigners, type NamedSigner, type SignersRule, type UntrustedSignatureRecord } from "../../signatures/verifier/index.js";
import type { SignetThresholdConfig, ThresholdSignerConfig } from "../config/index.js";
import type { RequirementOutcome, SignatureVerdict } from "../decision.js";
import type { RequirementContext } from "../evaluation-context.js";
import { matchSignedIdentity } from "../identity/index.js";
import type { KeyLoader } from "../key-material.js";
import { fetchDigestAndSignatures, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
import { describeGpgSigner, loadKeyring } from "./signed-by.js";
import { describeKeySource } from "./signature-outcomes.js";
import { loadNotationSigner } from "./notation-signed.js";
import { loadSigstoreSigner } from "./sigstore-signed.js";

/** A signer, loaded once; its requirement is built per image (a Notation signer's scope is the image's repository). */
type LoadedThresholdSigner =
  | { readonly ok: true; readonly kind: NamedSigner["requirement"]["kind"]; readonly signerFor: (context: RequirementContext) => NamedSigner | RequirementOutcome }
  | { readonly ok: false; readonly name: string; readonly outcome: RequirementOutcome };

/** Loads a signer's trust by its requirement type: a new signer type is one case here (and one parser entry). */
async function loadSigner(config: ThresholdSignerConfig, loader: KeyLoader): Promise<LoadedThresholdSigner> {
  const requirement = config.requirement;
  const constant = (signer: NamedSigner): LoadedThresholdSigner => ({ ok: true, kind: signer.requirement.kind, signerFor: () => signer });
  switch (requirement.type) {
    case "sigstoreSigned": {
      const loaded = await loadSigstoreSigner(requirement, loader);
      if (!loaded.ok) return { ok: false, name: config.name, outcome: loaded.outcome };
      const description = requirement.keys !== undefined ? describeKeySource(requirement.keys) : requirement.fulcio !== undefined ? `fulcio ${requirement.fulcio.subjectEmail}` : "pki";
      return constant({ name: config.name, requirement: loaded.requirement, description });
    }
    case "signedBy": {
      if (requirement.keyType !== "GPGKeys") {
        return {
          ok: false,
          name: config.name,
          outcome: { allowed: false, reason: `keyType ${JSON.stringify(requirement.keyType)} is not implemented`, hint: 'Use "keyType": "GPGKeys".', code: "POLICY_UNSUPPORTED", signatures: [] },
        };
      }
      const keyring = await loadKeyring(requirement.keys, loader);
      if (!keyring.ok) return { ok: false, name: config.name, outcome: keyFailureOutcome(keyring.failure) };
      return constant({ name: config.name, requirement: { kind: "gpg", keyring: keyring.keys[0]!.key }, description: `GPG ${describeKeySource(requirement.keys)}` });
    }
    case "notationSigned": {
      const loaded = await loadNotationSigner(requirement, loader);
      if (!loaded.ok) return { ok: false, name: config.name, outcome: keyFailureOutcome(loaded.failure) };
      const description = `Notation, trust policy ${describeKeySource(requirement.trustPolicy)}`;
      return {
        ok: true,
        kind: "notation",
        signerFor: (context) => {
          const built = loaded.requirementFor(context);
          return "kind" in built ? { name: config.name, requirement: built, description } : built;
        },
      };
    }
  }
}

export async function compileSignetThreshold(config: SignetThresholdConfig, loader: KeyLoader): Promise<CompiledRequirement> {
  const required = config.required.length === 0 ? "" : `, required ${config.required.join(", ")}`;
  const summary = `signetThreshold ${config.threshold} of ${config.signers.map((signer) => signer.name).join(", ")}${required}, signedIdentity ${config.signedIdentity.type}`;
  const loaded = await Promise.all(config.signers.map((signer) => loadSigner(signer, loader)));
  // A signer whose keys cannot be loaded fails the whole rule closed (a rule must not quietly lose a signer).
  const broken = loaded.find((entry): entry is Extract<LoadedThresholdSigner, { ok: false }> => !entry.ok);
  if (broken !== undefined) {
    const outcome = { ...broken.outcome, reason: `signer ${JSON.stringify(broken.name)}: ${broken.outcome.reason}` };
    return { config, summary, evaluate: () => Promise.resolve(outcome) };
  }
  const signers = loaded as Extract<LoadedThresholdSigner, { ok: true }>[];
  const needs = {
    sigstore: signers.some((signer) => signer.kind === "key" || signer.kind === "identity"),
    gpg: signers.some((signer) => signer.kind === "gpg"),
    notation: signers.some((signer) => signer.kind === "notation"),
  };
  return {
    config,
    summary,
    async evaluate(context) {
      const named: NamedSigner[] = [];
      for (const [index, signer] of signers.entries()) {
        const built = signer.signerFor(context);
        if (!("requirement" in built)) return { ...built, reason: `signer ${JSON.stringify(config.signers[index]!.name)}: ${built.reason}` };
        named.push(built);
      }
      const rule: SignersRule = { signers: named, threshold: config.threshold, required: config.required };
      const fetched = await fetchDigestAndSignatures(context, () => readRecords(context, needs), "signatures");
      if ("failure" in fetched) return fetched.failure;
      const { imageDigest, signatures: found } = fetched;
      const verification = await verifySigners(found.records, rule, {
        imageDigest,
        repository: context.imageName,
        signedIdentity: (untrustedSignedReference) => matchSignedIdentity(config.signedIdentity, context.dockerReference, untrustedSignedReference),
        now: context.now,
      });
      const signatures: SignatureVerdict[] = [
        ...found.unreadable,
        ...verification.found.map((signer) => ({
          source: signer.signature.source,
          allowed: true,
          reason: `signer ${JSON.stringify(signer.name)}: signed by ${signer.identity}`,
          signer: signer.signature.signer.kind === "gpg" ? describeGpgSigner(signer.signature.signer) : signer.identity,
          signedReference: signer.signature.payload.critical.identity["docker-reference"],
          signedDigest: signer.signature.payload.critical.image["docker-manifest-digest"],
        })),
        ...verification.missing.map((signer) => ({
          source: `signer ${signer.name}`,
          allowed: false,
          reason: `signer ${JSON.stringify(signer.name)}${signer.required ? " (required)" : ""} is missing: ${signer.reason}`,
          code: signer.code,
          ...(signer.hint === undefined ? {} : { hint: signer.hint }),
        })),
      ];
      if (verification.satisfied) return { allowed: true, reason: describeFoundSigners(verification), signatures };
      const explanation = explainSigners(imageDigest, verification, found.searched);
      return { allowed: false, reason: explanation.message, hint: explanation.hint, code: explanation.code, signatures };
    },
  };
}

interface FoundRecords {
  readonly records: UntrustedSignatureRecord[];
  readonly searched: string[];
  /** Lookaside files that are not signatures: shown, never counted. */
  readonly unreadable: SignatureVerdict[];
}

async function readRecords(context: RequirementContext, needs: { sigstore: boolean; gpg: boolean; notation: boolean }): Promise<FoundRecords> {
  const found: FoundRecords = { records: [], searched: [], unreadable: [] };
  if (needs.notation) {
    const set = await context.notationSignatures();
    appendAll(found.searched, set.searched);
    appendAll(found.records, set.records);
  }
  if (needs.sigstore) {
    const set = await context.cosignSignatures();
    appendAll(found.searched, set.searched);
    if (set.notReadBecause !== undefined) found.searched.push(`no sigstore attachments: ${set.notReadBecause}`);
    for (const attachment of set.signatures) found.records.push({ format: "cosign-legacy", source: attachment.source, layer: attachment.signature });
  }
  if (needs.gpg) {
    const [lookaside, swrAsc] = await Promise.all([context.gpgSignatures(), context.swrAscSignatures()]);
    appendAll(found.searched, lookaside.searched);
    appendAll(found.searched, swrAsc.searched);
    for (const signature of lookaside.signatures) {
      try {
        const blob = parseSignatureBlob(signature.untrustedBytes);
        if (blob.format === "simple-signing") found.records.push({ format: "simple-signing", source: signature.source, untrustedSignature: blob.untrustedSignature });
      } catch (error) {
        if (!SignetError.is(error)) throw error;
        found.unreadable.push({ source: signature.source, allowed: false, reason: error.message, code: error.code, hint: error.hint });
      }
    }
    for (const object of swrAsc.signatures) found.records.push({ format: "swr-asc", source: object.source, untrustedObject: object.untrustedBytes });
  }
  return found;
}
