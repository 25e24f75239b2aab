/**
 * Confidential Containers initdata (trustee kbs/docs/initdata.md; guest-components attestation-agent initdata.rs):
 * a TOML document with `version`, `algorithm` and a `[data]` table of file name -> file text, which kata hands to
 * the guest as `aa.toml`, `cdh.toml` and `policy.rego`. The runtime takes it from the pod annotation
 * `io.katacontainers.config.hypervisor.cc_init_data` as base64(gzip(initdata.toml)); the guest's attestation
 * agent hashes the TOML text with `algorithm` and the TEE binds that digest (SNP HOST_DATA, TDX MRCONFIGID), so
 * the KBS can check what configuration the guest booted with. Pure: text in, text out.
 */
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { parse as parseToml, TomlError } from "smol-toml";
import { SignetError } from "../errors/index.js";
import { decodeBase64Strict } from "../internal/base64.js";

export const CC_INIT_DATA_ANNOTATION = "io.katacontainers.config.hypervisor.cc_init_data";
export const INITDATA_VERSION = "0.1.0";
export const INITDATA_ALGORITHMS = ["sha256", "sha384", "sha512"] as const;
export type InitdataAlgorithm = (typeof INITDATA_ALGORITHMS)[number];

/** The largest initdata accepted when decoding an annotation (kata's own bound is far below this). */
const INITDATA_MAX_BYTES = 1024 * 1024;

/** The TEE fields the digest is bound to, with their sizes (initdata.md "Integrity Binding for Different TEEs"). */
const TEE_FIELDS = { snp: { field: "HOST_DATA", bytes: 32 }, tdx: { field: "MRCONFIGID", bytes: 48 } } as const;

export interface InitdataOptions {
  readonly algorithm?: InitdataAlgorithm;
  /** The files of `[data]`, in order: name -> text (aa.toml, cdh.toml, policy.rego). */
  readonly files: ReadonlyArray<readonly [string, string]>;
}

export interface Initdata {
  /** initdata.toml, exactly the bytes the digest is over. */
  readonly toml: string;
  readonly algorithm: InitdataAlgorithm;
  /** hex digest of `toml` with `algorithm`, as the attestation agent computes it. */
  readonly digest: string;
  /** The digest as each TEE field holds it: truncated or zero-padded to the field's size (hex). */
  readonly teeFields: Readonly<Record<keyof typeof TEE_FIELDS, { readonly field: string; readonly value: string }>>;
  /** base64(gzip(toml)): the value of the cc_init_data annotation. */
  readonly annotation: string;
}

/** Writes initdata.toml with each file as a TOML multi-line literal string, then checks it reads back to the same files. */
export function createInitdata(options: InitdataOptions): Initdata {
  const algorithm = options.algorithm ?? "sha384";
  const lines = [`version = ${tomlString(INITDATA_VERSION)}`, `algorithm = ${tomlString(algorithm)}`, "", "[data]"];
  const seen = new Set<string>();
  for (const [name, text] of options.files) {
    if (seen.has(name)) throw new SignetError("USAGE", `initdata names ${name} twice`);
    seen.add(name);
    lines.push(`${tomlString(name)} = ${tomlMultiline(text)}`, "");
  }
  const toml = `${lines.join("\n").replace(/\n+$/, "")}\n`;
  const parsed = parseInitdata(toml);
  for (const [name, text] of options.files) {
    if (parsed.data[name] !== text) throw new SignetError("INTERNAL", `initdata: ${name} does not read back as written`);
  }
  return describeInitdata(toml, algorithm);
}

export interface ParsedInitdata {
  readonly version: string;
  readonly algorithm: InitdataAlgorithm;
  readonly data: Readonly<Record<string, string>>;
}

/** Reads initdata.toml as the attestation agent does: version, algorithm and a table of strings, nothing else. */
export function parseInitdata(toml: string): ParsedInitdata {
  const document = parseTomlDocument(toml, "initdata.toml");
  const version = document["version"];
  const algorithm = document["algorithm"];
  const data = document["data"];
  if (typeof version !== "string") throw invalid("initdata.toml", 'needs a string "version"');
  if (typeof algorithm !== "string" || !(INITDATA_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw invalid("initdata.toml", `"algorithm" must be one of ${INITDATA_ALGORITHMS.join(", ")}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw invalid("initdata.toml", "needs a [data] table");
  const files: Record<string, string> = {};
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== "string") throw invalid("initdata.toml", `data.${name} is not a string`);
    files[name] = value;
  }
  return { version, algorithm: algorithm as InitdataAlgorithm, data: files };
}

/** Decodes a cc_init_data annotation value back to initdata.toml (bounded), and parses it. */
export function decodeInitdataAnnotation(value: string): { toml: string; initdata: ParsedInitdata; digest: string } {
  const compressed = decodeBase64Strict(value.trim());
  if (compressed === undefined) throw invalid("the annotation", "is not base64");
  let bytes: Buffer;
  try {
    bytes = gunzipSync(compressed, { maxOutputLength: INITDATA_MAX_BYTES });
  } catch (error) {
    throw invalid("the annotation", `is not gzip (at most ${INITDATA_MAX_BYTES} bytes): ${(error as Error).message}`);
  }
  const toml = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const initdata = parseInitdata(toml);
  return { toml, initdata, digest: digestOf(toml, initdata.algorithm) };
}

/** Reads a TOML file the user gave (aa.toml, cdh.toml), so that a typo fails here rather than in the guest. */
export function parseTomlDocument(text: string, what: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) throw invalid(what, `is not valid TOML: ${error.message.split("\n")[0]}`);
    throw error;
  }
}

function describeInitdata(toml: string, algorithm: InitdataAlgorithm): Initdata {
  const digest = digestOf(toml, algorithm);
  const fit = (bytes: number): string => Buffer.concat([Buffer.from(digest, "hex"), Buffer.alloc(bytes)]).subarray(0, bytes).toString("hex");
  return {
    toml,
    algorithm,
    digest,
    teeFields: { snp: { field: TEE_FIELDS.snp.field, value: fit(TEE_FIELDS.snp.bytes) }, tdx: { field: TEE_FIELDS.tdx.field, value: fit(TEE_FIELDS.tdx.bytes) } },
    annotation: gzipSync(Buffer.from(toml, "utf8")).toString("base64"),
  };
}

function digestOf(toml: string, algorithm: InitdataAlgorithm): string {
  return createHash(algorithm).update(toml, "utf8").digest("hex");
}

/** A TOML basic string: JSON's escapes are TOML's (\", \\, \n, \uXXXX), and JSON escapes every control character. */
export function tomlString(text: string): string {
  return JSON.stringify(text);
}

/**
 * A multi-line literal string ('''…''') keeps file text readable, as the CoCo examples write it; TOML drops a
 * newline right after the opening quotes, so one is added. Text it cannot hold (''' or control characters other
 * than tab and newline) is written as a basic string instead.
 */
function tomlMultiline(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (text.includes("'''") || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(text) || text.endsWith("'")) return tomlString(text);
  return `'''\n${text}'''`;
}

function invalid(what: string, problem: string): SignetError {
  return new SignetError("COCO_CONFIG_INVALID", `${what} ${problem}`, { details: { file: what } });
}
