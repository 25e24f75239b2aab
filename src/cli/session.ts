import type { KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { KEY_FILE_MAX_BYTES, loadPrivateKey, loadPublicKey } from "../keys/index.js";
import type { SigningKey } from "../keys/signing-key.js";
import type { CommandContext } from "./command.js";
import { stringOption } from "./options.js";

/**
 * cosign's `env://NAME` key reference (GitHub Actions keep keys in secrets this way): the key's PEM text from the
 * environment variable NAME. undefined for a file path.
 */
function keyFromEnv(reference: string, env: NodeJS.ProcessEnv): Buffer | undefined {
  if (!reference.startsWith("env://")) return undefined;
  const name = reference.slice("env://".length);
  const value = env[name];
  if (name === "" || value === undefined || value === "") {
    throw new SignetError("KEY_NOT_FOUND", `the key reference ${reference} names an environment variable that is not set`, { details: { variable: name } });
  }
  if (value.length > KEY_FILE_MAX_BYTES) throw new SignetError("KEY_INVALID", `the environment variable ${name} is larger than ${KEY_FILE_MAX_BYTES} bytes: not a key`);
  return Buffer.from(value, "utf8");
}

/** Loads the signing key named by --key (a file or env://NAME), asking for its password the cosign way. */
export async function signingKeyFrom(context: CommandContext, keyPath: string): Promise<SigningKey> {
  const password = { passwordFile: stringOption(context, "password-file"), env: context.io.env, prompt: true };
  const fromEnv = keyFromEnv(keyPath, context.io.env);
  if (fromEnv === undefined) return loadPrivateKey(keyPath, password);
  const { parsePrivateKeyPem } = await import("../keys/private-key.js");
  return parsePrivateKeyPem(fromEnv, password);
}

/** Loads the public key named by --key (a public key, a certificate, or a private key's public half; a file or env://NAME). */
export async function publicKeyFrom(keyPath: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  const fromEnv = keyFromEnv(keyPath, env);
  if (fromEnv === undefined) return loadPublicKey(keyPath);
  const { parsePublicKeyPem } = await import("../keys/public-key.js");
  return parsePublicKeyPem(fromEnv);
}
