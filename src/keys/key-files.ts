import type { KeyObject } from "node:crypto";
import { open } from "node:fs/promises";
import { SignetError } from "../errors/index.js";
import { KEY_FILE_MAX_BYTES } from "./key-text.js";
import type { PasswordInput } from "./password.js";
import type { ParsePrivateKeyOptions } from "./private-key.js";
import { describeKeyReference, keyReferenceScheme, parseKeyReference, type KeyReference } from "./key-reference.js";
import { parsePublicKeyPem } from "./public-key.js";
import type { Signer } from "./signer.js";
import type { SigningKey } from "./signing-key.js";

/** How references that need the outside world are read (every field optional). */
export interface KeyReferenceOptions {
  /** env:// variables, COSIGN_PKCS11_* and the in-cluster Kubernetes variables. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** For k8s://: a kubeconfig file; in-cluster credentials when absent. */
  readonly kubeconfig?: string | undefined;
  /** For k8s:// in-cluster (tests). */
  readonly serviceAccountDir?: string | undefined;
  /** For k8s:// and KMS requests. */
  readonly timeoutMs?: number;
}

export interface LoadSignerOptions extends KeyReferenceOptions, ParsePrivateKeyOptions {
  /** For an encrypted key in a file or env://; a k8s:// Secret carries its own cosign.password. */
  readonly password?: PasswordInput;
}

/**
 * The public key a reference names (keys/key-reference.ts): a PEM public key or certificate in a file, in env://VAR
 * or in a Secret's cosign.pub; the public half of a PKCS#11 or KMS key.
 */
export async function loadPublicKey(reference: string, options: KeyReferenceOptions = {}): Promise<KeyObject> {
  const parsed = parseKeyReference(reference);
  switch (parsed.kind) {
    case "file":
    case "env":
    case "k8s": {
      const { bytes, where } = await readKeyReferenceBytes(parsed, "public", options);
      return withPath(where, () => parsePublicKeyPem(bytes));
    }
    case "pkcs11":
    case "kms":
      return (await openRemoteSigner(parsed, options)).publicKey;
    case "kbs":
      throw kbsOnlyInPolicies(parsed.text);
  }
}

/**
 * A private key held in memory: a PEM (cosign encrypted or plain) in a file, in env://VAR, or a Secret's cosign.key
 * (decrypted with its cosign.password). KEY_REF_UNSUPPORTED for a token or KMS key, which never leaves its
 * keeper: use loadSigner. `password` is consulted only for an encrypted key.
 */
export async function loadPrivateKey(reference: string, password?: PasswordInput, options: ParsePrivateKeyOptions & KeyReferenceOptions = {}): Promise<SigningKey> {
  const parsed = parseKeyReference(reference);
  if (parsed.kind !== "file" && parsed.kind !== "env" && parsed.kind !== "k8s") {
    if (parsed.kind === "kbs") throw kbsOnlyInPolicies(parsed.text);
    throw new SignetError("KEY_REF_UNSUPPORTED", `${describeKeyReference(reference)}: a ${keyReferenceScheme(parsed)} key cannot be exported into memory; sign through it instead (loadSigner)`, { details: { scheme: keyReferenceScheme(parsed) } });
  }
  const { bytes, where, secretPassword } = await readKeyReferenceBytes(parsed, "private", options);
  // Loaded here, not at the top: verifying with a public key should not load the private-key and password code.
  const { parsePrivateKeyPem } = await import("./private-key.js");
  return withPath(where, () => parsePrivateKeyPem(bytes, secretPassword ?? password, options));
}

/** What signs with the key a reference names: in memory (file, env://, k8s://), in a PKCS#11 token, or in a KMS. */
export async function loadSigner(reference: string, options: LoadSignerOptions = {}): Promise<Signer> {
  const parsed = parseKeyReference(reference);
  if (parsed.kind === "pkcs11" || parsed.kind === "kms") return openRemoteSigner(parsed, options);
  return loadPrivateKey(reference, options.password, options);
}

/** The public half of a private key reference, for `signet public-key --key REF`. */
export async function publicKeyFromPrivate(reference: string, password?: PasswordInput, options: ParsePrivateKeyOptions & KeyReferenceOptions = {}): Promise<KeyObject> {
  return (await loadSigner(reference, { ...options, ...(password !== undefined ? { password } : {}) })).publicKey;
}

/**
 * The bytes a file, env:// or k8s:// reference names, bounded by KEY_FILE_MAX_BYTES: for a public key a Secret's
 * cosign.pub, for a private key its cosign.key with cosign.password; `/KEY` in a k8s:// reference picks the entry.
 */
export async function readKeyReferenceBytes(
  reference: Extract<KeyReference, { kind: "file" | "env" | "k8s" }>,
  role: "public" | "private",
  options: KeyReferenceOptions = {},
): Promise<{ bytes: Buffer; where: string; secretPassword?: Buffer }> {
  const what = role === "public" ? "public key" : "private key";
  switch (reference.kind) {
    case "file":
      return { bytes: await readKeyFile(reference.path, what), where: reference.path };
    case "env": {
      const value = (options.env ?? process.env)[reference.variable];
      if (value === undefined || value === "") {
        throw new SignetError("KEY_REF_UNREADABLE", `the key reference ${reference.text} names an environment variable that is not set`, {
          hint: `Put the PEM ${what} in ${reference.variable} (export ${reference.variable}="$(cat key.pem)").`,
          details: { scheme: "env", variable: reference.variable },
        });
      }
      if (value.length > KEY_FILE_MAX_BYTES) throw new SignetError("KEY_INVALID", `the environment variable ${reference.variable} is larger than ${KEY_FILE_MAX_BYTES} bytes: not a key`);
      return { bytes: Buffer.from(value, "utf8"), where: reference.text };
    }
    case "k8s": {
      const { readSecretData, secretValue, COSIGN_SECRET_PASSWORD, COSIGN_SECRET_PRIVATE_KEY, COSIGN_SECRET_PUBLIC_KEY } = await import("./k8s-secret.js");
      const secret = await readSecretData({ namespace: reference.namespace, name: reference.name }, options);
      const where = `Kubernetes secret ${reference.namespace}/${reference.name}`;
      const entry = reference.key ?? (role === "public" ? COSIGN_SECRET_PUBLIC_KEY : COSIGN_SECRET_PRIVATE_KEY);
      const bytes = secretValue(secret, entry, where);
      if (bytes.length > KEY_FILE_MAX_BYTES) throw new SignetError("KEY_INVALID", `${where}: ${entry} is larger than ${KEY_FILE_MAX_BYTES} bytes: not a key`);
      if (role === "public") return { bytes, where: `${where} (${entry})` };
      // cosign keeps the key's password beside it; an unencrypted key needs none.
      const secretPassword = secret.data.get(COSIGN_SECRET_PASSWORD);
      return { bytes, where: `${where} (${entry})`, ...(secretPassword !== undefined ? { secretPassword } : {}) };
    }
  }
}

async function openRemoteSigner(reference: Extract<KeyReference, { kind: "pkcs11" | "kms" }>, options: KeyReferenceOptions): Promise<Signer> {
  if (reference.kind === "pkcs11") {
    const { openPkcs11Signer } = await import("./pkcs11-signer.js");
    return openPkcs11Signer(reference.text, reference.uri, options.env !== undefined ? { env: options.env } : {});
  }
  const [{ openKmsKey }, { signerFromRemoteKey }] = await Promise.all([import("./kms/index.js"), import("./signer.js")]);
  const key = await openKmsKey(reference.text, { ...(options.env !== undefined ? { env: options.env } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
  return signerFromRemoteKey(key);
}

function kbsOnlyInPolicies(text: string): SignetError {
  return new SignetError("KEY_REF_UNSUPPORTED", `${text}: kbs:/// keys are Key Broker Service resources, read by policies (policy.json keyPath), not by --key`, {
    hint: "Download the resource (signet kbs) and give its path, or name the key in a policy.",
    details: { scheme: "kbs" },
  });
}

/** Reads a key file, bounded by KEY_FILE_MAX_BYTES. */
export async function readKeyFile(path: string, what: string): Promise<Buffer> {
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(KEY_FILE_MAX_BYTES + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > KEY_FILE_MAX_BYTES) {
          throw new SignetError("KEY_INVALID", `${path} is larger than ${KEY_FILE_MAX_BYTES} bytes: not a ${what} file`, { details: { path } });
        }
      }
      return buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (SignetError.is(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new SignetError("KEY_NOT_FOUND", `${what} file ${path} does not exist`, { details: { path } });
    }
    if (code === "EISDIR") throw new SignetError("KEY_INVALID", `${path} is a directory, not a ${what} file`, { details: { path } });
    throw new SignetError("IO_ERROR", `cannot read ${what} file ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
  }
}

/** Runs `action`, prefixing the message of any SignetError with the file it concerns. */
async function withPath<T>(path: string, action: () => T | Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    throw new SignetError(error.code, `${path}: ${error.message}`, {
      hint: error.hint,
      details: { ...error.details, path },
      cause: error.cause,
    });
  }
}
