/**
 * Trust material: the authorities a keyless or logged signature is checked against. It comes only from a
 * trusted root (the embedded public-good one, TUF, a private `trusted_root.json`) or from keys the user or a
 * policy names, never from the signature, bundle or log entry being verified (security case D.29).
 *
 * Certificates are parsed once, when the trust material is built; verifications reuse them (and their keys).
 */
import type { KeyObject } from "node:crypto";
import type { Certificate } from "./x509.js";

/** A closed interval of time; both ends are inclusive (trusted_root.json `validFor`). */
export interface ValidityPeriod {
  readonly start: Date;
  /** `END_OF_TIME` when the trusted root gives no end. */
  readonly end: Date;
}

/** A Fulcio CA or an RFC 3161 timestamp authority: the chain from the issuing CA up to its root. */
export interface CertificateAuthority {
  /** For messages: the CA's URI, or its subject. */
  readonly name: string;
  /** Issuing certificate first, root last (trusted_root.json order). */
  readonly certChain: readonly Certificate[];
  readonly validFor: ValidityPeriod;
}

/** A transparency log (Rekor) or certificate transparency log. */
export interface LogAuthority {
  /** The log's base URL (trusted_root.json `baseUrl`), or a description for keys given without one. */
  readonly baseURL: string;
  /** The log id entries and SCTs name: sha256 of the DER public key (Rekor v1, CT), the note key id (Rekor v2). */
  readonly logID: Buffer;
  /** The id whose first 4 bytes hint at the key in checkpoint signatures: `checkpointKeyId`, else `logID`. */
  readonly checkpointKeyID: Buffer;
  readonly publicKey: KeyObject;
  readonly validFor: ValidityPeriod;
}

export interface TrustMaterial {
  /** Where it came from, for messages: "embedded public-good trusted root", "trusted root /etc/x.json", "policy keys". */
  readonly description: string;
  readonly certificateAuthorities: readonly CertificateAuthority[];
  readonly timestampAuthorities: readonly CertificateAuthority[];
  readonly tlogs: readonly LogAuthority[];
  readonly ctlogs: readonly LogAuthority[];
}

export const BEGINNING_OF_TIME = new Date(0);
export const END_OF_TIME = new Date(8_640_000_000_000_000);

/** True when `time` lies inside `period`, both ends included. */
export function isWithinPeriod(period: ValidityPeriod, time: Date): boolean {
  return period.start.getTime() <= time.getTime() && time.getTime() <= period.end.getTime();
}
