/**
 * The identity a Fulcio certificate vouches for: its subject alternative names and the OIDC claims Fulcio
 * copies into extensions (OID arc 1.3.6.1.4.1.57264.1). Never the subject common name (security case A.8).
 */
import { SignetError } from "../../errors/index.js";
import { childrenOf, contentOf, decodeOid, DerError, readRoot, TAG, type DerElement } from "../../internal/der.js";
import { FULCIO_ARC, OID } from "../../internal/oids.js";
import type { Certificate } from "../../trust/x509.js";

export interface FulcioExtensions {
  /** 1.1 (raw string, deprecated) or 1.8 (DER UTF8String): the OIDC issuer. */
  readonly issuer?: string;
  /** 1.2 .. 1.6: the GitHub workflow claims cosign's `--certificate-github-workflow-*` flags check. */
  readonly githubWorkflowTrigger?: string;
  readonly githubWorkflowSha?: string;
  readonly githubWorkflowName?: string;
  readonly githubWorkflowRepository?: string;
  readonly githubWorkflowRef?: string;
  /** 1.9 .. 1.22: the provider-neutral build claims. */
  readonly buildSignerURI?: string;
  readonly buildSignerDigest?: string;
  readonly runnerEnvironment?: string;
  readonly sourceRepositoryURI?: string;
  readonly sourceRepositoryDigest?: string;
  readonly sourceRepositoryRef?: string;
  readonly sourceRepositoryIdentifier?: string;
  readonly sourceRepositoryOwnerURI?: string;
  readonly sourceRepositoryOwnerIdentifier?: string;
  readonly buildConfigURI?: string;
  readonly buildConfigDigest?: string;
  readonly buildTrigger?: string;
  readonly runInvocationURI?: string;
  readonly sourceRepositoryVisibilityAtSigning?: string;
}

export type SubjectAlternativeNameType = "email" | "uri" | "dns" | "ip" | "otherName" | "other";

export interface SubjectAlternativeName {
  readonly type: SubjectAlternativeNameType;
  readonly value: string;
  /** otherName only: its type OID (Fulcio usernames use 1.3.6.1.4.1.57264.1.7). */
  readonly oid?: string;
}

export interface CertificateIdentity {
  readonly subjectAlternativeNames: readonly SubjectAlternativeName[];
  readonly extensions: FulcioExtensions;
}

/** Fulcio extensions whose value is the raw string (deprecated encoding). */
const RAW_EXTENSIONS: Record<string, keyof FulcioExtensions> = {
  "1": "issuer",
  "2": "githubWorkflowTrigger",
  "3": "githubWorkflowSha",
  "4": "githubWorkflowName",
  "5": "githubWorkflowRepository",
  "6": "githubWorkflowRef",
};

/** Fulcio extensions whose value is a DER UTF8String. */
const DER_EXTENSIONS: Record<string, keyof FulcioExtensions> = {
  "8": "issuer",
  "9": "buildSignerURI",
  "10": "buildSignerDigest",
  "11": "runnerEnvironment",
  "12": "sourceRepositoryURI",
  "13": "sourceRepositoryDigest",
  "14": "sourceRepositoryRef",
  "15": "sourceRepositoryIdentifier",
  "16": "sourceRepositoryOwnerURI",
  "17": "sourceRepositoryOwnerIdentifier",
  "18": "buildConfigURI",
  "19": "buildConfigDigest",
  "20": "buildTrigger",
  "21": "runInvocationURI",
  "22": "sourceRepositoryVisibilityAtSigning",
};

function identityError(message: string): never {
  throw new SignetError("CERT_IDENTITY_MISMATCH", message, { hint: "The signing certificate is malformed or ambiguous about who signed; it cannot satisfy an identity policy." });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return identityError(`the certificate's ${what} is not valid UTF-8`);
  }
}

/**
 * Reads the SANs and Fulcio claims. A certificate whose two issuer extensions (1.1 and 1.8) disagree is refused
 * rather than read one way or the other (repeated extensions are refused when the certificate is parsed).
 */
export function certificateIdentityOf(certificate: Certificate): CertificateIdentity {
  const extensions: Partial<Record<keyof FulcioExtensions, string>> = {};
  let subjectAlternativeNames: SubjectAlternativeName[] = [];
  let issuerV1: string | undefined;
  let issuerV2: string | undefined;
  for (const { oid, value } of certificate.extensions) {
    if (oid === OID.SUBJECT_ALT_NAME) {
      subjectAlternativeNames = parseSubjectAlternativeNames(value);
      continue;
    }
    if (!oid.startsWith(FULCIO_ARC)) continue;
    const arc = oid.slice(FULCIO_ARC.length);
    const raw = RAW_EXTENSIONS[arc];
    const der = DER_EXTENSIONS[arc];
    if (raw !== undefined) {
      const text = decodeText(value, `extension ${oid}`);
      if (arc === "1") issuerV1 = text;
      else extensions[raw] = text;
    } else if (der !== undefined) {
      const text = decodeDerString(value, oid);
      if (arc === "8") issuerV2 = text;
      else extensions[der] = text;
    }
  }
  if (issuerV1 !== undefined && issuerV2 !== undefined && issuerV1 !== issuerV2) {
    identityError(`the certificate's two OIDC issuer extensions disagree (${JSON.stringify(issuerV1)} and ${JSON.stringify(issuerV2)})`);
  }
  const issuer = issuerV2 ?? issuerV1;
  if (issuer !== undefined) extensions.issuer = issuer;
  return { subjectAlternativeNames, extensions };
}

function parsed<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof DerError) identityError(`the certificate's ${what} is not DER: ${error.message}`);
    throw error;
  }
}

function decodeDerString(value: Buffer, oid: string): string {
  const node = parsed(`extension ${oid}`, () => readRoot(value));
  // UTF8String, PrintableString, IA5String.
  if (![TAG.UTF8_STRING, TAG.PRINTABLE_STRING, TAG.IA5_STRING].includes(node.tag as 0x0c)) identityError(`the certificate's extension ${oid} is not a string`);
  return decodeText(contentOf(value, node), `extension ${oid}`);
}

function parseSubjectAlternativeNames(value: Buffer): SubjectAlternativeName[] {
  const names = parsed("subject alternative names", () => {
    const root = readRoot(value);
    if (root.tag !== TAG.SEQUENCE) throw new DerError("not a sequence");
    return childrenOf(value, root);
  });
  return names.map((name) => parseGeneralName(value, name));
}

function parseGeneralName(value: Buffer, name: DerElement): SubjectAlternativeName {
  // Context-specific tags: [0] otherName (constructed), [1] rfc822Name, [2] dNSName, [6] URI, [7] iPAddress.
  switch (name.tag) {
    case 0xa0: {
      const [typeId, wrapped] = parsed("otherName", () => childrenOf(value, name));
      if (typeId?.tag !== TAG.OID || wrapped?.tag !== 0xa0) identityError("the certificate has a malformed otherName");
      const inner = parsed("otherName", () => childrenOf(value, wrapped))[0];
      if (inner === undefined) identityError("the certificate has a malformed otherName");
      return { type: "otherName", oid: parsed("otherName", () => decodeOid(contentOf(value, typeId))), value: decodeText(contentOf(value, inner), "otherName") };
    }
    case 0x81:
      return { type: "email", value: decodeText(contentOf(value, name), "email address") };
    case 0x82:
      return { type: "dns", value: decodeText(contentOf(value, name), "DNS name") };
    case 0x86:
      return { type: "uri", value: decodeText(contentOf(value, name), "URI") };
    case 0x87:
      return { type: "ip", value: formatIp(contentOf(value, name)) };
    default:
      return { type: "other", value: "" };
  }
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(":");
}
