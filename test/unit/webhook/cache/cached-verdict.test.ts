import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Digest } from "../../../../src/internal/digest.js";
import { parseCachedVerdict, toCachedVerdict } from "../../../../src/webhook/cache/cached-verdict.js";
import type { ImageVerdict } from "../../../../src/webhook/evaluate/types.js";

const DIGEST = `sha256:${"c".repeat(64)}` as Digest;

function verdict(overrides: Partial<ImageVerdict> = {}): ImageVerdict & { digest: Digest } {
  return {
    image: "registry.example/app:1",
    field: "/spec/containers/0/image",
    containerName: "app",
    kind: "container",
    digest: DIGEST,
    pinnedImage: `registry.example/app@${DIGEST}`,
    allowed: true,
    mode: "enforce",
    policies: [
      {
        name: "signed",
        mode: "enforce",
        allowed: true,
        reason: "authority key-0 verified",
        authorities: [{ name: "key-0", type: "key", allowed: true, reason: "1 signature verified", signatures: [{ source: "sig-0", allowed: true, reason: "verified" }] }],
      },
    ],
    reason: "every matching policy passed",
    warnings: [],
    cacheable: true,
    checkedAt: 1_700_000_000_000,
    ...overrides,
  } as ImageVerdict & { digest: Digest };
}

describe("cached verdicts", () => {
  test("what is stored leaves out everything that belongs to one container", () => {
    const cached = toCachedVerdict(verdict());
    for (const field of ["image", "field", "containerName", "kind", "pinnedImage", "cacheable"]) assert.equal(field in cached, false, field);
    assert.deepEqual(parseCachedVerdict(JSON.parse(JSON.stringify(cached))), cached);
  });

  test("every authority kind a verdict can name round-trips (a kind the reader refused would make every such verdict a miss)", () => {
    for (const type of ["key", "keyless", "static", "unavailable", "notation", "policy.json", "signers"] as const) {
      const policies = [{ name: "p", mode: "enforce" as const, allowed: true, reason: "ok", authorities: [{ name: "a", type, allowed: true, reason: "ok", signatures: [], signerIdentities: ["key:sha256:ab"] }] }];
      const cached = toCachedVerdict(verdict({ policies }));
      assert.deepEqual(parseCachedVerdict(JSON.parse(JSON.stringify(cached))), cached, type);
    }
  });

  test("a malformed or contradictory record is not a verdict", () => {
    const good = JSON.parse(JSON.stringify(toCachedVerdict(verdict()))) as Record<string, unknown>;
    const bad: unknown[] = [
      { ...good, allowed: "true" },
      { ...good, digest: "sha256:1234" },
      { ...good, mode: "audit" },
      { ...good, code: "NOT_A_CODE" },
      { ...good, extra: 1 },
      { ...good, allowed: true, error: true },
      { ...good, policies: [{ name: "x" }] },
      { ...good, reason: "x".repeat(20_000) },
      null,
      [],
    ];
    for (const value of bad) assert.equal(parseCachedVerdict(value), undefined, JSON.stringify(value).slice(0, 80));
  });

  test("a denial keeps its code, hint and reasons", () => {
    const denied = toCachedVerdict(verdict({ allowed: false, code: "SIG_MISSING", hint: "sign it", reason: "no signature", policies: [] }));
    const parsed = parseCachedVerdict(JSON.parse(JSON.stringify(denied)));
    assert.equal(parsed?.code, "SIG_MISSING");
    assert.equal(parsed?.hint, "sign it");
    assert.equal(parsed?.allowed, false);
  });
});
