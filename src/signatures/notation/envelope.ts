/**
 * A Notation signature envelope, whatever its encoding (JWS JSON serialization or COSE_Sign1), reduced to what
 * verification needs. Everything here is untrusted until `verifyNotationSignature` has checked it: the
 * signature over `signedBytes`, the chain in `certificateChain`, the times.
 */
import { SignetError } from "../../errors/index.js";
import type { NotationAlgorithm, SigningScheme } from "./media-types.js";

export interface NotationEnvelope {
  readonly format: "jws" | "cose";
  readonly algorithm: NotationAlgorithm;
  readonly signingScheme: SigningScheme;
  /** `io.cncf.notary.signingTime` (notary.x509) or `authenticSigningTime` (signingAuthority). */
  readonly signingTime: Date;
  readonly expiry: Date | undefined;
  /** The exact bytes the signature covers (JWS signing input, COSE Sig_structure). */
  readonly signedBytes: Buffer;
  /** The signature value (ECDSA as r‖s, both encodings use it). */
  readonly signature: Buffer;
  /** The decoded payload (the bytes of `{"targetArtifact": descriptor}`). */
  readonly payload: Buffer;
  /** DER certificates, the signing certificate first. */
  readonly certificateChain: readonly Buffer[];
  /** Critical header names beyond the ones the specification defines (a verifier must understand them all). */
  readonly unknownCritical: readonly string[];
  /** Extended signed attributes (critical or not), for `inspect`; `io.cncf.notary.*` excluded. */
  readonly extendedAttributes: Readonly<Record<string, unknown>>;
  readonly signingAgent: string | undefined;
  /** RFC 3161 countersignature over the signature value, when present. */
  readonly timestampSignature: Buffer | undefined;
  readonly verificationPlugin: string | undefined;
}

export function envelopeInvalid(message: string): never {
  throw new SignetError("NOTATION_ENVELOPE_INVALID", message);
}

/** Checks the rules both encodings share once their headers are read. */
export function checkCriticalHeaders(
  critical: readonly string[],
  present: (name: string) => boolean,
  required: readonly string[],
  known: ReadonlySet<string>,
): string[] {
  const seen = new Set<string>();
  for (const name of critical) {
    if (seen.has(name)) envelopeInvalid(`the critical header list names "${name}" twice`);
    seen.add(name);
    if (!present(name)) envelopeInvalid(`the critical header "${name}" is listed but not present in the protected header`);
  }
  for (const name of required) {
    if (present(name) && !seen.has(name)) envelopeInvalid(`the protected header "${name}" must be marked critical`);
  }
  return critical.filter((name) => !known.has(name));
}
