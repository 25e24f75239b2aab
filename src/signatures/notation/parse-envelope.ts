import { COSE_ENVELOPE_MEDIA_TYPE, JWS_ENVELOPE_MEDIA_TYPE } from "./media-types.js";
import { parseCoseEnvelope } from "./cose-envelope.js";
import { envelopeInvalid, type NotationEnvelope } from "./envelope.js";
import { parseJwsEnvelope } from "./jws-envelope.js";

/** Parses an envelope by the media type of the signature manifest's layer. */
export function parseNotationEnvelope(mediaType: string, bytes: Uint8Array): NotationEnvelope {
  if (mediaType === JWS_ENVELOPE_MEDIA_TYPE) return parseJwsEnvelope(bytes);
  if (mediaType === COSE_ENVELOPE_MEDIA_TYPE) return parseCoseEnvelope(bytes);
  return envelopeInvalid(`the signature envelope type "${mediaType}" is not ${JWS_ENVELOPE_MEDIA_TYPE} or ${COSE_ENVELOPE_MEDIA_TYPE}`);
}
