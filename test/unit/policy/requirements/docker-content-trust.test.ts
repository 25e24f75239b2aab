import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignetError } from "../../../../src/errors/index.js";
import { parseDigest } from "../../../../src/internal/digest.js";
import { parseImageLocation } from "../../../../src/oci/reference/index.js";
import { compilePolicy, evaluatePolicy, parsePolicy, type PolicyFetchers } from "../../../../src/policy/index.js";
import type { DctImageVerification } from "../../../../src/signatures/dct/verify-image-dct.js";

const DIGEST = parseDigest(`sha256:${"1".repeat(64)}`);
const POLICY = (requirement: Record<string, unknown>) => JSON.stringify({ default: [{ type: "signetDockerContentTrust", ...requirement }] });

function fetchers(answer: { pulledDigest: string } | SignetError): PolicyFetchers & { queries: unknown[] } {
  const queries: unknown[] = [];
  return {
    queries,
    readKey: () => Promise.reject(new Error("no keys")),
    resolveManifestDigest: () => Promise.resolve(DIGEST),
    gpgSignatures: () => Promise.resolve({ signatures: [], searched: [] }),
    cosignSignatures: () => Promise.resolve({ signatures: [], searched: [] }),
    dockerContentTrust(_image, query) {
      queries.push(query);
      if (answer instanceof SignetError) return Promise.reject(answer);
      const verification = { gun: "registry.example/app", rootVersion: 1, root: "pinned", versions: {}, expires: "", image: "", digest: DIGEST, target: { tag: "v1", digest: DIGEST, length: 9, role: "targets/releases", signers: ["ab".repeat(32)] } } as DctImageVerification;
      return Promise.resolve({ verification, pulledDigest: parseDigest(answer.pulledDigest) });
    },
  };
}

async function decide(requirement: Record<string, unknown>, f: PolicyFetchers) {
  const policy = await compilePolicy(parsePolicy(POLICY(requirement)), { readKey: f.readKey });
  return evaluatePolicy(parseImageLocation("registry.example/app:v1"), policy, { fetchers: f });
}

describe("policy.json signetDockerContentTrust", () => {
  test("the parser takes server (https, or http on loopback) and an optional trustDir, nothing else", () => {
    assert.doesNotThrow(() => parsePolicy(POLICY({ server: "https://notary.example", trustDir: "/var/lib/signet/trust" })));
    assert.doesNotThrow(() => parsePolicy(POLICY({ server: "http://127.0.0.1:4443" })));
    for (const bad of [{}, { server: "http://notary.example" }, { server: "https://notary.example", trustdir: "/x" }, { server: "" }]) {
      assert.throws(() => parsePolicy(POLICY(bad)), { code: "POLICY_CONFIG_INVALID" }, JSON.stringify(bad));
    }
  });

  test("allowed when the trust data signs the image's digest; the server and trust dir reach the fetcher", async () => {
    const f = fetchers({ pulledDigest: DIGEST });
    const decision = await decide({ server: "https://notary.example/", trustDir: "/t" }, f);
    assert.equal(decision.allowed, true, decision.reason);
    assert.deepEqual(f.queries.map((q) => ({ ...(q as object), now: undefined })), [{ server: "https://notary.example", trustDir: "/t", now: undefined }]);
  });

  test("a rejection keeps its DCT code under POLICY_DENIED; a server that cannot be reached is an error, not a verdict", async () => {
    const denied = await decide({ server: "https://n.example" }, fetchers(new SignetError("DCT_ROLLBACK", "older")));
    assert.deepEqual([denied.outcome, denied.code, denied.requirements[0]!.code], ["denied", "POLICY_DENIED", "DCT_ROLLBACK"]);
    const moved = await decide({ server: "https://n.example" }, fetchers({ pulledDigest: `sha256:${"2".repeat(64)}` }));
    assert.equal(moved.requirements[0]!.code, "DCT_DIGEST_MISMATCH");
    const down = await decide({ server: "https://n.example" }, fetchers(new SignetError("DCT_SERVER_UNAVAILABLE", "down")));
    assert.deepEqual([down.outcome, down.code], ["error", "DCT_SERVER_UNAVAILABLE"]);
  });
});
