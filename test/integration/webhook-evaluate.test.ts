// The webhook's pure core against a real registry: AdmissionReview fixtures (as the API server sends them)
// with their images pointed at a loopback docker-registry, images signed by signet (in-process and by the CLI)
// and by cosign itself, evaluated against ClusterImagePolicies, and the responses built from the verdicts.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Digest } from "../../src/internal/digest.js";
import { generateSigningKey, publicKeyToPem, type SigningKey } from "../../src/keys/index.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { signImages } from "../../src/signatures/cosign/sign-image.js";
import { buildAdmissionResponse, parseAdmissionReview, planAdmission, type AdmissionReviewResponse, type ContainerImage } from "../../src/webhook/admission/index.js";
import { evaluateImage, type ImageVerdict } from "../../src/webhook/evaluate/index.js";
import { compileClusterImagePolicies, type ClusterImagePolicy, type CompiledPolicySet } from "../../src/webhook/policy/index.js";
import { runProgram, runSignet } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { loadReview } from "../unit/webhook/admission/fixtures.js";

interface Pushed {
  image: string;
  digest: Digest;
}

describe("webhook evaluation against a real registry", () => {
  let registry: TestRegistry;
  let access: ImageAccess;
  let key: SigningKey;
  let dir: string;
  const images: Record<string, Pushed> = {};

  const policy = (name: string, globs: string[], authorities: unknown[], mode?: "warn"): ClusterImagePolicy =>
    ({
      apiVersion: "policy.sigstore.dev/v1beta1",
      kind: "ClusterImagePolicy",
      metadata: { name },
      spec: { images: globs.map((glob) => ({ glob })), authorities, ...(mode === undefined ? {} : { mode }) },
    }) as ClusterImagePolicy;
  const keyAuthority = (pem: string) => ({ key: { data: pem } });

  /** Runs a fixture through the whole core: parse, plan, evaluate every image, build the response. */
  async function admit(review: Record<string, unknown>, policies: CompiledPolicySet, mode: "validate" | "mutate" = "validate"): Promise<{ verdicts: ImageVerdict[]; response: AdmissionReviewResponse }> {
    const request = parseAdmissionReview(review);
    const plan = await planAdmission(request);
    assert.equal(plan.action, "evaluate", JSON.stringify(plan));
    if (plan.action !== "evaluate") throw new Error("unreachable");
    const verdicts = await Promise.all(plan.images.map((image) => evaluateImage(image, policies, { access, resource: plan.resource })));
    return { verdicts, response: buildAdmissionResponse(request, verdicts, { mode }) };
  }

  /** A fixture with its images set by JSON pointer (the fixture's registry host replaced by ours). */
  function fixture(name: string, set: Record<string, string>): Record<string, unknown> {
    const review = loadReview(name, registry.host);
    const object = (review["request"] as Record<string, unknown>)["object"];
    for (const [pointer, value] of Object.entries(set)) {
      const parts = pointer.split("/").slice(1);
      let node = object as Record<string, unknown>;
      for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
      node[parts.at(-1)!] = value;
    }
    return review;
  }

  before(async () => {
    registry = await startRegistry();
    access = new ImageAccess();
    key = generateSigningKey("ecdsa-p256");
    dir = mkdtempSync(join(tmpdir(), "signet-webhook-"));
    // The fixtures name team/app:1.0 and team/migrate:2.3; the rest are set by each test.
    for (const name of ["app", "migrate", "debug", "sidecar", "unsigned", "wrong-key", "by-cli", "by-cosign"]) {
      const tag = name === "migrate" ? "2.3" : "1.0";
      const digest = await pushTestImage(registry.host, `team/${name}`, tag, `webhook ${name}`);
      images[name] = { image: `${registry.host}/team/${name}:${tag}`, digest };
    }
    const signed = await signImages(access, ["app", "migrate", "debug", "sidecar"].map((name) => images[name]!.image), { key });
    assert.ok(signed.every((result) => !("code" in result)), "signing succeeded");
    const wrong = await signImages(access, [images["wrong-key"]!.image], { key: generateSigningKey("ecdsa-p256") });
    assert.ok(!("code" in wrong[0]!));
  });
  after(async () => {
    await access?.close();
    await registry?.stop();
  });

  test("a Pod whose every image is signed is allowed; in mutate mode each tag is pinned to the digest verified", async () => {
    const policies = await compileClusterImagePolicies([policy("team-signed", [`${registry.host}/team/*`], [keyAuthority(publicKeyToPem(key.publicKey))])]);
    const review = fixture("pod-create.json", {
      "/spec/containers/1/image": `${registry.host}/team/sidecar@${images["sidecar"]!.digest}`,
    });
    const { verdicts, response } = await admit(review, policies, "mutate");
    assert.equal(response.response.allowed, true, response.response.status?.message);
    assert.deepEqual(verdicts.map((v) => v.allowed), [true, true, true]);
    const patch = JSON.parse(Buffer.from(response.response.patch ?? "", "base64").toString("utf8")) as { path: string; value: string }[];
    assert.deepEqual(patch, [
      { op: "replace", path: "/spec/initContainers/0/image", value: `${registry.host}/team/migrate@${images["migrate"]!.digest}` },
      { op: "replace", path: "/spec/containers/0/image", value: `${registry.host}/team/app@${images["app"]!.digest}` },
    ]);
  });

  test("unsigned, wrongly signed, and an unsigned init container: each denied with the container and the reason", async () => {
    const policies = await compileClusterImagePolicies([policy("team-signed", [`${registry.host}/team/*`], [keyAuthority(publicKeyToPem(key.publicKey))])]);
    const unsigned = await admit(fixture("deployment-create.json", { "/spec/template/spec/containers/0/image": images["unsigned"]!.image }), policies);
    assert.equal(unsigned.response.response.allowed, false);
    assert.equal(unsigned.verdicts[1]?.code, "SIG_MISSING");
    assert.match(unsigned.response.response.status?.message ?? "", /container "app" at \/spec\/template\/spec\/containers\/0\/image: image ".*\/team\/unsigned:1\.0" \(sha256:[0-9a-f]{64}\)\n {2}policy "team-signed" rejected it/);

    const wrong = await admit(fixture("pod-create.json", { "/spec/containers/0/image": images["wrong-key"]!.image, "/spec/containers/1/image": images["sidecar"]!.image }), policies);
    assert.equal(wrong.response.response.allowed, false);
    assert.equal(wrong.verdicts.find((v) => v.containerName === "app")?.code, "SIG_INVALID");

    const init = await admit(fixture("job-create.json", { "/spec/template/spec/initContainers/0/image": images["unsigned"]!.image }), policies);
    assert.equal(init.response.response.allowed, false);
    assert.match(init.response.response.status?.message ?? "", /^signet denied Job "shop\/report": 1 of 2 images is not allowed\.\n\ninit container "migrate"/);
  });

  test("pods/ephemeralcontainers: an unsigned debug container is denied, a signed one allowed and pinned", async () => {
    const policies = await compileClusterImagePolicies([policy("team-signed", [`${registry.host}/team/*`], [keyAuthority(publicKeyToPem(key.publicKey))])]);
    const base = { "/spec/containers/1/image": images["sidecar"]!.image };
    const denied = await admit(fixture("pod-ephemeralcontainers-update.json", { ...base, "/spec/ephemeralContainers/0/image": images["unsigned"]!.image }), policies);
    assert.equal(denied.response.response.allowed, false);
    assert.match(denied.response.response.status?.message ?? "", /ephemeral container "debugger-8xk2q" at \/spec\/ephemeralContainers\/0\/image/);
    const allowed = await admit(fixture("pod-ephemeralcontainers-update.json", { ...base, "/spec/ephemeralContainers/0/image": images["debug"]!.image }), policies, "mutate");
    assert.equal(allowed.response.response.allowed, true, allowed.response.response.status?.message);
    const patch = JSON.parse(Buffer.from(allowed.response.response.patch ?? "", "base64").toString("utf8")) as { path: string; value: string }[];
    assert.deepEqual(patch, [{ op: "replace", path: "/spec/ephemeralContainers/0/image", value: `${registry.host}/team/debug@${images["debug"]!.digest}` }]);
  });

  test("signatures made by the signet CLI and by cosign itself are accepted", async () => {
    const env = cosignEnv({ COSIGN_PASSWORD: "pw" });
    assert.equal((await runSignet(["generate-key-pair", "--output-key-prefix", "cli"], { env, cwd: dir })).status, 0);
    assert.equal((await runSignet(["sign", "--tlog-upload=false", "--key", "cli.key", images["by-cli"]!.image], { env, cwd: dir })).status, 0);
    assert.equal((await runProgram(cosignPath(), ["sign", "--key", "cli.key", "--tlog-upload=false", "--yes", "--allow-insecure-registry", images["by-cosign"]!.image], { env, cwd: dir })).status, 0);
    const policies = await compileClusterImagePolicies([policy("cli-key", ["**"], [keyAuthority(readFileSync(join(dir, "cli.pub"), "utf8"))])]);
    for (const name of ["by-cli", "by-cosign"]) {
      const verdict = await evaluateImage({ field: "/spec/containers/0/image", containerName: "c", kind: "container", image: images[name]!.image }, policies, { access });
      assert.equal(verdict.allowed, true, `${name}: ${verdict.reason}`);
      assert.equal(verdict.digest, images[name]!.digest);
    }
  });

  test("warn mode: an unsigned image is allowed with a warning naming the policy", async () => {
    const policies = await compileClusterImagePolicies([policy("soft", ["**"], [keyAuthority(publicKeyToPem(key.publicKey))], "warn")]);
    const { response } = await admit(fixture("statefulset-create.json", { "/spec/template/spec/containers/0/image": images["unsigned"]!.image }), policies);
    assert.equal(response.response.allowed, true);
    assert.equal(response.response.warnings?.length, 1);
    assert.match(response.response.warnings?.[0] ?? "", /^signet: container "app" .*\/team\/unsigned:1\.0: policy "soft" \(warn mode\) would reject it/);
  });

  test("registry down: denied with the reason, marked 'could not evaluate' (fail closed)", async () => {
    const policies = await compileClusterImagePolicies([policy("team-signed", ["**"], [keyAuthority(publicKeyToPem(key.publicKey))])]);
    const closed = new ImageAccess({ timeoutMs: 2000 });
    try {
      const image: ContainerImage = { field: "/spec/containers/0/image", containerName: "app", kind: "container", image: "127.0.0.1:1/team/app:1.0" };
      const verdict = await evaluateImage(image, policies, { access: closed });
      assert.deepEqual([verdict.allowed, verdict.error, verdict.cacheable, verdict.code], [false, true, false, "REGISTRY_UNREACHABLE"]);
      assert.match(verdict.reason, /^could not be evaluated: /);
    } finally {
      await closed.close();
    }
  });

  test("one tag resolution per image, whatever the number of policies and authorities (B.13)", async () => {
    const pem = publicKeyToPem(key.publicKey);
    const policies = await compileClusterImagePolicies([
      policy("one", ["**"], [keyAuthority(pem), keyAuthority(publicKeyToPem(generateSigningKey().publicKey))]),
      policy("two", [`${registry.host}/team/*`], [keyAuthority(pem)]),
    ]);
    const counting = new ImageAccess();
    try {
      const image: ContainerImage = { field: "/spec/containers/0/image", containerName: "app", kind: "container", image: images["app"]!.image };
      const verdict = await evaluateImage(image, policies, { access: counting });
      assert.equal(verdict.allowed, true, verdict.reason);
      // GET the tag (its manifest, hashed), GET the .sig manifest (its one layer holds the standard payload, rebuilt
      // rather than fetched), and (for the authority whose key verifies nothing there) the referrers listing and its
      // tag-schema fallback, as `signet verify --key` reads them: every lookup is made once for all authorities.
      assert.equal(counting.requestCount(), 4);
    } finally {
      await counting.close();
    }
  });

  test("concurrent evaluations of signed and unsigned images each decide and pin only their own digest (B.19)", async () => {
    const count = 24;
    const mixed: { name: string; digest: Digest; signed: boolean }[] = [];
    for (let i = 0; i < count; i++) {
      const name = `team/mixed-${i}`;
      mixed.push({ name, digest: await pushTestImage(registry.host, name, "v1", `mixed ${i}`), signed: i % 3 !== 0 });
    }
    await signImages(access, mixed.filter((m) => m.signed).map((m) => `${registry.host}/${m.name}:v1`), { key });
    const policies = await compileClusterImagePolicies([policy("team-signed", [`${registry.host}/team/**`], [keyAuthority(publicKeyToPem(key.publicKey))])]);
    const results = await Promise.all(
      mixed.map(async (m) => {
        const review = fixture("pod-create.json", {
          "/spec/initContainers/0/image": images["migrate"]!.image,
          "/spec/containers/0/image": `${registry.host}/${m.name}:v1`,
          "/spec/containers/1/image": images["sidecar"]!.image,
        });
        return { m, ...(await admit(review, policies, "mutate")) };
      }),
    );
    for (const { m, verdicts, response } of results) {
      const app = verdicts.find((v) => v.containerName === "app")!;
      assert.equal(app.digest, m.digest, m.name);
      assert.equal(app.allowed, m.signed, `${m.name}: ${app.reason}`);
      assert.equal(response.response.allowed, m.signed);
      if (m.signed) {
        const patch = JSON.parse(Buffer.from(response.response.patch ?? "", "base64").toString("utf8")) as { path: string; value: string }[];
        assert.equal(patch.find((op) => op.path === "/spec/containers/0/image")?.value, `${registry.host}/${m.name}@${m.digest}`);
      } else {
        assert.match(response.response.status?.message ?? "", new RegExp(`${m.name}:v1" \\(${m.digest}\\)`));
      }
    }
  });
});
