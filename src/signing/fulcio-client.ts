/**
 * Fulcio's v2 API (`POST /api/v2/signingCert`): a short-lived code-signing certificate for a public key, bound
 * to the identity in an OIDC token. The proof of possession is the key's signature over the token's subject.
 */
import { X509Certificate } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { requestJson } from "./http-json.js";

export const DEFAULT_FULCIO_URL = "https://fulcio.sigstore.dev";

export interface SigningCertificateRequest {
  readonly fulcioUrl: string;
  readonly identityToken: string;
  /** PEM SubjectPublicKeyInfo of the key to certify. */
  readonly publicKeyPem: string;
  /** The key's signature over the token's subject (DER for ECDSA). */
  readonly proofOfPossession: Buffer;
  readonly timeoutMs?: number;
}

export interface SigningCertificate {
  /** The leaf certificate, PEM. */
  readonly certificatePem: string;
  /** The intermediates and root that issued it, PEM, leaf's issuer first (cosign's chain annotation). */
  readonly chainPem: string;
  /** The leaf, parsed. */
  readonly certificate: X509Certificate;
}

export async function requestSigningCertificate(request: SigningCertificateRequest): Promise<SigningCertificate> {
  let url: URL;
  try {
    url = new URL("/api/v2/signingCert", request.fulcioUrl);
  } catch {
    throw new SignetError("USAGE", `--fulcio-url ${JSON.stringify(request.fulcioUrl)} is not a URL`);
  }
  const { body } = await requestJson(
    {
      url,
      method: "POST",
      body: {
        credentials: { oidcIdentityToken: request.identityToken },
        publicKeyRequest: { publicKey: { algorithm: "ECDSA", content: request.publicKeyPem }, proofOfPossession: request.proofOfPossession.toString("base64") },
      },
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      maxBytes: 1024 * 1024,
    },
    { name: "Fulcio", code: "FULCIO_ERROR" },
  );
  const answer = body as { signedCertificateEmbeddedSct?: { chain?: { certificates?: unknown } }; signedCertificateDetachedSct?: { chain?: { certificates?: unknown } } };
  const certificates = answer.signedCertificateEmbeddedSct?.chain?.certificates ?? answer.signedCertificateDetachedSct?.chain?.certificates;
  if (!Array.isArray(certificates) || certificates.length === 0 || !certificates.every((c): c is string => typeof c === "string")) {
    throw new SignetError("FULCIO_ERROR", "Fulcio answered without a certificate chain");
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificates[0]!);
  } catch {
    throw new SignetError("FULCIO_ERROR", "Fulcio answered with a certificate that cannot be parsed");
  }
  return { certificatePem: normalizePem(certificates[0]!), chainPem: certificates.slice(1).map(normalizePem).join(""), certificate };
}

function normalizePem(pem: string): string {
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}
