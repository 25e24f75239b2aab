/**
 * Writes Notation signature envelopes byte for byte as notation-go does (notation-core-go's conformance
 * vectors check the protected headers): JWS with the protected header's keys sorted as Go marshals a map, COSE
 * with length-first deterministic map keys and tag 1 times. The signer is an interface so keys held elsewhere
 * (KMS, PKCS#11) can sign too.
 */
import { constants, sign as signData, type KeyObject } from "node:crypto";
import { encode, Tag } from "cbor2";
import { sortLengthFirstDeterministic } from "cbor2/sorts";
import { SignetError } from "../../errors/index.js";
import { goJsonStringify, sortedRecord } from "../../internal/go-json.js";
import { HEADER, NOTATION_PAYLOAD_CONTENT_TYPE, type NotationAlgorithm, type SigningScheme } from "./media-types.js";
import type { SubjectDescriptor } from "./verify-notation.js";

export interface NotationSigner {
  readonly algorithm: NotationAlgorithm;
  /** DER certificates, the signing certificate first, ending at the root. */
  readonly certificateChain: readonly Buffer[];
  /** Signs the envelope's signing input: r‖s for ECDSA, RSASSA-PSS for RSA. */
  sign(data: Buffer): Promise<Buffer>;
}

export interface NotationSignRequest {
  readonly format: "jws" | "cose";
  readonly subject: SubjectDescriptor;
  /** `--user-metadata`: annotations of the signed target descriptor. */
  readonly userMetadata?: Readonly<Record<string, string>>;
  readonly signingScheme?: SigningScheme;
  readonly signingTime?: Date;
  readonly expiry?: Date;
  readonly signingAgent?: string;
  /** Extra signed attributes; `critical` ones are listed in `crit`. */
  readonly extendedAttributes?: readonly { readonly key: string; readonly value: string; readonly critical: boolean }[];
  /** An RFC 3161 countersignature over the signature value (requested from a TSA after signing). */
  readonly timestamp?: (signature: Buffer) => Promise<Buffer>;
}

const COSE_ALGORITHM_IDS: Record<NotationAlgorithm, number> = { PS256: -37, PS384: -38, PS512: -39, ES256: -7, ES384: -35, ES512: -36 };
const HASHES: Record<NotationAlgorithm, string> = { PS256: "sha256", PS384: "sha384", PS512: "sha512", ES256: "sha256", ES384: "sha384", ES512: "sha512" };
const SALT: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
export const DEFAULT_SIGNING_AGENT = "signet";

/** The algorithm the specification pairs with a key: ES256/384/512 by curve, PS256/384/512 by RSA size. */
export function notationAlgorithmFor(key: KeyObject): NotationAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec") {
    const algorithm = ({ prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" } as const)[details.namedCurve as string];
    if (algorithm !== undefined) return algorithm;
  }
  if (key.asymmetricKeyType === "rsa") {
    const algorithm = ({ 2048: "PS256", 3072: "PS384", 4096: "PS512" } as const)[details.modulusLength as number];
    if (algorithm !== undefined) return algorithm;
  }
  throw new SignetError("KEY_UNSUPPORTED", "Notation signs with ECDSA P-256/P-384/P-521 or RSA 2048/3072/4096 keys", { details: { type: key.asymmetricKeyType } });
}

/** A signer for a private key held in this process. */
export function localNotationSigner(privateKey: KeyObject, certificateChain: readonly Buffer[]): NotationSigner {
  const algorithm = notationAlgorithmFor(privateKey);
  const hash = HASHES[algorithm];
  return {
    algorithm,
    certificateChain,
    sign: (data) =>
      Promise.resolve(
        algorithm.startsWith("ES")
          ? signData(hash, data, { key: privateKey, dsaEncoding: "ieee-p1363" })
          : signData(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT[hash]! }),
      ),
  };
}

/** Go's json.Marshal of time.Time truncated to seconds, in UTC: "2022-08-29T13:50:00Z". */
function rfc3339(time: Date): string {
  return new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** `{"targetArtifact": descriptor}` with keys sorted, as notation marshals its payload. */
export function notationPayload(subject: SubjectDescriptor, userMetadata?: Readonly<Record<string, string>>): Buffer {
  const descriptor: Record<string, unknown> = { digest: subject.digest, mediaType: subject.mediaType, size: subject.size };
  if (userMetadata !== undefined && Object.keys(userMetadata).length > 0) descriptor["annotations"] = sortedRecord({ ...userMetadata });
  return Buffer.from(goJsonStringify({ targetArtifact: sortedRecord(descriptor) }));
}

function criticalList(scheme: SigningScheme, request: Omit<NotationSignRequest, "subject">, expiryFirst: boolean): string[] {
  const extended = (request.extendedAttributes ?? []).filter((attribute) => attribute.critical).map((attribute) => attribute.key);
  const head = [HEADER.signingScheme, ...(scheme === "notary.x509.signingAuthority" ? [HEADER.authenticSigningTime] : [])];
  const expiry = request.expiry === undefined ? [] : [HEADER.expiry];
  return expiryFirst ? [...head, ...expiry, ...extended] : [...head, ...extended, ...expiry];
}

function checkAttributes(request: Omit<NotationSignRequest, "subject">): void {
  for (const attribute of request.extendedAttributes ?? []) {
    if (attribute.key.startsWith("io.cncf.notary.") || ["alg", "cty", "crit"].includes(attribute.key)) {
      throw new SignetError("USAGE", `the extended attribute "${attribute.key}" would overwrite a header the specification defines`);
    }
  }
}

/** Signs an image manifest (or any artifact) descriptor. */
export function signNotation(signer: NotationSigner, request: NotationSignRequest): Promise<{ envelope: Buffer; mediaType: string }> {
  return signNotationPayload(signer, notationPayload(request.subject, request.userMetadata), request);
}

/** Signs payload bytes as given (the conformance vectors sign arbitrary payloads). */
export async function signNotationPayload(signer: NotationSigner, payload: Buffer, request: Omit<NotationSignRequest, "subject" | "userMetadata">): Promise<{ envelope: Buffer; mediaType: string }> {
  checkAttributes(request);
  const scheme = request.signingScheme ?? "notary.x509";
  const signingTime = request.signingTime ?? new Date();
  const timeHeader = scheme === "notary.x509" ? HEADER.signingTime : HEADER.authenticSigningTime;
  const agent = request.signingAgent ?? DEFAULT_SIGNING_AGENT;
  if (request.format === "jws") {
    const header: Record<string, unknown> = {
      alg: signer.algorithm,
      crit: criticalList(scheme, request, false),
      cty: NOTATION_PAYLOAD_CONTENT_TYPE,
      [HEADER.signingScheme]: scheme,
      [timeHeader]: rfc3339(signingTime),
    };
    if (request.expiry !== undefined) header[HEADER.expiry] = rfc3339(request.expiry);
    for (const attribute of request.extendedAttributes ?? []) header[attribute.key] = attribute.value;
    const protectedText = Buffer.from(goJsonStringify(sortedRecord(header))).toString("base64url");
    const payloadText = payload.toString("base64url");
    const signature = await signer.sign(Buffer.from(`${protectedText}.${payloadText}`, "ascii"));
    // notation-core-go's unprotected header struct order: timestampSignature, x5c, signingAgent.
    const unprotected: Record<string, unknown> = {};
    if (request.timestamp !== undefined) unprotected[HEADER.timestampSignature] = (await request.timestamp(signature)).toString("base64");
    unprotected["x5c"] = signer.certificateChain.map((der) => der.toString("base64"));
    unprotected[HEADER.signingAgent] = agent;
    const envelope = { payload: payloadText, protected: protectedText, header: unprotected, signature: signature.toString("base64url") };
    return { envelope: Buffer.from(goJsonStringify(envelope)), mediaType: "application/jose+json" };
  }
  const header = new Map<number | string, unknown>([
    [1, COSE_ALGORITHM_IDS[signer.algorithm]],
    [2, criticalList(scheme, request, true)],
    [3, NOTATION_PAYLOAD_CONTENT_TYPE],
    [HEADER.signingScheme, scheme],
    [timeHeader, new Tag(1, Math.floor(signingTime.getTime() / 1000))],
  ]);
  if (request.expiry !== undefined) header.set(HEADER.expiry, new Tag(1, Math.floor(request.expiry.getTime() / 1000)));
  for (const attribute of request.extendedAttributes ?? []) header.set(attribute.key, attribute.value);
  const protectedBytes = encode(header, { sortKeys: sortLengthFirstDeterministic });
  const payloadBytes = new Uint8Array(payload);
  const signature = await signer.sign(Buffer.from(encode(["Signature1", protectedBytes, new Uint8Array(0), payloadBytes])));
  const unprotected = new Map<number | string, unknown>([
    [33, signer.certificateChain.map((der) => new Uint8Array(der))],
    [HEADER.signingAgent, agent],
  ]);
  if (request.timestamp !== undefined) unprotected.set(HEADER.timestampSignature, new Uint8Array(await request.timestamp(signature)));
  const message = new Tag(18, [protectedBytes, unprotected, payloadBytes, new Uint8Array(signature)]);
  return { envelope: Buffer.from(encode(message, { sortKeys: sortLengthFirstDeterministic })), mediaType: "application/cose" };
}
