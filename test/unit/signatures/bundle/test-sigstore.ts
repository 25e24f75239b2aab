/**
 * A sigstore instance in miniature for tests: a Fulcio-like CA, a Rekor-like log (SETs, a Merkle tree and
 * signed checkpoints) and a trusted_root.json naming them. Tests build bundles that are valid, then change one
 * thing (what the entry records, who signed the checkpoint, the log's validity) to show each attack refused.
 */
import { createHash, sign, type KeyObject } from "node:crypto";
import { parseTrustedRoot, type TrustMaterial } from "../../../../src/trust/index.js";
import { createTestCa, mintLeaf, newKey, toPem, type KeyPair, type LeafOptions, type TestCa } from "../../trust/test-pki.js";

export const LOG_URL = "https://rekor.test";
export const SIGNED_AT = new Date("2024-03-01T12:00:00Z");

export interface TestSigstoreOptions {
  /** validFor of the log key in the trusted root (default: from 2020, no end). */
  readonly logValidFor?: { start: string; end?: string };
  /** validFor of the CA in the trusted root (default: from 2020, no end). */
  readonly caValidFor?: { start: string; end?: string };
  readonly caIntermediateNotAfter?: Date;
}

export interface EntryOverrides {
  /** What the entry records instead of the real signature, verifier (PEM) or digest. */
  readonly signature?: Buffer;
  readonly verifierPem?: string;
  readonly digestHex?: string;
}

export interface BundleOptions {
  readonly artifact: Buffer;
  readonly version?: "0.1" | "0.3";
  readonly signedAt?: Date;
  /** The leaf's options (SANs, issuer extensions…); ignored with `keySigned`. */
  readonly leaf?: Partial<LeafOptions>;
  /** Sign with this key instead of a certificate (a public-key-hint bundle). */
  readonly keySigned?: KeyPair;
  /** Use this certificate (DER) in the bundle instead of the one minted for the signing key. */
  readonly certificateOverride?: Buffer;
  /** A DSSE envelope instead of a message signature. */
  readonly dsse?: { readonly payloadType: string; readonly payload: Buffer };
  readonly entry?: EntryOverrides;
  readonly integratedTime?: number;
  readonly logIndex?: number;
  /** Include an inclusion promise (default: true for v0.1, false for v0.3). */
  readonly promise?: boolean;
  /** Include an inclusion proof (default: false for v0.1, true for v0.3). */
  readonly proof?: boolean;
  /** Who signs the SET and the checkpoint (default: the log). */
  readonly logSigner?: KeyPair;
  readonly checkpointRootHash?: Buffer;
  readonly omitTlog?: boolean;
}

export interface BuiltBundle {
  readonly bundle: Record<string, unknown>;
  readonly signingKey: KeyPair;
  readonly certificate?: Buffer;
  readonly signature: Buffer;
  /** The entry as cosign's `dev.sigstore.cosign/bundle` annotation. */
  readonly rekorBundleJson: string;
}

export class TestSigstore {
  readonly ca: TestCa;
  readonly log = newKey();
  readonly logID: Buffer;

  constructor(readonly options: TestSigstoreOptions = {}) {
    this.ca = createTestCa(SIGNED_AT, options.caIntermediateNotAfter === undefined ? {} : { intermediateNotAfter: options.caIntermediateNotAfter });
    this.logID = createHash("sha256").update(spki(this.log.publicKey)).digest();
  }

  trustedRootJson(): Record<string, unknown> {
    return {
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [
        {
          baseUrl: LOG_URL,
          hashAlgorithm: "SHA2_256",
          publicKey: { rawBytes: spki(this.log.publicKey).toString("base64"), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: this.options.logValidFor ?? { start: "2020-01-01T00:00:00Z" } },
          logId: { keyId: this.logID.toString("base64") },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: "test", commonName: "test" },
          uri: "https://fulcio.test",
          certChain: { certificates: [{ rawBytes: this.ca.intermediate.der.toString("base64") }, { rawBytes: this.ca.root.der.toString("base64") }] },
          validFor: this.options.caValidFor ?? { start: "2020-01-01T00:00:00Z" },
        },
      ],
      ctlogs: [],
      timestampAuthorities: [],
    };
  }

  trust(): TrustMaterial {
    return parseTrustedRoot(JSON.stringify(this.trustedRootJson()), "test trusted root");
  }

  rootPem(): string {
    return toPem("CERTIFICATE", this.ca.root.der);
  }

  intermediatePem(): string {
    return toPem("CERTIFICATE", this.ca.intermediate.der);
  }

  logPublicKeyPem(): string {
    return this.log.publicKey.export({ format: "pem", type: "spki" }).toString();
  }

  /** A certificate for `key`, as Fulcio would issue it at `signedAt`. */
  leafFor(key: KeyObject, options: Partial<LeafOptions> = {}): Buffer {
    return mintLeaf(this.ca, key, { signedAt: SIGNED_AT, ...options });
  }

  bundle(options: BundleOptions): BuiltBundle {
    const version = options.version ?? "0.1";
    const signedAt = options.signedAt ?? SIGNED_AT;
    const signingKey = options.keySigned ?? newKey();
    const certificate = options.keySigned === undefined ? (options.certificateOverride ?? mintLeaf(this.ca, signingKey.publicKey, { signedAt, ...options.leaf })) : undefined;
    const pae = options.dsse === undefined ? undefined : paeOf(options.dsse.payloadType, options.dsse.payload);
    const signedBytes = pae ?? options.artifact;
    const signature = sign("sha256", signedBytes, signingKey.privateKey);
    const verifierPem = options.entry?.verifierPem ?? (certificate !== undefined ? toPem("CERTIFICATE", certificate) : signingKey.publicKey.export({ format: "pem", type: "spki" }).toString());
    const recordedSignature = (options.entry?.signature ?? signature).toString("base64");
    const body =
      options.dsse === undefined
        ? {
            apiVersion: "0.0.1",
            kind: "hashedrekord",
            spec: {
              data: { hash: { algorithm: "sha256", value: options.entry?.digestHex ?? sha256(options.artifact).toString("hex") } },
              signature: { content: recordedSignature, publicKey: { content: Buffer.from(verifierPem).toString("base64") } },
            },
          }
        : {
            apiVersion: "0.0.1",
            kind: "dsse",
            spec: {
              envelopeHash: { algorithm: "sha256", value: sha256(Buffer.from("envelope")).toString("hex") },
              payloadHash: { algorithm: "sha256", value: options.entry?.digestHex ?? sha256(options.dsse.payload).toString("hex") },
              signatures: [{ signature: recordedSignature, verifier: Buffer.from(verifierPem).toString("base64") }],
            },
          };
    const canonicalizedBody = Buffer.from(JSON.stringify(body));
    const integratedTime = options.integratedTime ?? Math.floor(signedAt.getTime() / 1000);
    const logIndex = options.logIndex ?? 1;
    const logSigner = options.logSigner ?? this.log;
    const withPromise = options.promise ?? version === "0.1";
    const withProof = options.proof ?? version !== "0.1";
    const setPayload = `{"body":"${canonicalizedBody.toString("base64")}","integratedTime":${integratedTime},"logID":"${this.logID.toString("hex")}","logIndex":${logIndex}}`;
    const signedEntryTimestamp = sign("sha256", Buffer.from(setPayload), logSigner.privateKey);
    const entry: Record<string, unknown> = {
      logIndex: String(logIndex),
      logId: { keyId: this.logID.toString("base64") },
      kindVersion: { kind: body.kind, version: body.apiVersion },
      integratedTime: String(integratedTime),
      canonicalizedBody: canonicalizedBody.toString("base64"),
    };
    if (withPromise) entry["inclusionPromise"] = { signedEntryTimestamp: signedEntryTimestamp.toString("base64") };
    if (withProof) entry["inclusionProof"] = this.inclusionProof(canonicalizedBody, logSigner, options.checkpointRootHash);
    const content =
      options.dsse === undefined
        ? { messageSignature: { messageDigest: { algorithm: "SHA2_256", digest: sha256(options.artifact).toString("base64") }, signature: signature.toString("base64") } }
        : { dsseEnvelope: { payload: options.dsse.payload.toString("base64"), payloadType: options.dsse.payloadType, signatures: [{ sig: signature.toString("base64"), keyid: "" }] } };
    const keyMaterial =
      certificate === undefined
        ? { publicKey: { hint: "test-key" } }
        : version === "0.1"
          ? { x509CertificateChain: { certificates: [{ rawBytes: certificate.toString("base64") }] } }
          : { certificate: { rawBytes: certificate.toString("base64") } };
    const bundle = {
      mediaType: version === "0.1" ? "application/vnd.dev.sigstore.bundle+json;version=0.1" : "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { ...keyMaterial, tlogEntries: options.omitTlog === true ? [] : [entry] },
      ...content,
    };
    const rekorBundleJson = JSON.stringify({
      SignedEntryTimestamp: signedEntryTimestamp.toString("base64"),
      Payload: { body: canonicalizedBody.toString("base64"), integratedTime, logIndex, logID: this.logID.toString("hex") },
    });
    return { bundle, signingKey, ...(certificate === undefined ? {} : { certificate }), signature, rekorBundleJson };
  }

  /** The entry as leaf 1 of a 3-leaf tree, with a checkpoint the log (or `signer`) signed. */
  private inclusionProof(body: Buffer, signer: KeyPair, rootOverride?: Buffer): Record<string, unknown> {
    const leaf = (bytes: Buffer): Buffer => createHash("sha256").update(Buffer.of(0)).update(bytes).digest();
    const node = (left: Buffer, right: Buffer): Buffer => createHash("sha256").update(Buffer.of(1)).update(left).update(right).digest();
    const l0 = leaf(Buffer.from("entry 0"));
    const l1 = leaf(body);
    const l2 = leaf(Buffer.from("entry 2"));
    const rootHash = rootOverride ?? node(node(l0, l1), l2);
    const note = `rekor.test - 42\n3\n${rootHash.toString("base64")}\n`;
    const noteSignature = Buffer.concat([this.logID.subarray(0, 4), sign("sha256", Buffer.from(note), signer.privateKey)]);
    return {
      logIndex: "1",
      rootHash: rootHash.toString("base64"),
      treeSize: "3",
      hashes: [l0.toString("base64"), l2.toString("base64")],
      checkpoint: { envelope: `${note}\n\u2014 rekor.test ${noteSignature.toString("base64")}\n` },
    };
  }
}

export function sha256(bytes: Buffer): Buffer {
  return createHash("sha256").update(bytes).digest();
}

export function paeOf(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

function spki(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" });
}
