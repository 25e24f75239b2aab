import { SignetError } from "../../errors/index.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import { MANIFEST_MEDIA_TYPES } from "../manifest/media-types.js";

/**
 * The media type of manifest bytes a registry served: the Content-Type when it is a manifest type, else the
 * manifest's own `mediaType`. A Content-Type that contradicts the manifest's `mediaType` is MANIFEST_INVALID
 * (one document must not be read as two kinds); a type signet does not read is MANIFEST_UNSUPPORTED.
 */
export function manifestMediaType(untrustedContentType: string | undefined, untrustedBytes: Buffer): string {
  const headerType = untrustedContentType?.split(";")[0]!.trim().toLowerCase();
  const document = parseJsonBytes(untrustedBytes, "the manifest", "MANIFEST_INVALID");
  if (!isRecord(document)) throw new SignetError("MANIFEST_INVALID", "the manifest is not a JSON object");
  const declared = document.mediaType;
  if (declared !== undefined && typeof declared !== "string") throw new SignetError("MANIFEST_INVALID", "the manifest's mediaType is not a string");
  if (headerType !== undefined && MANIFEST_MEDIA_TYPES.includes(headerType)) {
    if (declared !== undefined && declared !== headerType) {
      throw new SignetError("MANIFEST_INVALID", `the registry served a manifest declaring ${JSON.stringify(declared.slice(0, 100))} as ${headerType}`, {
        details: { contentType: headerType, mediaType: declared.slice(0, 100) },
      });
    }
    return headerType;
  }
  if (declared !== undefined && MANIFEST_MEDIA_TYPES.includes(declared)) return declared;
  const shown = (declared ?? headerType ?? "none").slice(0, 100);
  throw new SignetError("MANIFEST_UNSUPPORTED", `unsupported manifest media type ${JSON.stringify(shown)}`, { details: { mediaType: shown } });
}
