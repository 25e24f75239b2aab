export { OciLayoutRepository, openLayout, type OpenLayoutOptions } from "./oci-layout-repository.js";
export { REF_NAME_ANNOTATION, refNameOf, type OciIndexDocument } from "./index-document.js";
export { withLockFile, type LockOptions } from "./lock-file.js";
export { createTestImage, type TestImage, type TestImageOptions } from "./test-image.js";
