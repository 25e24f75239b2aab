import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseWwwAuthenticate } from "../../../../src/oci/registry/www-authenticate.js";

describe("parseWwwAuthenticate", () => {
  test("reads a distribution Bearer challenge", () => {
    const [challenge, ...rest] = parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    assert.equal(rest.length, 0);
    assert.equal(challenge?.scheme, "bearer");
    assert.deepEqual({ ...challenge?.params }, {
      realm: "https://auth.docker.io/token",
      service: "registry.docker.io",
      scope: "repository:library/busybox:pull",
    });
  });

  test("keeps commas, equals signs and escaped quotes inside quoted values", () => {
    const [challenge] = parseWwwAuthenticate('Bearer realm="https://a.example/t?x=1,y=2", scope="repository:a:pull,push", error="say \\"no\\""');
    assert.equal(challenge?.params.realm, "https://a.example/t?x=1,y=2");
    assert.equal(challenge?.params.scope, "repository:a:pull,push");
    assert.equal(challenge?.params.error, 'say "no"');
  });

  test("scheme and parameter names are case-insensitive; whitespace around = is allowed", () => {
    const [challenge] = parseWwwAuthenticate('BEARER Realm = "r" , SERVICE=svc');
    assert.equal(challenge?.scheme, "bearer");
    assert.equal(challenge?.params.realm, "r");
    assert.equal(challenge?.params.service, "svc");
  });

  test("several challenges in one header and across headers", () => {
    const challenges = parseWwwAuthenticate(['Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"', 'Bearer realm="x"']);
    assert.deepEqual(challenges.map((c) => c.scheme), ["newauth", "basic", "bearer"]);
    assert.equal(challenges[0]?.params.title, 'Login to "apps"');
    assert.equal(challenges[0]?.params.type, "1");
    assert.equal(challenges[1]?.params.realm, "simple");
  });

  test("token68 values and bare schemes", () => {
    const challenges = parseWwwAuthenticate("Negotiate abc+/==, Basic");
    assert.equal(challenges[0]?.scheme, "negotiate");
    assert.equal(challenges[0]?.params.token68, "abc+/==");
    assert.equal(challenges[1]?.scheme, "basic");
  });

  test("a repeated parameter keeps its first value", () => {
    const [challenge] = parseWwwAuthenticate('Bearer realm="first", realm="second"');
    assert.equal(challenge?.params.realm, "first");
  });

  test("__proto__ is an ordinary parameter name", () => {
    const [challenge] = parseWwwAuthenticate('Bearer __proto__="x", realm="r"');
    assert.equal(challenge?.params.realm, "r");
    assert.equal(Object.getPrototypeOf(challenge?.params), null);
  });

  test("malformed input returns what was readable and never throws", () => {
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    assert.deepEqual(parseWwwAuthenticate(""), []);
    assert.deepEqual(parseWwwAuthenticate("  ,, "), []);
    const unterminated = parseWwwAuthenticate('Bearer realm="never closed');
    assert.equal(unterminated.length, 1);
    assert.equal(unterminated[0]?.params.realm, undefined);
    assert.deepEqual(parseWwwAuthenticate(`Bearer realm="${"x".repeat(20_000)}"`), []);
  });

  test("a long hostile header is parsed in linear time", () => {
    const header = `Bearer ${'a="b",'.repeat(2500)}`;
    const start = performance.now();
    const [challenge] = parseWwwAuthenticate(header);
    assert.ok(performance.now() - start < 200);
    assert.equal(challenge?.params.a, "b");
  });
});
