// Issue #9 item 1: a registry written in another spelling (case, :443/:80, Docker Hub's aliases) must be
// governed by the policies written for it, in policy.json scopes (CLI and webhook) and ClusterImagePolicy globs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { canonicalRegistry, formatImageReference, parseImageReference, parseNormalizedName, toPolicyReference } from "../../../src/oci/reference/index.js";
import { compilePolicy, parsePolicy } from "../../../src/policy/index.js";
import { canonicalScope, dockerPolicyIdentity, lookupScope } from "../../../src/policy/scopes.js";
import { compileImageGlob } from "../../../src/webhook/policy/glob.js";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("canonicalRegistry", () => {
  test("lower-cases the host, drops :443 and :80, and names Docker Hub docker.io", () => {
    const cases: [string, string][] = [
      ["LOCALHOST:5000", "localhost:5000"],
      ["Registry.Example.COM", "registry.example.com"],
      ["registry.example.com:443", "registry.example.com"],
      ["registry.example.com:0443", "registry.example.com"],
      ["registry.example.com:80", "registry.example.com"],
      ["registry.example.com:8443", "registry.example.com:8443"],
      ["index.docker.io", "docker.io"],
      ["registry-1.docker.io", "docker.io"],
      ["Registry-1.Docker.IO:443", "docker.io"],
      ["docker.io:443", "docker.io"],
      ["[::1]:443", "[::1]"],
      ["[::1]:5000", "[::1]:5000"],
      ["[FE80::1]", "[fe80::1]"],
    ];
    for (const [written, canonical] of cases) assert.equal(canonicalRegistry(written), canonical, written);
  });

  test("the parser keeps distribution's spelling; only the policy form is canonical", () => {
    const written = parseNormalizedName("Registry.Example.com:443/team/app:1");
    assert.equal(written.registry, "Registry.Example.com:443");
    assert.equal(formatImageReference(toPolicyReference(written)), "registry.example.com/team/app:1");
    // A one-component Docker Hub name gets library/, as docker names it.
    assert.equal(formatImageReference(toPolicyReference(parseNormalizedName("registry-1.docker.io/busybox:1"))), "docker.io/library/busybox:1");
  });
});

describe("policy.json scopes match every spelling of a registry", () => {
  const policyText = JSON.stringify({
    default: [{ type: "insecureAcceptAnything" }],
    transports: {
      docker: {
        "localhost:5000/team": [{ type: "reject" }],
        "Registry.Example.com:443/team": [{ type: "reject" }],
        "docker.io/library/busybox": [{ type: "reject" }],
        "*.Internal.Example": [{ type: "reject" }],
      },
    },
  });

  test("each spelling finds the reject scope, not the permissive default", async () => {
    const policy = await compilePolicy(parsePolicy(policyText), { readKey: () => Promise.reject(new Error("unused")) });
    for (const image of [
      "LOCALHOST:5000/team/app:1",
      "localhost:5000/team/app:1",
      "registry.example.com/team/app:1",
      "REGISTRY.example.com:443/team/app:1",
      "index.docker.io/library/busybox:1",
      "registry-1.docker.io/library/busybox:1",
      "registry-1.docker.io:443/busybox:1",
      `Docker.IO/library/busybox@${DIGEST}`,
      "Build.Internal.Example:443/x:1",
    ]) {
      const match = lookupScope(policy, dockerPolicyIdentity("docker", parseImageReference(image)));
      assert.notEqual(match.kind, "default", `${image} escaped its scope: ${match.reason}`);
      assert.equal(match.entry.list.requirements[0]!.type, "reject", image);
    }
  });

  test("two scopes that name the same images are refused at load (POLICY_CONFIG_INVALID)", async () => {
    const clash = JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { "registry.example.com/team": [{ type: "reject" }], "registry.example.com:443/team": [{ type: "insecureAcceptAnything" }] } } });
    await assertRejectsWithCode(() => compilePolicy(parsePolicy(clash), { readKey: () => Promise.reject(new Error("unused")) }), "POLICY_CONFIG_INVALID");
  });

  test("canonicalScope leaves other transports alone", () => {
    assert.equal(canonicalScope("oci", "/Srv/Layouts"), "/Srv/Layouts");
    assert.equal(canonicalScope("docker", "Index.Docker.io/library/busybox:Tag"), "docker.io/library/busybox:Tag");
  });
});

describe("ClusterImagePolicy globs match every spelling of a registry", () => {
  const cases: [glob: string, image: string][] = [
    ["localhost:5000/team/**", "LOCALHOST:5000/team/app:1"],
    ["LOCALHOST:5000/team/**", "localhost:5000/team/app:1"],
    ["registry.example.com/team/*", "registry.example.com:443/team/app"],
    ["registry.example.com:443/team/*", "registry.example.com/team/app"],
    ["registry.example.com/team/*", "Registry.Example.Com:80/team/app"],
    ["docker.io/library/*", "registry-1.docker.io/library/busybox"],
    ["index.docker.io/library/*", "registry-1.docker.io:443/busybox"],
    ["*", "index.docker.io/busybox"],
    ["*.example.com/team/*", "BUILD.example.com:443/team/app"],
  ];
  for (const [glob, image] of cases) {
    test(`${glob} matches ${image}`, () => assert.equal(compileImageGlob(glob).matches(image), true));
  }
  test("anchoring is unchanged: another host or a longer host still does not match", () => {
    assert.equal(compileImageGlob("registry.example.com/team/*").matches("registry.example.com.evil.net/team/app"), false);
    assert.equal(compileImageGlob("registry.example.com/team/*").matches("registry.example.com:8443/team/app"), false);
    assert.equal(compileImageGlob("localhost:5000/team/*").matches("localhost:5001/team/app"), false);
  });
});
