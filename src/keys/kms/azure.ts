/**
 * `azurekms://VAULT.vault.azure.net/KEY[/VERSION]`: a key of Azure Key Vault (or Managed HSM) through the
 * official SDK (@azure/keyvault-keys), as cosign's provider uses it: the key's JWK once, then Sign over the digest
 * with ES256/ES384/ES512 or RS256. Key Vault returns ECDSA signatures as r || s; they are returned as DER.
 *
 * Credentials: SIGNET_AZURE_ACCESS_TOKEN (a bearer token for https://vault.azure.net, e.g. from
 * `az account get-access-token --resource https://vault.azure.net`), else @azure/identity as cosign chooses:
 * AZURE_AUTH_METHOD=environment (client secret or certificate, workload or managed identity), =cli (the Azure
 * CLI's login), else DefaultAzureCredential. SIGNET_KMS_CACERT names a private CA (a vault behind a proxy, tests).
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { CryptographyClient, KeyClient, type KeyVaultKey, type SignatureAlgorithm } from "@azure/keyvault-keys";
import { Agent, request as httpRequest, type Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { readBounded } from "../../internal/bounded-read.js";
import { LIMITS } from "../../internal/limits.js";
import { isLoopbackHost } from "../../oci/registry/endpoint.js";
import type { KeyAlgorithm } from "../key-algorithm.js";
import { codeForStatus, createKmsKey, deadline, digestOf, isTimeout, kmsDigestAlgorithm, kmsError, p1363ToDer, readCaBundle, toKmsPublicKey, type KmsKey, type KmsProvider, type KmsSettings } from "./provider.js";
import type { AzureKmsReference } from "./reference.js";

const SIGNATURE_ALGORITHMS: Partial<Record<KeyAlgorithm, SignatureAlgorithm>> = {
  "ecdsa-p256": "ES256",
  "ecdsa-p384": "ES384",
  "ecdsa-p521": "ES512",
  rsa: "RS256",
};

export const azureKmsProvider: KmsProvider<AzureKmsReference> = {
  async open(reference: string, parsed: AzureKmsReference, settings: KmsSettings): Promise<KmsKey> {
    const credential = await credentialFor(settings.env);
    const ca = await readCaBundle(settings.env, ["SIGNET_KMS_CACERT"]);
    // Key Vault's challenge names the resource a token is for, and the SDK checks that the vault's host is under
    // it (*.vault.azure.net): a vault on loopback (an emulator, a test server) cannot be, and is the user's own.
    const loopback = isLoopbackHost(new URL(`https://${parsed.vaultHost}`).hostname);
    const options = {
      retryOptions: { maxRetries: 2 },
      httpClient: boundedHttpClient(reference, settings, ca ? new Agent({ connect: { ca: ca.ca } }) : undefined),
      ...(loopback ? { disableChallengeResourceVerification: true } : {}),
    };
    const vaultUrl = `https://${parsed.vaultHost}`;
    const keys = new KeyClient(vaultUrl, credential, options);
    let vaultKey: KeyVaultKey;
    try {
      vaultKey = await keys.getKey(parsed.keyName, { ...(parsed.version ? { version: parsed.version } : {}), abortSignal: deadline(settings) });
    } catch (error) {
      throw toKmsError(error, reference, "get key", settings);
    }
    if (!vaultKey.id || !vaultKey.key) throw kmsError("KMS_PROTOCOL", reference, "Key Vault returned a key without id or JWK");
    const { key, algorithm } = toKmsPublicKey(jwkToPem(vaultKey, reference), reference);
    const signatureAlgorithm = SIGNATURE_ALGORITHMS[algorithm];
    const hash = kmsDigestAlgorithm(algorithm);
    if (!signatureAlgorithm || !hash) throw kmsError("KMS_KEY_UNSUPPORTED", reference, `Key Vault cannot sign with a ${algorithm} key as cosign does`);
    if (vaultKey.keyOperations && !vaultKey.keyOperations.includes("sign")) {
      throw kmsError("KMS_KEY_UNSUPPORTED", reference, "the key's operations do not include sign", { keyOperations: vaultKey.keyOperations });
    }
    // Sign with the version just read, at the vault the reference names: the answer's `kid` is not followed, so
    // an answer naming another host cannot send the token there.
    const version = vaultKey.properties.version ?? "";
    if (!/^[A-Za-z0-9]{1,64}$/.test(version) || (parsed.version !== undefined && version !== parsed.version)) {
      throw kmsError("KMS_PROTOCOL", reference, "Key Vault's answer names no version, or another version than the one asked for");
    }
    const crypto = new CryptographyClient(`${vaultUrl}/keys/${parsed.keyName}/${version}`, credential, options);
    return createKmsKey(reference, key, algorithm, async (message) => {
      let result: Uint8Array;
      try {
        ({ result } = await crypto.sign(signatureAlgorithm, digestOf(hash, message), { abortSignal: deadline(settings) }));
      } catch (error) {
        throw toKmsError(error, reference, "sign", settings);
      }
      return algorithm.startsWith("ecdsa") ? p1363ToDer(result) : Buffer.from(result);
    });
  },
};

async function credentialFor(env: NodeJS.ProcessEnv): Promise<TokenCredential> {
  const token = env["SIGNET_AZURE_ACCESS_TOKEN"];
  if (token) {
    return {
      getToken: (): Promise<AccessToken> => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 5 * 60_000 }),
    };
  }
  const identity = await import("@azure/identity");
  switch ((env["AZURE_AUTH_METHOD"] ?? "").toLowerCase()) {
    case "environment":
      return new identity.ChainedTokenCredential(new identity.EnvironmentCredential(), new identity.WorkloadIdentityCredential(), new identity.ManagedIdentityCredential(env["AZURE_CLIENT_ID"] ?? ""));
    case "cli":
      return new identity.AzureCliCredential();
    default:
      return new identity.DefaultAzureCredential();
  }
}

function jwkToPem(vaultKey: KeyVaultKey, reference: string): string {
  const jwk = vaultKey.key!;
  const b64 = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString("base64url") : "");
  const kty = (jwk.kty ?? "").replace(/-HSM$/, "");
  let key: KeyObject;
  try {
    if (kty === "EC") {
      if (jwk.crv !== "P-256" && jwk.crv !== "P-384" && jwk.crv !== "P-521") {
        throw kmsError("KMS_KEY_UNSUPPORTED", reference, `the key's curve ${jwk.crv ?? "unknown"} cannot sign images (P-256, P-384 and P-521 can)`, { curve: jwk.crv });
      }
      key = createPublicKey({ key: { kty, crv: jwk.crv, x: b64(jwk.x), y: b64(jwk.y) }, format: "jwk" });
    } else if (kty === "RSA") {
      key = createPublicKey({ key: { kty, n: b64(jwk.n), e: b64(jwk.e) }, format: "jwk" });
    } else {
      throw kmsError("KMS_KEY_UNSUPPORTED", reference, `the key type ${jwk.kty ?? "unknown"} cannot sign (EC and RSA keys can)`, { keyType: jwk.kty });
    }
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw kmsError("KMS_PROTOCOL", reference, "Key Vault's JWK is not a valid public key", {}, error);
  }
  return key.export({ type: "spki", format: "pem" }).toString();
}

function toKmsError(error: unknown, reference: string, operation: string, settings: KmsSettings): SignetError {
  if (SignetError.is(error)) return error;
  const name = (error as { name?: string }).name ?? "Error";
  const status = (error as { statusCode?: number }).statusCode;
  const serviceCode = (error as { code?: string }).code;
  const details = { operation, error: name, ...(status !== undefined ? { status } : {}), ...(serviceCode ? { serviceCode } : {}) };
  if (isTimeout(error)) return kmsError("KMS_UNAVAILABLE", reference, `${operation}: Key Vault did not answer within ${settings.timeoutMs} ms`, details, error);
  if (name === "CredentialUnavailableError" || name === "AuthenticationError" || name === "AggregateAuthenticationError") {
    return kmsError("KMS_UNAUTHORIZED", reference, `${operation}: no Azure credential could get a token (${name})`, details, error);
  }
  if (status !== undefined) {
    const code = codeForStatus(status);
    const why = code === "KMS_UNAUTHORIZED" ? "Key Vault refused the token" : code === "KMS_KEY_NOT_FOUND" ? "Key Vault has no such key or version" : `Key Vault answered ${status}`;
    return kmsError(code, reference, `${operation}: ${why}${serviceCode ? ` (${serviceCode})` : ""}`, details, error);
  }
  return kmsError("KMS_UNAVAILABLE", reference, `${operation}: cannot reach Key Vault (${serviceCode ?? name})`, details, error);
}

/**
 * The SDK's HTTP client, replaced by one over undici that reads at most LIMITS.kmsResponseBytes of each answer
 * (the SDK's own reads whole bodies) and trusts the given CA.
 */
function boundedHttpClient(reference: string, settings: KmsSettings, dispatcher: Dispatcher | undefined): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const headers: Record<string, string> = {};
      for (const [name, value] of request.headers) headers[name] = value;
      const body = request.body;
      if (body !== undefined && body !== null && typeof body !== "string" && !(body instanceof Uint8Array)) {
        throw kmsError("KMS_PROTOCOL", reference, "the Key Vault client sent a request body signet cannot forward");
      }
      const response = await httpRequest(request.url, {
        method: request.method,
        headers,
        ...(body !== undefined && body !== null ? { body } : {}),
        ...(dispatcher ? { dispatcher } : {}),
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.timeoutMs,
        ...(request.abortSignal ? { signal: request.abortSignal } : {}),
      });
      const declared = Number(response.headers["content-length"]);
      if (Number.isFinite(declared) && declared > LIMITS.kmsResponseBytes) {
        response.body.destroy();
        throw kmsError("KMS_PROTOCOL", reference, `Key Vault answered with ${declared} bytes; at most ${LIMITS.kmsResponseBytes} are accepted`);
      }
      let bytes: Buffer;
      try {
        bytes = await readBounded(response.body, LIMITS.kmsResponseBytes, "Key Vault's answer");
      } catch (error) {
        throw SignetError.is(error) ? kmsError("KMS_PROTOCOL", reference, error.message) : error;
      }
      const responseHeaders = createHttpHeaders();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
      }
      return { request, status: response.statusCode, headers: responseHeaders, bodyAsText: bytes.toString("utf8") };
    },
  };
}
