import { SignetError } from "../errors/index.js";
import { decodeBase64Strict } from "../internal/base64.js";

/** One `-----BEGIN X-----` … `-----END X-----` block; the body is decoded only on request (see pemBlockBytes). */
export interface PemBlock {
  label: string;
  /** RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` (legacy OpenSSL encryption). */
  headers: Readonly<Record<string, string>>;
  /** The base64 text, whitespace removed. */
  body: string;
}

const BEGIN = /^-----BEGIN ([^-]+)-----$/;
const END = /^-----END (.*)-----$/;
const HEADER = /^([A-Za-z0-9-]+):\s*(.*)$/;

/**
 * Finds the PEM blocks in `text`. Text outside blocks is ignored, as Go's pem.Decode (and so cosign) does.
 * KEY_INVALID for a block without its END line (a truncated file) or with a mismatched END label.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const lines = text.split(/\r?\n|\r/);
  let open: { label: string; headers: Record<string, string>; body: string[]; line: number } | undefined;
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (!open) {
      const begin = BEGIN.exec(line);
      if (begin) open = { label: begin[1]!, headers: {}, body: [], line: index + 1 };
      continue;
    }
    const end = END.exec(line);
    if (end) {
      if (end[1] !== open.label) {
        throw new SignetError("KEY_INVALID", `PEM block "${open.label}" ends with "END ${end[1]!}"`, { details: { label: open.label } });
      }
      blocks.push({ label: open.label, headers: open.headers, body: open.body.join("") });
      open = undefined;
      continue;
    }
    const header = open.body.length === 0 ? HEADER.exec(line) : null;
    if (header) open.headers[header[1]!] = header[2]!;
    else open.body.push(line.replace(/\s+/g, ""));
  }
  if (open) {
    throw new SignetError("KEY_INVALID", `PEM block "${open.label}" (line ${open.line}) has no END line: the file is truncated`, {
      details: { label: open.label },
    });
  }
  return blocks;
}

/** The DER bytes of a block; KEY_INVALID when the body is not standard padded base64. */
export function pemBlockBytes(block: PemBlock): Buffer {
  const bytes = block.body.length === 0 ? undefined : decodeBase64Strict(block.body, "std-exact");
  if (!bytes) {
    throw new SignetError("KEY_INVALID", `PEM block "${block.label}" does not hold valid base64 (corrupted or truncated)`, {
      details: { label: block.label },
    });
  }
  return bytes;
}

/** PEM as Go's pem.EncodeToMemory writes it: 64-character lines, a newline after the END line. */
export function encodePem(label: string, bytes: Uint8Array): string {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
