import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { VECTORS } from "../../helpers/peers.js";
import { parseImageReference } from "../../../src/oci/reference/index.js";
import { parsePolicy, type ParsedPolicy, type PolicyRequirementList } from "../../../src/policy/config/index.js";
import { dockerPolicyIdentity, dockerReferenceNamespaces, lookupScope, pathPolicyIdentity, type ScopeTable } from "../../../src/policy/scopes.js";

interface LookupTable {
  configuredScopes: Array<{ transport: string; scope: string }>;
  cases: Array<{ transport: string; imageRef: string; matchedTransport: string; matchedScope: string }>;
}

function tableOf(policy: ParsedPolicy): ScopeTable<PolicyRequirementList> {
  return { defaultEntry: policy.defaultRequirements, transports: new Map([...policy.transports].map(([name, t]) => [name, t.scopes])) };
}

function policyWithScopes(scopes: Array<{ transport: string; scope: string }>): ParsedPolicy {
  const transports: Record<string, Record<string, unknown>> = {};
  for (const { transport, scope } of scopes) (transports[transport] ??= {})[scope] = [{ type: "reject" }];
  return parsePolicy(JSON.stringify({ default: [{ type: "reject" }], transports }));
}

function identityFor(transport: string, imageRef: string) {
  return transport === "dir" ? pathPolicyIdentity("dir", resolve(imageRef)) : dockerPolicyIdentity(transport, parseImageReference(imageRef));
}

describe("scope lookup", () => {
  test("upstream's policyScopeLookup table: most specific scope, wildcards, transport default, global default", () => {
    const table = (JSON.parse(readFileSync(join(VECTORS, "containers__image", "_derived", "policy-reference-match-tables.json"), "utf8")) as { policyScopeLookup: LookupTable }).policyScopeLookup;
    const scopes = tableOf(policyWithScopes(table.configuredScopes));
    assert.ok(table.cases.length > 0);
    for (const row of table.cases) {
      const match = lookupScope(scopes, identityFor(row.transport, row.imageRef));
      assert.equal(match.transport ?? "", row.matchedTransport, `${row.transport}:${row.imageRef}`);
      assert.equal(match.scope ?? "", row.matchedScope, `${row.transport}:${row.imageRef}: ${match.reason}`);
      if (row.matchedTransport === "") assert.equal(match.kind, "default");
    }
  });

  test("namespaces as DockerReferenceNamespaces: path components, host:port, then wildcards of the host without its port", () => {
    const identity = dockerPolicyIdentity("docker", parseImageReference("registry.example.com:5000/ns/sub/app:1.0"));
    assert.equal(identity.identity, "registry.example.com:5000/ns/sub/app:1.0");
    assert.deepEqual(identity.namespaces, [
      "registry.example.com:5000/ns/sub/app",
      "registry.example.com:5000/ns/sub",
      "registry.example.com:5000/ns",
      "registry.example.com:5000",
      "*.example.com",
      "*.com",
    ]);
    assert.deepEqual(dockerReferenceNamespaces("localhost:5000/app"), ["localhost:5000/app", "localhost:5000"]);
    assert.deepEqual(dockerReferenceNamespaces("[::1]:5000/app"), ["[::1]:5000/app", "[::1]:5000"]);
    assert.equal(dockerPolicyIdentity("docker", parseImageReference("busybox")).identity, "docker.io/library/busybox:latest");
    const digest = `sha256:${"a".repeat(64)}`;
    assert.equal(dockerPolicyIdentity("docker", parseImageReference(`busybox@${digest}`)).identity, `docker.io/library/busybox@${digest}`);
  });

  test("an image with both a tag and a digest cannot be looked up (as containers/image's docker transport)", () => {
    assert.throws(() => dockerPolicyIdentity("docker", parseImageReference(`busybox:1@sha256:${"a".repeat(64)}`)), /both a tag and a digest/);
  });

  test("OCI layouts are looked up by path, then each parent directory", () => {
    const identity = pathPolicyIdentity("oci", "/srv/layouts/team/app");
    assert.deepEqual(identity.namespaces, ["/srv/layouts/team/app", "/srv/layouts/team", "/srv/layouts", "/srv"]);
    const scopes = tableOf(policyWithScopes([{ transport: "oci", scope: "/srv/layouts" }, { transport: "oci", scope: "/srv/layouts/te" }]));
    const match = lookupScope(scopes, identity);
    assert.equal(match.scope, "/srv/layouts");
    assert.equal(match.kind, "directory");
  });

  test("security-cases C.20/C.21: boundaries, wildcards and normalisation", () => {
    const scopes = tableOf(
      policyWithScopes([
        { transport: "docker", scope: "example.com/foo" },
        { transport: "docker", scope: "*.example.com" },
        { transport: "docker", scope: "*.trusted.example.com" },
        { transport: "docker", scope: "docker.io/library/busybox" },
      ]),
    );
    const scopeOf = (image: string): string | undefined => lookupScope(scopes, identityFor("docker", image)).scope;
    assert.equal(scopeOf("example.com/foo/bar:1"), "example.com/foo");
    assert.equal(scopeOf("example.com/foobar:1"), undefined, "example.com/foo must not cover example.com/foobar");
    assert.equal(scopeOf("evil-example.com/foo:1"), undefined, "*.example.com must not cover evil-example.com");
    assert.equal(scopeOf("a.example.com/x:1"), "*.example.com");
    assert.equal(scopeOf("example.com.evil.net/foo:1"), undefined);
    assert.equal(scopeOf("attacker.com/x.trusted.example.com/org/m:1"), undefined, "a wildcard matches the host only");
    assert.equal(scopeOf("a.trusted.example.com:5000/org/m:1"), "*.trusted.example.com", "a wildcard matches any port");
    assert.equal(scopeOf("busybox"), "docker.io/library/busybox");
    assert.equal(scopeOf("index.docker.io/library/busybox:1"), "docker.io/library/busybox");
    // "*" never crosses "/" and never appears elsewhere: such scopes do not load.
    for (const bad of ["*.trusted.example.com/org/*", "app*", "*example.com", "*.", "*.*.example.com", "**.example.com"]) {
      assert.throws(() => policyWithScopes([{ transport: "docker", scope: bad }]), /POLICY_CONFIG_INVALID|malformed|allowed only/, bad);
    }
  });

  test("the reason says which kind of scope matched", () => {
    const scopes = tableOf(policyWithScopes([{ transport: "docker", scope: "example.com" }, { transport: "docker", scope: "" }]));
    const hostMatch = lookupScope(scopes, identityFor("docker", "example.com/a/b:1"));
    assert.equal(hostMatch.kind, "registry");
    assert.match(hostMatch.reason, /registry/);
    const fallback = lookupScope(scopes, identityFor("docker", "other.example/a:1"));
    assert.equal(fallback.kind, "transport-default");
    assert.match(fallback.reason, /default scope ""/);
  });

  test("lookup cost does not grow with the number of scopes: 10,000 images against 1,000 scopes, well under 1 ms each", () => {
    const configured = Array.from({ length: 1000 }, (_, i) => ({ transport: "docker", scope: `registry${i % 50}.example.com/team${i}` }));
    const scopes = tableOf(policyWithScopes(configured));
    const images = Array.from({ length: 10_000 }, (_, i) => `registry${i % 60}.example.com/team${i % 1200}/app${i}:v${i % 7}`);
    const identities = images.map((image) => identityFor("docker", image));
    const start = process.hrtime.bigint();
    let matched = 0;
    for (const identity of identities) if (lookupScope(scopes, identity).scope !== undefined) matched++;
    const perImageMs = Number(process.hrtime.bigint() - start) / 1e6 / images.length;
    assert.ok(matched > 0 && matched < images.length);
    assert.ok(perImageMs < 1, `${perImageMs} ms per lookup`);
  });
});
