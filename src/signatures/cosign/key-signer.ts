/**
 * The signer check of a key with no transparency log (or with the log waived: cosign's --insecure-ignore-tlog):
 * the signature over the exact bytes must verify with one of the keys. Kept apart from keyless.ts so that a
 * key-only verify loads no certificate, log or bundle code.
 */
import { SignetError } from "../../errors/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { verifyWithKey } from "../../keys/sign-verify.js";
import type { LegacySignedMaterial, SignerProof, SignerRequirement } from "./keyless.js";

export type KeyRequirement = Extract<SignerRequirement, { kind: "key" }>;

/** True when the key alone decides (no log configured, or the log waived). */
export function isKeyOnly(requirement: { readonly kind: string; readonly log?: { readonly required: boolean } }): boolean {
  return requirement.kind === "key" && requirement.log?.required !== true;
}

/** Call when isKeyOnly(requirement). */
export function verifyKeyOnlySigner(requirement: { readonly kind: string }, material: Pick<LegacySignedMaterial, "signedBytes" | "signatureBase64">): SignerProof {
  if (!isKeyOnly(requirement)) throw new SignetError("INTERNAL", "verifyKeyOnlySigner called for a requirement that needs more than a key");
  const keys = requirement as KeyRequirement;
  const signature = decodeBase64Strict(material.signatureBase64);
  if (signature === undefined) throw new SignetError("SIG_INVALID", "the signature is not valid base64");
  const keyIndex = keys.publicKeys.findIndex((key) => verifyWithKey(key, material.signedBytes, signature));
  if (keyIndex === -1) throw new SignetError("SIG_INVALID", "signature does not verify with the given key");
  return { kind: "key", keyIndex, tlog: keys.log === undefined ? "not-configured" : "ignored" };
}
