import { SignetError } from "../../errors/index.js";

/**
 * What a stored signature (a lookaside `signature-N` file, a `dir:` signature) is, told the way containers/image
 * tells it (internal/signature FromBlob): an OpenPGP message is a simple-signing signature, as gpg writes it; a
 * zero byte starts the newer tagged form, "\0<format>\n<data>". Anything else is not a signature at all, and
 * containers/image then fails the whole read, so the image is refused whatever its other signatures say.
 */
export type SignatureBlob =
  | { readonly format: "simple-signing"; readonly untrustedSignature: Buffer }
  | { readonly format: "sigstore-json"; readonly untrustedChunk: Buffer };

/**
 * First bytes of the OpenPGP packets a signed message starts with (compressed data, one-pass signature,
 * signature), in the old and new packet formats. 0x3d is in upstream's list too; it is kept so that both
 * accept the same files.
 */
const OPENPGP_FIRST_BYTES: ReadonlySet<number> = new Set([0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x3d, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2]);

/** Classifies a stored signature, or throws SIG_INVALID (`details.reason` "unrecognized-format") when it is none. */
export function parseSignatureBlob(untrustedBlob: Uint8Array): SignatureBlob {
  const blob = Buffer.from(untrustedBlob.buffer, untrustedBlob.byteOffset, untrustedBlob.byteLength);
  if (blob.length === 0) throw unrecognized("it is empty");
  const first = blob[0]!;
  if (OPENPGP_FIRST_BYTES.has(first)) return { format: "simple-signing", untrustedSignature: blob };
  if (first !== 0) {
    const byte = `0x${first.toString(16).padStart(2, "0")}`;
    throw unrecognized(`it starts with the byte ${byte}, so it is not a signed OpenPGP message as gpg writes it (nor armored text, which signature stores do not hold)`);
  }
  const newline = blob.indexOf(0x0a, 1);
  if (newline === -1) throw unrecognized("its format name has no newline");
  const name = blob.subarray(1, newline);
  if (name.some((byte) => byte < 32 || byte >= 0x7f)) throw unrecognized("its format name is not printable ASCII");
  const data = blob.subarray(newline + 1);
  switch (name.toString("latin1")) {
    case "simple-signing":
      return { format: "simple-signing", untrustedSignature: data };
    case "sigstore-json":
      return { format: "sigstore-json", untrustedChunk: data };
    default:
      throw unrecognized(`its format ${JSON.stringify(name.toString("latin1").slice(0, 64))} is unknown`);
  }
}

function unrecognized(problem: string): SignetError {
  return new SignetError("SIG_INVALID", `not a signature: ${problem}`, {
    hint: "Only signatures belong in a lookaside store: OpenPGP signed messages as gpg, skopeo and `signet sign --gpg-key` write them. Remove or replace the file.",
    details: { reason: "unrecognized-format" },
  });
}
