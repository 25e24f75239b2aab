export { KEY_ALGORITHMS, RSA_MAX_BITS, RSA_MIN_BITS, isKeyAlgorithm, keyAlgorithmOf, type KeyAlgorithm } from "./key-algorithm.js";
export { createSigningKey, generateSigningKey, type GenerateSigningKeyOptions, type RsaModulusBits, type SigningKey } from "./signing-key.js";
export { signWithKey, verifyWithKey } from "./sign-verify.js";
export {
  COSIGN_ENCRYPTED_LABEL,
  SIGSTORE_ENCRYPTED_LABEL,
  decryptPrivateKey,
  encryptPrivateKey,
  isCosignEncryptedLabel,
  scryptDeriveKey,
  type DecryptPrivateKeyOptions,
  type DeriveKey,
  type EncryptPrivateKeyOptions,
  type ScryptParams,
} from "./cosign-encrypted.js";
export { isEncryptedPrivateKeyPem, parsePrivateKeyPem, privateKeyToPem, type ParsePrivateKeyOptions } from "./private-key.js";
export { parsePublicKeyPem, publicKeyToPem, publicKeysEqual } from "./public-key.js";
export {
  createPasswordProvider,
  passwordFromInput,
  resolvePassword,
  type PasswordInput,
  type PasswordProvider,
  type PasswordTerminal,
  type ResolvePasswordOptions,
  type TerminalInput,
} from "./password.js";
export { KEY_FILE_MAX_BYTES } from "./key-text.js";
export { loadPrivateKey, loadPublicKey, loadSigner, publicKeyFromPrivate, type KeyReferenceOptions, type LoadSignerOptions } from "./key-files.js";
export { KMS_SCHEMES, describeKeyReference, keyReferenceScheme, parseKeyReference, type KeyReference, type KeyReferenceKind, type KmsScheme } from "./key-reference.js";
export { parsePkcs11Uri, redactPkcs11Uri, type Pkcs11Uri } from "./pkcs11-uri.js";
export { signerFromRemoteKey, type RemoteKey, type Signer } from "./signer.js";
export { keyPairPathsIn, writeKeyPair, type KeyPairPaths, type WriteKeyPairOptions } from "./write-key-pair.js";
export { importKeyPair, type ImportedKeyPair } from "./import-key-pair.js";
