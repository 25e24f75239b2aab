export { attachSigstoreBundle, type AttachBundleOptions } from "./attach-bundle.js";
export { discoverSigstoreBundles, MAX_BUNDLE_BYTES, MAX_BUNDLES, type DiscoveredBundles, type UntrustedOciBundle } from "./discover-bundles.js";
export { BundleAnnotation, isSigstoreBundleMediaType, SIGSTORE_BUNDLE_ARTIFACT_TYPE, type BundleContent } from "./media-types.js";
