/**
 * `hashivault://KEY`: a key of HashiCorp Vault's transit secrets engine, over its HTTP API (there is no official
 * Node SDK), configured as cosign's provider is: VAULT_ADDR, VAULT_TOKEN (else ~/.vault-token),
 * TRANSIT_SECRET_ENGINE_PATH (default "transit"), VAULT_NAMESPACE, and VAULT_CACERT for a private CA.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent, request, type Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { readBounded } from "../../internal/bounded-read.js";
import { LIMITS } from "../../internal/limits.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import { isLoopbackHost } from "../../oci/registry/endpoint.js";
import { codeForStatus, createKmsKey, deadline, digestOf, isTimeout, kmsDigestAlgorithm, kmsError, readCaBundle, toKmsPublicKey, type KmsKey, type KmsProvider, type KmsSettings } from "./provider.js";
import type { HashivaultReference } from "./reference.js";

const HASH_PATH = { sha256: "sha2-256", sha384: "sha2-384", sha512: "sha2-512" } as const;
const TRANSIT_PATH = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/;

export const hashivaultProvider: KmsProvider<HashivaultReference> = {
  async open(reference: string, parsed: HashivaultReference, settings: KmsSettings): Promise<KmsKey> {
    const vault = await connect(reference, settings);
    const keyPath = `${vault.transit}/keys/${parsed.keyName}`;
    const data = await vault.call("GET", keyPath, undefined, "the transit key");
    const version = data["latest_version"];
    const versions = data["keys"];
    const type = data["type"];
    if (typeof version !== "number" || !isRecord(versions) || typeof type !== "string") {
      throw kmsError("KMS_PROTOCOL", reference, "Vault's description of the transit key lacks type, latest_version or keys");
    }
    if (data["supports_signing"] === false || !/^(?:ecdsa-p(?:256|384|521)|rsa-(?:2048|3072|4096)|ed25519)$/.test(type)) {
      throw kmsError("KMS_KEY_UNSUPPORTED", reference, `the transit key is of type ${JSON.stringify(type.slice(0, 40))}, which cannot sign images`, { keyType: type });
    }
    const entry = versions[String(version)];
    const publicText = isRecord(entry) ? entry["public_key"] : undefined;
    if (typeof publicText !== "string") throw kmsError("KMS_PROTOCOL", reference, `Vault returned no public key for version ${version}`);
    const { key, algorithm } = toKmsPublicKey(type === "ed25519" ? ed25519Spki(publicText, reference) : publicText, reference);
    const hash = kmsDigestAlgorithm(algorithm);
    return createKmsKey(reference, key, algorithm, async (message) => {
      const body: Record<string, unknown> = {
        input: (hash ? digestOf(hash, message) : message).toString("base64"),
        prehashed: hash !== undefined,
        key_version: version,
        ...(algorithm === "rsa" ? { signature_algorithm: "pkcs1v15" } : {}),
        ...(algorithm.startsWith("ecdsa") ? { marshaling_algorithm: "asn1" } : {}),
      };
      const path = `${vault.transit}/sign/${parsed.keyName}${hash ? `/${HASH_PATH[hash]}` : ""}`;
      const signed = await vault.call("POST", path, body, "a signature");
      const text = signed["signature"];
      const match = typeof text === "string" ? /^vault:v\d+:([A-Za-z0-9+/=]+)$/.exec(text) : null;
      const signature = match ? decodeBase64Strict(match[1]!, "std-exact") : undefined;
      if (!signature) throw kmsError("KMS_PROTOCOL", reference, "Vault's signature is not vault:vN:BASE64");
      return Buffer.from(signature);
    });
  },
};

interface VaultConnection {
  readonly transit: string;
  call(method: "GET" | "POST", path: string, body: Record<string, unknown> | undefined, what: string): Promise<Record<string, unknown>>;
}

async function connect(reference: string, settings: KmsSettings): Promise<VaultConnection> {
  const { env } = settings;
  const address = env["VAULT_ADDR"] ?? "";
  if (address === "") throw new SignetError("USAGE", `${reference}: VAULT_ADDR is not set`, { hint: "Set VAULT_ADDR to the Vault server's URL, e.g. https://vault.example.com:8200." });
  let base: URL;
  try {
    base = new URL(address);
  } catch {
    throw new SignetError("USAGE", `${reference}: VAULT_ADDR is not a URL`, { hint: "Set VAULT_ADDR to the Vault server's URL, e.g. https://vault.example.com:8200." });
  }
  if (base.protocol !== "https:" && !(base.protocol === "http:" && isLoopbackHost(base.hostname))) {
    throw new SignetError("USAGE", `${reference}: VAULT_ADDR must be an https:// URL (plain http is accepted on loopback only; the token would travel in clear)`, {
      hint: "Serve Vault over TLS and set VAULT_CACERT to its CA if it is private.",
    });
  }
  const transit = env["TRANSIT_SECRET_ENGINE_PATH"] || "transit";
  if (!TRANSIT_PATH.test(transit)) throw new SignetError("USAGE", `${reference}: TRANSIT_SECRET_ENGINE_PATH ${JSON.stringify(transit.slice(0, 100))} is not a mount path`);
  const token = await vaultToken(env, reference);
  const ca = await readCaBundle(env, ["VAULT_CACERT", "SIGNET_KMS_CACERT"]);
  const dispatcher: Dispatcher | undefined = ca ? new Agent({ connect: { ca: ca.ca } }) : undefined;
  const headers: Record<string, string> = { "x-vault-token": token, "content-type": "application/json" };
  const namespace = env["VAULT_NAMESPACE"];
  if (namespace) headers["x-vault-namespace"] = namespace;
  const root = base.href.replace(/\/+$/, "");
  return {
    transit,
    async call(method, path, body, what) {
      const url = `${root}/v1/${path}`;
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method,
          headers,
          ...(body ? { body: JSON.stringify(body) } : {}),
          ...(dispatcher ? { dispatcher } : {}),
          headersTimeout: settings.timeoutMs,
          bodyTimeout: settings.timeoutMs,
          signal: deadline(settings),
        });
      } catch (error) {
        const why = isTimeout(error) ? `Vault did not answer within ${settings.timeoutMs} ms` : `cannot reach Vault at ${base.origin}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
        throw kmsError("KMS_UNAVAILABLE", reference, why, { address: base.origin }, error);
      }
      const bytes = await readBounded(response.body, LIMITS.kmsResponseBytes, `Vault's answer (${what})`).catch((error: unknown) => {
        throw SignetError.is(error) ? kmsError("KMS_PROTOCOL", reference, error.message) : kmsError("KMS_UNAVAILABLE", reference, `cannot read Vault's answer: ${(error as Error).message}`, {}, error);
      });
      if (response.statusCode !== 200) {
        const errors = safeErrors(bytes);
        const code = response.statusCode === 400 && errors.some((e) => /not found|no existing key/i.test(e)) ? "KMS_KEY_NOT_FOUND" : codeForStatus(response.statusCode);
        const what2 = code === "KMS_UNAUTHORIZED" ? "Vault refused the token (permission denied)" : code === "KMS_KEY_NOT_FOUND" ? "Vault has no such transit key" : `Vault answered ${response.statusCode}`;
        throw kmsError(code, reference, what2, { status: response.statusCode, ...(errors.length ? { errors } : {}) });
      }
      const json = parseJsonBytes(bytes, "Vault's answer", "KMS_PROTOCOL");
      const data = isRecord(json) ? json["data"] : undefined;
      if (!isRecord(data)) throw kmsError("KMS_PROTOCOL", reference, `Vault's answer (${what}) has no data`);
      return data;
    },
  };
}

async function vaultToken(env: NodeJS.ProcessEnv, reference: string): Promise<string> {
  const fromEnv = env["VAULT_TOKEN"];
  if (fromEnv) return fromEnv;
  const home = env["HOME"];
  if (home) {
    try {
      const text = (await readFile(join(home, ".vault-token"), "utf8")).trim();
      if (text !== "") return text;
    } catch {
      // no token file: reported below
    }
  }
  throw new SignetError("KMS_UNAUTHORIZED", `${reference}: no Vault token (VAULT_TOKEN is not set and ~/.vault-token is missing)`, {
    hint: "Set VAULT_TOKEN, or log in with `vault login` (it writes ~/.vault-token).",
  });
}

/** Vault's `errors` strings, bounded; they never echo the token. */
function safeErrors(bytes: Buffer): string[] {
  try {
    const json = parseJsonBytes(bytes, "Vault's error", "KMS_PROTOCOL");
    const errors = isRecord(json) ? json["errors"] : undefined;
    return Array.isArray(errors) ? errors.slice(0, LIMITS.errorEntries).map((e) => String(e).slice(0, LIMITS.errorMessageLength)) : [];
  } catch {
    return [];
  }
}

/** Vault gives Ed25519 public keys as base64 of the 32 raw bytes; as an SPKI for node:crypto. */
function ed25519Spki(text: string, reference: string): Buffer {
  const raw = decodeBase64Strict(text, "std-exact");
  if (!raw || raw.length !== 32) throw kmsError("KMS_PROTOCOL", reference, "Vault's Ed25519 public key is not 32 bytes of base64");
  return Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
}
