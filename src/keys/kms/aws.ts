/**
 * `awskms://[ENDPOINT]/KEY`: a key of AWS KMS through the official SDK (@aws-sdk/client-kms), as cosign's
 * provider uses it: GetPublicKey once, then Sign with MessageType DIGEST and the key's own ECDSA or RSA PKCS#1
 * algorithm. SM2 keys (China regions) sign with SM2DSA over the RAW message, so KMS computes the SM3 hash with the
 * standard distinguishing ID. An ENDPOINT is reached over HTTPS (as cosign does); AWS_CA_BUNDLE names a private CA.
 * Credentials and region are the SDK's (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN from the given
 * environment, else its default chain: profiles, SSO, web identity, instance roles); an ARN's region wins.
 */
import { Agent as HttpsAgent } from "node:https";
import { GetPublicKeyCommand, KMSClient, SignCommand, type GetPublicKeyCommandOutput, type MessageType, type SigningAlgorithmSpec } from "@aws-sdk/client-kms";
import { SignetError } from "../../errors/index.js";
import { readBounded } from "../../internal/bounded-read.js";
import { LIMITS } from "../../internal/limits.js";
import type { KeyAlgorithm } from "../key-algorithm.js";
import { createKmsKey, deadline, digestOf, isTimeout, kmsDigestAlgorithm, kmsError, readCaBundle, toKmsPublicKey, type KmsKey, type KmsProvider, type KmsSettings } from "./provider.js";
import type { AwsKmsReference } from "./reference.js";

interface SigningPlan {
  readonly algorithm: SigningAlgorithmSpec;
  readonly messageType: MessageType;
}

/** The KMS signing algorithm for each key algorithm signet accepts; RSA-PSS is not offered (cosign signs PKCS#1). */
const SIGNING_ALGORITHMS: Partial<Record<KeyAlgorithm, SigningPlan>> = {
  "ecdsa-p256": { algorithm: "ECDSA_SHA_256", messageType: "DIGEST" },
  "ecdsa-p384": { algorithm: "ECDSA_SHA_384", messageType: "DIGEST" },
  "ecdsa-p521": { algorithm: "ECDSA_SHA_512", messageType: "DIGEST" },
  rsa: { algorithm: "RSASSA_PKCS1_V1_5_SHA_256", messageType: "DIGEST" },
  sm2: { algorithm: "SM2DSA", messageType: "RAW" },
};
/** AWS takes a RAW message of at most 4096 bytes. */
const RAW_MESSAGE_LIMIT = 4096;

const AUTH_ERRORS = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignature",
  "AccessDeniedException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "MissingAuthenticationToken",
  "CredentialsProviderError",
]);

export const awsKmsProvider: KmsProvider<AwsKmsReference> = {
  async open(reference: string, parsed: AwsKmsReference, settings: KmsSettings): Promise<KmsKey> {
    const client = await createClient(reference, parsed, settings);
    const call = async <T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
      try {
        return await run(deadline(settings));
      } catch (error) {
        throw toKmsError(error, reference, what, settings);
      }
    };
    const described: GetPublicKeyCommandOutput = await call("GetPublicKey", (abortSignal) => client.send(new GetPublicKeyCommand({ KeyId: parsed.keyId }), { abortSignal }));
    const keySpec = described.KeySpec ?? "unknown";
    if (keySpec === "ECC_SECG_P256K1") {
      throw kmsError("KMS_KEY_UNSUPPORTED", reference, "the key spec ECC_SECG_P256K1 (secp256k1) cannot sign images: cosign and signet verify P-256/P-384/P-521, RSA, Ed25519 and SM2", { keySpec });
    }
    if (described.KeyUsage !== "SIGN_VERIFY") {
      throw kmsError("KMS_KEY_UNSUPPORTED", reference, `the key's usage is ${described.KeyUsage ?? "unknown"}, not SIGN_VERIFY`, { keySpec, keyUsage: described.KeyUsage });
    }
    if (!described.PublicKey) throw kmsError("KMS_PROTOCOL", reference, "GetPublicKey returned no public key");
    const { key, algorithm } = toKmsPublicKey(Buffer.from(described.PublicKey), reference);
    const plan = SIGNING_ALGORITHMS[algorithm];
    if (!plan || !(described.SigningAlgorithms ?? []).includes(plan.algorithm)) {
      throw kmsError("KMS_KEY_UNSUPPORTED", reference, `the key spec ${keySpec} offers ${(described.SigningAlgorithms ?? []).join(", ") || "no signing algorithm"}, not ${plan?.algorithm ?? "one signet signs with"}`, {
        keySpec,
      });
    }
    const keyId = described.KeyId ?? parsed.keyId;
    const hash = kmsDigestAlgorithm(algorithm);
    return createKmsKey(reference, key, algorithm, async (message) => {
      if (plan.messageType === "RAW" && message.length > RAW_MESSAGE_LIMIT) {
        throw kmsError("KMS_KEY_UNSUPPORTED", reference, `AWS KMS signs SM2 messages of at most ${RAW_MESSAGE_LIMIT} bytes; this one has ${message.length}`);
      }
      const input = plan.messageType === "DIGEST" && hash ? digestOf(hash, message) : message;
      const signed = await call("Sign", (abortSignal) =>
        client.send(new SignCommand({ KeyId: keyId, Message: input, MessageType: plan.messageType, SigningAlgorithm: plan.algorithm }), { abortSignal }),
      );
      if (!signed.Signature) throw kmsError("KMS_PROTOCOL", reference, "Sign returned no signature");
      return Buffer.from(signed.Signature);
    });
  },
};

async function createClient(reference: string, parsed: AwsKmsReference, settings: KmsSettings): Promise<KMSClient> {
  const { env } = settings;
  const region = parsed.region ?? (env["AWS_REGION"] || env["AWS_DEFAULT_REGION"]);
  if (!region) {
    throw new SignetError("USAGE", `${reference}: no AWS region: the key is not an ARN and neither AWS_REGION nor AWS_DEFAULT_REGION is set`, {
      hint: "Set AWS_REGION, or name the key by its ARN (awskms:///arn:aws:kms:REGION:ACCOUNT:key/ID).",
    });
  }
  const ca = await readCaBundle(env, ["AWS_CA_BUNDLE", "SIGNET_KMS_CACERT"]);
  const accessKeyId = env["AWS_ACCESS_KEY_ID"];
  const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"];
  const client = new KMSClient({
    region,
    ...(parsed.endpoint !== "" ? { endpoint: `https://${parsed.endpoint}` } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(env["AWS_SESSION_TOKEN"] ? { sessionToken: env["AWS_SESSION_TOKEN"] } : {}) } }
      : {}),
    requestHandler: {
      connectionTimeout: settings.timeoutMs,
      requestTimeout: settings.timeoutMs,
      ...(ca ? { httpsAgent: new HttpsAgent({ ca: ca.ca, keepAlive: true }) } : {}),
    },
    maxAttempts: 3,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { headers?: Record<string, string>; body?: unknown };
      const declared = Number(response.headers?.["content-length"]);
      if (Number.isFinite(declared) && declared > LIMITS.kmsResponseBytes) {
        throw kmsError("KMS_PROTOCOL", reference, `AWS KMS answered with ${declared} bytes; at most ${LIMITS.kmsResponseBytes} are accepted`);
      }
      if (response.body && typeof (response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
        response.body = await readBounded(response.body as AsyncIterable<Uint8Array>, LIMITS.kmsResponseBytes, "AWS KMS's answer");
      }
      return result;
    },
    { step: "finalizeRequest", name: "signetBoundedResponse", priority: "low" },
  );
  return client;
}

function toKmsError(error: unknown, reference: string, operation: string, settings: KmsSettings): SignetError {
  if (SignetError.is(error)) return error.code.startsWith("KMS_") ? error : kmsError("KMS_PROTOCOL", reference, `${operation}: ${error.message}`);
  const name = (error as { name?: string }).name ?? "Error";
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const details = { operation, error: name, ...(status !== undefined ? { status } : {}) };
  if (isTimeout(error)) return kmsError("KMS_UNAVAILABLE", reference, `${operation}: AWS KMS did not answer within ${settings.timeoutMs} ms`, details, error);
  if (name === "NotFoundException") return kmsError("KMS_KEY_NOT_FOUND", reference, `${operation}: AWS KMS has no such key`, details, error);
  if (AUTH_ERRORS.has(name) || status === 401 || status === 403) {
    return kmsError("KMS_UNAUTHORIZED", reference, `${operation}: AWS KMS refused the credentials (${name})`, details, error);
  }
  if (name === "DisabledException" || name === "KMSInvalidStateException") return kmsError("KMS_UNAVAILABLE", reference, `${operation}: the key is disabled or pending deletion (${name})`, details, error);
  if (name === "ThrottlingException") return kmsError("KMS_UNAVAILABLE", reference, `${operation}: AWS KMS is throttling requests (after retries)`, details, error);
  const why = status !== undefined ? `AWS KMS answered ${status} (${name})` : `cannot reach AWS KMS (${(error as NodeJS.ErrnoException).code ?? name})`;
  return kmsError("KMS_UNAVAILABLE", reference, `${operation}: ${why}`, details, error);
}
