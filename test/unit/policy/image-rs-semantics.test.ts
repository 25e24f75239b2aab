/**
 * One table of policies × images, each evaluated with containers/image's semantics and with image-rs's
 * (`policy verify --as image-rs`): every difference docs/coco.md lists is a row whose two decisions and codes are
 * asserted. The signatures are real cosign signatures (ECDSA P-256 over the simple-signing payload), made here.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import type { ErrorCode } from "../../../src/errors/index.js";
import { parseDigest } from "../../../src/internal/digest.js";
import { parseImageLocation } from "../../../src/oci/reference/index.js";
import {
  compilePolicy,
  createLocationReader,
  evaluatePolicy,
  parsePolicy,
  type PolicyDecision,
  type PolicyFetchers,
  type PolicySemantics,
  type UntrustedSigstoreAttachment,
} from "../../../src/policy/index.js";

const DIGEST = parseDigest(`sha256:${"2".repeat(64)}`);
const IMAGE = "registry.example/app:1";

function cosignAttachment(key: KeyObject, dockerReference: string, digest = DIGEST.toString()): UntrustedSigstoreAttachment {
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { "docker-reference": dockerReference }, image: { "docker-manifest-digest": digest }, type: "cosign container image signature" }, optional: null }));
  const signature = sign("sha256", payload, key).toString("base64");
  return {
    source: `registry.example/app:sha256-${"2".repeat(64)}.sig layer`,
    signature: {
      layerDigest: parseDigest(`sha256:${createHash("sha256").update(payload).digest("hex")}`),
      mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
      untrustedPayload: payload,
      untrustedSignatureBase64: signature,
      untrustedAnnotations: { "dev.cosignproject.cosign/signature": signature },
    },
  };
}

type ImageCase = "signed" | "unsigned" | "wrong-key" | "copied" | "stray-layer";

describe("policy evaluation with containers/image's and image-rs's semantics", () => {
  let dir: string;
  let pubPath: string;
  let pubPem: string;
  let mirror: string;
  const signatures = {} as Record<ImageCase, UntrustedSigstoreAttachment[]>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-image-rs-"));
    const good = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    pubPem = good.publicKey.export({ type: "spki", format: "pem" }).toString();
    pubPath = join(dir, "cosign.pub");
    writeFileSync(pubPath, pubPem);
    mirror = join(dir, "kbs");
    mkdirSync(join(mirror, "default", "cosign-public-key"), { recursive: true });
    writeFileSync(join(mirror, "default", "cosign-public-key", "test"), pubPem);
    signatures.signed = [cosignAttachment(good.privateKey, "registry.example/app")];
    signatures.unsigned = [];
    signatures["wrong-key"] = [cosignAttachment(other.privateKey, "registry.example/app")];
    // A valid signature by the trusted key, made for another repository and copied next to this image.
    signatures.copied = [cosignAttachment(good.privateKey, "registry.example/other")];
    // A good signature, and next to it a layer by another key naming this digest under another repository.
    signatures["stray-layer"] = [cosignAttachment(good.privateKey, "registry.example/app"), cosignAttachment(other.privateKey, "registry.example/other")];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function fetchers(image: ImageCase): PolicyFetchers & { calls: string[] } {
    const calls: string[] = [];
    const reader = createLocationReader({ kbsMirror: mirror, env: {} });
    return {
      calls,
      resolveManifestDigest: () => (calls.push("digest"), Promise.resolve(DIGEST)),
      gpgSignatures: () => (calls.push("gpg"), Promise.resolve({ signatures: [], searched: ["fake"] })),
      cosignSignatures: () => (calls.push("cosign"), Promise.resolve({ signatures: signatures[image], searched: ["fake"] })),
      readKey: reader,
    };
  }

  async function evaluate(policyText: string, semantics: PolicySemantics, image: ImageCase, name = IMAGE): Promise<PolicyDecision & { calls: string[] }> {
    const f = fetchers(image);
    const policy = await compilePolicy(parsePolicy(policyText, { source: "policy.json", semantics }), { readKey: f.readKey });
    return { ...(await evaluatePolicy(parseImageLocation(name), policy, { fetchers: f })), calls: f.calls };
  }

  const scoped = (requirements: unknown[], extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { "registry.example/app": requirements } }, ...extra });
  const sigstore = (fields: Record<string, unknown>): Record<string, unknown> => ({ type: "sigstoreSigned", ...fields });

  /** allowed, or [decision code, requirement code]; "config" when the policy is refused (POLICY_CONFIG_INVALID). */
  type Expected = "allowed" | "config" | readonly [ErrorCode, ErrorCode | undefined];
  interface Row {
    readonly name: string;
    readonly policy: () => string;
    readonly image: ImageCase;
    readonly containersImage: Expected;
    readonly imageRs: Expected;
  }

  const guide = () => scoped([sigstore({ keyPath: pubPath })]);
  const rows: Row[] = [
    // signedIdentity default: containers/image matchRepoDigestOrExact (a cosign signature names only the repository);
    // image-rs checks no identity at all when signedIdentity is not set.
    { name: "guide policy (no signedIdentity), signed", policy: guide, image: "signed", containersImage: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"], imageRs: "allowed" },
    { name: "guide policy, signature copied from another repository", policy: guide, image: "copied", containersImage: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"], imageRs: "allowed" },
    { name: "guide policy, unsigned", policy: guide, image: "unsigned", containersImage: ["POLICY_DENIED", "SIG_MISSING"], imageRs: ["POLICY_DENIED", "SIG_MISSING"] },
    { name: "guide policy, wrong key", policy: guide, image: "wrong-key", containersImage: ["POLICY_DENIED", "SIG_INVALID"], imageRs: ["POLICY_DENIED", "SIG_INVALID"] },
    {
      name: "guide policy with the key in the KBS (read from the mirror), signed",
      policy: () => scoped([sigstore({ keyPath: "kbs:///default/cosign-public-key/test" })]),
      image: "signed",
      containersImage: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
      imageRs: "allowed",
    },
    // matchRepository: the same in both.
    { name: "matchRepository, signed", policy: () => scoped([sigstore({ keyPath: pubPath, signedIdentity: { type: "matchRepository" } })]), image: "signed", containersImage: "allowed", imageRs: "allowed" },
    {
      name: "matchRepository, signature copied from another repository",
      policy: () => scoped([sigstore({ keyPath: pubPath, signedIdentity: { type: "matchRepository" } })]),
      image: "copied",
      containersImage: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
      imageRs: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
    },
    // image-rs applies the rule to every layer naming the digest, verified or not; containers/image to the accepted one.
    {
      name: "matchRepository, a good signature and a stray layer by another key for another repository",
      policy: () => scoped([sigstore({ keyPath: pubPath, signedIdentity: { type: "matchRepository" } })]),
      image: "stray-layer",
      containersImage: "allowed",
      imageRs: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
    },
    { name: "guide policy, a good signature and a stray layer", policy: guide, image: "stray-layer", containersImage: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"], imageRs: "allowed" },
    {
      name: "exactRepository, signed",
      policy: () => scoped([sigstore({ keyPath: pubPath, signedIdentity: { type: "exactRepository", dockerRepository: "registry.example/app" } })]),
      image: "signed",
      containersImage: "allowed",
      imageRs: "allowed",
    },
    // Other identity rules: image-rs denies before reading signatures.
    {
      name: "matchExact, signed",
      policy: () => scoped([sigstore({ keyPath: pubPath, signedIdentity: { type: "matchExact" } })]),
      image: "signed",
      containersImage: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
      imageRs: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
    },
    {
      name: "remapIdentity (accepts the repository-only signature under containers/image), signed",
      policy: () => scoped([sigstore({ keyPath: pubPath, signedIdentity: { type: "remapIdentity", prefix: "registry.example", signedPrefix: "registry.example" } })]),
      image: "signed",
      containersImage: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
      imageRs: ["POLICY_DENIED", "SIG_IDENTITY_MISMATCH"],
    },
    // An empty requirement list: an error for containers/image, "allowed" for image-rs.
    { name: "empty requirement list, unsigned", policy: () => scoped([]), image: "unsigned", containersImage: "config", imageRs: "allowed" },
    { name: "default [] with no matching scope, unsigned", policy: () => JSON.stringify({ default: [], transports: {} }), image: "unsigned", containersImage: "config", imageRs: "allowed" },
    // No "transports": containers/image reads the default; image-rs refuses the file.
    { name: "no transports", policy: () => JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }), image: "unsigned", containersImage: "allowed", imageRs: "config" },
    // Requirement types and fields image-rs does not read.
    { name: "signedBaseLayer", policy: () => scoped([{ type: "signedBaseLayer", baseLayerIdentity: { type: "matchExact" } }]), image: "signed", containersImage: ["POLICY_DENIED", "POLICY_UNSUPPORTED"], imageRs: "config" },
    {
      name: "keyPaths",
      policy: () => scoped([sigstore({ keyPaths: [pubPath], signedIdentity: { type: "matchRepository" } })]),
      image: "signed",
      containersImage: "allowed",
      imageRs: "config",
    },
    {
      name: "keyPath with a Rekor key (image-rs would ignore the log)",
      policy: () => scoped([sigstore({ keyPath: pubPath, rekorPublicKeyPath: pubPath, signedIdentity: { type: "matchRepository" } })]),
      image: "signed",
      containersImage: ["POLICY_DENIED", "TLOG_ENTRY_MISSING"],
      imageRs: "config",
    },
    // keyData: base64 for containers/image, the PEM text itself for image-rs's sigstoreSigned.
    {
      name: "keyData holding the PEM text",
      policy: () => scoped([sigstore({ keyData: pubPem, signedIdentity: { type: "matchRepository" } })]),
      image: "signed",
      containersImage: "config",
      imageRs: "allowed",
    },
    {
      name: "keyData holding base64 of the PEM",
      policy: () => scoped([sigstore({ keyData: Buffer.from(pubPem).toString("base64"), signedIdentity: { type: "matchRepository" } })]),
      image: "signed",
      containersImage: "allowed",
      imageRs: ["KEY_INVALID", "KEY_INVALID"],
    },
  ];

  for (const row of rows) {
    for (const semantics of ["containers-image", "image-rs"] as const) {
      const expected = semantics === "image-rs" ? row.imageRs : row.containersImage;
      test(`${row.name} — ${semantics}: ${typeof expected === "string" ? expected : expected.join("/")}`, async () => {
        if (expected === "config") {
          await assertRejectsWithCode(() => evaluate(row.policy(), semantics, row.image), "POLICY_CONFIG_INVALID");
          return;
        }
        const decision = await evaluate(row.policy(), semantics, row.image);
        if (expected === "allowed") {
          assert.equal(decision.allowed, true, decision.reason);
          assert.equal(decision.outcome, "allowed");
          return;
        }
        assert.equal(decision.allowed, false, decision.reason);
        assert.equal(decision.code, expected[0], decision.reason);
        assert.equal(decision.requirements[0]?.code, expected[1], decision.requirements[0]?.reason);
      });
    }
  }

  test("image-rs denies a matchExact sigstoreSigned requirement without reading any signature", async () => {
    const decision = await evaluate(scoped([sigstore({ keyPath: pubPath, signedIdentity: { type: "matchExact" } })]), "image-rs", "signed");
    assert.deepEqual(decision.calls, []);
    assert.match(decision.requirements[0]!.reason, /accepts only matchRepository and exactRepository/);
  });

  test("image-rs evaluates registry images only", async () => {
    await assertRejectsWithCode(() => evaluate(guide(), "image-rs", "signed", "oci:/tmp/layout:1"), "REF_INVALID");
  });

  test("without a KBS URL or mirror, a kbs:/// key says that a KBS serves resources only after attestation", async () => {
    const read = createLocationReader({ env: {} });
    const error = await assertRejectsWithCode(() => read("kbs:///default/cosign-public-key/test"), "KBS_ATTESTATION_REQUIRED");
    assert.match(error.message, /only to an attested guest/);
    assert.match(error.hint ?? "", /--kbs-mirror/);
  });
});
