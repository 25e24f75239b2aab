/**
 * A log entry proves something about a signature only if its body records that signature, that key or
 * certificate, and that digest (security case A.1, CVE-2022-23649 and CVE-2022-36056): inclusion in a log
 * says the log holds the body, nothing about what the body is about.
 */
import { createHash } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { parseEntryBody, type EntryVerifier } from "../../transparency/entry-body.js";
import type { UntrustedTlogEntry } from "../../transparency/tlog-entry.js";
import { Certificate } from "../../trust/x509.js";
import type { UntrustedContent } from "./parse-bundle.js";
import { digestsEqual, type SignedContent } from "./signed-content.js";

/** Which entry kinds may record which content (Rekor v2 logs DSSE as hashedrekord over the PAE, rekor-v2 §6.1.4). */
const ALLOWED_KINDS: Record<UntrustedContent["type"], readonly string[]> = {
  messageSignature: ["hashedrekord/0.0.1", "hashedrekord/0.0.2"],
  dsseEnvelope: ["dsse/0.0.1", "intoto/0.0.2", "hashedrekord/0.0.2"],
};

function mismatch(message: string, details: Record<string, unknown> = {}): never {
  throw new SignetError("TLOG_ENTRY_MISMATCH", message, { details });
}

export function matchEntryBody(entry: UntrustedTlogEntry, content: UntrustedContent, signed: SignedContent, expected: EntryVerifier): void {
  const kind = `${entry.kind}/${entry.version}`;
  if (!ALLOWED_KINDS[content.type].includes(kind)) {
    mismatch(`a ${content.type === "dsseEnvelope" ? "DSSE" : "message signature"} bundle cannot be proven by a ${entry.kind} ${entry.version} log entry`, { kind: entry.kind, version: entry.version });
  }
  const claims = parseEntryBody(entry.canonicalizedBody, entry.kind, entry.version);
  if (claims.signatures.length !== 1) mismatch(`the log entry records ${claims.signatures.length} signatures; exactly one is expected`);
  const recorded = claims.signatures[0]!;
  if (!recorded.signature.equals(signed.signature)) mismatch("the log entry records another signature");
  if (!sameVerifier(recorded.verifier, expected)) mismatch(`the log entry records another ${expected.type === "certificate" ? "certificate" : "public key"} than the one that signed`);
  if (claims.signedDigest !== undefined && !digestsEqual(signed, claims.signedDigest)) {
    mismatch(`the log entry records another ${content.type === "dsseEnvelope" ? "DSSE envelope" : "artifact"} digest`);
  }
  if (claims.payloadDigest !== undefined) {
    if (content.type !== "dsseEnvelope") mismatch("the log entry records a DSSE payload for a message signature");
    const actual = createHash(claims.payloadDigest.algorithm).update(content.payload).digest();
    if (!actual.equals(claims.payloadDigest.value)) mismatch("the log entry records another DSSE payload digest");
  }
}

function sameVerifier(recorded: EntryVerifier, expected: EntryVerifier): boolean {
  if (recorded.type === "certificate" && expected.type === "certificate") return recorded.der.equals(expected.der);
  if (recorded.type === "publicKey" && expected.type === "publicKey") return recorded.spki.equals(expected.spki);
  // A key-signed entry may record a certificate for that key: what matters is that the key is the same.
  if (recorded.type === "certificate" && expected.type === "publicKey") {
    try {
      return Certificate.parse(recorded.der).spki.equals(expected.spki);
    } catch {
      return false;
    }
  }
  return false;
}
