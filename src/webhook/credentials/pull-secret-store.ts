import { credentialKeyCandidates, type CredentialStore } from "../../oci/registry/credentials.js";
import type { PullSecretAuths } from "./docker-config-secret.js";

/**
 * Credentials from pull secrets, over a fallback store (the configured auth file). The most specific key
 * wins across all secrets ("host/org/app" before "host/org" before "host"); for equal keys, the first secret
 * named. Hosts match exactly, as in the auth file store: credentials are never sent to another registry.
 */
export function createPullSecretCredentialStore(secrets: readonly PullSecretAuths[], fallback?: CredentialStore): CredentialStore {
  return {
    async get(registryHost, repository) {
      for (const candidate of credentialKeyCandidates(registryHost.toLowerCase(), repository)) {
        for (const secret of secrets) {
          const found = secret.get(candidate);
          if (found !== undefined) return found;
        }
      }
      return fallback?.get(registryHost, repository);
    },
  };
}
