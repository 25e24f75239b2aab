// Real cosign command lines (sigstore docs, cosign's README, popular GitHub Actions workflows, the Confidential
// Containers guide) run twice: by cosign 2.5 and by signet with `signet` substituted, each in its own directory and on
// its own copy of the images, against a local registry. The outcomes must agree: both succeed, or both fail, with
// cosign's own exit code (10 no signature, 11 not found, 12 rejected) where cosign gives one. Lines cosign 2.5 cannot
// run (cosign 3 flags) state signet's expected outcome. Nothing here reaches the internet: lines that need the
// public Rekor or TUF fail for both tools, and signet must say which flag to add.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { createPrivateCa } from "../helpers/private-ca.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

type Tool = "cosign" | "signet";

interface Line {
  /** The command line as published, with $IMAGE, $IMAGE2, $DIGEST_REF, $UNSIGNED, $MISSING, $INDEX, $DEST placeholders. */
  readonly line: string;
  /** Where it comes from. */
  readonly source: string;
  /** When cosign 2.5 cannot run the line (cosign 3 flags): signet's expected exit code. */
  readonly signetOnly?: number;
  /** Checks on signet's result beyond the outcome. */
  readonly check?: (signet: RunResult, dir: string) => void;
  /** Environment variables for this line (placeholders are replaced in their values too). */
  readonly env?: Readonly<Record<string, string>>;
}

const DOCS = "sigstore docs (docs.sigstore.dev/cosign/signing, /verifying)";
const README = "cosign README";
const GHA = "GitHub Actions workflows (sigstore/cosign-installer usage)";
const COCO = "Confidential Containers guide (image signing with cosign)";
const CUSTOM_CA = "sigstore docs (verifying with a custom certificate authority)";
const PKI_ID = "--certificate-identity signer@example.com --certificate-oidc-issuer https://issuer.example.com";

/** In order: signing lines come before the lines that verify what they signed. */
const CORPUS: readonly Line[] = [
  { line: "cosign version", source: README },
  { line: "cosign generate-key-pair --output-key-prefix generated", source: DOCS, check: (_r, dir) => assert.ok(existsSync(join(dir, "generated.key"))) },
  { line: "cosign public-key --key cosign.key", source: DOCS, check: (r) => assert.match(r.stdout, /BEGIN PUBLIC KEY/) },
  { line: "cosign public-key --key cosign.key --outfile derived.pub", source: DOCS, check: (_r, dir) => assert.match(readFileSync(join(dir, "derived.pub"), "utf8"), /BEGIN PUBLIC KEY/) },
  // Debian's cosign 2.5.0 build refuses every EC and RSA key in import-key-pair (keys-cosign.test.ts shows it): signet only.
  { line: "cosign import-key-pair --key ec.pem -o imported -y", source: DOCS, signetOnly: 0, check: (_r, dir) => assert.ok(existsSync(join(dir, "imported.key"))) },
  // Signing with the default transparency log needs the public Rekor: offline, both fail, and signet names the flag.
  {
    line: "cosign sign --yes --key cosign.key $IMAGE2",
    source: GHA,
    check: (r) => {
      assert.equal(r.status, 4, r.stderr);
      assert.match(r.stderr, /--tlog-upload=false/);
    },
  },
  { line: "cosign sign -y --key env://COSIGN_PRIVATE_KEY $IMAGE2", source: GHA },
  { line: "cosign sign --key cosign.key --tlog-upload=true -y $IMAGE2", source: DOCS, check: (r) => assert.match(r.stderr, /REKOR_ERROR/) },
  {
    line: "cosign sign --new-bundle-format=false --use-signing-config=false --key ./cosign.key $IMAGE2",
    source: COCO,
    signetOnly: 4,
    check: (r) => assert.match(r.stderr, /--tlog-upload=false/),
  },
  { line: "cosign sign --new-bundle-format=false --use-signing-config=false --tlog-upload=false --key ./cosign.key $IMAGE3", source: `${COCO}, offline`, signetOnly: 0 },
  { line: "cosign sign --key cosign.key --tlog-upload=false $IMAGE", source: DOCS },
  { line: "cosign sign --key cosign.key --tlog-upload=false -y -a tag=v1 -a sha=abc123 $DIGEST_REF", source: DOCS },
  { line: "cosign sign --key env://COSIGN_PRIVATE_KEY --tlog-upload=false --yes $IMAGE4", source: GHA },
  { line: "cosign sign --tlog-upload=false --key cosign.key -r -y $INDEX", source: DOCS },
  { line: "cosign sign --tlog-upload=false --key cosign.key --recursive=true --yes $IMAGE5 $IMAGE6", source: DOCS },
  { line: "cosign sign --key cosign.key --tlog-upload=banana -y $IMAGE5", source: "issue #14 (a mistyped boolean)", check: (r) => assert.match(r.stderr, /--tlog-upload is a boolean/) },
  { line: "cosign sign --key cosign.key --tlog-upload $IMAGE7", source: "issue #14 (a boolean before the image)", check: (r) => assert.match(r.stderr, /REKOR_ERROR/) },
  { line: "cosign sign --key cosign.key --tlog-upload=false --sk $IMAGE5", source: DOCS, check: (r) => assert.match(r.stderr, /cosign flag that signet does not support: hardware security keys/) },
  // Verification.
  {
    line: "cosign verify --key cosign.pub $IMAGE",
    source: DOCS,
    check: (r) => {
      assert.equal(r.status, 4, "the trust root for the log check cannot be fetched offline: could not check");
      assert.match(r.stderr, /--offline/);
    },
  },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $IMAGE", source: "issue #14", check: (r) => assert.match(r.stderr, /WARNING: Skipping tlog verification/) },
  { line: "cosign verify --insecure-ignore-tlog --key cosign.pub $IMAGE", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true -a tag=v1 $DIGEST_REF", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true -a tag=v2 $DIGEST_REF", source: DOCS },
  { line: "cosign verify --key env://COSIGN_PUBLIC_KEY --insecure-ignore-tlog=true $IMAGE4", source: GHA },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $UNSIGNED", source: DOCS },
  { line: "cosign verify --key other.pub --insecure-ignore-tlog=true $IMAGE", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $MISSING", source: DOCS },
  {
    line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true -o text $IMAGE",
    source: DOCS,
    check: (r) => assert.equal((JSON.parse(r.stdout.trim().split("\n")[0]!) as { critical: { type: string } }).critical.type, "cosign container image signature"),
  },
  {
    line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --output=json $IMAGE",
    source: DOCS,
    check: (r) => assert.ok(Array.isArray(JSON.parse(r.stdout))),
  },
  {
    line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --output-file verified.json $IMAGE",
    source: DOCS,
    check: (r, dir) => {
      assert.equal(r.stdout, "");
      assert.ok(Array.isArray(JSON.parse(readFileSync(join(dir, "verified.json"), "utf8"))));
    },
  },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --max-workers 2 $IMAGE5 $IMAGE6", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --allow-http-registry=true -- $IMAGE", source: GHA },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $INDEX", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --check-claims=true $IMAGE", source: DOCS },
  {
    line: "cosign verify --certificate-identity-regexp ^https://github.com/org/ --certificate-oidc-issuer https://token.actions.githubusercontent.com $IMAGE",
    source: GHA,
  },
  {
    line: "cosign verify --certificate-identity https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main --certificate-oidc-issuer https://token.actions.githubusercontent.com $IMAGE",
    source: GHA,
  },
  { line: "cosign verify $IMAGE", source: "a line without a signer", check: (r) => assert.match(r.stderr, /IDENTITY_POLICY_INVALID/) },
  // Attestations.
  { line: "cosign attest --key cosign.key --predicate predicate.json --type slsaprovenance --tlog-upload=false -y $IMAGE", source: DOCS },
  { line: "cosign attest --yes --key cosign.key --predicate predicate.json --type slsaprovenance $IMAGE5", source: GHA },
  { line: "cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true $IMAGE", source: DOCS },
  { line: "cosign verify-attestation --key cosign.pub --type spdxjson --insecure-ignore-tlog=true $IMAGE", source: DOCS },
  { line: "cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true --policy good.cue $IMAGE", source: DOCS },
  { line: "cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true --policy bad.cue $IMAGE", source: DOCS, check: (r) => assert.match(r.stderr, /POLICY_DENIED/) },
  { line: "cosign verify-attestation --key cosign.pub --insecure-ignore-tlog=true --type slsaprovenance $UNSIGNED", source: DOCS },
  // Blobs.
  { line: "cosign sign-blob --key cosign.key --tlog-upload=false --yes --output-signature blob.sig blob.txt", source: DOCS },
  { line: "cosign sign-blob --key cosign.key --tlog-upload=false -y --output old-style.sig blob.txt", source: DOCS, check: (_r, dir) => assert.ok(existsSync(join(dir, "old-style.sig"))) },
  { line: "cosign sign-blob --key cosign.key --tlog-upload=false -y blob.txt", source: README, check: (r) => assert.match(r.stdout, /^[A-Za-z0-9+/=]+\n$/) },
  { line: "cosign sign-blob --yes --key cosign.key blob.txt", source: GHA },
  { line: "cosign verify-blob --key cosign.pub --signature blob.sig --insecure-ignore-tlog=true blob.txt", source: DOCS },
  { line: "cosign verify-blob --key other.pub --signature blob.sig --insecure-ignore-tlog=true blob.txt", source: DOCS },
  { line: "cosign verify-blob --key cosign.pub --signature blob.sig blob.txt", source: DOCS },
  // Where the signatures live, and copying them.
  { line: "cosign triangulate $IMAGE", source: DOCS, check: (r) => assert.match(r.stdout, /:sha256-[0-9a-f]{64}\.sig\n$/) },
  { line: "cosign triangulate --type attestation $IMAGE", source: DOCS, check: (r) => assert.match(r.stdout, /\.att\n$/) },
  { line: "cosign tree $IMAGE", source: DOCS },
  {
    line: "cosign download signature $IMAGE",
    source: DOCS,
    check: (r) => assert.match((JSON.parse(r.stdout.split("\n")[0]!) as { Payload: string }).Payload, /^eyJ/),
  },
  { line: "cosign download signature $UNSIGNED", source: DOCS },
  { line: "cosign download attestation $IMAGE", source: DOCS, check: (r) => assert.match(r.stdout, /"payloadType":"application\/vnd.in-toto\+json"/) },
  { line: "cosign copy $IMAGE $DEST", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $DEST", source: DOCS },
  { line: "cosign copy --only=sig $IMAGE $DEST2", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $DEST2", source: "--only copies the signatures, not the image" },
  { line: "cosign triangulate $DEST2", source: DOCS },
  {
    line: "cosign generate -a build=42 $DIGEST_REF",
    source: DOCS,
    check: (r) => assert.equal((JSON.parse(r.stdout) as { optional: Record<string, string> }).optional["build"], "42"),
  },
  { line: "cosign env --show-descriptions=false", source: DOCS, check: (r) => assert.match(r.stdout, /^COSIGN_PASSWORD=\*{6}$/m) },
  // Signing without attaching, and verifying the files (sign --upload=false, verify --signature/--payload).
  {
    line: "cosign sign --key cosign.key --tlog-upload=false --upload=false --output-signature img.sig --output-payload img.json --output-certificate img.pem -y $IMAGE8",
    source: DOCS,
    check: (r, dir) => {
      assert.match(readFileSync(join(dir, "img.pem"), "utf8"), /BEGIN PUBLIC KEY/);
      assert.match(r.stderr, /not uploaded/);
    },
  },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $IMAGE8", source: "--upload=false attaches nothing" },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --signature img.sig --payload img.json $IMAGE8", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --signature img.sig $IMAGE8", source: "cosign's implied payload" },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --signature img.sig --payload img.json $IMAGE", source: "a detached signature of another image" },
  { line: "cosign verify --key other.pub --insecure-ignore-tlog=true --signature img.sig --payload img.json $IMAGE8", source: DOCS },
  { line: "cosign generate --output-file gen.json -a build=9 $DIGEST_REF", source: DOCS },
  { line: "cosign sign --key cosign.key --tlog-upload=false --payload gen.json -y $DIGEST_REF", source: "cosign sign --help (--payload)" },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true -a build=9 $DIGEST_REF", source: DOCS },
  { line: "cosign sign --key cosign.key --tlog-upload=false --registry-referrers-mode=oci-1-1 -y $IMAGE9", source: "cosign sign --help", check: (r) => assert.match(r.stderr, /COSIGN_EXPERIMENTAL=1/) },
  { line: "cosign sign --key cosign.key --tlog-upload=false --registry-referrers-mode=banana -y $IMAGE9", source: "a mistyped mode" },
  // Signatures in another repository.
  { line: "cosign sign --key cosign.key --tlog-upload=false -y $IMAGE9", source: "docs.sigstore.dev (COSIGN_REPOSITORY)", env: { COSIGN_REPOSITORY: "$SIGREPO" } },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $IMAGE9", source: "docs.sigstore.dev (COSIGN_REPOSITORY)", env: { COSIGN_REPOSITORY: "$SIGREPO" } },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $IMAGE9", source: "without COSIGN_REPOSITORY the signature is not found" },
  { line: "cosign triangulate $IMAGE9", source: DOCS, env: { COSIGN_REPOSITORY: "$SIGREPO" }, check: (r) => assert.match(r.stdout, /\/signatures:sha256-/) },
  { line: "cosign attest --key cosign.key --predicate predicate.json --type slsaprovenance --tlog-upload=false -y $IMAGE9", source: DOCS, env: { COSIGN_REPOSITORY: "$SIGREPO" } },
  { line: "cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true $IMAGE9", source: DOCS, env: { COSIGN_REPOSITORY: "$SIGREPO" } },
  // Attaching what was signed elsewhere.
  { line: "cosign attach signature --signature img.sig --payload img.json $IMAGE8", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $IMAGE8", source: "attach signature makes it verify" },
  // Blob attestations.
  { line: "cosign attest-blob --key cosign.key --predicate predicate.json --type slsaprovenance --tlog-upload=false -y --output-signature blob.att blob.txt", source: DOCS },
  { line: "cosign attest-blob --key cosign.key --predicate predicate.json --type slsaprovenance --tlog-upload=false -y --bundle blob.att.bundle blob.txt", source: DOCS },
  { line: "cosign verify-blob-attestation --key cosign.pub --signature blob.att --type slsaprovenance --insecure-ignore-tlog=true blob.txt", source: DOCS },
  { line: "cosign verify-blob-attestation --key cosign.pub --bundle blob.att.bundle --type slsaprovenance --insecure-ignore-tlog=true blob.txt", source: DOCS },
  { line: "cosign verify-blob-attestation --key cosign.pub --signature blob.att --type spdxjson --insecure-ignore-tlog=true blob.txt", source: "another predicate type" },
  { line: "cosign verify-blob-attestation --key other.pub --signature blob.att --type slsaprovenance --insecure-ignore-tlog=true blob.txt", source: "another key" },
  // Certificate-based trust with a private CA (helpers/private-ca.ts: leaf.pem certifies cosign.pub, chain.pem is the
  // intermediate and the root); offline, so without Rekor and CT logs unless a line says otherwise.
  { line: "cosign sign --key cosign.key --tlog-upload=false --upload=false --output-signature cert.sig --output-payload cert.json -y $CERTIMG", source: DOCS },
  { line: "cosign attach signature --signature cert.sig --payload cert.json --certificate leaf.pem --certificate-chain chain.pem $CERTIMG", source: DOCS },
  { line: `cosign verify ${PKI_ID} --certificate-chain chain.pem --insecure-ignore-tlog --insecure-ignore-sct $CERTIMG`, source: CUSTOM_CA },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog --insecure-ignore-sct $CERTIMG", source: `${CUSTOM_CA} (the SCT flag has nothing to waive with a key)` },
  { line: `cosign verify ${PKI_ID} --ca-roots root.pem --insecure-ignore-tlog --insecure-ignore-sct $CERTIMG`, source: CUSTOM_CA },
  { line: `cosign verify ${PKI_ID} --ca-roots root.pem --ca-intermediates int.pem --insecure-ignore-tlog=true --insecure-ignore-sct=true $CERTIMG`, source: CUSTOM_CA },
  { line: `cosign verify ${PKI_ID} --certificate leaf.pem --certificate-chain chain.pem --insecure-ignore-tlog --insecure-ignore-sct $IMAGE`, source: `${CUSTOM_CA} (a key-signed image, checked with the certificate's key)` },
  { line: `cosign verify ${PKI_ID} --ca-roots other-root.pem --insecure-ignore-tlog --insecure-ignore-sct $CERTIMG`, source: `${CUSTOM_CA}, another root`, check: (r) => assert.match(r.stderr, /\[CERT_CHAIN_INVALID\]/) },
  {
    line: "cosign verify --certificate-identity someone@example.com --certificate-oidc-issuer https://issuer.example.com --certificate-chain chain.pem --insecure-ignore-tlog --insecure-ignore-sct $CERTIMG",
    source: `${CUSTOM_CA}, another identity`,
    check: (r) => assert.match(r.stderr, /\[CERT_IDENTITY_MISMATCH\]/),
  },
  {
    line: `cosign verify ${PKI_ID} --certificate-chain chain.pem --insecure-ignore-tlog $CERTIMG`,
    source: `${CUSTOM_CA}, the SCT required`,
    env: { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: "cosign.pub" },
    check: (r) => assert.match(r.stderr, /\[SCT_INVALID\]/),
  },
  { line: `cosign verify ${PKI_ID} --certificate-chain chain.pem --ca-roots root.pem --insecure-ignore-tlog --insecure-ignore-sct $CERTIMG`, source: `${CUSTOM_CA}, two CA flags`, check: (r) => assert.match(r.stderr, /\[OPTION_CONFLICT\]/) },
  { line: `cosign verify-blob ${PKI_ID} --certificate leaf.pem --certificate-chain chain.pem --signature blob.sig --insecure-ignore-tlog --insecure-ignore-sct blob.txt`, source: CUSTOM_CA },
  { line: `cosign verify-blob ${PKI_ID} --certificate leaf.pem --ca-roots other-root.pem --signature blob.sig --insecure-ignore-tlog --insecure-ignore-sct blob.txt`, source: `${CUSTOM_CA}, another root`, check: (r) => assert.match(r.stderr, /\[CERT_CHAIN_INVALID\]/) },
  { line: `cosign verify-blob-attestation ${PKI_ID} --type slsaprovenance --certificate leaf.pem --certificate-chain chain.pem --signature blob.att --insecure-ignore-tlog --insecure-ignore-sct blob.txt`, source: CUSTOM_CA },
  { line: `cosign verify-blob-attestation ${PKI_ID} --type slsaprovenance --certificate leaf.pem --ca-roots other-root.pem --signature blob.att --insecure-ignore-tlog --insecure-ignore-sct blob.txt`, source: `${CUSTOM_CA}, another root`, check: (r) => assert.match(r.stderr, /\[CERT_CHAIN_INVALID\]/) },
  // Saving, loading and cleaning.
  { line: "cosign save --dir saved $IMAGE", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true --local-image saved", source: DOCS },
  { line: "cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true --local-image saved", source: DOCS },
  { line: "cosign verify --key other.pub --insecure-ignore-tlog=true --local-image saved", source: "a saved image, another key" },
  { line: "cosign load --dir saved $LOADED", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $LOADED", source: DOCS },
  { line: "cosign clean $LOADED", source: "cosign clean without -f (nobody answers the prompt)" },
  { line: "cosign clean --type signature -f $LOADED", source: DOCS },
  { line: "cosign verify --key cosign.pub --insecure-ignore-tlog=true $LOADED", source: "clean --type signature removed the signatures" },
  { line: "cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true $LOADED", source: "and left the attestations" },
  { line: "cosign clean -f $LOADED", source: DOCS },
  { line: "cosign verify-attestation --key cosign.pub --type slsaprovenance --insecure-ignore-tlog=true $LOADED", source: "clean removed the attestations" },
  { line: "cosign sign --key cosign.key --no-such-flag $IMAGE", source: "a typo", check: (r) => assert.match(r.stderr, /unknown flag \(cosign has no such flag either\)/) },
];

/** Splits a command line into arguments (the corpus has no quoting). */
function splitLine(line: string): string[] {
  return line.split(/\s+/).filter((word) => word !== "");
}

/** Both succeed, or both fail; where cosign exits with one of its specific codes, signet exits with the same. */
function assertSameOutcome(cosignStatus: number | null, signetStatus: number | null, message: string): void {
  if (cosignStatus === 10 || cosignStatus === 11 || cosignStatus === 12) assert.equal(signetStatus, cosignStatus, message);
  else assert.equal(signetStatus === 0, cosignStatus === 0, message);
}

describe("cosign command lines, run by cosign 2.5 and by signet", () => {
  let registry: TestRegistry;
  let cosign: string;
  const dirs = {} as Record<Tool, string>;
  const env = {} as Record<Tool, NodeJS.ProcessEnv>;
  const placeholders = {} as Record<Tool, Record<string, string>>;
  const results: string[] = [];

  before(async () => {
    registry = await startRegistry();
    cosign = cosignPath();
    const root = mkdtempSync(join(tmpdir(), "signet-command-lines-"));
    const keys = join(root, "keys");
    mkdirSync(keys);
    const base = cosignEnv({ COSIGN_PASSWORD: "command-lines" });
    const keyPair = async (prefix: string) => assert.equal((await runProgram(cosign, ["generate-key-pair", "--output-key-prefix", prefix], { env: base, cwd: keys })).status, 0);
    await keyPair("cosign");
    await keyPair("other");
    await createPrivateCa(keys, "cosign.pub");
    const ec = await runProgram("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", join(keys, "ec.pem")]);
    assert.equal(ec.status, 0, ec.stderr);
    for (const tool of ["cosign", "signet"] as const) {
      const dir = join(root, tool);
      mkdirSync(dir);
      for (const file of ["cosign.key", "cosign.pub", "other.key", "other.pub", "ec.pem", "root.pem", "int.pem", "chain.pem", "leaf.pem", "other-root.pem"]) copyFileSync(join(keys, file), join(dir, file));
      writeFileSync(join(dir, "blob.txt"), "a blob to sign\n");
      writeFileSync(join(dir, "predicate.json"), JSON.stringify({ builder: { id: "https://example.test/builder" }, buildType: "https://example.test/type" }));
      writeFileSync(join(dir, "good.cue"), 'predicate: {\n  builder: id: "https://example.test/builder"\n  buildType: "https://example.test/type"\n}\n');
      writeFileSync(join(dir, "bad.cue"), 'predicate: builder: id: "https://evil.test/builder"\n');
      dirs[tool] = dir;
      env[tool] = {
        ...base,
        HOME: dir,
        SIGNET_TUF_ROOT: join(dir, "tuf"),
        COSIGN_PRIVATE_KEY: readFileSync(join(keys, "cosign.key"), "utf8"),
        COSIGN_PUBLIC_KEY: readFileSync(join(keys, "cosign.pub"), "utf8"),
      };
      const repo = (name: string) => `${registry.host}/${tool}/${name}`;
      const values: Record<string, string> = {};
      for (const n of ["", "2", "3", "4", "5", "6", "7", "8", "9"]) {
        await pushTestImage(registry.host, `${tool}/app${n}`, "v1", `content ${n}`);
        values[`$IMAGE${n}`] = `${repo(`app${n}`)}:v1`;
      }
      const digest = await pushTestImage(registry.host, `${tool}/pinned`, "v1", "pinned");
      values["$DIGEST_REF"] = `${repo("pinned")}@${digest}`;
      await pushTestImage(registry.host, `${tool}/unsigned`, "v1", "unsigned");
      values["$UNSIGNED"] = `${repo("unsigned")}:v1`;
      values["$MISSING"] = `${repo("app")}:no-such-tag`;
      await pushTestImage(registry.host, `${tool}/multi`, "v1", "multi", ["linux/amd64", "linux/arm64"]);
      values["$INDEX"] = `${repo("multi")}:v1`;
      values["$DEST"] = `${repo("copied")}:v1`;
      values["$DEST2"] = `${repo("copied-sig-only")}:v1`;
      values["$SIGREPO"] = repo("signatures");
      values["$LOADED"] = `${repo("loaded")}:v1`;
      await pushTestImage(registry.host, `${tool}/certimg`, "v1", "certimg");
      values["$CERTIMG"] = `${repo("certimg")}:v1`;
      placeholders[tool] = values;
    }
  });
  after(async () => {
    await registry?.stop();
    console.log(`# ${results.length} command lines\n${results.join("\n")}`);
  });

  test(`the corpus holds ${CORPUS.length} real command lines (at least 40)`, () => {
    assert.ok(CORPUS.length >= 40, String(CORPUS.length));
  });

  test("each line: the same outcome with signet as with cosign 2.5", async () => {
    for (const entry of CORPUS) {
      const args = (tool: Tool): string[] =>
        splitLine(entry.line)
          .slice(1)
          .map((word) => word.replace(/\$[A-Z_]+[0-9]?/g, (name) => placeholders[tool][name] ?? name));
      const lineEnv = (tool: Tool): NodeJS.ProcessEnv => ({
        ...env[tool],
        ...Object.fromEntries(Object.entries(entry.env ?? {}).map(([name, value]) => [name, value.replace(/\$[A-Z_]+[0-9]?/g, (p) => placeholders[tool][p] ?? p)])),
      });
      const bySignet = await runSignet(args("signet"), { env: lineEnv("signet"), cwd: dirs.signet });
      const detail = `${entry.line}\nsignet exit ${bySignet.status}: ${bySignet.stderr.slice(-600)}`;
      if (entry.signetOnly !== undefined) {
        assert.equal(bySignet.status, entry.signetOnly, detail);
        results.push(`signet ${bySignet.status} (cosign 2.5 cannot run it)  ${entry.line}`);
      } else {
        const byCosign = await runProgram(cosign, args("cosign"), { env: lineEnv("cosign"), cwd: dirs.cosign });
        assertSameOutcome(byCosign.status, bySignet.status, `${detail}\ncosign exit ${byCosign.status}: ${byCosign.stderr.slice(-600)}`);
        results.push(`cosign ${byCosign.status} / signet ${bySignet.status}  ${entry.line}`);
      }
      entry.check?.(bySignet, dirs.signet);
    }
  });
});
