import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCachedVerdict, type CachedVerdict } from "../../../../src/webhook/cache/cached-verdict.js";
import type { CacheStore } from "../../../../src/webhook/cache/cache-store.js";
import { createMemoryStore } from "../../../../src/webhook/cache/memory-store.js";
import { createVerdictCache } from "../../../../src/webhook/cache/verdict-cache.js";
import { evaluateImage } from "../../../../src/webhook/evaluate/index.js";
import { createImageChecker } from "../../../../src/webhook/server/image-checker.js";
import { imageWarningPrefix } from "../../../../src/webhook/server/image-warnings.js";
import type { PolicyState } from "../../../../src/webhook/server/policy-state.js";
import type { ContainerImage } from "../../../../src/webhook/admission/types.js";
import type { EvaluateImageDeps, ImageVerdict } from "../../../../src/webhook/evaluate/types.js";
import type { CompiledPolicySet } from "../../../../src/webhook/policy/types.js";
import { containerImage, digestOf, fakeAccess, fakeEvaluator, policyState } from "./fixtures.js";

const SIGNED = digestOf("a");
const UNSIGNED = digestOf("b");
const TAGS = { "registry.example/app:1": SIGNED, "registry.example/app:2": UNSIGNED, "docker.io/library/nginx:latest": SIGNED };
const STATE = policyState([{ name: "signed-images", globs: ["registry.example/**", "index.docker.io/library/*"] }]);

function setup(options: { signed?: string[]; delayMs?: number; cacheable?: boolean; throwFor?: string[]; stores?: CacheStore[]; evaluationTimeoutMs?: number; warnModeUnavailable?: "deny" | "warn"; multiArch?: "index" | "instance" } = {}) {
  const { evaluate, calls } = fakeEvaluator({
    signed: new Set(options.signed ?? [SIGNED]),
    ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}),
    ...(options.cacheable !== undefined ? { cacheable: options.cacheable } : {}),
    ...(options.throwFor !== undefined ? { throwFor: new Set(options.throwFor) } : {}),
  });
  const { access, resolved } = fakeAccess(TAGS);
  const hits: string[] = [];
  const cache = createVerdictCache<CachedVerdict>({
    stores: options.stores ?? [createMemoryStore({ maxEntries: 1000 })],
    validate: parseCachedVerdict,
    recordKeys: [Buffer.from("k".repeat(32))],
    onHit: (kind, source) => hits.push(`${kind}:${source}`),
  });
  const stop = new AbortController();
  let shared = 0;
  const checker = createImageChecker({
    evaluate,
    access,
    cache,
    ttl: { verdictMs: 60_000, negativeMs: 5_000, tagMs: 30_000 },
    evaluationTimeoutMs: options.evaluationTimeoutMs ?? 5_000,
    stopSignal: stop.signal,
    onSharedEvaluation: () => (shared += 1),
    ...(options.warnModeUnavailable !== undefined ? { warnModeUnavailable: options.warnModeUnavailable } : {}),
    ...(options.multiArch !== undefined ? { evaluationDeps: { multiArch: options.multiArch, platform: { os: "linux", architecture: "arm64" } } } : {}),
  });
  return { checker, calls, resolved, hits, shared: () => shared };
}

describe("createImageChecker", () => {
  test("a tag is resolved once; the evaluation gets that digest pinned; the verdict names it", async () => {
    const { checker, calls, resolved } = setup();
    const { verdict, source } = await checker.check(containerImage("registry.example/app:1"), STATE, undefined);
    assert.equal(source, "evaluated");
    assert.equal(verdict.allowed, true);
    assert.equal(verdict.digest, SIGNED);
    assert.deepEqual(resolved, ["registry.example/app:1"]);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.deps.pinnedDigest, SIGNED);
    assert.ok(calls[0]!.deps.signal instanceof AbortSignal);
    assert.equal(calls[0]!.deps.noMatchAction, "deny");
  });

  test("replicas that check multi-arch images differently (--multi-arch, --platform) never share a verdict", async () => {
    const shared = createMemoryStore({ maxEntries: 1000 });
    const onIndex = setup({ stores: [shared], multiArch: "index" });
    const onInstance = setup({ stores: [shared], multiArch: "instance" });
    const sameAsFirst = setup({ stores: [shared], multiArch: "index" });
    const image = containerImage(`registry.example/app@${SIGNED}`);
    await onIndex.checker.check(image, STATE, undefined);
    await onInstance.checker.check(image, STATE, undefined);
    await sameAsFirst.checker.check(image, STATE, undefined);
    assert.deepEqual([onIndex.calls.length, onInstance.calls.length, sameAsFirst.calls.length], [1, 1, 0], "evaluated by each configuration once, then shared by the same one");
  });

  test("a digest reference costs no resolution", async () => {
    const { checker, resolved } = setup();
    const { verdict } = await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    assert.equal(verdict.allowed, true);
    assert.deepEqual(resolved, []);
  });

  test("a cached verdict is re-bound to the container asking: its field, its name, its spelling (B.19)", async () => {
    const { checker, calls, hits } = setup();
    await checker.check(containerImage("registry.example/app:1", { containerName: "first", field: "/spec/containers/0/image" }), STATE, undefined);
    const second = await checker.check(
      containerImage(`registry.example/app@${SIGNED}`, { containerName: "sidecar", field: "/spec/initContainers/3/image", kind: "initContainer" }),
      STATE,
      undefined,
    );
    assert.equal(calls.length, 1, "the second check is a cache hit");
    assert.equal(second.source, "cache-memory");
    assert.deepEqual(hits, ["verdict:memory"]);
    assert.equal(second.verdict.containerName, "sidecar");
    assert.equal(second.verdict.field, "/spec/initContainers/3/image");
    assert.equal(second.verdict.kind, "initContainer");
    assert.equal(second.verdict.image, `registry.example/app@${SIGNED}`);
    assert.equal(second.verdict.pinnedImage, `registry.example/app@${SIGNED}`);
  });

  test("the tag pin is cached: a second check of the tag makes no registry request", async () => {
    const { checker, resolved, calls } = setup();
    await checker.check(containerImage("registry.example/app:1"), STATE, undefined);
    await checker.check(containerImage("registry.example/app:1"), STATE, undefined);
    assert.deepEqual(resolved, ["registry.example/app:1"]);
    assert.equal(calls.length, 1);
  });

  test("concurrent checks of one image share one evaluation, and each gets its own container", async () => {
    const { checker, calls, shared } = setup({ delayMs: 50 });
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => checker.check(containerImage(`registry.example/app@${SIGNED}`, { containerName: `c${i}`, field: `/spec/containers/${i}/image` }), STATE, undefined)),
    );
    assert.equal(calls.length, 1);
    assert.equal(shared(), 24);
    results.forEach(({ verdict }, i) => {
      assert.equal(verdict.containerName, `c${i}`);
      assert.equal(verdict.field, `/spec/containers/${i}/image`);
      assert.equal(verdict.allowed, true);
    });
  });

  test("concurrent signed and unsigned images never get each other's verdict or digest", async () => {
    const { checker } = setup({ delayMs: 5 });
    const images = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? "registry.example/app:1" : "registry.example/app:2"));
    const results = await Promise.all(images.map((image, i) => checker.check(containerImage(image, { containerName: `c${i}` }), STATE, undefined)));
    results.forEach(({ verdict }, i) => {
      assert.equal(verdict.containerName, `c${i}`);
      assert.equal(verdict.allowed, i % 2 === 0);
      assert.equal(verdict.digest, i % 2 === 0 ? SIGNED : UNSIGNED);
    });
  });

  test("a denial is cached too (briefly), an error is never cached", async () => {
    const denied = setup();
    await denied.checker.check(containerImage(`registry.example/app@${UNSIGNED}`), STATE, undefined);
    const again = await denied.checker.check(containerImage(`registry.example/app@${UNSIGNED}`), STATE, undefined);
    assert.equal(again.source, "cache-memory");
    assert.equal(again.verdict.allowed, false);
    assert.equal(again.verdict.code, "SIG_MISSING");

    const failing = setup({ throwFor: [SIGNED] });
    const first = await failing.checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    assert.equal(first.verdict.allowed, false);
    assert.equal(first.verdict.error, true);
    assert.equal(first.verdict.code, "INTERNAL");
    await failing.checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    assert.equal(failing.calls.length, 2, "the failure was not cached");
  });

  test("a verdict the evaluation marks not cacheable is not cached", async () => {
    const { checker, calls } = setup({ cacheable: false });
    await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    assert.equal(calls.length, 2);
  });

  test("a policy change invalidates the verdicts of the images it matches, and only those", async () => {
    const state1 = policyState([
      { name: "apps", globs: ["registry.example/app*"], version: "apps-1" },
      { name: "tools", globs: ["registry.example/tools/**"], version: "tools-1" },
    ]);
    const state2 = policyState([
      { name: "apps", globs: ["registry.example/app*"], version: "apps-1" },
      { name: "tools", globs: ["registry.example/tools/**"], version: "tools-2" },
    ]);
    const { checker, calls } = setup();
    await checker.check(containerImage(`registry.example/app@${SIGNED}`), state1, undefined);
    await checker.check(containerImage(`registry.example/tools/x@${SIGNED}`), state1, undefined);
    assert.equal(calls.length, 2);
    assert.equal((await checker.check(containerImage(`registry.example/app@${SIGNED}`), state2, undefined)).source, "cache-memory", "apps did not change");
    assert.equal((await checker.check(containerImage(`registry.example/tools/x@${SIGNED}`), state2, undefined)).source, "evaluated", "tools changed");
    const withNewPolicy = policyState([
      { name: "apps", globs: ["registry.example/app*"], version: "apps-1" },
      { name: "extra", globs: ["registry.example/**"], version: "extra-1" },
    ]);
    assert.equal((await checker.check(containerImage(`registry.example/app@${SIGNED}`), withNewPolicy, undefined)).source, "evaluated", "a new matching policy must be checked");
    const denyToAllow: PolicyState = policyState([{ name: "apps", globs: ["registry.example/app*"], version: "apps-1" }], "allow");
    assert.equal((await checker.check(containerImage(`registry.example/app@${SIGNED}`), denyToAllow, undefined)).source, "evaluated", "the no-match action is an input");
  });

  test("identity annotations are part of the key: a hit never covers another required identity", async () => {
    const { checker, calls } = setup();
    await checker.check(containerImage(`registry.example/app@${SIGNED}`, { identity: { subject: "ci@example.com" } }), STATE, undefined);
    const other = await checker.check(containerImage(`registry.example/app@${SIGNED}`, { identity: { subject: "someone@else.com" } }), STATE, undefined);
    const none = await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    assert.equal(other.source, "evaluated");
    assert.equal(none.source, "evaluated");
    assert.equal(calls.length, 3);
  });

  test("the same digest in another repository is checked again (signatures live next to the image)", async () => {
    const { checker, calls } = setup();
    await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    const elsewhere = await checker.check(containerImage(`registry.example/copy@${SIGNED}`), STATE, undefined);
    assert.equal(elsewhere.source, "evaluated");
    assert.equal(calls.length, 2);
  });

  test("the resource is an input only for images whose policies select resources", async () => {
    const selective = policyState([
      { name: "labelled", globs: ["registry.example/**"], match: [{ group: "", version: "v1", resource: "pods", selector: { matchLabels: { tier: "prod" } } }] },
    ]);
    const { checker, calls } = setup();
    const prod = { group: "", version: "v1", resource: "pods", labels: { tier: "prod" } };
    const dev = { group: "", version: "v1", resource: "pods", labels: { tier: "dev" } };
    await checker.check(containerImage(`registry.example/app@${SIGNED}`), selective, prod);
    assert.equal((await checker.check(containerImage(`registry.example/app@${SIGNED}`), selective, dev)).source, "evaluated");
    assert.equal((await checker.check(containerImage(`registry.example/app@${SIGNED}`), selective, prod)).source, "cache-memory");
    await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, prod);
    assert.equal((await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, dev)).source, "cache-memory", "labels do not matter to a policy without match");
    assert.equal(calls.length, 3);
  });

  test("an invalid reference or a tag that cannot be resolved is denied as an error, never evaluated as allowed", async () => {
    const { checker, calls } = setup();
    const invalid = await checker.check(containerImage("oci:/etc/passwd"), STATE, undefined);
    assert.equal(invalid.verdict.allowed, false);
    assert.equal(invalid.verdict.code, "REF_INVALID");
    const missing = await checker.check(containerImage("registry.example/app:404"), STATE, undefined);
    assert.equal(missing.verdict.allowed, false);
    assert.equal(missing.verdict.code, "REGISTRY_NOT_FOUND");
    assert.equal(missing.verdict.error, true);
    assert.equal(missing.verdict.mode, "enforce");
    assert.equal(calls.length, 0);
  });

  test("an evaluation that decides another digest than the pinned one fails closed", async () => {
    const { access } = fakeAccess(TAGS);
    const cache = createVerdictCache<CachedVerdict>({ stores: [createMemoryStore({ maxEntries: 10 })], validate: parseCachedVerdict });
    const checker = createImageChecker({
      evaluate: async (image) => ({
        image: image.image,
        field: image.field,
        containerName: image.containerName,
        kind: image.kind,
        digest: UNSIGNED,
        allowed: true,
        mode: "enforce",
        policies: [],
        reason: "ok",
        warnings: [],
        cacheable: true,
        checkedAt: Date.now(),
      }),
      access,
      cache,
      ttl: { verdictMs: 60_000, negativeMs: 5_000, tagMs: 30_000 },
      evaluationTimeoutMs: 1000,
      stopSignal: new AbortController().signal,
    });
    const { verdict } = await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.code, "INTERNAL");
  });

  test("a cache store that fails is a miss: the image is evaluated, never allowed unverified (E.35)", async () => {
    const broken: CacheStore = {
      kind: "redis",
      trusted: false,
      get: async () => undefined,
      set: async () => undefined,
      close: async () => undefined,
    };
    const { checker, calls } = setup({ stores: [broken] });
    const signed = await checker.check(containerImage(`registry.example/app@${SIGNED}`), STATE, undefined);
    const unsigned = await checker.check(containerImage(`registry.example/app@${UNSIGNED}`), STATE, undefined);
    assert.equal(signed.verdict.allowed, true);
    assert.equal(unsigned.verdict.allowed, false);
    assert.equal(calls.length, 2);
  });

  test("an image no policy matches is left to the no-match action: no registry request, no pin", async () => {
    const { checker, calls, resolved } = setup();
    const { verdict } = await checker.check(containerImage("elsewhere.example/tool:1"), STATE, undefined);
    assert.deepEqual(resolved, []);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.deps.pinnedDigest, undefined);
    assert.equal(verdict.allowed, false, "the fake denies what it cannot pin; the real one applies the no-match action");
  });

  test("a registry failure for an image only warn-mode policies match is denied by default (fail closed, issue #9 item 10)", async () => {
    const warnOnly = policyState([{ name: "audit", globs: ["registry.example/**"], mode: "warn" }]);
    const { checker } = setup();
    const denied = await checker.check(containerImage("registry.example/app:404", { containerName: "web" }), warnOnly, undefined);
    assert.equal(denied.verdict.allowed, false);
    assert.equal(denied.verdict.error, true);
  });

  test("a warn-mode policy that could not be evaluated denies even when an enforced policy passed (one rule, issue #9 item 10)", async () => {
    const evaluate = async (image: ContainerImage, _policies: CompiledPolicySet, deps: EvaluateImageDeps): Promise<ImageVerdict> => ({
      image: image.image,
      field: image.field,
      containerName: image.containerName,
      kind: image.kind,
      digest: deps.pinnedDigest!,
      allowed: true,
      mode: "enforce",
      policies: [
        { name: "signed-images", mode: "enforce", allowed: true, reason: "verified", authorities: [] },
        {
          name: "audit",
          mode: "warn",
          allowed: false,
          error: true,
          reason: "registry down",
          authorities: [{ name: "a", type: "key", allowed: false, error: true, code: "REGISTRY_UNREACHABLE", reason: "registry down", signatures: [] }],
        },
      ],
      reason: "allowed by policy \"signed-images\"",
      warnings: [],
      cacheable: false,
      checkedAt: Date.now(),
    });
    const cache = createVerdictCache<CachedVerdict>({ stores: [createMemoryStore({ maxEntries: 10 })], validate: parseCachedVerdict });
    const make = (warnModeUnavailable: "deny" | "warn") =>
      createImageChecker({ evaluate, access: fakeAccess(TAGS).access, cache, ttl: { verdictMs: 60_000, negativeMs: 5_000, tagMs: 30_000 }, evaluationTimeoutMs: 1000, stopSignal: new AbortController().signal, warnModeUnavailable });
    const image = containerImage(`registry.example/app@${SIGNED}`);
    const denied = await make("deny").check(image, STATE, undefined);
    assert.equal(denied.verdict.allowed, false);
    assert.equal(denied.verdict.code, "REGISTRY_UNREACHABLE");
    assert.match(denied.verdict.reason, /policy "audit" \(warn mode\) could not be evaluated/);
    assert.equal((await make("warn").check(image, STATE, undefined)).verdict.allowed, true);
  });

  test("with warnModeUnavailable: warn, a registry failure for an image only warn-mode policies match is a warning, for enforced ones a denial", async () => {
    const warnOnly = policyState([{ name: "audit", globs: ["registry.example/**"], mode: "warn" }]);
    const { checker } = setup({ warnModeUnavailable: "warn" });
    const warned = await checker.check(containerImage("registry.example/app:404", { containerName: "web" }), warnOnly, undefined);
    assert.equal(warned.verdict.allowed, true);
    assert.equal(warned.verdict.mode, "warn");
    assert.equal(warned.verdict.error, true);
    assert.match(warned.verdict.warnings[0]!, /^signet: container "web" registry\.example\/app:404: cannot resolve/);
    const enforced = await checker.check(containerImage("registry.example/app:404"), STATE, undefined);
    assert.equal(enforced.verdict.allowed, false);
  });

  test("warnings of a cached or shared verdict name the container asking, not the first one", async () => {
    const WARNED = digestOf("e");
    const { evaluate } = fakeEvaluator({ signed: new Set(), warnFor: new Set([WARNED]), delayMs: 20 });
    const { access } = fakeAccess(TAGS);
    const cache = createVerdictCache<CachedVerdict>({ stores: [createMemoryStore({ maxEntries: 10 })], validate: parseCachedVerdict });
    const checker = createImageChecker({ evaluate, access, cache, ttl: { verdictMs: 60_000, negativeMs: 5_000, tagMs: 30_000 }, evaluationTimeoutMs: 1000, stopSignal: new AbortController().signal });
    const image = `registry.example/app@${WARNED}`;
    const [first, shared] = await Promise.all([
      checker.check(containerImage(image, { containerName: "one" }), STATE, undefined),
      checker.check(containerImage(image, { containerName: "two", kind: "initContainer" }), STATE, undefined),
    ]);
    const cached = await checker.check(containerImage(image, { containerName: "three", kind: "ephemeralContainer" }), STATE, undefined);
    assert.equal(shared.source, "shared");
    assert.equal(cached.source, "cache-memory");
    assert.deepEqual(first.verdict.warnings, [`signet: container "one" ${image}: policy "audit" (warn mode) would reject it: no signature`]);
    assert.deepEqual(shared.verdict.warnings, [`signet: init container "two" ${image}: policy "audit" (warn mode) would reject it: no signature`]);
    assert.deepEqual(cached.verdict.warnings, [`signet: ephemeral container "three" ${image}: policy "audit" (warn mode) would reject it: no signature`]);
    assert.equal(cached.verdict.allowed, true);
    assert.equal(cached.verdict.mode, "warn");
  });

  test("the warning prefix is the one the evaluation writes", async () => {
    const image = containerImage("elsewhere.example/tool:1", { containerName: "tool", kind: "initContainer" });
    const verdict = await evaluateImage(image, STATE.clusterImagePolicies, { access: fakeAccess({}).access, noMatchAction: "warn" });
    assert.equal(verdict.warnings.length, 1);
    assert.ok(verdict.warnings[0]!.startsWith(imageWarningPrefix(image)), verdict.warnings[0]);
  });
});
