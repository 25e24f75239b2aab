import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileImageGlob, globProblem, matchesImageGlob } from "../../../../src/webhook/policy/index.js";

const DIGEST = `sha256:${"5".repeat(64)}`;

describe("image globs (policy-controller semantics)", () => {
  // [image, glob, matches]
  const cases: [string, string, boolean][] = [
    // Docker Hub: the normalised name is index.docker.io/library/NAME:latest
    ["busybox", "index.docker.io/library/busybox:latest", true],
    ["busybox", "index.docker.io/library/busybox:*", true],
    ["busybox", "index.docker.io/library/*", true],
    ["busybox", "index.docker.io/*/*", true],
    ["busybox", "index.docker.io/**", true],
    ["busybox", "**", true],
    ["busybox", "busybox", true], // the written text is matched too, as policy-controller still does
    ["busybox", "busybox*", true],
    ["busybox", "*", true], // "*" means index.docker.io/library/*
    ["myuser/myapp", "*/*", true], // "*/*" means index.docker.io/*/*
    ["myuser/myapp", "*", false],
    ["myuser/myapp", "index.docker.io/myuser/*", true],
    // docker.io spelling (signet also matches the docker.io/ form of Docker Hub names)
    ["busybox", "docker.io/library/*", true],
    ["docker.io/library/busybox:1.36", "index.docker.io/library/busybox:*", true],
    ["ghcr.io/busybox", "docker.io/library/*", false],
    // Fully qualified
    ["ghcr.io/foo/bar", "ghcr.io/*/*", true],
    ["ghcr.io/foo", "ghcr.io/*/*", false],
    ["ghcr.io/foo", "ghcr.io/**", true],
    ["ghcr.io/foo", "*/**", true],
    ["ghcr.io/foo/bar/baz", "ghcr.io/foo/*", false], // * never crosses "/"
    ["ghcr.io/foo/bar/baz", "ghcr.io/foo/**", true],
    ["prefix-ghcr.io/foo", "ghcr.io/foo", false], // anchored at the start
    ["ghcr.io/foo-suffix", "ghcr.io/foo", false], // anchored at the end
    ["ghcrxio/foo", "ghcr.io/**", false], // "." is literal
    ["ghcr.io/foo:1.0", "ghcr.io/foo:*", true],
    ["ghcr.io/foo:1.0", "ghcr.io/foo", false],
    [`ghcr.io/foo@${DIGEST}`, `ghcr.io/foo@${DIGEST}`, true],
    [`ghcr.io/foo:1.0@${DIGEST}`, "ghcr.io/foo:*", true], // the written text keeps the tag
    ["app-evil.example.com/x", "app*", false],
    ["invalid&name", "**", false], // an invalid reference matches nothing
    // Security case C.21 (portieris #514): a wildcard host must not swallow another registry's path.
    ["attacker.com/x.trusted.example.com/org/m", "*.trusted.example.com/org/*", false],
    ["x.trusted.example.com/org/m", "*.trusted.example.com/org/*", true],
    ["evil-trusted.example.com/org/m", "*.trusted.example.com/org/*", false],
    ["a.b.trusted.example.com/org/m", "*.trusted.example.com/org/*", true], // "*" spans dots, not slashes
    ["x.trusted.example.com/org/team/m", "*.trusted.example.com/org/*", false],
    ["localhost:5000/app", "localhost:5000/*", true],
    ["localhost:5000/app", "localhost:5001/*", false],
  ];
  for (const [image, glob, expected] of cases) {
    test(`${JSON.stringify(glob)} ${expected ? "matches" : "does not match"} ${JSON.stringify(image)}`, () => {
      assert.equal(matchesImageGlob(glob, image), expected);
    });
  }

  test("invalid globs are refused, as policy-controller's validGlob does", () => {
    for (const glob of [".+", "[a-z]*", "ghcr.io/foo?", "ghcr.io/(a|b)", "a b", ""]) {
      assert.notEqual(globProblem(glob), undefined, glob);
      assert.throws(() => compileImageGlob(glob));
    }
    for (const glob of ["*", "*/*", "**", "ghcr.io/org/*:v1.*", `ghcr.io/foo@${DIGEST}`, "registry-1.example_x.com:5000/a"]) {
      assert.equal(globProblem(glob), undefined, glob);
    }
  });

  test("matching is linear: a hostile name against many stars returns quickly", () => {
    const glob = compileImageGlob(`ghcr.io/${"*a".repeat(40)}b`);
    const image = `ghcr.io/${"a".repeat(200)}`;
    const started = performance.now();
    assert.equal(glob.matches(image), false);
    assert.ok(performance.now() - started < 200, "no backtracking blow-up");
  });
});
