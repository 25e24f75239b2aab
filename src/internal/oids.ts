/**
 * The one table of ASN.1 object identifiers signet reads or writes (X.509, CMS / RFC 3161, Fulcio, X.520), in
 * dotted form as decodeOid (der.ts) returns them.
 */
export const OID = {
  // X.509 extensions (RFC 5280 §4.2) and extended key usages.
  SUBJECT_KEY_ID: "2.5.29.14",
  KEY_USAGE: "2.5.29.15",
  SUBJECT_ALT_NAME: "2.5.29.17",
  BASIC_CONSTRAINTS: "2.5.29.19",
  AUTHORITY_KEY_ID: "2.5.29.35",
  EXT_KEY_USAGE: "2.5.29.37",
  ANY_EXTENDED_KEY_USAGE: "2.5.29.37.0",
  SERVER_AUTH: "1.3.6.1.5.5.7.3.1",
  OCSP_SIGNING: "1.3.6.1.5.5.7.3.9",
  // Revocation (RFC 5280 §4.2.1.13, §5.2, §5.3; RFC 6960).
  CRL_DISTRIBUTION_POINTS: "2.5.29.31",
  FRESHEST_CRL: "2.5.29.46",
  CRL_NUMBER: "2.5.29.20",
  CRL_REASON: "2.5.29.21",
  INVALIDITY_DATE: "2.5.29.24",
  DELTA_CRL_INDICATOR: "2.5.29.27",
  ISSUING_DISTRIBUTION_POINT: "2.5.29.28",
  AUTHORITY_INFO_ACCESS: "1.3.6.1.5.5.7.1.1",
  ACCESS_OCSP: "1.3.6.1.5.5.7.48.1",
  OCSP_BASIC_RESPONSE: "1.3.6.1.5.5.7.48.1.1",
  CODE_SIGNING: "1.3.6.1.5.5.7.3.3",
  TIME_STAMPING: "1.3.6.1.5.5.7.3.8",
  /** Certificate Transparency: the embedded SCT list (RFC 6962 §3.3). */
  SCT_LIST: "1.3.6.1.4.1.11129.2.4.2",
  // X.520 attribute types.
  COMMON_NAME: "2.5.4.3",
  SERIAL_NUMBER: "2.5.4.5",
  COUNTRY: "2.5.4.6",
  LOCALITY: "2.5.4.7",
  STATE: "2.5.4.8",
  STREET: "2.5.4.9",
  ORGANIZATION: "2.5.4.10",
  ORGANIZATIONAL_UNIT: "2.5.4.11",
  POSTAL_CODE: "2.5.4.17",
  // Signature and digest algorithms.
  ECDSA_WITH_SHA256: "1.2.840.10045.4.3.2",
  ECDSA_WITH_SHA384: "1.2.840.10045.4.3.3",
  ECDSA_WITH_SHA512: "1.2.840.10045.4.3.4",
  RSA_ENCRYPTION: "1.2.840.113549.1.1.1",
  SHA256_WITH_RSA: "1.2.840.113549.1.1.11",
  SHA384_WITH_RSA: "1.2.840.113549.1.1.12",
  SHA512_WITH_RSA: "1.2.840.113549.1.1.13",
  ED25519: "1.3.101.112",
  SHA1: "1.3.14.3.2.26",
  SHA256: "2.16.840.1.101.3.4.2.1",
  SHA384: "2.16.840.1.101.3.4.2.2",
  SHA512: "2.16.840.1.101.3.4.2.3",
  // CMS (RFC 5652) and RFC 3161.
  CMS_SIGNED_DATA: "1.2.840.113549.1.7.2",
  CMS_CONTENT_TYPE: "1.2.840.113549.1.9.3",
  CMS_MESSAGE_DIGEST: "1.2.840.113549.1.9.4",
  TST_INFO: "1.2.840.113549.1.9.16.1.4",
} as const;

/** Fulcio's certificate extensions are `FULCIO_ARC` + a number (github.com/sigstore/fulcio docs/oid-info.md). */
export const FULCIO_ARC = "1.3.6.1.4.1.57264.1.";

/** Signature algorithms with their hash; null for Ed25519, which hashes internally. */
export const SIGNATURE_ALGORITHM_HASH: ReadonlyMap<string, string | null> = new Map([
  [OID.ECDSA_WITH_SHA256, "sha256"],
  [OID.ECDSA_WITH_SHA384, "sha384"],
  [OID.ECDSA_WITH_SHA512, "sha512"],
  [OID.SHA256_WITH_RSA, "sha256"],
  [OID.SHA384_WITH_RSA, "sha384"],
  [OID.SHA512_WITH_RSA, "sha512"],
  [OID.ED25519, null],
]);

/** Digest algorithms by OID, named as node:crypto names them. */
export const DIGEST_ALGORITHM: ReadonlyMap<string, string> = new Map([
  [OID.SHA256, "sha256"],
  [OID.SHA384, "sha384"],
  [OID.SHA512, "sha512"],
]);
