import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignetError } from "../../../../src/errors/index.js";
import type { ImageAccess } from "../../../../src/oci/image-access.js";
import { parseCachedVerdict, type CachedVerdict } from "../../../../src/webhook/cache/cached-verdict.js";
import { createMemoryStore } from "../../../../src/webhook/cache/memory-store.js";
import { createVerdictCache } from "../../../../src/webhook/cache/verdict-cache.js";
import { createImageChecker } from "../../../../src/webhook/server/image-checker.js";
import { containerImage, digestOf, fakeAccess, fakeEvaluator, policyState } from "../server/fixtures.js";

const SIGNED = digestOf("a");
const STATE = policyState([{ name: "signed-images", globs: ["registry.example/**"] }]);

function setup() {
  const { evaluate, calls } = fakeEvaluator({ signed: new Set([SIGNED]) });
  const shared = fakeAccess({});
  const perRequest = fakeAccess({ "registry.example/app:1": SIGNED });
  const checker = createImageChecker({
    evaluate,
    access: shared.access,
    cache: createVerdictCache<CachedVerdict>({ stores: [createMemoryStore({ maxEntries: 100 })], validate: parseCachedVerdict }),
    ttl: { verdictMs: 60_000, negativeMs: 5_000, tagMs: 30_000 },
    evaluationTimeoutMs: 5_000,
    stopSignal: new AbortController().signal,
  });
  return { checker, calls, shared, perRequest };
}

describe("image checker with the request's registry access", () => {
  test("the request's access pins the tag and is what the evaluation gets", async () => {
    const { checker, calls, shared, perRequest } = setup();
    const { verdict } = await checker.check(containerImage("registry.example/app:1"), STATE, undefined, async () => perRequest.access as ImageAccess);
    assert.equal(verdict.allowed, true);
    assert.deepEqual(perRequest.resolved, ["registry.example/app:1"]);
    assert.deepEqual(shared.resolved, []);
    assert.equal(calls[0]!.deps.access, perRequest.access);
  });

  test("pull secrets that cannot be read: denied, could not evaluate, with the reason", async () => {
    const { checker, calls } = setup();
    const failing = () => Promise.reject(new SignetError("PULL_SECRET_UNREADABLE", "cannot read secret apps/regcred: the server answered 403"));
    const { verdict, source } = await checker.check(containerImage("registry.example/app:1"), STATE, undefined, failing);
    assert.equal(source, "error");
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.error, true);
    assert.equal(verdict.code, "PULL_SECRET_UNREADABLE");
    assert.match(verdict.reason, /regcred.*403/);
    assert.equal(calls.length, 0);
  });

  test("an image no policy governs needs no credentials", async () => {
    const { checker } = setup();
    let asked = 0;
    const { verdict } = await checker.check(containerImage("elsewhere.example/app:1"), STATE, undefined, () => {
      asked++;
      return Promise.reject(new SignetError("PULL_SECRET_UNREADABLE", "down"));
    });
    assert.equal(asked, 0);
    assert.notEqual(verdict.code, "PULL_SECRET_UNREADABLE");
  });
});
