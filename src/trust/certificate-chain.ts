/**
 * Certificate path validation at a point in time (the log or timestamp time, never "now": short-lived Fulcio
 * certificates expire minutes after signing). The anchors are a CA of the trust material valid at that time;
 * the trusted chain's own signatures are not re-checked on every call (the trusted root vouches for them),
 * only the links from the leaf up to it: each issuer a CA allowed to sign it, every certificate of the path
 * valid at the time (security case A.9), path length limits honoured. Intermediates a signature carries (a
 * cosign chain annotation) may fill the gap, but only the trust material supplies anchors (D.29).
 */
import { SignetError } from "../errors/index.js";
import { isWithinPeriod, type CertificateAuthority } from "./trust-material.js";
import { OID } from "../internal/oids.js";
import type { Certificate } from "./x509.js";
import { LIMITS } from "../internal/limits.js";

export interface VerifyChainOptions {
  /** Untrusted intermediates that may link the leaf to a trusted CA. */
  readonly intermediates?: readonly Certificate[];
  /** Require the leaf to allow code signing when it lists extended key usages (default true: Fulcio). */
  readonly requireCodeSigning?: boolean;
}

export interface VerifiedChain {
  readonly authority: CertificateAuthority;
  /** The leaf first, up to the authority's root. */
  readonly path: readonly Certificate[];
}

const MAX_UNTRUSTED_INTERMEDIATES = LIMITS.untrustedIntermediates;

function chainInvalid(message: string, details: Record<string, unknown>): never {
  throw new SignetError("CERT_CHAIN_INVALID", message, { details });
}

export function verifyCertificateChainAt(leaf: Certificate, time: Date, authorities: readonly CertificateAuthority[], options: VerifyChainOptions = {}): VerifiedChain {
  const details = { time: time.toISOString(), notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString() };
  if (options.requireCodeSigning !== false) {
    const usages = leaf.extendedKeyUsage;
    if (usages !== undefined && !usages.includes(OID.CODE_SIGNING) && !usages.includes(OID.ANY_EXTENDED_KEY_USAGE)) {
      chainInvalid("the signing certificate is not for code signing (its extended key usage lacks codeSigning)", details);
    }
  }
  const valid = authorities.filter((authority) => isWithinPeriod(authority.validFor, time));
  if (valid.length === 0) chainInvalid(`no certificate authority of the trusted root is valid at ${time.toISOString()}`, details);
  let reason = `no certificate authority of the trusted root valid at ${time.toISOString()} issued the signing certificate`;
  for (const authority of valid) {
    const path = pathTo(leaf, authority.certChain, options.intermediates ?? []);
    if (path === undefined) continue;
    const problem = pathProblem(path, time);
    if (problem === undefined) return { authority, path };
    reason = problem;
  }
  return chainInvalid(reason, details);
}

/** The path from `leaf` to the end of `trusted`, through at most a few untrusted intermediates. */
function pathTo(leaf: Certificate, trusted: readonly Certificate[], intermediates: readonly Certificate[]): Certificate[] | undefined {
  const path = [leaf];
  let current = leaf;
  for (let depth = 0; depth <= MAX_UNTRUSTED_INTERMEDIATES; depth++) {
    const index = trusted.findIndex((candidate) => current.isIssuedBy(candidate));
    if (index >= 0) return [...path, ...trusted.slice(index)];
    const next = intermediates.find((candidate) => !path.includes(candidate) && current.isIssuedBy(candidate));
    if (next === undefined) return undefined;
    path.push(next);
    current = next;
  }
  return undefined;
}

function pathProblem(path: readonly Certificate[], time: Date): string | undefined {
  for (const [index, certificate] of path.entries()) {
    const what = index === 0 ? "the signing certificate" : `CA certificate ${index} of the chain`;
    if (!certificate.isValidAt(time)) {
      return `${what} is valid from ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}, not at ${time.toISOString()}`;
    }
    if (index === 0) continue;
    if (!certificate.isCA) return `${what} is not a CA allowed to sign certificates`;
    const pathLength = certificate.basicConstraints?.pathLength;
    if (pathLength !== undefined && index - 1 > pathLength) return `${what} allows ${pathLength} intermediate CAs below it, the chain has ${index - 1}`;
  }
  return undefined;
}
