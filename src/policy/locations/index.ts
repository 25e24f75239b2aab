export { createLocationReader, type LocationReaderOptions } from "./location-reader.js";
export { readFileLocation } from "./file-location.js";
export { KBS_SCHEME, parseKbsUri, readKbsResource, type KbsResourcePath } from "./kbs-location.js";
export { K8S_SCHEME, parseK8sUri, readK8sSecretKey, type K8sSecretKeyPath } from "./k8s-location.js";
