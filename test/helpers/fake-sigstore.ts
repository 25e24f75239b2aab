/**
 * Test doubles for a private sigstore deployment on loopback, and the trust files that name them:
 * - trustedRootJson: a trusted_root.json naming Fulcio CAs, Rekor logs and CT logs (what `--trusted-root` reads).
 * - startFakeSigstore (below): an OIDC issuer, a Fulcio-compatible CA and a Rekor-compatible log, spoken to only
 *   through their public HTTP APIs.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, verify as cryptoVerify, X509Certificate, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface TrustedRootInput {
  /** Each CA: its chain, issuing certificate first, as PEM. */
  readonly certificateAuthorities?: readonly { readonly chainPem: readonly string[]; readonly uri?: string; readonly start?: Date }[];
  readonly tlogs?: readonly { readonly publicKey: KeyObject | string; readonly baseUrl: string; readonly start?: Date }[];
  readonly ctlogs?: readonly { readonly publicKey: KeyObject | string; readonly baseUrl: string; readonly start?: Date }[];
}

const EPOCH = new Date("2000-01-01T00:00:00Z");

/** A trusted_root.json (v0.1) for these authorities. */
export function trustedRootJson(input: TrustedRootInput): string {
  const log = (entry: { publicKey: KeyObject | string; baseUrl: string; start?: Date }) => {
    const key = typeof entry.publicKey === "string" ? createPublicKey(entry.publicKey) : entry.publicKey;
    const der = key.export({ type: "spki", format: "der" });
    return {
      baseUrl: entry.baseUrl,
      hashAlgorithm: "SHA2_256",
      publicKey: { rawBytes: der.toString("base64"), keyDetails: keyDetails(key), validFor: { start: (entry.start ?? EPOCH).toISOString() } },
      logId: { keyId: createHash("sha256").update(der).digest("base64") },
    };
  };
  return JSON.stringify(
    {
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: (input.tlogs ?? []).map(log),
      certificateAuthorities: (input.certificateAuthorities ?? []).map((ca) => {
        const leafCa = new X509Certificate(ca.chainPem[0]!);
        return {
          subject: { organization: "test", commonName: leafCa.subject.split("\n").find((l) => l.startsWith("CN="))?.slice(3) ?? "test" },
          uri: ca.uri ?? "https://fulcio.test",
          certChain: { certificates: ca.chainPem.map((pem) => ({ rawBytes: new X509Certificate(pem).raw.toString("base64") })) },
          validFor: { start: (ca.start ?? EPOCH).toISOString() },
        };
      }),
      ctlogs: (input.ctlogs ?? []).map(log),
      timestampAuthorities: [],
    },
    null,
    2,
  );
}

function keyDetails(key: KeyObject): string {
  if (key.asymmetricKeyType === "ed25519") return "PKIX_ED25519";
  if (key.asymmetricKeyType === "rsa") return "PKIX_RSA_PKCS1V15_2048_SHA256";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === "secp384r1" ? "PKIX_ECDSA_P384_SHA_384" : curve === "secp521r1" ? "PKIX_ECDSA_P521_SHA_512" : "PKIX_ECDSA_P256_SHA_256";
}

/** Splits a PEM bundle into its certificates. */
export function splitPemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)].map((m) => (m[0].endsWith("\n") ? m[0] : `${m[0]}\n`));
}

// ---------------------------------------------------------------------------------------------------------------
// A private sigstore deployment on loopback: OIDC issuer, Fulcio-compatible CA (with an embedded SCT from a test
// CT log), Rekor-compatible log (SETs, RFC 6962 inclusion proofs, signed checkpoints).
// ---------------------------------------------------------------------------------------------------------------


// --- DER, just enough to write certificates -------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else if (length < 0x10000) header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  else header = Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([header, content]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const octets = (bytes: Buffer) => tlv(0x04, bytes);
const bitString = (bytes: Buffer, unusedBits = 0) => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, "utf8"));
const bool = (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);

function integer(value: Buffer | number): Buffer {
  let bytes = typeof value === "number" ? Buffer.from([value]) : value;
  while (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) bytes = bytes.subarray(1);
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const bytes = [parts[0]! * 40 + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift((rest & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const iso = date.toISOString();
  return tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`, "ascii"));
}

const name = (commonName: string, organization = "signet tests") => seq(set(seq(oid("2.5.4.10"), utf8(organization))), set(seq(oid("2.5.4.3"), utf8(commonName))));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const extension = (id: string, value: Buffer, critical = false) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const spkiDer = (key: KeyObject) => key.export({ type: "spki", format: "der" });
const keyIdentifier = (key: KeyObject) => createHash("sha1").update(spkiDer(key)).digest();

interface CertificateSpec {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  issuerKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function tbsCertificate(spec: CertificateSpec, serial: Buffer): Buffer {
  return seq(explicit(0, integer(2)), integer(serial), ECDSA_SHA256, spec.issuer, seq(utcTime(spec.notBefore), utcTime(spec.notAfter)), spec.subject, spkiDer(spec.publicKey), explicit(3, seq(...spec.extensions)));
}

function signTbs(tbs: Buffer, signingKey: KeyObject): Buffer {
  return seq(tbs, ECDSA_SHA256, bitString(cryptoSign("sha256", tbs, { key: signingKey, dsaEncoding: "der" })));
}

function toPem(der: Buffer, label = "CERTIFICATE"): string {
  return `-----BEGIN ${label}-----\n${der.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

// --- OIDC issuer ---------------------------------------------------------------------------------------------------

export interface TokenClaims {
  readonly sub?: string;
  readonly email?: string;
  readonly aud?: string;
  /** Seconds from now; negative makes an expired token. Default 600. */
  readonly expiresIn?: number;
  readonly iss?: string;
  /** More claims, e.g. GitHub Actions' job_workflow_ref. */
  readonly extra?: Record<string, unknown>;
}

// --- The deployment --------------------------------------------------------------------------------------------------

export interface FakeSigstore {
  /** "http://127.0.0.1:PORT": the OIDC issuer (tokens' iss), Fulcio at /api/v2/signingCert, Rekor at /api/v1/. */
  readonly url: string;
  readonly issuer: string;
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  /** Root first? No: [intermediate, root], PEM, as trusted_root.json lists a CA chain. */
  readonly caChainPem: readonly string[];
  readonly rekorPublicKeyPem: string;
  readonly ctLogPublicKeyPem: string;
  /** A trusted_root.json naming this deployment's CA, log and CT log. */
  readonly trustedRoot: string;
  /** Entries the log holds, in order (canonical bodies). */
  readonly entries: readonly Buffer[];
  /** ACTIONS_ID_TOKEN_REQUEST_URL of a fake GitHub Actions token service (workflow org/app/.github/workflows/release.yml@refs/heads/main). */
  readonly githubActionsTokenUrl: string;
  /** Issues an identity token signed by the issuer. */
  token(claims?: TokenClaims): string;
  stop(): Promise<void>;
}

export interface FakeSigstoreOptions {
  /** Extra raw-string Fulcio extensions (OID arc 1.3.6.1.4.1.57264.1.N -> value), e.g. GitHub workflow claims. */
  readonly certificateExtensions?: Record<string, string>;
  /** Issue certificates without an embedded SCT. */
  readonly withoutSct?: boolean;
}

const FULCIO_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";
/** What the fake GitHub Actions token service accepts as ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
export const GITHUB_REQUEST_TOKEN = "fake-actions-request-token";
const FULCIO_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
const SCT_LIST = "1.3.6.1.4.1.11129.2.4.2";

export async function startFakeSigstore(options: FakeSigstoreOptions = {}): Promise<FakeSigstore> {
  const oidcKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rootKey = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const intermediateKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ctKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rekorKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const logID = createHash("sha256").update(spkiDer(rekorKey.publicKey)).digest();
  const ctLogID = createHash("sha256").update(spkiDer(ctKey.publicKey)).digest();
  const treeId = 4242;
  const entries: Buffer[] = [];
  const integratedTimes: number[] = [];

  const caStart = new Date(Date.now() - 24 * 3600_000);
  const caEnd = new Date(Date.now() + 365 * 24 * 3600_000);
  const rootName = name("fake-sigstore root");
  const intermediateName = name("fake-sigstore intermediate");
  const caExtensions = (key: KeyObject, issuerKey: KeyObject) => [
    extension("2.5.29.15", bitString(Buffer.from([0x06]), 1), true),
    extension("2.5.29.19", seq(bool(true)), true),
    extension("2.5.29.14", octets(keyIdentifier(key))),
    extension("2.5.29.35", seq(tlv(0x80, keyIdentifier(issuerKey)))),
  ];
  const rootDer = signTbs(
    tbsCertificate({ subject: rootName, issuer: rootName, publicKey: rootKey.publicKey, signingKey: rootKey.privateKey, issuerKey: rootKey.publicKey, notBefore: caStart, notAfter: caEnd, extensions: caExtensions(rootKey.publicKey, rootKey.publicKey) }, randomBytes(16)),
    rootKey.privateKey,
  );
  const intermediateDer = signTbs(
    tbsCertificate({ subject: intermediateName, issuer: rootName, publicKey: intermediateKey.publicKey, signingKey: rootKey.privateKey, issuerKey: rootKey.publicKey, notBefore: caStart, notAfter: caEnd, extensions: caExtensions(intermediateKey.publicKey, rootKey.publicKey) }, randomBytes(16)),
    rootKey.privateKey,
  );
  const caChainPem = [toPem(intermediateDer), toPem(rootDer)];

  let url = "";

  function token(claims: TokenClaims = {}): string {
    const header = { alg: "ES256", typ: "JWT", kid: "fake" };
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { iss: claims.iss ?? url, aud: claims.aud ?? "sigstore", iat: now, exp: now + (claims.expiresIn ?? 600), sub: claims.sub ?? claims.email ?? "someone", ...claims.extra };
    if (claims.email !== undefined) {
      payload["email"] = claims.email;
      payload["email_verified"] = true;
    }
    const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    const signature = cryptoSign("sha256", Buffer.from(input), { key: oidcKey.privateKey, dsaEncoding: "ieee-p1363" });
    return `${input}.${signature.toString("base64url")}`;
  }

  /** Fulcio: checks the token and the proof of possession, then issues a 10-minute certificate with an SCT. */
  function issueCertificate(request: Record<string, unknown>): { status: number; body: unknown } {
    const credentials = request["credentials"] as { oidcIdentityToken?: string } | undefined;
    const keyRequest = request["publicKeyRequest"] as { publicKey?: { content?: string }; proofOfPossession?: string } | undefined;
    const jwt = credentials?.oidcIdentityToken ?? "";
    const [header, body, signature] = jwt.split(".");
    if (header === undefined || body === undefined || signature === undefined) return { status: 401, body: { code: 16, message: "malformed token" } };
    if (!cryptoVerify("sha256", Buffer.from(`${header}.${body}`), { key: oidcKey.publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url"))) {
      return { status: 401, body: { code: 16, message: "token signature does not verify" } };
    }
    const claims = JSON.parse(Buffer.from(body, "base64url").toString()) as { iss: string; sub?: string; email?: string; aud: string; exp: number; job_workflow_ref?: string };
    if (claims.iss !== url) return { status: 401, body: { code: 16, message: `unknown issuer ${claims.iss}` } };
    if (claims.aud !== "sigstore") return { status: 401, body: { code: 16, message: "audience is not sigstore" } };
    if (claims.exp * 1000 < Date.now()) return { status: 401, body: { code: 16, message: "token expired" } };
    const subject = claims.email ?? claims.sub ?? "";
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(keyRequest?.publicKey?.content ?? "");
    } catch {
      return { status: 400, body: { code: 3, message: "bad public key" } };
    }
    if (!cryptoVerify("sha256", Buffer.from(subject), publicKey, Buffer.from(keyRequest?.proofOfPossession ?? "", "base64"))) {
      return { status: 400, body: { code: 3, message: "the proof of possession does not verify" } };
    }
    const now = Date.now();
    // As Fulcio: an email SAN for email tokens, the workflow URI for GitHub Actions tokens, else the subject as a URI.
    const san =
      claims.email !== undefined
        ? tlv(0x81, Buffer.from(claims.email, "ascii"))
        : tlv(0x86, Buffer.from(claims.job_workflow_ref !== undefined ? `https://github.com/${claims.job_workflow_ref}` : subject, "ascii"));
    const extensions = [
      extension("2.5.29.15", bitString(Buffer.from([0x80]), 7), true),
      extension("2.5.29.37", seq(oid("1.3.6.1.5.5.7.3.3"))),
      extension("2.5.29.14", octets(keyIdentifier(publicKey))),
      extension("2.5.29.35", seq(tlv(0x80, keyIdentifier(intermediateKey.publicKey)))),
      extension("2.5.29.17", seq(san), true),
      extension(FULCIO_ISSUER_V1, Buffer.from(claims.iss, "utf8")),
      extension(FULCIO_ISSUER_V2, utf8(claims.iss)),
      ...Object.entries(options.certificateExtensions ?? {}).map(([arc, value]) => extension(`1.3.6.1.4.1.57264.1.${arc}`, Buffer.from(value, "utf8"))),
    ];
    const spec: CertificateSpec = {
      subject: seq(),
      issuer: intermediateName,
      publicKey,
      signingKey: intermediateKey.privateKey,
      issuerKey: intermediateKey.publicKey,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 10 * 60_000),
      extensions,
    };
    const serial = randomBytes(16);
    if (options.withoutSct !== true) {
      // RFC 6962: the SCT signs the precertificate's TBS (the final TBS without the SCT list) and the issuer's key hash.
      const precertTbs = tbsCertificate(spec, serial);
      const timestamp = BigInt(now);
      const signed = Buffer.concat([
        Buffer.from([0, 0]),
        uint64(timestamp),
        Buffer.from([0, 1]),
        createHash("sha256").update(spkiDer(intermediateKey.publicKey)).digest(),
        uint24(precertTbs.length),
        precertTbs,
        Buffer.from([0, 0]),
      ]);
      const sctSignature = cryptoSign("sha256", signed, { key: ctKey.privateKey, dsaEncoding: "der" });
      const sct = Buffer.concat([Buffer.from([0]), ctLogID, uint64(timestamp), Buffer.from([0, 0]), Buffer.from([4, 3]), uint16(sctSignature.length), sctSignature]);
      const list = Buffer.concat([uint16(sct.length + 2), uint16(sct.length), sct]);
      spec.extensions = [...extensions, extension(SCT_LIST, octets(list))];
    }
    const certificate = signTbs(tbsCertificate(spec, serial), intermediateKey.privateKey);
    return { status: 201, body: { signedCertificateEmbeddedSct: { chain: { certificates: [toPem(certificate), ...caChainPem] } } } };
  }

  /** Rekor v1: canonicalizes the proposed entry, appends it, and answers with its SET and inclusion proof. */
  function createEntry(proposed: Record<string, unknown>): { status: number; body: unknown } {
    let canonical: unknown;
    try {
      canonical = canonicalEntry(proposed);
    } catch (error) {
      return { status: 400, body: { code: 400, message: (error as Error).message } };
    }
    const bodyBytes = Buffer.from(canonicalJson(canonical));
    const logIndex = entries.length;
    const integratedTime = Math.floor(Date.now() / 1000);
    entries.push(bodyBytes);
    integratedTimes.push(integratedTime);
    const body = bodyBytes.toString("base64");
    const logIDHex = logID.toString("hex");
    const set = cryptoSign("sha256", Buffer.from(canonicalJson({ body, integratedTime, logID: logIDHex, logIndex })), { key: rekorKey.privateKey, dsaEncoding: "der" });
    const treeSize = entries.length;
    const leaves = entries.map((e) => createHash("sha256").update(Buffer.concat([Buffer.from([0]), e])).digest());
    const rootHash = merkleRoot(leaves);
    const origin = `${new URL(url).host} - ${treeId}`;
    const note = `${origin}\n${treeSize}\n${rootHash.toString("base64")}\n`;
    const noteSignature = cryptoSign("sha256", Buffer.from(note), { key: rekorKey.privateKey, dsaEncoding: "der" });
    const checkpoint = `${note}\n\u2014 ${new URL(url).host} ${Buffer.concat([logID.subarray(0, 4), noteSignature]).toString("base64")}\n`;
    const uuid = createHash("sha256").update(leaves[logIndex]!).digest("hex");
    return {
      status: 201,
      body: {
        [uuid]: {
          body,
          integratedTime,
          logID: logIDHex,
          logIndex,
          verification: {
            signedEntryTimestamp: set.toString("base64"),
            inclusionProof: { checkpoint, hashes: auditPath(logIndex, leaves).map((h) => h.toString("hex")), logIndex, rootHash: rootHash.toString("hex"), treeSize },
          },
        },
      },
    };
  }

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const reply = (status: number, body: unknown, type = "application/json") => {
        response.writeHead(status, { "content-type": type }).end(typeof body === "string" ? body : JSON.stringify(body));
      };
      let json: Record<string, unknown> = {};
      try {
        if (chunks.length > 0) json = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      } catch {
        return reply(400, { message: "not JSON" });
      }
      const path = (request.url ?? "").split("?")[0];
      if (request.method === "POST" && path === "/api/v2/signingCert") {
        const { status, body } = issueCertificate(json);
        return reply(status, body);
      }
      if (request.method === "POST" && path === "/api/v1/signingCert") {
        // Fulcio's legacy API (cosign 2.x): the token in the Authorization header, the key as base64 DER, the
        // proof as signedEmailAddress; the answer is the PEM chain itself.
        const bearer = /^Bearer (.+)$/i.exec(String(request.headers.authorization ?? ""))?.[1] ?? "";
        const keyJson = json["publicKey"] as { content?: string } | undefined;
        let publicKeyPem = "";
        try {
          const raw = Buffer.from(keyJson?.content ?? "", "base64");
          const key = raw.toString("latin1").startsWith("-----BEGIN") ? createPublicKey(raw.toString()) : createPublicKey({ key: raw, format: "der", type: "spki" });
          publicKeyPem = toPem(spkiDer(key), "PUBLIC KEY");
        } catch {
          return reply(400, { message: "bad public key" });
        }
        const { status, body } = issueCertificate({ credentials: { oidcIdentityToken: bearer }, publicKeyRequest: { publicKey: { content: publicKeyPem }, proofOfPossession: json["signedEmailAddress"] } });
        if (status !== 201) return reply(status, body);
        return reply(201, (body as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } }).signedCertificateEmbeddedSct.chain.certificates.join(""), "application/pem-certificate-chain");
      }
      if (request.method === "POST" && path === "/api/v1/log/entries") {
        const { status, body } = createEntry(json);
        return reply(status, body);
      }
      if (request.method === "GET" && path === "/api/v1/log/publicKey") return reply(200, toPem(spkiDer(rekorKey.publicKey), "PUBLIC KEY"), "application/x-pem-file");
      if (request.method === "GET" && path === "/github-actions/token") {
        // GitHub Actions' token service: the request token as bearer, the audience as a query parameter.
        if (request.headers.authorization !== `bearer ${GITHUB_REQUEST_TOKEN}`) return reply(401, { message: "bad request token" });
        const audience = new URL(request.url ?? "", url).searchParams.get("audience") ?? undefined;
        const extra = { job_workflow_ref: "org/app/.github/workflows/release.yml@refs/heads/main" };
        return reply(200, { value: token({ sub: "repo:org/app:ref:refs/heads/main", extra, ...(audience !== undefined ? { aud: audience } : {}) }), count: 1 });
      }
      if (request.method === "GET" && path === "/.well-known/openid-configuration") return reply(200, { issuer: url, jwks_uri: `${url}/jwks` });
      if (request.method === "GET" && path === "/jwks") return reply(200, { keys: [{ ...oidcKey.publicKey.export({ format: "jwk" }), kid: "fake", use: "sig", alg: "ES256" }] });
      reply(404, { message: "not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rekorPublicKeyPem = toPem(spkiDer(rekorKey.publicKey), "PUBLIC KEY");
  const ctLogPublicKeyPem = toPem(spkiDer(ctKey.publicKey), "PUBLIC KEY");
  const trustedRoot = trustedRootJson({
    certificateAuthorities: [{ chainPem: caChainPem, uri: url, start: caStart }],
    tlogs: [{ publicKey: rekorKey.publicKey, baseUrl: url, start: caStart }],
    ctlogs: [{ publicKey: ctKey.publicKey, baseUrl: url, start: caStart }],
  });
  return {
    url,
    issuer: url,
    fulcioUrl: url,
    rekorUrl: url,
    caChainPem,
    rekorPublicKeyPem,
    ctLogPublicKeyPem,
    trustedRoot,
    entries,
    githubActionsTokenUrl: `${url}/github-actions/token?api-version=2.0`,
    token,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Rekor's canonical forms of the entry kinds sigstore clients propose. */
function canonicalEntry(proposed: Record<string, unknown>): unknown {
  const kind = proposed["kind"];
  const version = proposed["apiVersion"];
  if (kind === "hashedrekord" && version === "0.0.1") {
    const spec = proposed["spec"] as { data: { hash: unknown }; signature: { content: string; publicKey: { content: string } } };
    return { apiVersion: version, kind, spec: { data: { hash: spec.data.hash }, signature: { content: spec.signature.content, publicKey: { content: spec.signature.publicKey.content } } } };
  }
  if (kind === "dsse" && version === "0.0.1") {
    const spec = proposed["spec"] as { proposedContent: { envelope: string; verifiers: string[] } };
    const envelopeText = spec.proposedContent.envelope;
    const envelope = JSON.parse(envelopeText) as { payload: string; signatures: { sig: string }[] };
    const verifiers = spec.proposedContent.verifiers;
    return {
      apiVersion: version,
      kind,
      spec: {
        envelopeHash: { algorithm: "sha256", value: createHash("sha256").update(envelopeText).digest("hex") },
        payloadHash: { algorithm: "sha256", value: createHash("sha256").update(Buffer.from(envelope.payload, "base64")).digest("hex") },
        signatures: envelope.signatures.map((s, i) => ({ signature: s.sig, verifier: verifiers[i] ?? verifiers[0] })),
      },
    };
  }
  if (kind === "intoto" && version === "0.0.2") {
    const content = (proposed["spec"] as { content: unknown }).content as { envelope: { payloadType: string; payload: string; signatures: Record<string, string>[] }; hash: unknown };
    const payload = Buffer.from(Buffer.from(content.envelope.payload, "base64").toString(), "base64");
    return {
      apiVersion: version,
      kind,
      spec: {
        content: {
          envelope: { payloadType: content.envelope.payloadType, signatures: content.envelope.signatures },
          hash: content.hash,
          payloadHash: { algorithm: "sha256", value: createHash("sha256").update(payload).digest("hex") },
        },
      },
    };
  }
  throw new Error(`entries of kind ${String(kind)} ${String(version)} are not supported`);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

const nodeHash = (left: Buffer, right: Buffer) => createHash("sha256").update(Buffer.concat([Buffer.from([1]), left, right])).digest();

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/** RFC 6962 audit path for leaf `index`, lowest level first. */
function auditPath(index: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return index < k ? [...auditPath(index, leaves.slice(0, k)), merkleRoot(leaves.slice(k))] : [...auditPath(index - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))];
}

function uint16(n: number): Buffer {
  return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}
function uint24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}
function uint64(n: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(n);
  return bytes;
}
