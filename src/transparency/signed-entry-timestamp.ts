/**
 * Rekor v1 Signed Entry Timestamps (inclusion promises): the log's signature over the canonical JSON
 * `{"body","integratedTime","logID","logIndex"}` of an entry.
 */
import type { KeyObject } from "node:crypto";
import { verifyLogSignature } from "../trust/log-signature.js";
import type { UntrustedTlogEntry } from "./tlog-entry.js";

/** The bytes a SET signs: RFC 8785 canonical JSON (keys sorted, integers exact, nothing to escape). */
export function signedEntryTimestampPayload(entry: Pick<UntrustedTlogEntry, "canonicalizedBody" | "integratedTime" | "logID" | "logIndex">): Buffer {
  return Buffer.from(
    `{"body":"${entry.canonicalizedBody.toString("base64")}","integratedTime":${entry.integratedTime.toString()},"logID":"${entry.logID.toString("hex")}","logIndex":${entry.logIndex.toString()}}`,
    "utf8",
  );
}

export function isSignedEntryTimestampValid(entry: UntrustedTlogEntry, publicKey: KeyObject): boolean {
  if (entry.signedEntryTimestamp === undefined) return false;
  return verifyLogSignature(signedEntryTimestampPayload(entry), publicKey, entry.signedEntryTimestamp);
}
