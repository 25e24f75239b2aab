import type { KeyObject } from "node:crypto";
import { loadPublicKey, loadSigner, type Signer } from "../keys/index.js";
import type { CommandContext } from "./command.js";
import { stringOption } from "./options.js";

/**
 * Opens what signs with the key --key names, in the one key reference grammar (keys/key-reference.ts): a file,
 * env://VAR, k8s://NS/SECRET, pkcs11:..., or a KMS URI. An encrypted key's password is asked the cosign way.
 */
export async function signingKeyFrom(context: CommandContext, keyPath: string): Promise<Signer> {
  const password = { passwordFile: stringOption(context, "password-file"), env: context.io.env, prompt: true };
  return loadSigner(keyPath, { password, env: context.io.env });
}

/** Loads the public key --key names (a public key or certificate; the public half of a PKCS#11 or KMS key). */
export async function publicKeyFrom(keyPath: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  return loadPublicKey(keyPath, { env });
}
