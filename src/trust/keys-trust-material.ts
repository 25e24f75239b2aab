/**
 * Trust material from individual keys and CA files, as containers-policy.json `sigstoreSigned` names them
 * (`fulcio.caPath`/`caData`, `rekorPublicKeyPath`/`Data`) and as cosign's `SIGSTORE_*` variables do: no
 * validity windows, logs known by their key (log id = sha256 of the DER public key, as Rekor v1 and CT logs
 * compute it).
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { decodePemBlocks, pemBlockBytes } from "../keys/pem.js";
import { keyIdOf } from "./parse-trusted-root.js";
import { Certificate } from "./x509.js";
import { BEGINNING_OF_TIME, END_OF_TIME, type CertificateAuthority, type LogAuthority, type TrustMaterial } from "./trust-material.js";

type PemInput = string | Uint8Array;

export interface TrustKeysInput {
  /** PEM CA certificates: roots, and intermediates if signatures lack their chain. Each root is an authority. */
  readonly fulcioCaPem?: PemInput;
  /** PEM public keys of Rekor logs. */
  readonly rekorPublicKeyPem?: PemInput | readonly PemInput[];
  /** PEM public keys of CT logs. */
  readonly ctLogPublicKeyPem?: PemInput | readonly PemInput[];
  /** A PEM chain of an RFC 3161 timestamp authority, signing certificate first. */
  readonly tsaCertChainPem?: PemInput;
  /** For messages (default "keys given by the user"). */
  readonly description?: string;
}

const ALWAYS = { start: BEGINNING_OF_TIME, end: END_OF_TIME };

function toText(input: PemInput): string {
  return typeof input === "string" ? input : new TextDecoder().decode(input);
}

function asList(input: PemInput | readonly PemInput[] | undefined): readonly PemInput[] {
  if (input === undefined) return [];
  return typeof input === "string" || input instanceof Uint8Array ? [input] : (input as readonly PemInput[]);
}

function invalid(message: string, cause?: unknown): never {
  throw new SignetError("TRUST_ROOT_INVALID", message, cause === undefined ? {} : { cause });
}

function certificatesOf(input: PemInput, what: string): Certificate[] {
  let blocks;
  try {
    blocks = decodePemBlocks(toText(input)).filter((block) => block.label === "CERTIFICATE");
  } catch (error) {
    return invalid(`the ${what} is not PEM: ${(error as Error).message}`, error);
  }
  if (blocks.length === 0) invalid(`the ${what} holds no PEM CERTIFICATE`);
  return blocks.map((block, index) => {
    try {
      const certificate = Certificate.parse(pemBlockBytes(block));
      void certificate.publicKey; // parsed once, now, rather than on every verification
      return certificate;
    } catch (error) {
      return invalid(`certificate ${index + 1} of the ${what} is not an X.509 certificate: ${(error as Error).message}`, error);
    }
  });
}

function logOf(input: PemInput, what: string, index: number): LogAuthority {
  let publicKey: KeyObject;
  try {
    const blocks = decodePemBlocks(toText(input)).filter((block) => block.label === "PUBLIC KEY");
    if (blocks.length !== 1) invalid(`the ${what} must hold one PEM PUBLIC KEY, not ${blocks.length}`);
    publicKey = createPublicKey({ key: pemBlockBytes(blocks[0]!), format: "der", type: "spki" });
  } catch (error) {
    if (SignetError.is(error) && error.code === "TRUST_ROOT_INVALID") throw error;
    return invalid(`the ${what} is not a PEM public key: ${(error as Error).message}`, error);
  }
  const logID = keyIdOf(publicKey);
  return { baseURL: `${what}${index === 0 ? "" : ` ${index + 1}`}`, logID, checkpointKeyID: logID, publicKey, validFor: ALWAYS };
}

/**
 * Every self-signed certificate in `fulcioCaPem` becomes an authority whose chain also holds the file's other
 * certificates that lead to it; an intermediate on its own (whose root is absent) is an authority by itself,
 * as containers/image trusts what the policy names.
 */
function authoritiesOf(input: PemInput, what: string): CertificateAuthority[] {
  const certificates = certificatesOf(input, what);
  return certificates.map((anchor, index) => {
    const chain = [anchor];
    let current = anchor;
    while (!current.subject.equals(current.issuer)) {
      const issuer = certificates.find((candidate) => !chain.includes(candidate) && candidate.subject.equals(current.issuer));
      if (issuer === undefined) break;
      chain.push(issuer);
      current = issuer;
    }
    return { name: `${what} certificate ${index + 1}`, certChain: chain, validFor: ALWAYS };
  });
}

export function trustMaterialFromKeys(input: TrustKeysInput): TrustMaterial {
  return {
    description: input.description ?? "keys given by the user",
    certificateAuthorities: input.fulcioCaPem === undefined ? [] : authoritiesOf(input.fulcioCaPem, "Fulcio CA file"),
    timestampAuthorities: input.tsaCertChainPem === undefined ? [] : [{ name: "TSA certificate chain", certChain: certificatesOf(input.tsaCertChainPem, "TSA certificate chain"), validFor: ALWAYS }],
    tlogs: asList(input.rekorPublicKeyPem).map((pem, index) => logOf(pem, "Rekor public key", index)),
    ctlogs: asList(input.ctLogPublicKeyPem).map((pem, index) => logOf(pem, "CT log public key", index)),
  };
}

export interface CertificateAuthoritiesInput {
  /** PEM roots: each is a trust anchor (cosign `--ca-roots`). */
  readonly rootsPem?: PemInput;
  /** PEM intermediates that may link a signing certificate to a root (`--ca-intermediates`). */
  readonly intermediatesPem?: PemInput;
  /** Or a PEM chain whose last certificate is the root and the others intermediates (cosign `--certificate-chain`). */
  readonly chainPem?: PemInput;
  /** The logs and timestamp authorities to keep (cosign still takes Rekor and CT log keys from its trust root). */
  readonly logs: Pick<TrustMaterial, "tlogs" | "ctlogs" | "timestampAuthorities">;
  readonly description: string;
}

/**
 * A private PKI as the certificate authorities, as cosign's `--ca-roots`/`--ca-intermediates`/`--certificate-chain`
 * make it: the roots are the anchors; an intermediate is usable only on a path (signatures checked here, once) up
 * to one of them, and one that leads to no root is left out (it vouches for nothing, as in Go's x509 pools).
 * Unlike the Fulcio CA files of `trustMaterialFromKeys`, an intermediate alone is never an anchor.
 */
export function trustMaterialFromCertificateAuthorities(input: CertificateAuthoritiesInput): TrustMaterial {
  if ((input.chainPem === undefined) === (input.rootsPem === undefined)) throw new SignetError("INTERNAL", "give a chain or roots");
  const chain = input.chainPem === undefined ? [] : certificatesOf(input.chainPem, "certificate chain");
  const roots = input.rootsPem === undefined ? chain.slice(-1) : certificatesOf(input.rootsPem, "CA roots");
  const intermediates = input.chainPem !== undefined ? chain.slice(0, -1) : input.intermediatesPem === undefined ? [] : certificatesOf(input.intermediatesPem, "CA intermediates");
  const authorities: CertificateAuthority[] = roots.map((root, index) => ({ name: `CA root ${index + 1}`, certChain: [root], validFor: ALWAYS }));
  for (const [index, intermediate] of intermediates.entries()) {
    const chain = [intermediate];
    let current = intermediate;
    while (!roots.includes(current)) {
      const issuer = [...roots, ...intermediates].find((candidate) => !chain.includes(candidate) && current.isIssuedBy(candidate));
      if (issuer === undefined || chain.length > 8) break;
      chain.push(issuer);
      current = issuer;
    }
    if (roots.includes(current) && chain.length > 1) authorities.push({ name: `CA intermediate ${index + 1}`, certChain: chain, validFor: ALWAYS });
  }
  return { description: input.description, certificateAuthorities: authorities, timestampAuthorities: input.logs.timestampAuthorities, tlogs: input.logs.tlogs, ctlogs: input.logs.ctlogs };
}

