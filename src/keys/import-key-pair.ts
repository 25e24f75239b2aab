import { SignetError } from "../errors/index.js";
import { readKeyFile } from "./key-files.js";
import type { PasswordInput } from "./password.js";
import { isEncryptedPrivateKeyPem, parsePrivateKeyPem } from "./private-key.js";
import type { SigningKey } from "./signing-key.js";
import { writeKeyPair, type KeyPairPaths, type WriteKeyPairOptions } from "./write-key-pair.js";

export interface ImportedKeyPair extends KeyPairPaths {
  key: SigningKey;
}

/**
 * Like `cosign import-key-pair --key PEM -o PREFIX`: reads a plain PEM private key (PKCS#8, SEC 1 EC or PKCS#1
 * RSA; ECDSA P-256/384/521, Ed25519 or RSA) and writes PREFIX.key (cosign encrypted with `password`) and PREFIX.pub.
 * cosign's default prefix is "import-cosign".
 */
export async function importKeyPair(pemPath: string, password: PasswordInput, outPrefix = "import-cosign", options: WriteKeyPairOptions = {}): Promise<ImportedKeyPair> {
  const bytes = await readKeyFile(pemPath, "private key");
  if (isEncryptedPrivateKeyPem(bytes)) {
    throw new SignetError("KEY_INVALID", `${pemPath} is already a cosign encrypted key; import takes a plain PEM private key`, {
      details: { path: pemPath },
      hint: "Use the key as it is, or decrypt it first if you need to re-encrypt it.",
    });
  }
  let key: SigningKey;
  try {
    key = await parsePrivateKeyPem(bytes);
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    throw new SignetError(error.code, `${pemPath}: ${error.message}`, { hint: error.hint, details: { ...error.details, path: pemPath }, cause: error.cause });
  }
  const paths = await writeKeyPair({ privatePath: `${outPrefix}.key`, publicPath: `${outPrefix}.pub` }, key, password, options);
  return { ...paths, key };
}
