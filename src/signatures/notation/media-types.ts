/** The Notary Project's media types and header names (notaryproject/specifications, signature-specification.md). */
export const NOTATION_SIGNATURE_ARTIFACT_TYPE = "application/vnd.cncf.notary.signature";
export const JWS_ENVELOPE_MEDIA_TYPE = "application/jose+json";
export const COSE_ENVELOPE_MEDIA_TYPE = "application/cose";
export const NOTATION_PAYLOAD_CONTENT_TYPE = "application/vnd.cncf.notary.payload.v1+json";

export const HEADER = {
  signingScheme: "io.cncf.notary.signingScheme",
  signingTime: "io.cncf.notary.signingTime",
  authenticSigningTime: "io.cncf.notary.authenticSigningTime",
  expiry: "io.cncf.notary.expiry",
  signingAgent: "io.cncf.notary.signingAgent",
  timestampSignature: "io.cncf.notary.timestampSignature",
  verificationPlugin: "io.cncf.notary.verificationPlugin",
  verificationPluginMinVersion: "io.cncf.notary.verificationPluginMinVersion",
} as const;

export type SigningScheme = "notary.x509" | "notary.x509.signingAuthority";
export const SIGNING_SCHEMES: readonly SigningScheme[] = ["notary.x509", "notary.x509.signingAuthority"];

/** Signature algorithms of the specification, by their JWS names. */
export type NotationAlgorithm = "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512";

/** COSE algorithm identifiers (RFC 9053 / RFC 8230) for the same algorithms. */
export const COSE_ALGORITHMS: ReadonlyMap<number, NotationAlgorithm> = new Map([
  [-37, "PS256"],
  [-38, "PS384"],
  [-39, "PS512"],
  [-7, "ES256"],
  [-35, "ES384"],
  [-36, "ES512"],
]);
