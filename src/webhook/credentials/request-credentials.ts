import type { ImageAccess } from "../../oci/image-access.js";
import type { AdmissionRequest } from "../admission/types.js";
import type { AccessPool } from "./access-pool.js";
import { pullSecretRefsOf } from "./pull-secret-refs.js";
import type { PullSecretReader } from "./pull-secret-reader.js";

/** The ImageAccess for one request's images, read on first need (a cached decision needs no registry). */
export type RequestAccess = () => Promise<ImageAccess>;

/**
 * Binds a request to the registry credentials of its pods. The pull secrets are read once per request, and
 * only if some image needs the registry; a failure rejects, and each image that needed it is "could not
 * evaluate" with the reason.
 */
export function createRequestAccess(reader: PullSecretReader, pool: AccessPool): (request: AdmissionRequest) => RequestAccess | undefined {
  return (request) => {
    let refs;
    try {
      refs = pullSecretRefsOf(request);
    } catch (error) {
      const failed = Promise.reject(error);
      failed.catch(() => undefined);
      return () => failed;
    }
    if (refs === undefined) return undefined;
    let access: Promise<ImageAccess> | undefined;
    return () => (access ??= reader.read(refs).then((resolved) => pool.accessFor(resolved)));
  };
}
