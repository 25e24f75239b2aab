import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignetError } from "../../../../src/errors/index.js";
import { publicKeyToPem } from "../../../../src/keys/index.js";
import { createTestImage } from "../../../../src/oci/layout/test-image.js";
import { compilePolicy, parsePolicy } from "../../../../src/policy/index.js";
import { signImage } from "../../../../src/signatures/cosign/sign-image.js";
import type { ContainerImage } from "../../../../src/webhook/admission/index.js";
import {
  ATTESTATIONS_UNAVAILABLE,
  evaluateImage,
  KEYLESS_UNAVAILABLE,
  pinnedImageText,
  type EvaluateImageDeps,
  type KeylessVerificationRequest,
} from "../../../../src/webhook/evaluate/index.js";
import { compileClusterImagePolicies, type ClusterImagePolicy } from "../../../../src/webhook/policy/index.js";
import { clusterImagePolicy, keyAuthority, newKey } from "../policy/policy-helpers.js";
import { FakeAccess } from "./fake-access.js";

const HOST = "registry.example.com";
const container = (image: string, extra: Partial<ContainerImage> = {}): ContainerImage => ({ field: "/spec/containers/0/image", containerName: "app", kind: "container", image, ...extra });
const compile = (...documents: Record<string, unknown>[]) => compileClusterImagePolicies(documents as unknown as ClusterImagePolicy[]);

async function setup() {
  const access = new FakeAccess();
  const key = newKey();
  const signed = await createTestImage(access.repository(`${HOST}/team/signed`), "1.0", { content: "signed" });
  await signImage(access.asAccess(), `${HOST}/team/signed:1.0`, { key });
  const unsigned = await createTestImage(access.repository(`${HOST}/team/unsigned`), "1.0", { content: "unsigned" });
  access.resolutions = 0;
  const deps = (extra: Partial<EvaluateImageDeps> = {}): EvaluateImageDeps => ({ access: access.asAccess(), ...extra });
  return { access, key, signed, unsigned, deps };
}

describe("evaluateImage", () => {
  test("a signed image passes a key authority; the tag is resolved once and pinned", async () => {
    const { access, key, signed, deps } = await setup();
    const policies = await compile(clusterImagePolicy({ name: "team", globs: [`${HOST}/team/*`], authorities: [keyAuthority(key), keyAuthority(newKey())] }), clusterImagePolicy({ name: "everything", authorities: [keyAuthority(key)] }));
    const verdict = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps());
    assert.equal(verdict.allowed, true, verdict.reason);
    assert.equal(verdict.digest, signed.digest);
    assert.equal(verdict.pinnedImage, `${HOST}/team/signed@${signed.digest}`);
    assert.deepEqual(verdict.policies.map((p) => [p.name, p.allowed]), [["everything", true], ["team", true]]);
    assert.equal(access.resolutions, 1, "one tag resolution for every policy and authority (B.13)");
    assert.equal(verdict.cacheable, true);
    assert.equal(verdict.error, undefined);
    assert.match(verdict.reason, /allowed by policies "everything", "team"/);
  });

  test("unsigned and wrongly signed images are rejected with the specific reason", async () => {
    const { key, deps } = await setup();
    const policies = await compile(clusterImagePolicy({ name: "team", authorities: [keyAuthority(key)] }));
    const unsigned = await evaluateImage(container(`${HOST}/team/unsigned:1.0`), policies, deps());
    assert.equal(unsigned.allowed, false);
    assert.equal(unsigned.code, "SIG_MISSING");
    assert.equal(unsigned.error, undefined, "rejected, not 'could not evaluate'");
    assert.match(unsigned.reason, /policy "team": authority "authority-0": no signatures found/);
    const otherKey = await compile(clusterImagePolicy({ name: "team", authorities: [keyAuthority(newKey())] }));
    const wrong = await evaluateImage(container(`${HOST}/team/signed:1.0`), otherKey, deps());
    assert.equal(wrong.allowed, false);
    assert.equal(wrong.code, "SIG_INVALID");
    assert.equal(wrong.policies[0]?.authorities[0]?.signatures[0]?.allowed, false);
    assert.ok(wrong.hint !== undefined && wrong.hint.length > 0);
  });

  test("every matching policy must pass; within a policy one authority is enough", async () => {
    const { key, deps } = await setup();
    const policies = await compile(
      clusterImagePolicy({ name: "a-any-authority", authorities: [{ static: { action: "fail" } }, keyAuthority(key)] }),
      clusterImagePolicy({ name: "b-frozen", globs: [`${HOST}/team/**`], authorities: [{ static: { action: "fail", message: "deploys are frozen" } }] }),
    );
    const verdict = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps());
    assert.equal(verdict.allowed, false);
    assert.deepEqual(verdict.policies.map((p) => [p.name, p.allowed]), [["a-any-authority", true], ["b-frozen", false]]);
    assert.match(verdict.reason, /policy "b-frozen": authority "authority-0": static fail: deploys are frozen/);
    assert.equal(verdict.code, "POLICY_DENIED");
  });

  test("no matching policy: deny by default, or the configured allow / warn (C.22)", async () => {
    const { deps } = await setup();
    const policies = await compile(clusterImagePolicy({ globs: ["ghcr.io/**"] }));
    const denied = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps());
    assert.deepEqual([denied.allowed, denied.code, denied.policies.length], [false, "ADMISSION_NO_POLICY", 0]);
    const empty = await evaluateImage(container(`${HOST}/team/signed:1.0`), await compile(), deps());
    assert.equal(empty.allowed, false, "no policies at all is not a pass");
    const allowed = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps({ noMatchAction: "allow" }));
    assert.deepEqual([allowed.allowed, allowed.warnings], [true, []]);
    const warned = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps({ noMatchAction: "warn" }));
    assert.deepEqual([warned.allowed, warned.mode], [true, "warn"]);
    assert.match(warned.warnings[0] ?? "", /no ClusterImagePolicy matches/);
  });

  test("warn mode: a failing policy becomes a warning and the image is allowed", async () => {
    const { key, deps } = await setup();
    const policies = await compile(clusterImagePolicy({ name: "soft", mode: "warn", authorities: [keyAuthority(key)] }));
    const verdict = await evaluateImage(container(`${HOST}/team/unsigned:1.0`), policies, deps());
    assert.deepEqual([verdict.allowed, verdict.mode], [true, "warn"]);
    assert.match(verdict.warnings[0] ?? "", /policy "soft" \(warn mode\) would reject it: .*no signatures found/);
    assert.ok(verdict.digest !== undefined);
  });

  test("registry down: denied as 'could not evaluate' (fail closed), never cached", async () => {
    const { access, key, deps } = await setup();
    access.failing = new SignetError("REGISTRY_UNREACHABLE", "connect ECONNREFUSED 127.0.0.1:1");
    const policies = await compile(clusterImagePolicy({ name: "team", authorities: [keyAuthority(key)] }));
    const verdict = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps());
    assert.deepEqual([verdict.allowed, verdict.error, verdict.cacheable, verdict.code], [false, true, false, "REGISTRY_UNREACHABLE"]);
    assert.match(verdict.reason, /could not be evaluated: connect ECONNREFUSED/);
    // The digest is known but the signature lookup fails: still an error, still denied.
    const pinned = await evaluateImage(container(`${HOST}/team/signed@sha256:${"b".repeat(64)}`), policies, deps());
    assert.deepEqual([pinned.allowed, pinned.error, pinned.code], [false, true, "REGISTRY_UNREACHABLE"]);
    // Warn mode keeps its promise: allowed, with the failure as a warning.
    const soft = await compile(clusterImagePolicy({ name: "soft", mode: "warn", authorities: [keyAuthority(key)] }));
    const warned = await evaluateImage(container(`${HOST}/team/signed:1.0`), soft, deps());
    assert.deepEqual([warned.allowed, warned.error, warned.cacheable], [true, true, false]);
    assert.match(warned.warnings[0] ?? "", /could not be evaluated/);
  });

  test("a pinned digest is used without a request; one contradicting the written digest is refused", async () => {
    const { access, key, signed, deps } = await setup();
    const policies = await compile(clusterImagePolicy({ authorities: [keyAuthority(key)] }));
    const verdict = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps({ pinnedDigest: signed.digest }));
    assert.deepEqual([verdict.allowed, verdict.digest, access.resolutions], [true, signed.digest, 0]);
    const contradicted = await evaluateImage(container(`${HOST}/team/signed@${signed.digest}`), policies, deps({ pinnedDigest: `sha256:${"c".repeat(64)}` as typeof signed.digest }));
    assert.deepEqual([contradicted.allowed, contradicted.code], [false, "DIGEST_MISMATCH"]);
  });

  test("keyless without a verifier fails closed; with one, it gets the digest, identities and annotation identity", async () => {
    const { signed, deps } = await setup();
    const policies = await compile(clusterImagePolicy({ authorities: [{ keyless: { identities: [{ issuer: "https://issuer.example.com", subject: "ci@example.com" }] } }] }));
    const without = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps());
    assert.deepEqual([without.allowed, without.code], [false, "POLICY_UNSUPPORTED"]);
    assert.match(without.reason, new RegExp(KEYLESS_UNAVAILABLE));
    const seen: KeylessVerificationRequest[] = [];
    const verifyKeyless = async (request: KeylessVerificationRequest) => {
      seen.push(request);
      return { verified: request.identities[0]!.policy.subject === "ci@example.com", reason: "certificate for ci@example.com verified", signatures: [] };
    };
    const image = container(`${HOST}/team/signed:1.0`, { identity: { subject: "ci@example.com" } });
    const verdict = await evaluateImage(image, policies, deps({ verifyKeyless }));
    assert.equal(verdict.allowed, true, verdict.reason);
    assert.equal(seen[0]?.digest, signed.digest);
    assert.equal(seen[0]?.signatureRepository.displayName, `${HOST}/team/signed`);
    assert.deepEqual(seen[0]?.requiredIdentity, { subject: "ci@example.com" });
    assert.equal(seen[0]?.trust.url, "https://fulcio.sigstore.dev");
  });

  test("attestations, KMS keys, ctlog, spec.policy and empty authorities fail closed with the reason", async () => {
    const { key, deps } = await setup();
    const image = container(`${HOST}/team/signed:1.0`);
    const check = async (document: Record<string, unknown>, pattern: RegExp) => {
      const verdict = await evaluateImage(image, await compile(document), deps());
      assert.equal(verdict.allowed, false, JSON.stringify(document));
      assert.match(verdict.reason, pattern);
    };
    await check(clusterImagePolicy({ authorities: [keyAuthority(key, { attestations: [{ name: "prov", predicateType: "https://slsa.dev/provenance/v1" }] })] }), new RegExp(ATTESTATIONS_UNAVAILABLE));
    await check(clusterImagePolicy({ authorities: [{ key: { kms: "hashivault://release" } }] }), /the key of authority "authority-0" could not be loaded: .*hashivault:\/\/release/);
    await check(clusterImagePolicy({ authorities: [keyAuthority(key, { ctlog: { url: "https://rekor.example.com" } })] }), /ctlog/);
    await check(clusterImagePolicy({ authorities: [] }), /no authorities/);
    const withPolicy = clusterImagePolicy({ authorities: [keyAuthority(key)] });
    (withPolicy["spec"] as Record<string, unknown>)["policy"] = { type: "cue", data: "predicateType: \"x\"" };
    await check(withPolicy, /spec\.policy .* not supported/);
  });

  test("source.oci reads signatures from another repository", async () => {
    const { access, key, deps } = await setup();
    const image = await createTestImage(access.repository(`${HOST}/team/elsewhere`), "1.0", { content: "elsewhere" });
    // Sign "in place" then move the .sig manifest to the signatures repository, as COSIGN_REPOSITORY does.
    await signImage(access.asAccess(), `${HOST}/team/elsewhere:1.0`, { key });
    const source = access.repository(`${HOST}/team/elsewhere`);
    const target = access.repository(`${HOST}/sigs/elsewhere`);
    for (const [tag, digest] of source.tags) if (tag.endsWith(".sig")) target.tags.set(tag, digest);
    for (const [digest, manifest] of source.manifests) target.manifests.set(digest, manifest);
    for (const [digest, blob] of source.blobs) target.blobs.set(digest, blob);
    for (const tag of [...source.tags.keys()]) if (tag.endsWith(".sig")) source.tags.delete(tag);
    const policies = await compile(clusterImagePolicy({ authorities: [keyAuthority(key, { source: [{ oci: `${HOST}/sigs/elsewhere` }] })] }));
    const verdict = await evaluateImage(container(`${HOST}/team/elsewhere:1.0`), policies, deps());
    assert.equal(verdict.allowed, true, verdict.reason);
    assert.equal(verdict.digest, image.digest);
    const inPlace = await compile(clusterImagePolicy({ authorities: [keyAuthority(key)] }));
    assert.equal((await evaluateImage(container(`${HOST}/team/elsewhere:1.0`), inPlace, deps())).allowed, false);
  });

  test("image references that are not registry references are refused without I/O", async () => {
    const { access, deps } = await setup();
    const policies = await compile(clusterImagePolicy({ authorities: [{ static: { action: "pass" } }] }));
    for (const text of ["", "oci:/etc/passwd", "docker://busybox", "UPPER/case", `busybox@sha256:../../x`]) {
      const verdict = await evaluateImage(container(text), policies, deps());
      assert.equal(verdict.allowed, false, text);
      assert.ok(verdict.code === "REF_INVALID" || verdict.code === "DIGEST_INVALID", `${text}: ${verdict.code}`);
    }
    assert.equal(access.resolutions, 0);
  });

  test("an evaluation past its deadline is an error verdict, never a late allow", async () => {
    const { access, key, deps } = await setup();
    const policies = await compile(clusterImagePolicy({ authorities: [keyAuthority(key)] }));
    const slow = access.repository(`${HOST}/team/signed`);
    const original = slow.tryGetManifest.bind(slow);
    slow.tryGetManifest = async (reference) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return original(reference);
    };
    const verdict = await evaluateImage(container(`${HOST}/team/signed:1.0`), policies, deps({ signal: AbortSignal.timeout(20) }));
    assert.deepEqual([verdict.allowed, verdict.error, verdict.code, verdict.cacheable], [false, true, "TIMEOUT", false]);
  });

  test("policy.json mode: the containers-policy.json decides, on the pinned digest", async () => {
    const { access, key, deps } = await setup();
    const keyData = Buffer.from(publicKeyToPem(key.publicKey)).toString("base64");
    const parsed = parsePolicy(
      JSON.stringify({
        default: [{ type: "reject" }],
        transports: { docker: { [`${HOST}/team`]: [{ type: "sigstoreSigned", keyData, signedIdentity: { type: "matchRepository" } }] } },
      }),
    );
    const policyJson = await compilePolicy(parsed, { readKey: async () => Buffer.alloc(0) });
    const none = await compile();
    const signed = await evaluateImage(container(`${HOST}/team/signed:1.0`), none, deps({ policyJson }));
    assert.equal(signed.allowed, true, signed.reason);
    assert.equal(access.resolutions, 1);
    const unsigned = await evaluateImage(container(`${HOST}/team/unsigned:1.0`), none, deps({ policyJson }));
    assert.equal(unsigned.allowed, false);
    assert.equal(unsigned.policies[0]?.name, "policy.json");
    const elsewhere = await evaluateImage(container("ghcr.io/other/app@sha256:" + "d".repeat(64)), none, deps({ policyJson }));
    assert.equal(elsewhere.allowed, false, "the policy's default rejects");
  });
});

describe("pinnedImageText", () => {
  const digest = `sha256:${"e".repeat(64)}` as Parameters<typeof pinnedImageText>[1];
  test("keeps the user's spelling and replaces the tag and any digest", () => {
    assert.equal(pinnedImageText("nginx", digest), `nginx@${digest}`);
    assert.equal(pinnedImageText("nginx:1.25", digest), `nginx@${digest}`);
    assert.equal(pinnedImageText("localhost:5000/app:v1", digest), `localhost:5000/app@${digest}`);
    assert.equal(pinnedImageText("localhost:5000/app", digest), `localhost:5000/app@${digest}`);
    assert.equal(pinnedImageText(`ghcr.io/o/a:1@sha256:${"f".repeat(64)}`, digest), `ghcr.io/o/a@${digest}`);
  });
});
