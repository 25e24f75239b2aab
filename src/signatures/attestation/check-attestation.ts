/**
 * What makes a verified DSSE payload an acceptable attestation for an image (pure): an in-toto payload type,
 * a well-formed statement, the required predicate type, and a subject naming the image digest.
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { IN_TOTO_PAYLOAD_TYPE } from "./dsse.js";
import { checkStatementSubject, parseInTotoStatement, type InTotoStatement, type StatementSubject } from "./in-toto-statement.js";

export interface AttestationRequirement {
  readonly imageDigest: Digest;
  /** The predicate type URI required; undefined accepts any. */
  readonly predicateType?: string;
}

export interface CheckedStatement {
  readonly statement: InTotoStatement;
  /** The exact signed statement bytes. */
  readonly statementBytes: Buffer;
  /** The subject entry that names the image. */
  readonly subject: StatementSubject;
}

/**
 * Checks a payload whose signature verified. Throws ATTESTATION_INVALID (not in-toto), ATTESTATION_TYPE_MISMATCH
 * (another predicate type) or ATTESTATION_SUBJECT_MISMATCH (another image).
 */
export function checkAttestationPayload(payloadType: string, payload: Uint8Array, requirement: AttestationRequirement): CheckedStatement {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SignetError("ATTESTATION_INVALID", `the envelope's payload type is ${JSON.stringify(payloadType.slice(0, 100))}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  const statement = parseInTotoStatement(payload);
  if (requirement.predicateType !== undefined && statement.predicateType !== requirement.predicateType) {
    throw new SignetError("ATTESTATION_TYPE_MISMATCH", `the statement's predicate type is ${JSON.stringify(statement.predicateType.slice(0, 200))}, not ${JSON.stringify(requirement.predicateType)}`, {
      details: { predicateType: statement.predicateType.slice(0, 200), required: requirement.predicateType },
    });
  }
  const subject = checkStatementSubject(statement, requirement.imageDigest);
  return { statement, statementBytes: Buffer.from(payload), subject };
}

/**
 * Refuses, before any cryptography, a bundle that cannot hold an attestation: no DSSE envelope, or an envelope
 * whose (untrusted) payload type is not in-toto. Only ever rejects, so reading untrusted fields is safe here.
 */
export function precheckAttestationBundle(untrustedBundle: unknown): void {
  const envelope = (untrustedBundle as { dsseEnvelope?: { payloadType?: unknown } } | null)?.dsseEnvelope;
  if (envelope === undefined || envelope === null || typeof envelope !== "object") {
    throw new SignetError("ATTESTATION_INVALID", "the bundle holds no DSSE envelope, so no attestation");
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SignetError("ATTESTATION_INVALID", `the bundle's envelope has payload type ${JSON.stringify(String(envelope.payloadType).slice(0, 100))}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
}
