/**
 * `gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V]`: a key of Google Cloud KMS
 * through the official SDK (@google-cloud/kms) in its REST mode (HTTP/1.1 and JSON, `fallback: true`), as
 * cosign's provider uses it: without a version, the newest ENABLED version; GetPublicKey once, then
 * AsymmetricSign over the digest (the data itself for Ed25519). Credentials are Application Default Credentials
 * (GOOGLE_APPLICATION_CREDENTIALS from the given environment, else gcloud's or the metadata server's).
 * SIGNET_GCPKMS_ENDPOINT overrides the endpoint (https://host[:port], or http:// on loopback: an emulator, a test);
 * SIGNET_KMS_CACERT names a private CA for it.
 */
import { KeyManagementServiceClient } from "@google-cloud/kms";
import { Agent, fetch as undiciFetch, type Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { LIMITS } from "../../internal/limits.js";
import { isLoopbackHost } from "../../oci/registry/endpoint.js";
import type { KeyAlgorithm } from "../key-algorithm.js";
import { codeForStatus, createKmsKey, digestOf, isTimeout, kmsDigestAlgorithm, kmsError, readCaBundle, toKmsPublicKey, type KmsKey, type KmsProvider, type KmsSettings } from "./provider.js";
import type { GcpKmsReference } from "./reference.js";

/** Cloud KMS algorithms whose signatures signet and cosign verify with the key's own algorithm. */
const ALGORITHMS: Readonly<Record<string, KeyAlgorithm>> = {
  EC_SIGN_P256_SHA256: "ecdsa-p256",
  EC_SIGN_P384_SHA384: "ecdsa-p384",
  RSA_SIGN_PKCS1_2048_SHA256: "rsa",
  RSA_SIGN_PKCS1_3072_SHA256: "rsa",
  RSA_SIGN_PKCS1_4096_SHA256: "rsa",
  EC_SIGN_ED25519: "ed25519",
};
/** Versions looked at to find the newest enabled one. */
const MAX_VERSIONS = 1000;
const VERSION_NAME = /\/cryptoKeyVersions\/(\d+)$/;

// gRPC status codes, which the REST mode reports too.
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;
const DEADLINE_EXCEEDED = 4;

export const gcpKmsProvider: KmsProvider<GcpKmsReference> = {
  async open(reference: string, parsed: GcpKmsReference, settings: KmsSettings): Promise<KmsKey> {
    const ca = await readCaBundle(settings.env, ["SIGNET_KMS_CACERT"]);
    const client = new KeyManagementServiceClient({
      fallback: true,
      ...endpointOptions(reference, settings.env),
      ...credentialOptions(settings.env),
      clientOptions: { transporterOptions: { fetchImplementation: boundedFetch(reference, ca ? new Agent({ connect: { ca: ca.ca } }) : undefined) } },
    });
    const callOptions = { timeout: settings.timeoutMs, maxRetries: 2 };
    const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (error) {
        throw toKmsError(error, reference, what, settings);
      }
    };
    const versionName = parsed.version !== undefined ? `${parsed.cryptoKey}/cryptoKeyVersions/${parsed.version}` : await newestEnabledVersion(reference, parsed, client, callOptions, call);
    const [publicKey] = await call("GetPublicKey", () => client.getPublicKey({ name: versionName }, callOptions));
    const gcpAlgorithm = String(publicKey.algorithm ?? "unknown");
    const expected = ALGORITHMS[gcpAlgorithm];
    if (expected === undefined) {
      throw kmsError("KMS_KEY_UNSUPPORTED", reference, `the key version's algorithm ${gcpAlgorithm} is not one signet signs with (EC_SIGN_P256_SHA256, EC_SIGN_P384_SHA384, RSA_SIGN_PKCS1_*_SHA256, EC_SIGN_ED25519)`, { algorithm: gcpAlgorithm });
    }
    if (typeof publicKey.pem !== "string") throw kmsError("KMS_PROTOCOL", reference, "GetPublicKey returned no PEM");
    const { key, algorithm } = toKmsPublicKey(publicKey.pem, reference);
    if (algorithm !== expected) throw kmsError("KMS_PROTOCOL", reference, `the public key is ${algorithm} but the version's algorithm is ${gcpAlgorithm}`);
    const hash = kmsDigestAlgorithm(algorithm);
    return createKmsKey(reference, key, algorithm, async (message) => {
      const request = hash ? { name: versionName, digest: { [hash]: digestOf(hash, message) } } : { name: versionName, data: message };
      const [signed] = await call("AsymmetricSign", () => client.asymmetricSign(request, callOptions));
      if (!signed.signature || signed.signature.length === 0) throw kmsError("KMS_PROTOCOL", reference, "AsymmetricSign returned no signature");
      return Buffer.from(signed.signature as Uint8Array);
    });
  },
};

async function newestEnabledVersion(
  reference: string,
  parsed: GcpKmsReference,
  client: KeyManagementServiceClient,
  callOptions: { timeout: number; maxRetries: number },
  call: <T>(what: string, run: () => Promise<T>) => Promise<T>,
): Promise<string> {
  const [versions] = await call("ListCryptoKeyVersions", () =>
    client.listCryptoKeyVersions({ parent: parsed.cryptoKey, filter: "state=ENABLED", pageSize: MAX_VERSIONS }, { ...callOptions, autoPaginate: false }),
  );
  let newest: { name: string; number: number } | undefined;
  for (const version of versions.slice(0, MAX_VERSIONS)) {
    const match = VERSION_NAME.exec(version.name ?? "");
    if (!match || !(version.name ?? "").startsWith(`${parsed.cryptoKey}/`) || String(version.state) !== "ENABLED") continue;
    const number = Number(match[1]);
    if (newest === undefined || number > newest.number) newest = { name: version.name!, number };
  }
  if (!newest) throw kmsError("KMS_KEY_NOT_FOUND", reference, "the key has no ENABLED version");
  return newest.name;
}

function endpointOptions(reference: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const override = env["SIGNET_GCPKMS_ENDPOINT"];
  if (!override) return {};
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw new SignetError("USAGE", `${reference}: SIGNET_GCPKMS_ENDPOINT is not a URL`, { hint: "Set SIGNET_GCPKMS_ENDPOINT to https://host[:port] (http:// on loopback only)." });
  }
  const plainAllowed = url.protocol === "http:" && isLoopbackHost(url.hostname);
  if ((url.protocol !== "https:" && !plainAllowed) || url.pathname !== "/" || url.search !== "" || url.username !== "") {
    throw new SignetError("USAGE", `${reference}: SIGNET_GCPKMS_ENDPOINT must be https://host[:port] (http:// on loopback only)`, {
      hint: "Set SIGNET_GCPKMS_ENDPOINT to https://host[:port] (http:// on loopback only).",
    });
  }
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { apiEndpoint: hostname, port: url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port), protocol: url.protocol.slice(0, -1) };
}

function credentialOptions(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const keyFilename = env["GOOGLE_APPLICATION_CREDENTIALS"];
  return keyFilename ? { keyFilename } : {};
}

function toKmsError(error: unknown, reference: string, operation: string, settings: KmsSettings): SignetError {
  // The transport wraps what the bounded fetch threw.
  for (let inner: unknown = error, depth = 0; inner !== undefined && inner !== null && depth < 5; inner = (inner as { cause?: unknown }).cause, depth++) {
    if (SignetError.is(inner)) return inner;
  }
  const code = (error as { code?: unknown }).code;
  const name = (error as { name?: string }).name ?? "Error";
  const details = { operation, error: name, ...(typeof code === "number" || typeof code === "string" ? { status: code } : {}) };
  if (code === DEADLINE_EXCEEDED || isTimeout(error)) return kmsError("KMS_UNAVAILABLE", reference, `${operation}: Cloud KMS did not answer within ${settings.timeoutMs} ms`, details, error);
  // The REST mode reports the HTTP status where gRPC reports its own code.
  if (typeof code === "number" && code >= 100) {
    const mapped = codeForStatus(code);
    const why = mapped === "KMS_UNAUTHORIZED" ? "Cloud KMS refused the credentials" : mapped === "KMS_KEY_NOT_FOUND" ? "Cloud KMS has no such key or version" : `Cloud KMS answered ${code}`;
    return kmsError(mapped, reference, `${operation}: ${why}`, details, error);
  }
  if (code === NOT_FOUND) return kmsError("KMS_KEY_NOT_FOUND", reference, `${operation}: Cloud KMS has no such key or version`, details, error);
  if (code === UNAUTHENTICATED || code === PERMISSION_DENIED) return kmsError("KMS_UNAUTHORIZED", reference, `${operation}: Cloud KMS refused the credentials`, details, error);
  if (/Could not load the default credentials|invalid_grant|unauthorized_client/i.test((error as Error).message ?? "")) {
    return kmsError("KMS_UNAUTHORIZED", reference, `${operation}: no Google credentials (set GOOGLE_APPLICATION_CREDENTIALS or run \`gcloud auth application-default login\`)`, details, error);
  }
  return kmsError("KMS_UNAVAILABLE", reference, `${operation}: Cloud KMS failed (${typeof code === "number" ? `status ${code}` : name})`, details, error);
}

/**
 * The fetch the SDK's transport (gaxios) uses, refusing any answer above LIMITS.kmsResponseBytes (declared or
 * streamed): the SDK would otherwise read whole bodies. Used for token requests and API calls alike.
 */
function boundedFetch(reference: string, dispatcher: Dispatcher | undefined): typeof fetch {
  const limit = LIMITS.kmsResponseBytes;
  const tooLarge = (size: number) => kmsError("KMS_PROTOCOL", reference, `Cloud KMS answered with ${size} bytes or more; at most ${limit} are accepted`);
  const bounded = async (input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) => {
    const response = await undiciFetch(input, { ...init, ...(dispatcher ? { dispatcher } : {}) });
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > limit) {
      await response.body?.cancel();
      throw tooLarge(declared);
    }
    if (!response.body) return response;
    let total = 0;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          total += chunk.byteLength;
          if (total > limit) controller.error(tooLarge(total));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body as ReadableStream<Uint8Array>, { status: response.status, statusText: response.statusText, headers: new Headers([...response.headers]) });
  };
  return bounded as unknown as typeof fetch;
}
