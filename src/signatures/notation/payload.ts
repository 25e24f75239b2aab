/** The signed payload of a Notation signature: `{"targetArtifact": <OCI descriptor>}`. */
import { parseSignedJson } from "../../internal/json-reader.js";
import { isRecord } from "../../internal/strict-json.js";
import { envelopeInvalid } from "./envelope.js";

export interface TargetArtifact {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations: Readonly<Record<string, string>>;
}

export function parseNotationPayload(bytes: Uint8Array): TargetArtifact {
  // The one reader of signed JSON: duplicate keys, a BOM or trailing bytes are refused.
  const document = parseSignedJson(bytes, "the signed payload", "NOTATION_ENVELOPE_INVALID");
  if (!isRecord(document) || !isRecord(document["targetArtifact"])) envelopeInvalid('the signed payload has no "targetArtifact" descriptor');
  const target = document["targetArtifact"];
  const { mediaType, digest, size } = target;
  if (typeof mediaType !== "string" || typeof digest !== "string" || typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    envelopeInvalid("the signed target artifact descriptor needs a mediaType, a digest and a size");
  }
  const annotations = target["annotations"] ?? {};
  if (!isRecord(annotations) || !Object.values(annotations).every((value) => typeof value === "string")) envelopeInvalid("the target artifact's annotations must be strings");
  return { mediaType, digest, size, annotations: annotations as Record<string, string> };
}
