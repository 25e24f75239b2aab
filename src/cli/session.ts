import type { KeyObject } from "node:crypto";
import { loadPrivateKey, loadPublicKey } from "../keys/key-files.js";
import type { SigningKey } from "../keys/signing-key.js";
import type { CommandContext } from "./command.js";
import { stringOption } from "./options.js";

/** Loads the signing key named by --key, asking for its password the cosign way. */
export async function signingKeyFrom(context: CommandContext, keyPath: string): Promise<SigningKey> {
  return loadPrivateKey(keyPath, { passwordFile: stringOption(context, "password-file"), env: context.io.env, prompt: true });
}

/** Loads the public key named by --key (a public key, a certificate, or a private key's public half). */
export async function publicKeyFrom(keyPath: string): Promise<KeyObject> {
  return loadPublicKey(keyPath);
}
