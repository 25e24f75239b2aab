/**
 * Signing keys held in a KMS: `awskms://`, `gcpkms://`, `azurekms://` and `hashivault://`, as cosign names them.
 * Each provider lives in its own module and is imported only when a reference of its scheme is opened, so the
 * cloud SDKs cost nothing to a command that uses a key file.
 */
import { SignetError } from "../../errors/index.js";
import { resolveKmsSettings, type KmsKey, type KmsOpenOptions, type KmsProvider } from "./provider.js";
import { parseKmsReference, type KmsReference, type KmsScheme } from "./reference.js";

export type { KmsKey, KmsOpenOptions } from "./provider.js";
export { isKmsReference, parseKmsReference, KMS_REFERENCE_FORMS, type KmsReference, type KmsScheme } from "./reference.js";

const PROVIDERS: Readonly<Record<KmsScheme, () => Promise<KmsProvider<never>>>> = {
  awskms: async () => (await import("./aws.js")).awsKmsProvider,
  gcpkms: async () => (await import("./gcp.js")).gcpKmsProvider,
  azurekms: async () => (await import("./azure.js")).azureKmsProvider,
  hashivault: async () => (await import("./hashivault.js")).hashivaultProvider,
};

/**
 * Opens the key `reference` names: parses it (KMS_REFERENCE_INVALID naming the expected form), loads the
 * provider's SDK, and fetches the public key once (KMS_UNAUTHORIZED, KMS_KEY_NOT_FOUND, KMS_KEY_UNSUPPORTED,
 * KMS_UNAVAILABLE, KMS_PROTOCOL).
 */
export async function openKmsKey(reference: string, options?: KmsOpenOptions): Promise<KmsKey> {
  const parsed = parseKmsReference(reference);
  const settings = resolveKmsSettings(options);
  let provider: KmsProvider<KmsReference>;
  try {
    provider = (await PROVIDERS[parsed.scheme]()) as KmsProvider<KmsReference>;
  } catch (error) {
    throw new SignetError("INTERNAL", `the ${parsed.scheme} provider could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  return provider.open(reference, parsed, settings);
}
