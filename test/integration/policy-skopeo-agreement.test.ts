/**
 * signet and skopeo evaluate the same policy.json on the same registry images and must agree on accept/reject,
 * and both must give the row's expected answer (so a row where both are wrong fails). Images are pushed to a
 * real registry and signed in every way the table needs: by `skopeo copy --sign-by` (gpg), by `signet sign
 * --gpg-key`, and by signet's library for signatures no honest tool makes (tampered, forged, wrong type…). Each
 * row is one (image, policy.json, registries.d): skopeo runs `copy --policy P --registries.d D docker://… dir:`,
 * signet runs `signet policy verify --policy P --registries-d D --output json`.
 *
 * Wildcard (`*.domain`) scopes match host names, and the registry is 127.0.0.1:PORT, so those rows name the
 * images registry.example.test/… and mirror.example.test:5000/…, which skopeo reaches through a
 * registries.conf in its $HOME (`location` rewrites the pull source; the policy still sees the name as written).
 * signet has no registries.conf, so for those rows it evaluates its engine (evaluatePolicy with the default
 * fetchers) with the registry host rewritten in the one fetcher that reads the registry.
 *
 * The table and its results are docs/policy-conformance.md (the section between the markers): the last test
 * checks it is in sync, and SIGNET_UPDATE_DOCS=1 rewrites it. To add a case, add a row.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import * as openpgp from "openpgp";
import { runProgram, runSignet } from "../helpers/cli.js";
import { createGpgHome, type GpgHome } from "../helpers/gpg.js";
import { pushTestImage } from "../helpers/images.js";
import { REPO_ROOT } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import type { Digest } from "../../src/internal/digest.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { readImageShape } from "../../src/oci/manifest/platform.js";
import { parseImageLocation, parseImageReference, type ImageLocation } from "../../src/oci/reference/index.js";
import { compilePolicy, createLocationReader, createPolicyFetchers, evaluatePolicy, formatDecisionText, parsePolicy, type PolicyDecision, type PolicyFetchers } from "../../src/policy/index.js";
import { loadRegistriesD } from "../../src/signatures/registries-d/index.js";
import { loadGpgPrivateKey, signAtomicPayload, type GpgSigningKey } from "../../src/signatures/simplesigning/gpg.js";
import { writeLookasideSignature } from "../../src/signatures/simplesigning/lookaside.js";
import { ATOMIC_SIGNATURE_TYPE, createAtomicPayload } from "../../src/signatures/simplesigning/payload.js";

/** Host names skopeo reaches through registries.conf; signet's engine rewrites them to the test registry. */
const MAPPED_HOSTS = ["registry.example.test", "mirror.example.test:5000"] as const;

type RegistriesD = "file" | "http" | "http-broken" | "namespaced";

/** The images of the table (repositories under @host@/test/) and how their signatures were made. */
const IMAGES: Record<string, string> = {
  unsigned: "no signature",
  signed: "`skopeo copy --sign-by` with the trusted key (gpg); identity `@host@/test/signed:v1`; tag v2 is the same manifest",
  foreign: "`skopeo copy --sign-by` with the foreign key",
  "signet-signed": "`signet sign --gpg-key` with the trusted key (gpg's exported secret key); identity `@host@/test/signet-signed:v1`",
  extra: "two signatures: skopeo with the foreign key, then signet with the trusted key",
  garbage: "a valid signature by signet with the trusted key, then a file of bytes that is no signature",
  armored: "a valid trusted signature stored ASCII-armored (`gpg --armor` style) instead of binary",
  bydigest: "`signet sign --gpg-key … @host@/test/bydigest@sha256:…`: identity names the digest, not a tag",
  "wrong-identity": "`signet sign --gpg-key --sign-container-identity @host@/test/elsewhere:v1`",
  moved: "the same manifest as signed, with signed's skopeo-made signature copied into its lookaside directory",
  tampered: "signed by signet with the trusted key, then one byte of the payload (optional.creator) changed",
  "digest-mismatch": "a valid trusted signature naming another manifest's digest, stored under this image's digest",
  "critical-extra": "a valid trusted signature whose payload has an unknown field in `critical`",
  "wrong-type": "a valid trusted signature whose payload has `critical.type` `cosign container image signature`",
  "forged-issuer": "made by the foreign key, its issuer key ID and fingerprint rewritten to the trusted key's",
  subkey: "made by the signing subkey of an OpenPGP.js key (keyrings subkey.gpg, and subkey-revoked.gpg with that subkey revoked)",
  expired: "made 47 h ago by an OpenPGP.js key that expired 24 h ago (keyring expired.gpg)",
  mapped: "`signet sign --sign-container-identity registry.example.test/test/mapped:v1` (trusted key)",
  "mapped-port": "`signet sign --sign-container-identity mirror.example.test:5000/test/mapped-port:v1` (trusted key)",
  "nsl/app": "`signet sign --lookaside-staging` into the store that registries.d names only for `@host@/test/nsl`",
  "multi-index": "a linux/amd64 + linux/arm64 index; `signet sign --gpg-key` of the index digest only (identity `@host@/test/multi-index:v1`)",
  "multi-instance": "the same kind of index; `signet sign --gpg-key` of its linux/amd64 instance only (identity `@host@/test/multi-instance:v1`)",
  "multi-both": "the same kind of index; the index and its linux/amd64 instance both signed (identity `@host@/test/multi-both:v1`)",
};

interface AgreementCase {
  name: string;
  /**
   * The image as skopeo and signet are given it. Placeholders: @host@ (the registry's 127.0.0.1:PORT),
   * @digest:NAME@ (the digest of image NAME).
   */
  image: string;
  /** policy.json; placeholders @host@, @digest:NAME@, @keyring:NAME@ (a keyring file path), @keydata:NAME@ (its base64). */
  policy: unknown;
  /** Which registries.d directory both tools get (default "file"). */
  registriesD?: RegistriesD;
  /** What both tools must decide. */
  allowed: boolean;
  /** For rejections: signet's outcome, "denied" (a verdict) unless the row says "error" (could not evaluate). */
  outcome?: "denied" | "error";
  /** A known difference: Debian's skopeo gives the opposite answer, for this reason; signet must still give `allowed`. */
  skopeoDiffers?: string;
}

const signedBy = (keyring: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: "signedBy", keyType: "GPGKeys", keyPath: `@keyring:${keyring}@`, ...extra });
const ACCEPT = { type: "insecureAcceptAnything" };
const REJECT = { type: "reject" };
/** default reject, and `scopes` for the docker transport. */
const docker = (scopes: Record<string, unknown[]>, defaultRequirement: unknown = REJECT): unknown => ({ default: [defaultRequirement], transports: { docker: scopes } });
const identity = (signedIdentity: Record<string, unknown>): Record<string, unknown> => ({ signedIdentity });

const CASES: AgreementCase[] = [
  // Defaults and plain requirements.
  { name: "default insecureAcceptAnything accepts an unsigned image", image: "@host@/test/unsigned:v1", policy: { default: [ACCEPT] }, allowed: true },
  { name: "default reject rejects a signed image", image: "@host@/test/signed:v1", policy: { default: [REJECT] }, allowed: false },
  { name: 'the docker transport\'s "" scope overrides the global default', image: "@host@/test/unsigned:v1", policy: docker({ "": [ACCEPT] }), allowed: true },
  { name: 'a "" reject scope overrides an accepting global default', image: "@host@/test/unsigned:v1", policy: docker({ "": [REJECT] }, ACCEPT), allowed: false },
  { name: "a scope for another registry does not apply: the default rejects", image: "@host@/test/unsigned:v1", policy: docker({ "other.example": [ACCEPT] }), allowed: false },

  // signedBy: which key, which signatures.
  { name: "signedBy accepts an image skopeo signed with the trusted key", image: "@host@/test/signed:v1", policy: docker({ "@host@/test/signed": [signedBy("trusted")] }), allowed: true },
  { name: "signedBy rejects an unsigned image (missing signature)", image: "@host@/test/unsigned:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "signedBy rejects an image signed by a foreign key", image: "@host@/test/foreign:v1", policy: docker({ "@host@/test": [signedBy("trusted")] }), allowed: false },
  { name: "signedBy with the foreign keyring rejects the trusted signature", image: "@host@/test/signed:v1", policy: docker({ "@host@": [signedBy("foreign")] }), allowed: false },
  { name: "a signature made by signet is accepted", image: "@host@/test/signet-signed:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "a signature made by signet is rejected with another key", image: "@host@/test/signet-signed:v1", policy: docker({ "@host@": [signedBy("foreign")] }), allowed: false },
  { name: "extra signatures: a foreign one before the trusted one does not matter", image: "@host@/test/extra:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "extra signatures: the foreign key's own signature satisfies a foreign-key policy", image: "@host@/test/extra:v1", policy: docker({ "@host@": [signedBy("foreign")] }), allowed: true },
  { name: "a stored file that is no signature fails the image, though a valid signature precedes it", image: "@host@/test/garbage:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "an ASCII-armored signature in the store is not a signature (as containers/image reads stores)", image: "@host@/test/armored:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "keyPaths: any of several keyrings", image: "@host@/test/signed:v1", policy: docker({ "@host@": [{ type: "signedBy", keyType: "GPGKeys", keyPaths: ["@keyring:foreign@", "@keyring:trusted@"] }] }), allowed: true },
  { name: "one keyring file holding both keys", image: "@host@/test/signed:v1", policy: docker({ "@host@": [signedBy("both")] }), allowed: true },
  { name: "keyData: the keyring inline (base64)", image: "@host@/test/signed:v1", policy: docker({ "@host@": [{ type: "signedBy", keyType: "GPGKeys", keyData: "@keydata:trusted@" }] }), allowed: true },
  { name: "requirements are ANDed: trusted and foreign signatures both required", image: "@host@/test/signed:v1", policy: docker({ "@host@": [signedBy("trusted"), signedBy("foreign")] }), allowed: false },
  { name: "requirements are ANDed: signedBy and insecureAcceptAnything", image: "@host@/test/signed:v1", policy: docker({ "@host@": [ACCEPT, signedBy("trusted")] }), allowed: true },

  // signedIdentity rules; tag vs digest references.
  { name: "matchRepoDigestOrExact (default): another tag of the signed manifest is rejected", image: "@host@/test/signed:v2", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "matchRepository: another tag of the signed manifest is accepted", image: "@host@/test/signed:v2", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchRepository" }))] }), allowed: true },
  { name: "matchExact: another tag is rejected", image: "@host@/test/signed:v2", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchExact" }))] }), allowed: false },
  { name: "matchExact: the signed tag is accepted", image: "@host@/test/signed:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchExact" }))] }), allowed: true },
  { name: "matchRepoDigestOrExact: a digest reference accepts a tag signature of its repository", image: "@host@/test/signed@@digest:signed@", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "matchExact: a digest reference rejects a tag signature", image: "@host@/test/signed@@digest:signed@", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchExact" }))] }), allowed: false },
  { name: "matchExact: a digest signature accepts the same digest reference", image: "@host@/test/bydigest@@digest:bydigest@", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchExact" }))] }), allowed: true },
  { name: "matchRepoDigestOrExact: a tag reference rejects a digest signature", image: "@host@/test/bydigest:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "matchRepository: a tag reference accepts a digest signature", image: "@host@/test/bydigest:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchRepository" }))] }), allowed: true },
  { name: "a signature for another repository is rejected (default identity)", image: "@host@/test/wrong-identity:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "matchRepository: a signature for another repository is rejected", image: "@host@/test/wrong-identity:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchRepository" }))] }), allowed: false },
  { name: "exactReference: the reference the signature names is accepted", image: "@host@/test/wrong-identity:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "exactReference", dockerReference: "@host@/test/elsewhere:v1" }))] }), allowed: true },
  { name: "exactReference: another tag of that repository is rejected", image: "@host@/test/wrong-identity:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "exactReference", dockerReference: "@host@/test/elsewhere:v2" }))] }), allowed: false },
  { name: "exactRepository: the repository the signature names is accepted", image: "@host@/test/wrong-identity:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "exactRepository", dockerRepository: "@host@/test/elsewhere" }))] }), allowed: true },
  { name: "exactRepository: another repository is rejected", image: "@host@/test/signed:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "exactRepository", dockerRepository: "@host@/test/other" }))] }), allowed: false },
  { name: "a signature copied to another repository (same digest) is rejected", image: "@host@/test/moved:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "exactRepository accepts the copied signature for the repository it names", image: "@host@/test/moved:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "exactRepository", dockerRepository: "@host@/test/signed" }))] }), allowed: true },
  { name: "remapIdentity: the copy is accepted when its prefix is remapped to the signed one", image: "@host@/test/moved:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "remapIdentity", prefix: "@host@/test/moved", signedPrefix: "@host@/test/signed" }))] }), allowed: true },
  { name: "remapIdentity: a prefix that does not cover the image leaves it as is, and it is rejected", image: "@host@/test/moved:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "remapIdentity", prefix: "@host@/test/other", signedPrefix: "@host@/test/signed" }))] }), allowed: false },

  // Tampered, forged and invalid signatures.
  { name: "tampered: a changed payload byte breaks the signature", image: "@host@/test/tampered:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "manifest digest mismatch: a valid signature of another manifest", image: "@host@/test/digest-mismatch:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchRepository" }))] }), allowed: false },
  { name: "an unknown field in critical is rejected", image: "@host@/test/critical-extra:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "a payload of another type is rejected", image: "@host@/test/wrong-type:v1", policy: docker({ "@host@": [signedBy("trusted", identity({ type: "matchRepository" }))] }), allowed: false },
  { name: "a forged issuer naming the trusted key is rejected", image: "@host@/test/forged-issuer:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  {
    name: "a signing subkey of a trusted key is accepted",
    image: "@host@/test/subkey:v1",
    policy: docker({ "@host@": [signedBy("subkey")] }),
    allowed: true,
    skopeoDiffers:
      "skopeo 1.9.3 (containers/image 5.23.1) compares the subkey's fingerprint with the keyring's primary keys and rejects (\"Signature by key … is not accepted\"); containers/image accepts subkey signatures since PR #2905 (2025), which signet follows (security-cases.md D.26)",
  },
  { name: "a revoked signing subkey is rejected", image: "@host@/test/subkey:v1", policy: docker({ "@host@": [signedBy("subkey-revoked")] }), allowed: false },
  { name: "an expired key is rejected, though it signed while valid", image: "@host@/test/expired:v1", policy: docker({ "@host@": [signedBy("expired")] }), allowed: false },

  // Scope lookup: namespaces, tags, digests, ports.
  { name: "a namespace scope applies to the repositories under it", image: "@host@/test/unsigned:v1", policy: docker({ "@host@/test": [signedBy("trusted")] }, ACCEPT), allowed: false },
  { name: "a namespace matches on / boundaries only (@host@/tes does not cover @host@/test/…)", image: "@host@/test/unsigned:v1", policy: docker({ "@host@/tes": [REJECT] }, ACCEPT), allowed: true },
  { name: "the most specific scope wins: a rejected repository under an accepting registry", image: "@host@/test/unsigned:v1", policy: docker({ "@host@": [ACCEPT], "@host@/test/unsigned": [REJECT] }, ACCEPT), allowed: false },
  { name: "a repo:tag scope is more specific than its repository", image: "@host@/test/unsigned:v1", policy: docker({ "@host@/test/unsigned:v1": [ACCEPT], "@host@/test/unsigned": [REJECT] }), allowed: true },
  { name: "a repo@digest scope applies to the digest reference", image: "@host@/test/signed@@digest:signed@", policy: docker({ "@host@/test/signed@@digest:signed@": [REJECT], "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "a repo@digest scope does not apply to a tag reference of the same manifest", image: "@host@/test/signed:v1", policy: docker({ "@host@/test/signed@@digest:signed@": [REJECT], "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "a host scope without the port does not match host:port", image: "@host@/test/unsigned:v1", policy: docker({ "127.0.0.1": [ACCEPT] }), allowed: false },
  { name: "a host scope with another port does not match", image: "@host@/test/unsigned:v1", policy: docker({ "127.0.0.1:1": [ACCEPT] }), allowed: false },

  // Wildcards (registries.conf maps the names to the registry for skopeo; signet's engine rewrites the host).
  { name: "*.domain: signedBy under a wildcard accepts a signed image", image: "registry.example.test/test/mapped:v1", policy: docker({ "*.example.test": [signedBy("trusted")] }), allowed: true },
  { name: "*.domain: signedBy under a wildcard rejects an unsigned image", image: "registry.example.test/test/unsigned:v1", policy: docker({ "*.example.test": [signedBy("trusted")] }, ACCEPT), allowed: false },
  { name: "*.domain: a wildcard for another domain does not apply", image: "registry.example.test/test/unsigned:v1", policy: docker({ "*.other.test": [ACCEPT] }), allowed: false },
  { name: "*.domain: the most specific wildcard wins (*.example.test over *.test)", image: "registry.example.test/test/unsigned:v1", policy: docker({ "*.test": [REJECT], "*.example.test": [ACCEPT] }), allowed: true },
  { name: "*.domain: a host:port registry matches the wildcard of its host", image: "mirror.example.test:5000/test/mapped-port:v1", policy: docker({ "*.example.test": [signedBy("trusted")] }), allowed: true },
  { name: "a host:port scope is more specific than the wildcard", image: "mirror.example.test:5000/test/unsigned:v1", policy: docker({ "mirror.example.test:5000": [ACCEPT], "*.example.test": [REJECT] }), allowed: true },
  { name: "a mirror: the original's signature names another registry and is rejected", image: "registry.example.test/test/signed:v1", policy: docker({ "*.example.test": [signedBy("trusted")] }), allowed: false },
  { name: "a mirror: remapIdentity maps the mirror's name to the signed one", image: "registry.example.test/test/signed:v1", policy: docker({ "registry.example.test": [signedBy("trusted", identity({ type: "remapIdentity", prefix: "registry.example.test", signedPrefix: "@host@" }))] }), allowed: true },

  // Lookaside stores over http://, and registries.d namespaces.
  { name: "http lookaside: a skopeo signature is read and accepted", image: "@host@/test/signed:v1", registriesD: "http", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "http lookaside: a signet signature is read and accepted", image: "@host@/test/signet-signed:v1", registriesD: "http", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "http lookaside: a 404 means no signature", image: "@host@/test/unsigned:v1", registriesD: "http", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "http lookaside: a tampered signature is rejected", image: "@host@/test/tampered:v1", registriesD: "http", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "http lookaside answering 500: not allowed, and not read as unsigned", image: "@host@/test/signed:v1", registriesD: "http-broken", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false, outcome: "error" },
  { name: "registries.d: a namespace's own lookaside is used for its images", image: "@host@/test/nsl/app:v1", registriesD: "namespaced", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "registries.d: the default lookaside does not hold the namespace's signatures", image: "@host@/test/nsl/app:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },

  // Multi-arch images (GPG): containers/image checks the instance it pulls for this machine (linux/amd64), not the index.
  { name: "multi-arch: only the index is signed: the pulled instance is not, rejected", image: "@host@/test/multi-index:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "multi-arch: only the linux/amd64 instance is signed: accepted", image: "@host@/test/multi-instance:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "multi-arch: index and instance signed: accepted", image: "@host@/test/multi-both:v1", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
  { name: "multi-arch by index digest: only the index is signed, rejected", image: "@host@/test/multi-index@@digest:multi-index@", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: false },
  { name: "multi-arch by index digest: the instance's signature names the tag, and matchRepoDigestOrExact accepts the repository", image: "@host@/test/multi-instance@@digest:multi-instance@", policy: docker({ "@host@": [signedBy("trusted")] }), allowed: true },
];

interface RowResult {
  skopeo: { allowed: boolean; message: string };
  signet: PolicyDecision;
  via: "cli" | "engine";
}

describe("policy.json: signet agrees with skopeo (real registry; GPG signatures by skopeo, signet and forgers)", () => {
  let registry: TestRegistry;
  let dir: string;
  let home: string;
  let trusted: GpgHome;
  let foreign: GpgHome;
  let httpServer: Server;
  let httpBase: string;
  const digests = new Map<string, Digest>();
  const results = new Map<number, RowResult>();
  const registriesDDirs: Record<RegistriesD, string> = { file: "", http: "", "http-broken": "", namespaced: "" };

  const skopeo = (args: string[], gpgHome?: GpgHome): ReturnType<typeof runProgram> =>
    runProgram("skopeo", args, { env: { ...process.env, HOME: home, ...(gpgHome ? { GNUPGHOME: gpgHome.home } : {}) }, cwd: dir });
  const sigs = (): string => join(dir, "sigs");

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-policy-skopeo-"));
    home = join(dir, "home");
    trusted = await createGpgHome({ userId: "Trusted <trusted@example.test>" });
    foreign = await createGpgHome({ userId: "Foreign <foreign@example.test>", algorithm: "nistp256" });
    mkdirSync(sigs());

    // The lookaside store over http, as a web server publishes it; /broken/… always fails.
    httpServer = createServer((request, response) => {
      const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
      if (path.startsWith("/broken/")) {
        response.writeHead(500).end("internal error");
        return;
      }
      const file = normalize(join(sigs(), path));
      if (!file.startsWith(sigs() + sep) || !existsSync(file) || !statSync(file).isFile()) {
        response.writeHead(404).end();
        return;
      }
      response.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    httpBase = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;

    const registriesD = (name: RegistriesD, yaml: string): void => {
      const path = join(dir, `registries-${name}.d`);
      mkdirSync(path);
      writeFileSync(join(path, "default.yaml"), yaml);
      registriesDDirs[name] = path;
    };
    const fileUrl = (path: string): string => pathToFileURL(path).href;
    registriesD("file", `default-docker:\n  lookaside: ${fileUrl(sigs())}\n  lookaside-staging: ${fileUrl(sigs())}\n`);
    registriesD("http", `default-docker:\n  lookaside: ${httpBase}\n`);
    registriesD("http-broken", `default-docker:\n  lookaside: ${httpBase}/broken\n`);
    registriesD("namespaced", `default-docker:\n  lookaside: ${fileUrl(join(dir, "sigs-empty"))}\ndocker:\n  ${registry.host}/test/nsl:\n    lookaside: ${fileUrl(join(dir, "sigs-ns"))}\n`);

    // skopeo reaches the wildcard rows' host names through registries.conf in its $HOME.
    mkdirSync(join(home, ".config", "containers"), { recursive: true });
    writeFileSync(
      join(home, ".config", "containers", "registries.conf"),
      MAPPED_HOSTS.map((prefix) => `[[registry]]\nprefix = "${prefix}"\nlocation = "${registry.host}"\ninsecure = true\n`).join("\n"),
    );
    writeFileSync(join(dir, "any.json"), JSON.stringify({ default: [ACCEPT] }));

    // Keyrings.
    copyFileSync(trusted.publicKeyPath, join(dir, "trusted.gpg"));
    copyFileSync(foreign.publicKeyPath, join(dir, "foreign.gpg"));
    writeFileSync(join(dir, "both.gpg"), Buffer.concat([readFileSync(foreign.publicKeyPath), readFileSync(trusted.publicKeyPath)]));
    const generate = async (name: string, options: Record<string, unknown> = {}): Promise<openpgp.PrivateKey> =>
      (await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name }], format: "object", ...options } as Parameters<typeof openpgp.generateKey>[0] & { format: "object" })).privateKey;
    const subkeyed = await generate("Subkeyed", { subkeys: [{ sign: true }] });
    writeFileSync(join(dir, "subkey.gpg"), subkeyed.toPublic().write());
    const revoked = await openpgp.readPrivateKey({ binaryKey: subkeyed.write() });
    revoked.subkeys[0] = await revoked.subkeys[0]!.revoke(revoked.keyPacket as openpgp.SecretKeyPacket);
    writeFileSync(join(dir, "subkey-revoked.gpg"), revoked.toPublic().write());
    const dayMs = 86_400_000;
    const expiredKey = await generate("Expired", { date: new Date(Date.now() - 2 * dayMs), keyExpirationTime: 86_400 });
    writeFileSync(join(dir, "expired.gpg"), expiredKey.toPublic().write());

    // Images.
    const push = async (name: string, content = name, tag = "v1"): Promise<Digest> => {
      const digest = await pushTestImage(registry.host, `test/${name}`, tag, `agreement ${content}`);
      digests.set(name, digest);
      return digest;
    };
    const skopeoSign = async (name: string, signer: GpgHome): Promise<void> => {
      const digest = await pushTestImage(registry.host, `src/${name}`, "v1", `agreement ${name}`);
      const result = await skopeo(
        [
          "--policy", join(dir, "any.json"), "--registries.d", registriesDDirs.file, "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
          "--sign-by", signer.fingerprint, "--sign-passphrase-file", signer.passphraseFile,
          `docker://${registry.host}/src/${name}:v1`, `docker://${registry.host}/test/${name}:v1`,
        ],
        signer,
      );
      assert.equal(result.status, 0, `skopeo copy --sign-by to ${name}: ${result.stderr}`);
      digests.set(name, digest);
    };
    const signetSign = async (image: string, extra: string[] = []): Promise<string> => {
      const result = await runSignet(
        ["sign", "--gpg-key", trusted.secretKeyPath, "--passphrase-file", trusted.passphraseFile, "--registries-d", registriesDDirs.file, "--output-format", "json", ...extra, image],
        { env: { ...process.env, HOME: home } },
      );
      assert.equal(result.status, 0, `signet sign --gpg-key ${image}: ${result.stderr}${result.stdout}`);
      const [signed] = JSON.parse(result.stdout) as { path: string }[];
      return signed!.path;
    };
    const trustedKey = await loadGpgPrivateKey(trusted.secretKeyPath, trusted.passphraseFile);
    const foreignKey = await loadGpgPrivateKey(foreign.secretKeyPath, foreign.passphraseFile);
    /** Signs an arbitrary payload with the library and stores it as the next signature of test/NAME. */
    const store = async (name: string, key: GpgSigningKey | openpgp.PrivateKey, payload: Uint8Array, change?: (signature: Buffer) => void, date?: Date): Promise<void> => {
      const signingKey = "fingerprint" in key ? key : key.armor();
      const signature = await signAtomicPayload(signingKey, undefined, payload, date ? { date } : {});
      change?.(signature);
      await writeLookasideSignature(pathToFileURL(sigs()).href, parseImageReference(`${registry.host}/test/${name}:v1`), digests.get(name)!, signature);
    };
    const payload = (name: string, claims: { identity?: string; digest?: Digest } = {}): Buffer =>
      createAtomicPayload({
        dockerReference: claims.identity ?? `${registry.host}/test/${name}:v1`,
        manifestDigest: claims.digest ?? digests.get(name)!,
        creator: "signet test",
        timestamp: Math.floor(Date.now() / 1000),
      });

    await push("unsigned");
    await skopeoSign("signed", trusted);
    assert.equal(await pushTestImage(registry.host, "test/signed", "v2", "agreement signed"), digests.get("signed"), "v2 is the same manifest as v1");
    assert.ok(existsSync(join(sigs(), "test", `signed@sha256=${digests.get("signed")!.slice(7)}`, "signature-1")), "skopeo wrote signed's signature where registries.d says");
    await skopeoSign("foreign", foreign);

    await push("signet-signed");
    await signetSign(`${registry.host}/test/signet-signed:v1`);

    await skopeoSign("extra", foreign);
    assert.match(await signetSign(`${registry.host}/test/extra:v1`), /signature-2$/, "signet appends after the signature present");
    await push("garbage");
    await signetSign(`${registry.host}/test/garbage:v1`);
    await store("garbage", trustedKey, Buffer.from("not a signature"), (signature) => signature.fill(0x42));
    await push("armored");
    const armoredMessage = await openpgp.sign({
      message: await openpgp.createMessage({ binary: payload("armored") }),
      signingKeys: await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ binaryKey: readFileSync(trusted.secretKeyPath) }), passphrase: trusted.passphrase }),
    });
    await writeLookasideSignature(pathToFileURL(sigs()).href, parseImageReference(`${registry.host}/test/armored:v1`), digests.get("armored")!, Buffer.from(armoredMessage));

    const bydigest = await push("bydigest");
    await signetSign(`${registry.host}/test/bydigest@${bydigest}`);
    await push("wrong-identity");
    await signetSign(`${registry.host}/test/wrong-identity:v1`, ["--sign-container-identity", `${registry.host}/test/elsewhere:v1`]);

    assert.equal(await push("moved", "signed"), digests.get("signed"));
    const movedDir = join(sigs(), "test", `moved@sha256=${digests.get("moved")!.slice(7)}`);
    mkdirSync(movedDir, { recursive: true });
    copyFileSync(join(sigs(), "test", `signed@sha256=${digests.get("signed")!.slice(7)}`, "signature-1"), join(movedDir, "signature-1"));

    await push("tampered");
    await store("tampered", trustedKey, payload("tampered"), (signature) => {
      const at = signature.indexOf("signet test");
      assert.ok(at > 0, "the payload is stored uncompressed");
      signature[at] = "S".charCodeAt(0);
    });
    await push("digest-mismatch");
    await store("digest-mismatch", trustedKey, payload("digest-mismatch", { digest: digests.get("unsigned")! }));
    await push("critical-extra");
    const critical = (name: string, type: string, extra: Record<string, unknown> = {}): Buffer =>
      Buffer.from(JSON.stringify({
        critical: { identity: { "docker-reference": `${registry.host}/test/${name}:v1` }, image: { "docker-manifest-digest": digests.get(name) }, type, ...extra },
        optional: { creator: "signet test" },
      }));
    await store("critical-extra", trustedKey, critical("critical-extra", ATOMIC_SIGNATURE_TYPE, { "must-understand": true }));
    await push("wrong-type");
    await store("wrong-type", trustedKey, critical("wrong-type", "cosign container image signature"));
    await push("forged-issuer");
    const [trustedPublic, foreignPublic] = await Promise.all([trusted, foreign].map(async (h) => openpgp.readKey({ binaryKey: readFileSync(h.publicKeyPath) })));
    await store("forged-issuer", foreignKey, payload("forged-issuer"), (signature) => {
      const fingerprintOf = (key: openpgp.Key): Buffer => Buffer.from(key.getFingerprint(), "hex");
      const keyIdOf = (key: openpgp.Key): Buffer => Buffer.from(key.getKeyID().toHex(), "hex");
      // gpg signs with the primary key here (the keys have no subkeys), so the issuer is the primary key.
      for (const [from, to] of [[fingerprintOf(foreignPublic!), fingerprintOf(trustedPublic!)], [keyIdOf(foreignPublic!), keyIdOf(trustedPublic!)]] as const) {
        let replaced = 0;
        for (let at = signature.indexOf(from); at !== -1; at = signature.indexOf(from, at + 1)) {
          to.copy(signature, at);
          replaced++;
        }
        assert.ok(replaced >= 1, "the issuer is named in the signature");
      }
    });
    await push("subkey");
    await store("subkey", subkeyed, payload("subkey"));
    await push("expired");
    const signedAt = new Date(Date.now() - 47 * 3_600_000);
    await store("expired", expiredKey, payload("expired"), undefined, signedAt);

    await push("mapped");
    await signetSign(`${registry.host}/test/mapped:v1`, ["--sign-container-identity", "registry.example.test/test/mapped:v1"]);
    await push("mapped-port");
    await signetSign(`${registry.host}/test/mapped-port:v1`, ["--sign-container-identity", "mirror.example.test:5000/test/mapped-port:v1"]);
    await push("nsl/app");
    await signetSign(`${registry.host}/test/nsl/app:v1`, ["--lookaside-staging", pathToFileURL(join(dir, "sigs-ns")).href]);

    // Multi-arch indexes: which digest carries the GPG signature (the identity always names the tag, as skopeo writes it).
    const multiAccess = new ImageAccess();
    for (const [name, sign] of [["multi-index", ["index"]], ["multi-instance", ["instance"]], ["multi-both", ["index", "instance"]]] as const) {
      const index = await pushTestImage(registry.host, `test/${name}`, "v1", `agreement ${name}`, ["linux/amd64", "linux/arm64"]);
      digests.set(name, index);
      const shape = await readImageShape((await multiAccess.resolve(`${registry.host}/test/${name}@${index}`)).repository, index);
      assert.equal(shape.kind, "index");
      const amd64 = shape.kind === "index" ? shape.instances.find((d) => d.platform?.architecture === "amd64")!.digest : index;
      for (const which of sign) {
        await signetSign(`${registry.host}/test/${name}@${which === "index" ? index : amd64}`, ["--sign-container-identity", `${registry.host}/test/${name}:v1`]);
      }
    }
    await multiAccess.close();
  });

  after(async () => {
    httpServer?.closeAllConnections();
    await new Promise((resolve) => httpServer?.close(resolve));
    await trusted?.close();
    await foreign?.close();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const substitute = (text: string): string =>
    text
      .replaceAll("@host@", registry.host)
      .replace(/@digest:([a-z/-]+)@/g, (_, name: string) => digests.get(name) ?? assert.fail(`no image ${name}`))
      .replace(/@keyring:([a-z-]+)@/g, (_, name: string) => join(dir, `${name}.gpg`))
      .replace(/@keydata:([a-z-]+)@/g, (_, name: string) => readFileSync(join(dir, `${name}.gpg`)).toString("base64"));

  async function skopeoDecides(policyFile: string, image: string, registriesD: string): Promise<RowResult["skopeo"]> {
    const out = mkdtempSync(join(dir, "out-"));
    const result = await skopeo(["--policy", policyFile, "--registries.d", registriesD, "copy", "--src-tls-verify=false", `docker://${image}`, `dir:${out}`]);
    rmSync(out, { recursive: true, force: true });
    return { allowed: result.status === 0, message: result.stderr.trim() };
  }

  async function signetCli(policyFile: string, image: string, registriesD: string): Promise<PolicyDecision> {
    const result = await runSignet(["policy", "verify", "--policy", policyFile, "--registries-d", registriesD, "--output-format", "json", `docker://${image}`], {
      env: { ...process.env, HOME: home },
    });
    const output = JSON.parse(result.stdout) as { allowed: boolean; images: PolicyDecision[] };
    assert.equal(result.status, output.allowed ? 0 : 1, `exit status of signet policy verify: ${result.stderr}`);
    return output.images[0]!;
  }

  /** signet's engine with the default fetchers, the registry reached under the test registry's address. */
  async function signetEngine(policyFile: string, text: string, image: string, registriesD: string): Promise<PolicyDecision> {
    const readKey = createLocationReader();
    const policy = await compilePolicy(parsePolicy(text, { source: policyFile }), { readKey });
    const access = new ImageAccess();
    try {
      const defaults = createPolicyFetchers({ access, registriesD: await loadRegistriesD(registriesD), readKey });
      const toRegistry = (location: ImageLocation): ImageLocation =>
        location.transport === "docker" && (MAPPED_HOSTS as readonly string[]).includes(location.reference.registry)
          ? { transport: "docker", reference: { ...location.reference, registry: registry.host } }
          : location;
      const fetchers: PolicyFetchers = { ...defaults, resolveManifestDigest: (location) => defaults.resolveManifestDigest(toRegistry(location)) };
      return await evaluatePolicy(parseImageLocation(`docker://${image}`), policy, { fetchers });
    } finally {
      await access.close();
    }
  }

  describe("rows", { concurrency: 4 }, () => {
    for (const [index, row] of CASES.entries()) {
      test(`${index + 1}. ${row.name}`, async () => {
        const text = substitute(JSON.stringify(row.policy, null, 2));
        const policyFile = join(dir, `policy-${index + 1}.json`);
        writeFileSync(policyFile, text);
        const image = substitute(row.image);
        const registriesD = registriesDDirs[row.registriesD ?? "file"];
        const mapped = MAPPED_HOSTS.some((host) => image.startsWith(`${host}/`));
        const [skopeoResult, signet] = await Promise.all([
          skopeoDecides(policyFile, image, registriesD),
          mapped ? signetEngine(policyFile, text, image, registriesD) : signetCli(policyFile, image, registriesD),
        ]);
        results.set(index, { skopeo: skopeoResult, signet, via: mapped ? "engine" : "cli" });
        assert.notEqual(skopeoReason(skopeoResult), undefined, `an unclassified skopeo message; add it to SKOPEO_REASONS: ${skopeoResult.message}`);
        if (row.skopeoDiffers !== undefined) {
          // A pinned, explained difference: if skopeo starts agreeing, the row must be updated.
          assert.equal(skopeoResult.allowed, !row.allowed, `skopeo no longer differs here (${row.skopeoDiffers}): ${skopeoResult.message}`);
          assert.equal(signet.allowed, row.allowed, `signet does not give the expected answer:\n${formatDecisionText(signet)}`);
          return;
        }
        assert.equal(skopeoResult.allowed, row.allowed, `skopeo does not give the expected answer: ${skopeoResult.message}`);
        assert.equal(signet.allowed, skopeoResult.allowed, `signet disagrees with skopeo (${skopeoResult.message}):\n${formatDecisionText(signet)}`);
        if (!row.allowed) assert.equal(signet.outcome, row.outcome ?? "denied", formatDecisionText(signet));
      });
    }
  });

  test("docs/policy-conformance.md holds this table and its results", () => {
    assert.equal(results.size, CASES.length, "every row ran (a row that failed to run leaves the table incomplete)");
    const generated = conformanceTable(results);
    const built = join(REPO_ROOT, "dist", "policy-conformance.md");
    mkdirSync(dirname(built), { recursive: true });
    writeFileSync(built, generated);
    // skopeo's own words per row, for whoever needs to classify a new message.
    writeFileSync(join(REPO_ROOT, "dist", "policy-conformance-skopeo.txt"), [...results.entries()].sort(([a], [b]) => a - b).map(([i, r]) => `${i + 1}: ${r.skopeo.allowed ? "allowed" : r.skopeo.message}`).join("\n"));
    const docPath = join(REPO_ROOT, "docs", "policy-conformance.md");
    const doc = readFileSync(docPath, "utf8");
    const start = doc.indexOf(BEGIN_MARKER);
    const end = doc.indexOf(END_MARKER);
    assert.ok(start !== -1 && end > start, `${docPath} lacks the markers ${BEGIN_MARKER} … ${END_MARKER}`);
    const current = doc.slice(start + BEGIN_MARKER.length, end);
    if (current !== generated && process.env["SIGNET_UPDATE_DOCS"] === "1") {
      writeFileSync(docPath, doc.slice(0, start + BEGIN_MARKER.length) + generated + doc.slice(end));
      return;
    }
    assert.equal(current, generated, "docs/policy-conformance.md is out of date: run `SIGNET_UPDATE_DOCS=1 node --test dist/test/integration/policy-skopeo-agreement.test.js`");
  });
});

const BEGIN_MARKER = "<!-- BEGIN GENERATED: policy-skopeo-agreement.test.ts -->";
const END_MARKER = "<!-- END GENERATED -->";

/** skopeo's rejection messages, by what they mean (containers/image's wording; stable across runs). */
const SKOPEO_REASONS: readonly [RegExp, string][] = [
  [/is rejected by policy/, "rejected by policy (`reject`)"],
  [/A signature was required, but no signature exists/, "no signature exists"],
  [/Signature for identity .* is not accepted/, "identity not accepted"],
  [/Signature for digest .* does not match/, "digest does not match"],
  [/Signature by key .* is not accepted/, "key not accepted"],
  [/parsing signature .*: unrecognized signature format/, "not a signature (the read fails)"],
  [/Unrecognized signature type/, "unrecognized signature type"],
  [/Unknown key \\?"/, "unknown key in the payload"],
  [/reading signature from .*: status 500/, "lookaside store error (HTTP 500)"],
];

/** gpgme's error codes in skopeo's "Invalid GPG signature: gpgme.Signature{… Status:gpgme.Error{err:0x…}" (libgpg-error names). */
const GPG_ERRORS: Record<number, string> = { 8: "BAD_SIGNATURE", 9: "NO_PUBKEY", 94: "CERT_REVOKED", 153: "KEY_EXPIRED", 154: "SIG_EXPIRED" };

function skopeoReason(result: RowResult["skopeo"]): string | undefined {
  if (result.allowed) return "allowed";
  const gpg = /Invalid GPG signature: .*?Status:gpgme\.Error\{err:0x([0-9a-f]+)\}/.exec(result.message);
  if (gpg !== undefined && gpg !== null) {
    const code = Number.parseInt(gpg[1]!, 16) & 0xffff; // the low 16 bits are the error code, the rest its source
    return GPG_ERRORS[code] === undefined ? undefined : `invalid GPG signature (${GPG_ERRORS[code]})`;
  }
  return SKOPEO_REASONS.find(([pattern]) => pattern.test(result.message))?.[1];
}

/** The code that explains a signet decision: the first failed requirement's, or the decision's for an error. */
function signetReason(decision: PolicyDecision): string {
  if (decision.allowed) return "allowed";
  const failed = decision.requirements.find((r) => !r.allowed);
  const code = failed?.code ?? decision.code ?? "?";
  const gpgReason = /invalid GPG signature \(([a-z-]+)\)/.exec(failed?.reason ?? "")?.[1];
  return `${decision.outcome === "error" ? "error" : "denied"}: ${code}${gpgReason === undefined ? "" : ` (${gpgReason})`}`;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function conformanceTable(results: ReadonlyMap<number, RowResult>): string {
  const lines = [
    "",
    "### Images",
    "",
    "| image (`@host@/test/…`) | signatures |",
    "| --- | --- |",
    ...Object.entries(IMAGES).map(([name, how]) => `| \`${name}\` | ${cell(how)} |`),
    "",
    "### Cases",
    "",
    "`@host@` is the registry (127.0.0.1:PORT); `@keyring:NAME@` is a keyring file; every policy not shown with a `default` has `\"default\": [{\"type\": \"reject\"}]`.",
    "Registries.d: `file` = a file:// lookaside for every image, `http` = the same store served by a node:http server on 127.0.0.1, `http-broken` = a server answering 500, `namespaced` = a lookaside only for `@host@/test/nsl`.",
    "signet ran as `signet policy verify --output json` (cli), or for the wildcard rows as its engine (evaluatePolicy with the default fetchers) with the registry address rewritten, since signet has no registries.conf.",
    "",
    "| # | case | image | policy (docker transport) | registries.d | expected | skopeo | signet | signet ran as |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const [index, row] of CASES.entries()) {
    const result = results.get(index);
    const policy = row.policy as { default: unknown[]; transports?: { docker: unknown } };
    const isDefaultReject = JSON.stringify(policy.default) === JSON.stringify([REJECT]);
    const shown = policy.transports === undefined ? `default: ${JSON.stringify(policy.default)}` : `${JSON.stringify(policy.transports.docker)}${isDefaultReject ? "" : `, default: ${JSON.stringify(policy.default)}`}`;
    lines.push(
      `| ${index + 1} | ${cell(row.name)} | \`${cell(row.image)}\` | \`${cell(shown)}\` | ${row.registriesD ?? "file"} | ${row.allowed ? "allow" : `reject${row.outcome === "error" ? " (error)" : ""}`} | ${result ? cell(skopeoReason(result.skopeo) ?? "?") + (row.skopeoDiffers ? " (known difference)" : "") : "not run"} | ${result ? cell(signetReason(result.signet)) : "not run"} | ${result?.via ?? "not run"} |`,
    );
  }
  const agreed = [...results.values()].filter((r) => r.skopeo.allowed === r.signet.allowed).length;
  const differences = CASES.map((row, index) => ({ row, index })).filter(({ row }) => row.skopeoDiffers !== undefined);
  lines.push("", `${CASES.length} cases, all run through skopeo; skopeo and signet agreed on ${agreed} of ${results.size}.`);
  if (differences.length > 0) {
    lines.push("", "Known differences (signet follows current containers/image; the test pins Debian's skopeo to the opposite answer, so a change on either side is noticed):", "");
    for (const { row, index } of differences) lines.push(`- case ${index + 1} (${cell(row.name)}): ${row.skopeoDiffers}`);
  }
  lines.push("");
  return lines.join("\n");
}
