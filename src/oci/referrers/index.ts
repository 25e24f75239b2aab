export { fetchReferrersFromRegistry, hasReferrersApi, MAX_REFERRERS_PAGES, type ReferrersApi, type ReferrersApiAnswer, type ReferrersTarget } from "./referrers-api.js";
export { buildReferrersIndex, MAX_REFERRERS, parseReferrersIndex } from "./referrers-index.js";
export { filterReferrers, listReferrers, type ReferrersListing } from "./list-referrers.js";
export { buildReferrerManifest, EMPTY_CONFIG, listReferrer, pushReferrer, type PushedReferrer, type ReferrerArtifact, type ReferrerLayer } from "./push-referrer.js";
export { readReferrers, readReferrerTree, REFERRER_DEPTH, type CheckedReferrer, type ReferrerNode, type ReferrerTree, type SubjectReferrers } from "./read-referrers.js";
export { referrersTag } from "./referrers-tag.js";
export { discoverSingleLayerReferrers, type DiscoveredReferrerLayers, type SingleLayerReferrerKind, type UntrustedReferrerLayer } from "./single-layer-referrers.js";
