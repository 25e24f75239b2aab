/**
 * The state of an audit: the verdicts reached so far, so that an interrupted audit goes on where it stopped
 * (`--resume`). The file is replaced atomically (internal/atomic-file.ts) after every batch of verdicts, so a
 * kill at any moment leaves the previous complete file, never a partial one. It names what it was written for
 * (a fingerprint of the source, the policy and the options): a state from another audit is refused, not mixed in.
 */
import { readFile } from "node:fs/promises";
import { SignetError, isErrorCode } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import type { AuditStatus, AuditVerdict } from "./model.js";

export const AUDIT_STATE_VERSION = 1;
/** A state file larger than this is refused (some 100,000 verdicts fit in far less). */
const STATE_MAX_BYTES = 256 * 1024 * 1024;
const STATUSES: ReadonlySet<string> = new Set<AuditStatus>(["verified", "unsigned", "failed", "error"]);

/** Verdicts of a previous run of the same audit, by image. Absent file: none. */
export async function readAuditState(path: string, fingerprint: string): Promise<Map<string, AuditVerdict>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new SignetError("IO_ERROR", `cannot read the audit state ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (bytes.length > STATE_MAX_BYTES) throw invalid(path, `it is larger than ${STATE_MAX_BYTES} bytes`);
  const state = parseJsonBytes(bytes, `the audit state ${path}`, "AUDIT_STATE_INVALID");
  if (!isRecord(state) || state["signetAuditState"] !== AUDIT_STATE_VERSION || !Array.isArray(state["verdicts"])) {
    throw invalid(path, "it is not a signet audit state file");
  }
  if (state["fingerprint"] !== fingerprint) {
    throw new SignetError("AUDIT_STATE_MISMATCH", `the audit state ${path} was written by an audit of another source, policy or options`, {
      details: { path },
    });
  }
  const verdicts = new Map<string, AuditVerdict>();
  for (const entry of state["verdicts"] as unknown[]) {
    const verdict = checkVerdict(entry);
    if (verdict === undefined) throw invalid(path, "it holds a verdict that is not one signet writes");
    verdicts.set(verdict.image, verdict);
  }
  return verdicts;
}

function checkVerdict(entry: unknown): AuditVerdict | undefined {
  if (!isRecord(entry)) return undefined;
  const { image, namespace, status, signers, formats, code, workloads } = entry;
  if (typeof image !== "string" || typeof namespace !== "string" || typeof status !== "string" || !STATUSES.has(status)) return undefined;
  if (!isStringArray(signers) || !isStringArray(formats) || !Array.isArray(workloads)) return undefined;
  if (code !== undefined && (typeof code !== "string" || !isErrorCode(code))) return undefined;
  for (const field of ["digest", "reason", "hint"] as const) {
    if (entry[field] !== undefined && typeof entry[field] !== "string") return undefined;
  }
  if (!workloads.every((w) => isRecord(w) && typeof w["namespace"] === "string" && typeof w["pod"] === "string" && typeof w["container"] === "string")) return undefined;
  return entry as unknown as AuditVerdict;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function invalid(path: string, problem: string): SignetError {
  return new SignetError("AUDIT_STATE_INVALID", `the audit state ${path} cannot be used: ${problem}`, { details: { path } });
}

export interface AuditStateWriter {
  /** Records a verdict; the file is rewritten after every `batch` verdicts (and by flush). */
  add(verdict: AuditVerdict): Promise<void>;
  /** Writes every verdict recorded so far. */
  flush(): Promise<void>;
}

/** Writes the state file: the verdicts carried over plus the new ones, atomically, one write at a time. */
export function createAuditStateWriter(path: string, fingerprint: string, carried: Iterable<AuditVerdict>, batch: number): AuditStateWriter {
  const verdicts = new Map<string, AuditVerdict>();
  for (const verdict of carried) verdicts.set(verdict.image, verdict);
  let pending = 0;
  let writing: Promise<void> = Promise.resolve();
  const write = (): Promise<void> => {
    pending = 0;
    const text = JSON.stringify({ signetAuditState: AUDIT_STATE_VERSION, fingerprint, verdicts: [...verdicts.values()] });
    // Writes are chained: two never race, and the last one holds every verdict.
    writing = writing.then(() => writeFileAtomic(path, text, { mode: 0o600 }).then(() => undefined));
    return writing;
  };
  return {
    async add(verdict) {
      verdicts.set(verdict.image, verdict);
      if (++pending >= batch) await write();
    },
    flush: write,
  };
}
