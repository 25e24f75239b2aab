export { createRegistryClient, type RegistryClient, type RegistryClientOptions, type RegistryClientStats } from "./client.js";
export type { RegistryRepository, RegistryRepositoryExtras } from "./registry-repository.js";
export {
  authFileSearchPath,
  createCredentialStore,
  createStaticCredentialStore,
  NO_CREDENTIALS,
  type CredentialStore,
  type CredentialStoreOptions,
  type RegistryCredentials,
} from "./credentials.js";
export { loginAuthFile, removeLogin, saveLogin, verifyLogin, type LoginFileOptions, type LoginOptions } from "./login.js";
export { parseWwwAuthenticate, type AuthChallenge } from "./www-authenticate.js";
