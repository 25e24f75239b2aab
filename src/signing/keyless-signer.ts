/**
 * An ephemeral key certified by Fulcio for the identity in an OIDC token: what a keyless signature is made
 * with. The key lives only in memory, for one signing run.
 */
import { SignetError } from "../errors/index.js";
import { generateSigningKey, publicKeyToPem, signWithKey, type SigningKey } from "../keys/index.js";
import { requestSigningCertificate, type SigningCertificate } from "./fulcio-client.js";
import type { IdentityToken } from "./identity-token.js";

export interface KeylessSigner {
  readonly key: SigningKey;
  readonly certificate: SigningCertificate;
  readonly identity: IdentityToken;
}

export async function createKeylessSigner(options: { readonly fulcioUrl: string; readonly identity: IdentityToken; readonly timeoutMs?: number }): Promise<KeylessSigner> {
  const key = generateSigningKey("ecdsa-p256");
  const publicKeyPem = publicKeyToPem(key.publicKey);
  const certificate = await requestSigningCertificate({
    fulcioUrl: options.fulcioUrl,
    identityToken: options.identity.token,
    publicKeyPem,
    proofOfPossession: signWithKey(key, Buffer.from(options.identity.subject, "utf8")),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  // Fulcio must certify the key we asked for, not another one.
  if (!certificate.certificate.publicKey.equals(key.publicKey)) throw new SignetError("FULCIO_ERROR", "Fulcio issued a certificate for another public key than the one sent");
  return { key, certificate, identity: options.identity };
}
