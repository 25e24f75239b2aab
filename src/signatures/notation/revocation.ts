/**
 * Revocation of a Notation signing chain, as notation-go checks it: for each certificate, OCSP when it names a
 * responder (within a short timeout), falling back to its CRLs when OCSP cannot say; a certificate that names
 * neither cannot be revoked. CRLs (and their delta CRLs) are cached on disk by URL; a cache that cannot be read
 * or written is only a miss, never a verdict. The answers feed the pure check in verify-notation.ts.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { boundedRequest } from "../../internal/bounded-http.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { OID } from "../../internal/oids.js";
import { checkCrl, CrlError, crlUrlsOf, distributionPointUris, parseCrl, type RevocationList } from "../../trust/crl.js";
import { checkOcspResponse, ocspRequest, ocspUrlsOf } from "../../trust/ocsp.js";
import type { Certificate } from "../../trust/x509.js";

export type CertificateRevocationState = "good" | "revoked" | "unknown" | "non-revocable";

export interface CertificateRevocation {
  readonly state: CertificateRevocationState;
  readonly reason: string;
}

export interface RevocationCheckOptions {
  readonly now?: Date;
  /** notation's default OCSP timeout is 2 s. */
  readonly ocspTimeoutMs?: number;
  readonly crlTimeoutMs?: number;
  /** `$XDG_CACHE_HOME/notation/crl`; no cache when absent. */
  readonly cacheDir?: string;
  /** Cache faults are reported here (never thrown). */
  readonly onCacheFault?: (message: string) => void;
}

/** notation-core-go's maxCRLSize. */
const MAX_CRL_BYTES = 32 * 1024 * 1024;
const MAX_OCSP_BYTES = 20 * 1024 * 1024;

function httpOnly(url: string): boolean {
  return url.startsWith("http://");
}

async function ocspStatus(certificate: Certificate, issuer: Certificate, options: RevocationCheckOptions, now: Date): Promise<CertificateRevocation | undefined> {
  const reasons: string[] = [];
  for (const url of ocspUrlsOf(certificate)) {
    if (!httpOnly(url)) {
      reasons.push(`OCSP ${url}: only http URLs are used (RFC 6960 responses are signed)`);
      continue;
    }
    try {
      const response = await boundedRequest(url, {
        method: "POST",
        headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
        body: ocspRequest(certificate, issuer),
        timeoutMs: options.ocspTimeoutMs ?? 2000,
        maxBytes: MAX_OCSP_BYTES,
        what: "an OCSP response",
        code: "NOTATION_REVOCATION_UNKNOWN",
      });
      const verdict = checkOcspResponse(response, certificate, issuer, now);
      if (verdict.state !== "unknown") return verdict;
      reasons.push(verdict.reason);
    } catch (error) {
      reasons.push((error as Error).message);
    }
  }
  return reasons.length === 0 ? undefined : { state: "unknown", reason: reasons.join("; ") };
}

/** CRLs already read in this process (a webhook or a long verify run), by URL; the disk cache is second. */
const inProcess = new Map<string, RevocationList>();
const IN_PROCESS_CRLS = 64;

function current(list: RevocationList, now: Date): boolean {
  return list.nextUpdate === undefined || list.nextUpdate.getTime() >= now.getTime();
}

async function cachedCrl(url: string, options: RevocationCheckOptions, now: Date): Promise<RevocationList> {
  const remembered = inProcess.get(url);
  // Without a cache directory the caller asked for no caching at all.
  if (remembered !== undefined && current(remembered, now) && options.cacheDir !== undefined) return remembered;
  const list = await diskCachedCrl(url, options, now);
  if (inProcess.size >= IN_PROCESS_CRLS) inProcess.delete(inProcess.keys().next().value!);
  inProcess.set(url, list);
  return list;
}

async function diskCachedCrl(url: string, options: RevocationCheckOptions, now: Date): Promise<RevocationList> {
  const path = options.cacheDir === undefined ? undefined : join(options.cacheDir, createHash("sha256").update(url).digest("hex"));
  if (path !== undefined) {
    try {
      const cached = parseCrl(await readFile(path));
      if (current(cached, now)) return cached;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") options.onCacheFault?.(`CRL cache ${path}: ${(error as Error).message}`);
    }
  }
  const bytes = await boundedRequest(url, { timeoutMs: options.crlTimeoutMs ?? 5000, maxBytes: MAX_CRL_BYTES, what: "a CRL", code: "NOTATION_REVOCATION_UNKNOWN" });
  const list = parseCrl(bytes);
  if (path !== undefined) {
    try {
      await mkdir(options.cacheDir!, { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, bytes);
    } catch (error) {
      options.onCacheFault?.(`CRL cache ${path}: ${(error as Error).message}`);
    }
  }
  return list;
}

/** The delta CRL a certificate or its base CRL points to (freshestCRL), if any. */
async function deltaFor(certificate: Certificate, base: RevocationList, options: RevocationCheckOptions, now: Date): Promise<RevocationList | undefined> {
  const extension = certificate.extension(OID.FRESHEST_CRL) ?? base.extensions.find((candidate) => candidate.oid === OID.FRESHEST_CRL);
  if (extension === undefined) return undefined;
  const urls = distributionPointUris(extension.value).filter(httpOnly);
  if (urls.length === 0) return undefined;
  let lastError: unknown;
  for (const url of urls) {
    try {
      return await cachedCrl(url, options, now);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function crlStatus(certificate: Certificate, issuer: Certificate, options: RevocationCheckOptions, now: Date): Promise<CertificateRevocation | undefined> {
  let urls: string[];
  try {
    urls = crlUrlsOf(certificate);
  } catch (error) {
    return { state: "unknown", reason: (error as Error).message };
  }
  if (urls.length === 0) return undefined;
  const reasons: string[] = [];
  for (const url of urls.filter(httpOnly)) {
    try {
      const base = await cachedCrl(url, options, now);
      const delta = await deltaFor(certificate, base, options, now);
      const verdict = checkCrl(certificate, issuer, base, delta, now);
      if (verdict.state !== "unknown") return verdict;
      reasons.push(`CRL ${url}: ${verdict.reason}`);
    } catch (error) {
      reasons.push(`CRL ${url}: ${error instanceof CrlError ? error.message : (error as Error).message}`);
    }
  }
  return { state: "unknown", reason: reasons.length === 0 ? "the certificate names no http CRL" : reasons.join("; ") };
}

/** The revocation state of each certificate of `chain` (leaf first; the last one is its own issuer). */
export async function checkChainRevocation(chain: readonly Certificate[], options: RevocationCheckOptions = {}): Promise<CertificateRevocation[]> {
  const now = options.now ?? new Date();
  return Promise.all(
    chain.map(async (certificate, index) => {
      const issuer = chain[index + 1] ?? certificate;
      const ocsp = await ocspStatus(certificate, issuer, options, now);
      if (ocsp !== undefined && ocsp.state !== "unknown") return ocsp;
      const crl = await crlStatus(certificate, issuer, options, now);
      if (crl !== undefined && (crl.state !== "unknown" || ocsp === undefined)) return crl;
      if (ocsp !== undefined) return crl === undefined ? ocsp : { state: "unknown" as const, reason: `${ocsp.reason}; ${crl.reason}` };
      return { state: "non-revocable" as const, reason: "the certificate names neither an OCSP responder nor a CRL" };
    }),
  );
}
