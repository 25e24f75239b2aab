import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VECTORS } from "../../helpers/peers.js";
import { SignetError } from "../../../src/errors/index.js";
import { parseDigest, type Digest } from "../../../src/internal/digest.js";
import { parseImageLocation, parseImageReference, type ImageLocation } from "../../../src/oci/reference/index.js";
import {
  compilePolicy,
  createLocationReader,
  evaluatePolicy,
  formatDecisionText,
  parsePolicy,
  type PolicyDecision,
  type PolicyFetchers,
  type UntrustedGpgSignature,
} from "../../../src/policy/index.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const IMAGE_RS = join(VECTORS, "confidential-containers__guest-components", "image-rs", "test_data");
const DIGEST = parseDigest(`sha256:${"1".repeat(64)}`);

interface FakeOptions {
  digest?: Digest | Error;
  gpg?: UntrustedGpgSignature[] | Error;
  keys?: Record<string, string>;
}

/** Fetchers that count their calls; `keys` maps key locations to files (anything else is unreadable). */
function fakeFetchers(options: FakeOptions = {}): PolicyFetchers & { calls: string[] } {
  const calls: string[] = [];
  const fileReader = createLocationReader();
  return {
    calls,
    resolveManifestDigest: () => {
      calls.push("digest");
      return options.digest instanceof Error ? Promise.reject(options.digest) : Promise.resolve(options.digest ?? DIGEST);
    },
    gpgSignatures: () => {
      calls.push("gpg");
      return options.gpg instanceof Error ? Promise.reject(options.gpg) : Promise.resolve({ signatures: options.gpg ?? [], searched: ["fake"] });
    },
    cosignSignatures: () => {
      calls.push("cosign");
      return Promise.resolve({ signatures: [], searched: ["fake"] });
    },
    readKey: (location) => fileReader(options.keys?.[location] ?? location),
  };
}

async function decide(policyText: string, image: string | ImageLocation, fetchers: PolicyFetchers, now?: Date): Promise<PolicyDecision> {
  const policy = await compilePolicy(parsePolicy(policyText, { source: "policy.json" }), { readKey: fetchers.readKey });
  return evaluatePolicy(typeof image === "string" ? parseImageLocation(image) : image, policy, { fetchers, now });
}

const policy = (value: unknown): string => JSON.stringify(value, null, 2);

describe("evaluatePolicy: scopes and simple requirements", () => {
  test("reject and insecureAcceptAnything, by the most specific scope, without fetching anything", async () => {
    const text = policy({
      default: [{ type: "reject" }],
      transports: { docker: { "example.com/open": [{ type: "insecureAcceptAnything" }], "example.com/open/closed": [{ type: "reject" }] } },
    });
    const fetchers = fakeFetchers();
    const open = await decide(text, "example.com/open/app:1", fetchers);
    assert.equal(open.allowed, true);
    assert.equal(open.scope.scope, "example.com/open");
    assert.equal(open.scope.kind, "namespace");
    assert.equal(open.digest, undefined);
    const closed = await decide(text, "example.com/open/closed:1", fetchers);
    assert.equal(closed.allowed, false);
    assert.equal(closed.outcome, "denied");
    assert.equal(closed.requirements[0]!.code, "POLICY_DENIED");
    assert.equal(closed.scope.kind, "repository");
    const other = await decide(text, "other.example/app:1", fetchers);
    assert.equal(other.scope.kind, "default");
    assert.equal(other.allowed, false);
    assert.deepEqual(fetchers.calls, [], "no requirement needed the image");
  });

  test("requirements are ANDed: insecureAcceptAnything does not outvote reject", async () => {
    const decision = await decide(policy({ default: [{ type: "insecureAcceptAnything" }, { type: "reject" }] }), "busybox", fakeFetchers());
    assert.equal(decision.allowed, false);
    assert.deepEqual(decision.requirements.map((r) => r.allowed), [true, false]);
    assert.match(decision.reason, /denied by requirement 2 \(reject\)/);
  });

  test("the scope and each requirement point at their line and column", async () => {
    const text = policy({ default: [{ type: "reject" }], transports: { docker: { "": [{ type: "insecureAcceptAnything" }] } } });
    const decision = await decide(text, "busybox", fakeFetchers());
    assert.equal(decision.scope.kind, "transport-default");
    assert.deepEqual([decision.scope.location.line, decision.scope.location.column], [9, 7]);
    assert.deepEqual([decision.requirements[0]!.location.line, decision.requirements[0]!.location.column], [10, 9]);
    assert.match(formatDecisionText(decision), /^ALLOWED docker:\/\/docker.io\/library\/busybox:latest\n/);
  });

  test("signedBaseLayer and unimplemented keyTypes reject (fail closed), as upstream", async () => {
    const text = policy({
      default: [{ type: "reject" }],
      transports: {
        docker: {
          "a.example": [{ type: "signedBaseLayer", baseLayerIdentity: { type: "matchRepository" } }],
          "b.example": [{ type: "signedBy", keyType: "X509Certificates", keyPath: "/nonexistent" }],
        },
      },
    });
    for (const image of ["a.example/x:1", "b.example/x:1"]) {
      const decision = await decide(text, image, fakeFetchers());
      assert.equal(decision.allowed, false);
      assert.equal(decision.requirements[0]!.code, "POLICY_UNSUPPORTED", image);
      assert.match(decision.requirements[0]!.reason, /not implemented/);
    }
  });

  test("an image with both a tag and a digest cannot be evaluated (REF_INVALID)", async () => {
    await assert.rejects(() => decide(policy({ default: [{ type: "insecureAcceptAnything" }] }), `busybox:1@${DIGEST}`, fakeFetchers()), (error: unknown) => SignetError.is(error) && error.code === "REF_INVALID");
  });
});

describe("evaluatePolicy on containers/image's fixture policy.json", () => {
  test("each scope decides as its requirements say (keys under /keys do not exist here, so those scopes fail closed)", async () => {
    const text = readFileSync(join(FIXTURES, "policy.json"), "utf8");
    const cases: Array<[string, boolean, string, string | undefined]> = [
      ["example.com/playground/app:1", true, "example.com/playground", undefined],
      ["example.com/production/app:1", false, "example.com/production", "POLICY_KEY_UNREADABLE"],
      ["example.com/hardened/app:1", false, "example.com/hardened", "POLICY_KEY_UNREADABLE"],
      ["registry.access.redhat.com/rhel7:1", false, "registry.access.redhat.com", "POLICY_UNSUPPORTED"],
      ["foo.access.redhat.com/x:1", false, "*.access.redhat.com", "POLICY_UNSUPPORTED"],
      ["quay.io/org/app:1", false, "", "POLICY_DENIED"],
      ["other.example.net/app:1", false, "", "POLICY_DENIED"],
    ];
    for (const [image, allowed, scope, code] of cases) {
      const fetchers = fakeFetchers();
      const decision = await decide(text, image, fetchers);
      assert.equal(decision.allowed, allowed, `${image}: ${decision.reason}`);
      assert.equal(decision.scope.scope ?? "", scope, image);
      if (code !== undefined) assert.ok(decision.requirements.some((r) => r.code === code), `${image}: ${decision.requirements.map((r) => r.code).join(", ")}`);
    }
    // The policy has wildcards under .com only, so quay.io falls to the global default.
    assert.equal((await decide(text, "quay.io/org/app:1", fakeFetchers())).scope.kind, "default");
  });
});

describe("evaluatePolicy: keys fail closed", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-policy-keys-"));
    mkdirSync(join(dir, "a-directory"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a keyPath that is missing or a directory does not stop the policy from loading; its scope rejects with the reason and place", async () => {
    const text = policy({
      default: [{ type: "insecureAcceptAnything" }],
      transports: {
        docker: {
          "missing.example": [{ type: "signedBy", keyType: "GPGKeys", keyPath: join(dir, "missing.gpg") }],
          "dir.example": [{ type: "sigstoreSigned", keyPath: join(dir, "a-directory") }],
        },
      },
    });
    const fetchers = fakeFetchers();
    const missing = await decide(text, "missing.example/app:1", fetchers);
    assert.equal(missing.allowed, false);
    assert.equal(missing.outcome, "error");
    assert.equal(missing.code, "POLICY_KEY_UNREADABLE");
    assert.match(missing.reason, /keyPath ".*missing.gpg" \(policy.json:13:11\) cannot be read: key file .* does not exist/);
    const directory = await decide(text, "dir.example/app:1", fetchers);
    assert.equal(directory.code, "POLICY_KEY_UNREADABLE");
    assert.match(directory.reason, /is a directory/);
    assert.deepEqual(fetchers.calls, [], "the image is not fetched when the key is unusable");
    assert.equal((await decide(text, "fine.example/app:1", fetchers)).allowed, true, "other scopes still work");
  });

  test("image-rs: keyData \"nonsense\" is not a GPG keyring, so its requirement fails with that reason", async () => {
    const text = readFileSync(join(IMAGE_RS, "signature", "policy.json"), "utf8");
    const decision = await decide(text, "registry.access.redhat.com/rhel7:latest", fakeFetchers());
    assert.equal(decision.allowed, false);
    const nonsense = decision.requirements[0]!;
    assert.equal(nonsense.code, "KEY_INVALID");
    assert.match(nonsense.reason, /keyData \(policy.json:\d+:\d+\) is not an OpenPGP public keyring/);
    // The second requirement names /keys/public-gpg-keyring, which does not exist here.
    assert.equal(decision.requirements[1]!.code, "POLICY_KEY_UNREADABLE");
    // image-rs's dir: "" accepts anything; its docker playground too.
    assert.equal((await decide(text, "example.com/playground/x:1", fakeFetchers())).allowed, true);
  });
});

describe("evaluatePolicy: fetch failures are not verdicts", () => {
  const text = policy({ default: [{ type: "signedBy", keyType: "GPGKeys", keyPath: "public-key.gpg" }] });
  const keys = { "public-key.gpg": join(FIXTURES, "public-key.gpg") };

  test("an unreachable registry: not allowed, outcome error, with the registry's code", async () => {
    const decision = await decide(text, "example.com/app:1", fakeFetchers({ keys, digest: new SignetError("REGISTRY_UNREACHABLE", "connect ECONNREFUSED 127.0.0.1:1") }));
    assert.equal(decision.allowed, false);
    assert.equal(decision.outcome, "error");
    assert.equal(decision.code, "REGISTRY_UNREACHABLE");
  });

  test("a lookaside store that fails is never read as 'unsigned'", async () => {
    const decision = await decide(text, "example.com/app:1", fakeFetchers({ keys, gpg: new SignetError("REGISTRY_TIMEOUT", "the lookaside server did not answer") }));
    assert.equal(decision.outcome, "error");
    assert.equal(decision.requirements[0]!.code, "REGISTRY_TIMEOUT");
  });

  test("an unexpected exception in a fetcher denies, as INTERNAL", async () => {
    const decision = await decide(text, "example.com/app:1", fakeFetchers({ keys, gpg: new TypeError("boom") }));
    assert.equal(decision.allowed, false);
    assert.equal(decision.requirements[0]!.code, "INTERNAL");
  });

  test("a verdict wins over an evaluation failure in the same scope", async () => {
    const both = policy({ default: [{ type: "signedBy", keyType: "GPGKeys", keyPath: "/nonexistent/key.gpg" }, { type: "reject" }] });
    const decision = await decide(both, "example.com/app:1", fakeFetchers());
    assert.equal(decision.outcome, "denied");
    assert.equal(decision.code, "POLICY_DENIED");
  });

  test("the digest is resolved once and shared by every requirement", async () => {
    const two = policy({ default: [{ type: "signedBy", keyType: "GPGKeys", keyPath: "public-key.gpg" }, { type: "sigstoreSigned", keyPath: "cosign.pub" }] });
    const fetchers = fakeFetchers({ keys: { ...keys, "cosign.pub": join(FIXTURES, "cosign.pub") } });
    await decide(two, "example.com/app:1", fetchers);
    assert.deepEqual(fetchers.calls.sort(), ["cosign", "digest", "gpg"]);
  });
});

describe("evaluatePolicy: OCI layouts", () => {
  test("oci: images are looked up by path and can only use exactReference / exactRepository identities", async () => {
    const text = policy({
      default: [{ type: "reject" }],
      transports: {
        oci: {
          "/srv/layouts": [{ type: "signedBy", keyType: "GPGKeys", keyPath: "public-key.gpg" }],
          "/srv/open": [{ type: "insecureAcceptAnything" }],
        },
      },
    });
    const fetchers = { ...fakeFetchers({ keys: { "public-key.gpg": join(FIXTURES, "public-key.gpg") }, gpg: [{ source: "s", untrustedBytes: readFileSync(join(FIXTURES, "dir-img-valid", "signature-1")) }] }), resolveLayoutPath: (p: string) => Promise.resolve(p) };
    const open = await decide(text, "oci:/srv/open/app:v1", fetchers);
    assert.equal(open.allowed, true);
    assert.equal(open.scope.scope, "/srv/open");
    const signed = await decide(text, "oci:/srv/layouts/team/app", { ...fetchers, resolveManifestDigest: () => Promise.resolve(parseDigest("sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55")) });
    assert.equal(signed.allowed, false);
    assert.equal(signed.requirements[0]!.code, "SIG_IDENTITY_MISMATCH");
    assert.match(signed.requirements[0]!.signatures[0]!.hint!, /exactReference or exactRepository/);
  });
});

describe("evaluatePolicy: image-rs signatures (MANIFEST §14)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-image-rs-"));
    execFileSync("tar", ["-xf", join(IMAGE_RS, "simple-signing-scheme", "signatures.tar"), "-C", dir]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("quay.io/ali_os_security/alpine:latest, signed by the key in image-rs's pubring.gpg: allowed", async () => {
    const text = policy({ default: [{ type: "reject" }], transports: { docker: { "quay.io/ali_os_security": [{ type: "signedBy", keyType: "GPGKeys", keyPath: "pubring.gpg", signedIdentity: { type: "matchExact" } }] } } });
    const fetchers = fakeFetchers({
      keys: { "pubring.gpg": join(IMAGE_RS, "signature", "pubring.gpg") },
      digest: parseDigest("sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a"),
      gpg: [{ source: "signature-1", untrustedBytes: readFileSync(join(IMAGE_RS, "signature", "signatures", "signature-1")) }],
    });
    const decision = await decide(text, "quay.io/ali_os_security/alpine:latest", fetchers);
    assert.equal(decision.allowed, true, decision.reason);
    assert.equal(decision.requirements[0]!.signatures[0]!.signer, "2183156095E072685518F8A97EFD4C926F9311E2");
  });

  test("security_policy.json: the kata signature was valid when made, but its key has expired since; another signature's key is unknown", async () => {
    const text = readFileSync(join(IMAGE_RS, "simple-signing-scheme", "security_policy.json"), "utf8");
    const keys = { "/run/image-security/simple_signing/pubkey.gpg": join(IMAGE_RS, "simple-signing-scheme", "pubkey.gpg") };
    const signature = (hex: string): UntrustedGpgSignature[] => [
      { source: hex, untrustedBytes: readFileSync(join(dir, "kata-containers", `confidential-containers@sha256=${hex}`, "signature-1")) },
    ];
    const signedHex = "febcf61cd6e1ac9628f6ac14fa40836d16f3c6ddef3b303ff0321606e55ddd0b";
    const image = "quay.io/kata-containers/confidential-containers:signed";
    const signedFetchers = (): PolicyFetchers => fakeFetchers({ keys, digest: parseDigest(`sha256:${signedHex}`), gpg: signature(signedHex) });
    const then = await decide(text, image, signedFetchers(), new Date("2021-10-14T00:00:00Z"));
    assert.equal(then.allowed, true, then.reason);
    const now = await decide(text, image, signedFetchers());
    assert.equal(now.allowed, false);
    assert.equal(now.requirements[0]!.code, "SIG_INVALID");
    assert.match(now.requirements[0]!.reason, /expired/);
    assert.match(now.hint!, /expired/);

    const otherHex = "7250923ba3543110040462388756ef099331822c6172a050b12c7a38361ea46f";
    const other = await decide(text, "quay.io/kata-containers/confidential-containers:other_signed", fakeFetchers({ keys, digest: parseDigest(`sha256:${otherHex}`), gpg: signature(otherHex) }), new Date("2021-10-14T00:00:00Z"));
    assert.equal(other.allowed, false);
    assert.match(other.requirements[0]!.reason, /unknown-key/);
    // Images no scope names fall to the insecureAcceptAnything default of this policy.
    assert.equal((await decide(text, "quay.io/other/image:1", fakeFetchers())).allowed, true);
  });
});

describe("evaluatePolicy speed", () => {
  test("10,000 images against a 1,000-scope policy stay under 1 ms per image", async () => {
    const scopes: Record<string, unknown> = {};
    for (let i = 0; i < 1000; i++) scopes[`registry${i % 20}.example.com/team${i}`] = [{ type: i % 2 === 0 ? "insecureAcceptAnything" : "reject" }];
    const compiled = await compilePolicy(parsePolicy(JSON.stringify({ default: [{ type: "reject" }], transports: { docker: scopes } })), { readKey: () => Promise.reject(new Error("unused")) });
    const fetchers = fakeFetchers();
    const images = Array.from({ length: 10_000 }, (_, i): ImageLocation => ({ transport: "docker", reference: parseImageReference(`registry${i % 25}.example.com/team${i % 1100}/app:${i}`) }));
    const start = process.hrtime.bigint();
    let allowed = 0;
    for (const image of images) if ((await evaluatePolicy(image, compiled, { fetchers })).allowed) allowed++;
    const perImageMs = Number(process.hrtime.bigint() - start) / 1e6 / images.length;
    assert.ok(allowed > 0 && allowed < images.length);
    assert.ok(perImageMs < 1, `${perImageMs.toFixed(4)} ms per image`);
  });
});

