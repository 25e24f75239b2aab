/**
 * Uploads signatures to a Rekor (v1 API) log through @sigstore/sign's RekorWitness, which builds the entry
 * bodies (hashedrekord for a signed payload, dsse or intoto for a DSSE envelope) as sigstore clients do, and
 * returns the entry in both forms signet stores: a sigstore bundle's `tlogEntries[]` element, and cosign's
 * `dev.sigstore.cosign/bundle` annotation (`{"SignedEntryTimestamp","Payload":{body,integratedTime,logIndex,logID}}`).
 * Loaded only when signing uploads (the library costs ~0.7 s to load).
 */
import { SignetError } from "../errors/index.js";
import { goJsonStringify } from "../internal/go-json.js";

export const DEFAULT_REKOR_URL = "https://rekor.sigstore.dev";

/** What the log records: a signature over a sha256 digest, or a DSSE envelope. */
export type RekorContent =
  | { readonly kind: "message"; readonly sha256: Buffer; readonly signature: Buffer }
  | { readonly kind: "dsse"; readonly payloadType: string; readonly payload: Buffer; readonly signatures: readonly { readonly sig: Buffer; readonly keyid: string }[] };

export interface RekorUpload {
  readonly rekorUrl: string;
  readonly content: RekorContent;
  /** The signer's public key or certificate, PEM. */
  readonly verifierPem: string;
  /** For a DSSE envelope: a `dsse` entry (cosign 3, sigstore bundles) or an `intoto` one (cosign 2 `.att`). */
  readonly dsseEntryType?: "dsse" | "intoto";
  readonly timeoutMs?: number;
}

export interface LoggedEntry {
  /** The entry as a sigstore bundle (v0.3) holds it in `verificationMaterial.tlogEntries`, JSON form. */
  readonly bundleEntry: Record<string, unknown>;
  /** cosign's `dev.sigstore.cosign/bundle` layer annotation. */
  readonly cosignBundleAnnotation: string;
  readonly logIndex: string;
  readonly integratedTime: Date;
}

export async function uploadToRekor(upload: RekorUpload): Promise<LoggedEntry> {
  const [{ RekorWitness }, { TransparencyLogEntry }, { HashAlgorithm }] = await Promise.all([
    import("@sigstore/sign"),
    import("@sigstore/protobuf-specs"),
    import("@sigstore/protobuf-specs"),
  ]);
  const witness = new RekorWitness({
    rekorBaseURL: upload.rekorUrl,
    ...(upload.dsseEntryType !== undefined ? { entryType: upload.dsseEntryType } : {}),
    fetchOnConflict: true,
    retry: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    timeout: upload.timeoutMs ?? 30_000,
  });
  const content = upload.content;
  let testified;
  try {
    testified = await witness.testify(
      content.kind === "message"
        ? { $case: "messageSignature", messageSignature: { messageDigest: { algorithm: HashAlgorithm.SHA2_256, digest: content.sha256 }, signature: content.signature } }
        : { $case: "dsseEnvelope", dsseEnvelope: { payloadType: content.payloadType, payload: content.payload, signatures: content.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid })) } },
      upload.verifierPem,
    );
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    throw new SignetError("REKOR_ERROR", `uploading to Rekor at ${safeOrigin(upload.rekorUrl)} failed: ${message.slice(0, 300)}`, { cause: error });
  }
  const entry = testified.tlogEntries[0];
  const set = entry?.inclusionPromise?.signedEntryTimestamp;
  if (entry === undefined || set === undefined) throw new SignetError("REKOR_ERROR", "Rekor answered without a signed entry timestamp");
  const bundleEntry = TransparencyLogEntry.toJSON(entry) as Record<string, unknown>;
  // cosign's annotation field order (bundle.RekorBundle / RekorPayload), numbers as JSON numbers.
  const cosignBundleAnnotation = goJsonStringify({
    SignedEntryTimestamp: Buffer.from(set).toString("base64"),
    Payload: {
      body: Buffer.from(entry.canonicalizedBody).toString("base64"),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId!.keyId).toString("hex"),
    },
  });
  return { bundleEntry, cosignBundleAnnotation, logIndex: entry.logIndex, integratedTime: new Date(Number(entry.integratedTime) * 1000) };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}
