export { createAccessPool, type AccessPool, type AccessPoolOptions } from "./access-pool.js";
export { parsePullSecret, type PullSecretAuths } from "./docker-config-secret.js";
export { pullSecretRefsOf, type PullSecretRefs } from "./pull-secret-refs.js";
export { createPullSecretReader, type PullSecretReader, type PullSecretReaderOptions, type ResolvedPullSecrets } from "./pull-secret-reader.js";
export { createPullSecretCredentialStore } from "./pull-secret-store.js";
export { createRequestAccess, type RequestAccess } from "./request-credentials.js";
