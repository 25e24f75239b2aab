/** cosign's `--type` names and the predicate type URIs they stand for (cosign options/predicate.go). */
import { SignetError } from "../../errors/index.js";

export const PredicateType = {
  custom: "https://cosign.sigstore.dev/attestation/v1",
  slsaprovenance: "https://slsa.dev/provenance/v0.2",
  slsaprovenance02: "https://slsa.dev/provenance/v0.2",
  slsaprovenance1: "https://slsa.dev/provenance/v1",
  spdx: "https://spdx.dev/Document",
  spdxjson: "https://spdx.dev/Document",
  cyclonedx: "https://cyclonedx.org/bom",
  link: "https://in-toto.io/Link/v1",
  vuln: "https://cosign.sigstore.dev/attestation/vuln/v1",
  openvex: "https://openvex.dev/ns",
} as const;

export type PredicateTypeName = keyof typeof PredicateType;

/** The predicate type of cosign v3's image signatures in the bundle format. */
export const COSIGN_SIGN_PREDICATE_TYPE = "https://sigstore.dev/cosign/sign/v1";

export function isPredicateTypeName(value: string): value is PredicateTypeName {
  return Object.hasOwn(PredicateType, value);
}

/** A `--type` value to its URI: one of cosign's names, or an absolute URI given as is. */
export function resolvePredicateType(type: string): string {
  if (isPredicateTypeName(type)) return PredicateType[type];
  let url: URL | undefined;
  try {
    url = new URL(type);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^[a-z][a-z0-9+.-]*:$/.test(url.protocol) || type.length > 1000) {
    throw new SignetError("USAGE", `invalid predicate type ${JSON.stringify(type.slice(0, 100))}`, {
      hint: `Use one of ${Object.keys(PredicateType).join(", ")}, or an absolute URI.`,
    });
  }
  return type;
}
