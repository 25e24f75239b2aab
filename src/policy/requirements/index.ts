export { fetchFailureOutcome, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
export { compileDockerContentTrust } from "./docker-content-trust.js";
export { compileInsecureAcceptAnything } from "./insecure-accept-anything.js";
export { compileReject } from "./reject.js";
export { compileSignedBaseLayer } from "./signed-base-layer.js";
export { compileSignedBy } from "./signed-by.js";
export { SIGSTORE_SIGNATURE_MEDIA_TYPE, compileSigstoreSigned } from "./sigstore-signed.js";
export { describeKeySource, summarizeSignatures, toSignatureVerdicts } from "./signature-outcomes.js";
export { compileNotationSigned } from "./notation-signed.js";
