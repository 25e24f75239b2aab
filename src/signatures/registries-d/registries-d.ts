import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { SignetError } from "../../errors/index.js";

/**
 * containers-registries.d(5): where simple-signing signatures of images live ("lookaside" stores), per
 * registry namespace. Every `*.yaml` file of the directory is read and merged; a scope (the `default-docker`
 * section or one key of `docker`) may be configured in one file only, as containers/image
 * (docker/registries_d.go) requires. Parsing is strict: unknown keys and wrong types are errors.
 */

/** One configuration section (`default-docker` or a value of `docker`). Empty strings count as unset, as upstream. */
export interface RegistryNamespace {
  readonly lookaside?: string;
  readonly lookasideStaging?: string;
  /** Deprecated spelling of `lookaside`. */
  readonly sigstore?: string;
  /** Deprecated spelling of `lookaside-staging`. */
  readonly sigstoreStaging?: string;
  readonly useSigstoreAttachments?: boolean;
  /**
   * signet's extension: the base URL of a store of swr-cosign `.asc` objects (`<base>/<repository>/<sha256 hex>.asc`),
   * read by signedBy and signetThreshold GPG signers next to the lookaside store. containers/image ignores the key.
   */
  readonly signetSwrAsc?: string;
}

/** The merged configuration of a registries.d directory. */
export interface RegistriesDConfig {
  readonly defaultDocker?: RegistryNamespace;
  /** Keys are namespaces: "host[:port]", "host/ns…", "host/ns/repo", "host/ns/repo:tag", "*.example.com". */
  readonly docker: ReadonlyMap<string, RegistryNamespace>;
  /** Which file each section came from ("default-docker" or a namespace → path), for messages. */
  readonly origins: ReadonlyMap<string, string>;
}

/** One parsed file before merging. */
export interface RegistriesDFile {
  readonly path: string;
  readonly defaultDocker?: RegistryNamespace;
  readonly docker: ReadonlyMap<string, RegistryNamespace>;
}

const HINT = "Fix the registries.d file named (containers-registries.d(5)): top-level keys `default-docker` and `docker`; sections with lookaside, lookaside-staging, sigstore, sigstore-staging, use-sigstore-attachments (and signet's signet-swr-asc).";
const TOP_LEVEL_KEYS = new Set(["default-docker", "docker"]);
const SECTION_KEYS: Record<string, keyof RegistryNamespace> = {
  lookaside: "lookaside",
  "lookaside-staging": "lookasideStaging",
  sigstore: "sigstore",
  "sigstore-staging": "sigstoreStaging",
  "use-sigstore-attachments": "useSigstoreAttachments",
  "signet-swr-asc": "signetSwrAsc",
};

/** An empty configuration: what a missing registries.d directory means. */
export function emptyRegistriesDConfig(): RegistriesDConfig {
  return { docker: new Map(), origins: new Map() };
}

/**
 * Reads and merges every `*.yaml` file of `directory` (in name order). A directory that does not exist is
 * an empty configuration, as upstream; an unreadable one, or any file that does not parse, is an error.
 */
export async function loadRegistriesD(directory: string): Promise<RegistriesDConfig> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyRegistriesDConfig();
    throw new SignetError("IO_ERROR", `cannot read registries.d directory ${directory}: ${(error as Error).message}`, { details: { path: directory }, cause: error });
  }
  const files: RegistriesDFile[] = [];
  for (const name of names.filter((n) => n.endsWith(".yaml")).sort()) {
    const path = join(directory, name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      // A file removed between the listing and the read is an expected race (upstream ignores it too).
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new SignetError("IO_ERROR", `cannot read registries.d file ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
    }
    files.push(await parseRegistriesDFile(text, path));
  }
  return mergeRegistriesDFiles(files);
}

/** Merges files; a scope configured in two files is an error naming both (containers/image's loadAndMergeConfig). */
export function mergeRegistriesDFiles(files: readonly RegistriesDFile[]): RegistriesDConfig {
  let defaultDocker: RegistryNamespace | undefined;
  const docker = new Map<string, RegistryNamespace>();
  const origins = new Map<string, string>();
  for (const file of files) {
    if (file.defaultDocker !== undefined) {
      const earlier = origins.get(DEFAULT_DOCKER_ORIGIN);
      if (earlier !== undefined) throw conflict(`"default-docker" is defined both in ${earlier} and in ${file.path}`, [earlier, file.path]);
      defaultDocker = file.defaultDocker;
      origins.set(DEFAULT_DOCKER_ORIGIN, file.path);
    }
    for (const [namespace, section] of file.docker) {
      if (docker.has(namespace)) {
        const earlier = origins.get(namespace) ?? "another file";
        throw conflict(`"docker" namespace ${JSON.stringify(namespace)} is defined both in ${earlier} and in ${file.path}`, [earlier, file.path], { namespace });
      }
      docker.set(namespace, section);
      origins.set(namespace, file.path);
    }
  }
  return defaultDocker === undefined ? { docker, origins } : { defaultDocker, docker, origins };
}

/** The key under which `origins` records the file of the `default-docker` section. */
export const DEFAULT_DOCKER_ORIGIN = "default-docker";

/** Parses one registries.d YAML file strictly (duplicate keys, unknown keys and wrong types are errors). */
export async function parseRegistriesDFile(text: string, path: string): Promise<RegistriesDFile> {
  const { parseDocument } = await import("yaml");
  const document = parseDocument(text, { uniqueKeys: true, strict: true, prettyErrors: false });
  const problem = document.errors[0] ?? document.warnings[0];
  if (problem !== undefined) throw invalid(path, `is not valid YAML: ${problem.message.split("\n")[0]}`);
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw invalid(path, `is not valid YAML: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return { path, docker: new Map() };
  if (!isPlainObject(value)) throw invalid(path, "must be a YAML mapping with the keys default-docker and docker");
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw invalid(path, `has an unknown top-level key ${JSON.stringify(key)}`, { key });
  }
  const docker = new Map<string, RegistryNamespace>();
  const dockerValue = value["docker"];
  if (dockerValue !== null && dockerValue !== undefined) {
    if (!isPlainObject(dockerValue)) throw invalid(path, '"docker" must be a mapping from namespaces to sections');
    for (const [namespace, section] of Object.entries(dockerValue)) {
      if (namespace === "") throw invalid(path, '"docker" has an empty namespace');
      docker.set(namespace, parseSection(section, path, `docker.${namespace}`));
    }
  }
  const defaultValue = value["default-docker"];
  if (defaultValue === null || defaultValue === undefined) return { path, docker };
  return { path, defaultDocker: parseSection(defaultValue, path, "default-docker"), docker };
}

function parseSection(value: unknown, path: string, where: string): RegistryNamespace {
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw invalid(path, `${where} must be a mapping`);
  const section: Record<string, string | boolean> = {};
  for (const [key, field] of Object.entries(value)) {
    const name = SECTION_KEYS[key];
    if (name === undefined) throw invalid(path, `${where} has an unknown key ${JSON.stringify(key)}`, { key });
    if (name === "useSigstoreAttachments") {
      if (typeof field !== "boolean") throw invalid(path, `${where}.${key} must be true or false`);
    } else if (typeof field !== "string") {
      throw invalid(path, `${where}.${key} must be a URL string`);
    }
    section[name] = field;
  }
  return section as RegistryNamespace;
}

/**
 * The registries.d directory containers/image uses: $HOME/.config/containers/registries.d when it exists,
 * else /etc/containers/registries.d.
 */
export function defaultRegistriesDPath(home: string = homedir()): string {
  const user = join(home, ".config", "containers", "registries.d");
  return existsSync(user) ? user : "/etc/containers/registries.d";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Set);
}

function conflict(problem: string, paths: string[], details: Record<string, unknown> = {}): SignetError {
  return new SignetError("POLICY_CONFIG_INVALID", `registries.d: ${problem}; a scope may be configured in one file only`, {
    hint: HINT,
    details: { paths, ...details },
  });
}

function invalid(path: string, problem: string, details: Record<string, unknown> = {}): SignetError {
  return new SignetError("POLICY_CONFIG_INVALID", `registries.d file ${path} ${problem}`, { hint: HINT, details: { path, ...details } });
}
