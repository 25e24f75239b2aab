import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { VECTORS } from "../../../helpers/peers.js";
import { parsePolicy, parsePolicyCollectingIssues, type PolicyRequirementConfig } from "../../../../src/policy/config/index.js";

const CONTAINERS_POLICY = join(VECTORS, "containers__image", "signature", "fixtures", "policy.json");
const SKOPEO_POLICY = join(VECTORS, "containers__skopeo", "integration", "fixtures", "policy.json");
const IMAGE_RS = join(VECTORS, "confidential-containers__guest-components", "image-rs", "test_data");

function requirementsOf(text: string, transport: string, scope: string): readonly PolicyRequirementConfig[] {
  const policy = parsePolicy(text);
  const list = policy.transports.get(transport)?.scopes.get(scope);
  assert.ok(list, `${transport} scope ${JSON.stringify(scope)} is missing`);
  return list.requirements;
}

describe("parsePolicy on upstream policies", () => {
  test("containers/image's fixture policy.json parses into what upstream's policyFixtureContents says", () => {
    const text = readFileSync(CONTAINERS_POLICY, "utf8");
    const policy = parsePolicy(text, { source: CONTAINERS_POLICY });
    assert.deepEqual(policy.defaultRequirements.requirements.map((r) => r.type), ["reject"]);
    assert.deepEqual([...policy.transports.keys()], ["dir", "docker"]);
    assert.deepEqual(policy.transports.get("dir")!.scopes.get("")!.requirements.map((r) => r.type), ["insecureAcceptAnything"]);
    const docker = policy.transports.get("docker")!.scopes;
    assert.deepEqual([...docker.keys()], [
      "example.com/playground",
      "example.com/production",
      "example.com/hardened",
      "example.com/hardened-x509",
      "registry.access.redhat.com",
      "registry.redhat.io/beta",
      "private-mirror:5000/vendor-mirror",
      "*.access.redhat.com",
      "*.redhat.com",
      "*.com",
      "bogus/key-data-example",
      "bogus/signed-identity-example",
      "example.com/sigstore/key-data-example",
      "example.com/sigstore/key-path-example",
    ]);

    const production = docker.get("example.com/production")!.requirements[0]!;
    assert.equal(production.type, "signedBy");
    assert.ok(production.type === "signedBy");
    assert.equal(production.keyType, "GPGKeys");
    assert.deepEqual(production.keys.kind === "path" && production.keys.path, "/keys/employee-gpg-keyring");
    assert.equal(production.signedIdentity.type, "matchRepoDigestOrExact");
    assert.equal(production.signedIdentity.defaulted, true);

    const hardened = docker.get("example.com/hardened")!.requirements;
    assert.deepEqual(hardened.map((r) => r.type), ["signedBy", "signedBy", "signedBaseLayer"]);
    const [first, second, third] = hardened;
    assert.ok(first?.type === "signedBy" && second?.type === "signedBy" && third?.type === "signedBaseLayer");
    assert.equal(first.signedIdentity.type, "matchRepository");
    assert.equal(second.keyType, "signedByGPGKeys");
    assert.equal(second.signedIdentity.type, "matchExact");
    assert.deepEqual({ ...third.baseLayerIdentity, location: undefined }, { type: "exactRepository", dockerRepository: "registry.access.redhat.com/rhel7/rhel", location: undefined });

    const x509 = docker.get("example.com/hardened-x509")!.requirements;
    assert.deepEqual(x509.map((r) => r.type === "signedBy" && r.keyType), ["X509Certificates", "signedByX509CAs"]);

    const beta = docker.get("registry.redhat.io/beta")!.requirements[0]!;
    assert.ok(beta.type === "signedBy" && beta.keys.kind === "paths");
    assert.deepEqual(beta.keys.paths, ["/keys/RH-production-signing-key-gpg-keyring", "/keys/RH-beta-signing-key-gpg-keyring"]);

    const mirror = docker.get("private-mirror:5000/vendor-mirror")!.requirements[0]!;
    assert.ok(mirror.type === "signedBy");
    assert.deepEqual({ ...mirror.signedIdentity, location: undefined }, { type: "remapIdentity", prefix: "private-mirror:5000/vendor-mirror", signedPrefix: "vendor.example.com", location: undefined });

    const keyData = docker.get("bogus/key-data-example")!.requirements[0]!;
    assert.ok(keyData.type === "signedBy" && keyData.keys.kind === "data");
    assert.equal(keyData.keys.data.toString("utf8"), "nonsense");

    const baseLayer = docker.get("bogus/signed-identity-example")!.requirements[0]!;
    assert.ok(baseLayer.type === "signedBaseLayer");
    assert.deepEqual({ ...baseLayer.baseLayerIdentity, location: undefined }, { type: "exactReference", dockerReference: "registry.access.redhat.com/rhel7/rhel:latest", location: undefined });

    const sigstoreData = docker.get("example.com/sigstore/key-data-example")!.requirements[0]!;
    assert.ok(sigstoreData.type === "sigstoreSigned" && sigstoreData.keys?.kind === "data");
    assert.equal(sigstoreData.keys.data.toString(), "nonsense");
    const sigstorePath = docker.get("example.com/sigstore/key-path-example")!.requirements[0]!;
    assert.ok(sigstorePath.type === "sigstoreSigned" && sigstorePath.keys?.kind === "path");
    assert.equal(sigstorePath.signedIdentity.type, "matchRepository");

    // Positions point at what the file says.
    const lines = text.split("\n");
    const location = docker.get("example.com/production")!.location;
    assert.equal(lines[location.line - 1]!.slice(location.column - 1, location.column + 23), '"example.com/production"');
    assert.equal(location.path, 'transports.docker["example.com/production"]');
  });

  test("skopeo's integration policy parses (docker, dir and atomic scopes, remapIdentity, exactRepository)", () => {
    const policy = parsePolicy(readFileSync(SKOPEO_POLICY), { source: SKOPEO_POLICY });
    assert.deepEqual([...policy.transports.keys()], ["docker", "dir", "atomic"]);
    assert.equal(policy.transports.get("atomic")!.scopes.size, 6);
    assert.ok(policy.transports.get("dir")!.scopes.has("/@dirpath@"));
    const remap = policy.transports.get("docker")!.scopes.get("localhost:5006/myns/mirroring-remap")!.requirements[0]!;
    assert.ok(remap.type === "signedBy" && remap.signedIdentity.type === "remapIdentity");
  });

  test("image-rs's policies parse (keyData \"nonsense\" is only a problem when the key is used)", () => {
    const policy = parsePolicy(readFileSync(join(IMAGE_RS, "signature", "policy.json")));
    const hardened = policy.transports.get("docker")!.scopes.get("example.com/hardened")!.requirements[1];
    assert.ok(hardened?.type === "signedBy" && hardened.keys.kind === "data");
    assert.equal(hardened.keys.data.toString(), "nonsense");
    const remap = policy.transports.get("docker")!.scopes.get("*.com")!.requirements[1]!;
    assert.ok(remap.type === "signedBy" && remap.signedIdentity.type === "remapIdentity" && remap.signedIdentity.prefix === "example");

    const security = parsePolicy(readFileSync(join(IMAGE_RS, "simple-signing-scheme", "security_policy.json")));
    assert.deepEqual(security.defaultRequirements.requirements.map((r) => r.type), ["insecureAcceptAnything"]);
    assert.deepEqual(
      [...security.transports.get("docker")!.scopes.values()].map((l) => l.requirements[0]!.type),
      ["signedBy", "sigstoreSigned", "sigstoreSigned"],
    );
  });

  test("every containers-policy.json(5) field parses: sigstoreSigned with keyDatas, fulcio, pki, Rekor keys", () => {
    const base64 = Buffer.from("key").toString("base64");
    const text = JSON.stringify({
      default: [{ type: "reject" }],
      transports: {
        docker: {
          "a.example/k": [{ type: "sigstoreSigned", keyDatas: [base64, base64], rekorPublicKeyDatas: [base64] }],
          "a.example/f": [{ type: "sigstoreSigned", fulcio: { caData: base64, oidcIssuer: "https://issuer", subjectEmail: "a@b" }, rekorPublicKeyPath: "/rekor.pub" }],
          "a.example/p": [{ type: "sigstoreSigned", pki: { caRootsPath: "/roots.pem", caIntermediatesData: base64, subjectHostname: "h.example" } }],
          "a.example/ps": [{ type: "sigstoreSigned", keyPaths: ["/a", "/b"], rekorPublicKeyPaths: ["/r"], signedIdentity: { type: "exactRepository", dockerRepository: "x.example/y" } }],
        },
        "docker-daemon": { "": [{ type: "insecureAcceptAnything" }], "docker.io/library/busybox": [{ type: "reject" }] },
        "containers-storage": { "[overlay@/var/lib/containers/storage]docker.io/library/busybox:latest": [{ type: "reject" }] },
        oci: { "/srv/layouts": [{ type: "reject" }] },
        "oci-archive": { "/srv/archives/a.tar": [{ type: "reject" }] },
        sif: { "/srv/sif": [{ type: "reject" }] },
        "docker-archive": { "": [{ type: "reject" }] },
        tarball: { "": [{ type: "reject" }] },
        atomic: { "*.example.com": [{ type: "reject" }] },
      },
    });
    const policy = parsePolicy(text);
    const fulcio = policy.transports.get("docker")!.scopes.get("a.example/f")!.requirements[0]!;
    assert.ok(fulcio.type === "sigstoreSigned" && fulcio.fulcio !== undefined && fulcio.rekorPublicKeys?.kind === "path");
    assert.equal(fulcio.fulcio.subjectEmail, "a@b");
    const pki = policy.transports.get("docker")!.scopes.get("a.example/p")!.requirements[0]!;
    assert.ok(pki.type === "sigstoreSigned" && pki.pki !== undefined);
    assert.equal(pki.pki.subjectHostname, "h.example");
    assert.equal(pki.pki.caIntermediates?.kind, "data");
  });
});

/** Each bad policy gives exactly one error line naming the place: file:line:column, JSON path, problem. */
const BAD_POLICIES: Array<{ name: string; text: string; line: number; column: number; path: string; message: RegExp }> = [
  { name: "truncated JSON", text: '{\n  "default": [{"type": "reject"}]', line: 2, column: 34, path: "", message: /not valid JSON: expected "," or "}"/ },
  { name: "unknown requirement type", text: '{"default": [\n  {"type": "rejectAll"}]}', line: 2, column: 12, path: "default[0].type", message: /unknown requirement type "rejectAll"/ },
  { name: "duplicate key", text: '{"default": [{"type": "reject"}],\n "default": [{"type": "insecureAcceptAnything"}]}', line: 2, column: 2, path: "", message: /duplicate key "default"/ },
  {
    name: "unknown transport",
    text: '{"default": [{"type": "reject"}],\n "transports": {\n   "dockr": {"": [{"type": "reject"}]}}}',
    line: 3,
    column: 4,
    path: "transports.dockr",
    message: /unknown transport "dockr"; known transports: docker, atomic/,
  },
  {
    name: "unknown field with a suggestion",
    text: '{"default": [{"type": "signedBy", "keyType": "GPGKeys",\n "keyPth": "/k"}]}',
    line: 2,
    column: 2,
    path: "default[0].keyPth",
    message: /unknown field "keyPth" in a signedBy requirement \(did you mean "keyPath"\?\)/,
  },
  { name: "empty requirement list", text: '{"default": []}', line: 1, column: 13, path: "default", message: /must not be empty/ },
  { name: "wrong type", text: '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": 5}]}', line: 1, column: 68, path: "default[0].keyPath", message: /expected a string, found a number/ },
  { name: "no default", text: '{"transports": {}}', line: 1, column: 1, path: "", message: /needs a "default"/ },
  { name: "not an object", text: "[]", line: 1, column: 1, path: "", message: /the policy must be a JSON object, not an array/ },
  {
    name: "malformed wildcard",
    text: '{"default": [{"type": "reject"}], "transports": {"docker": {"example*.*.com": [{"type": "reject"}]}}}',
    line: 1,
    column: 61,
    path: 'transports.docker["example*.*.com"]',
    message: /"\*" is allowed only as the whole first label/,
  },
  {
    name: "wildcard with a port",
    text: '{"default": [{"type": "reject"}], "transports": {"docker": {"*.example.com:5000": [{"type": "reject"}]}}}',
    line: 1,
    column: 61,
    path: 'transports.docker["*.example.com:5000"]',
    message: /wildcard scope "\*.example.com:5000" is malformed/,
  },
  {
    name: "invalid docker scope",
    text: '{"default": [{"type": "reject"}], "transports": {"docker": {"example.com/Upper": [{"type": "reject"}]}}}',
    line: 1,
    column: 61,
    path: 'transports.docker["example.com/Upper"]',
    message: /must be lower-case/,
  },
  {
    name: "relative dir scope",
    text: '{"default": [{"type": "reject"}], "transports": {"dir": {"relative/path": [{"type": "reject"}]}}}',
    line: 1,
    column: 58,
    path: 'transports.dir["relative/path"]',
    message: /must be an absolute path/,
  },
  {
    name: "non-canonical oci scope",
    text: '{"default": [{"type": "reject"}], "transports": {"oci": {"/srv/layouts/": [{"type": "reject"}]}}}',
    line: 1,
    column: 58,
    path: 'transports.oci["/srv/layouts/"]',
    message: /not in canonical form; write "\/srv\/layouts"/,
  },
  {
    name: "scope on a default-only transport",
    text: '{"default": [{"type": "reject"}], "transports": {"docker-archive": {"/x.tar": [{"type": "reject"}]}}}',
    line: 1,
    column: 69,
    path: 'transports.docker-archive["/x.tar"]',
    message: /supports only the default scope ""/,
  },
  {
    name: "two key sources",
    text: '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "keyData": "AAAA"}]}',
    line: 1,
    column: 14,
    path: "default[0]",
    message: /exactly one of keyPath, keyPaths, keyData; it sets keyPath and keyData/,
  },
  { name: "unknown keyType", text: '{"default": [{"type": "signedBy", "keyType": "PGP", "keyPath": "/k"}]}', line: 1, column: 46, path: "default[0].keyType", message: /unknown keyType "PGP"/ },
  { name: "keyData not base64", text: '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "not base64!"}]}', line: 1, column: 68, path: "default[0].keyData", message: /not valid base64/ },
  {
    name: "exactReference without a tag",
    text: '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "signedIdentity": {"type": "exactReference", "dockerReference": "busybox"}}]}',
    line: 1,
    column: 138,
    path: "default[0].signedIdentity.dockerReference",
    message: /neither a tag nor a digest/,
  },
  {
    name: "identity rule missing its field",
    text: '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "signedIdentity": {"type": "exactRepository"}}]}',
    line: 1,
    column: 92,
    path: "default[0].signedIdentity",
    message: /needs the field "dockerRepository"/,
  },
  {
    name: "invalid remap prefix",
    text: '{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "signedIdentity": {"type": "remapIdentity", "prefix": "example.com/", "signedPrefix": "x.example"}}]}',
    line: 1,
    column: 128,
    path: "default[0].signedIdentity.prefix",
    message: /"example.com\/" is not a valid prefix/,
  },
  {
    name: "fulcio without Rekor",
    text: '{"default": [{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "oidcIssuer": "https://i", "subjectEmail": "a@b"}}]}',
    line: 1,
    column: 14,
    path: "default[0]",
    message: /fulcio requirement needs a Rekor public key/,
  },
  {
    name: "sigstoreSigned with empty keyPaths",
    text: '{"default": [{"type": "sigstoreSigned", "keyPaths": []}]}',
    line: 1,
    column: 53,
    path: "default[0].keyPaths",
    message: /must list at least one entry/,
  },
  {
    name: "notationSigned without a trust policy",
    text: '{"default": [{"type": "notationSigned", "trustStorePath": "/ts"}]}',
    line: 1,
    column: 14,
    path: "default[0]",
    message: /notationSigned needs exactly one of trustPolicyPath, trustPolicyData; none is set/,
  },
  {
    name: "notationSigned without trust stores",
    text: '{"default": [{"type": "notationSigned", "trustPolicyPath": "/tp.json"}]}',
    line: 1,
    column: 14,
    path: "default[0]",
    message: /needs trustStorePath or trustStoreCertificates/,
  },
  {
    name: "notationSigned with a store name that is not TYPE:NAME",
    text: '{"default": [{"type": "notationSigned", "trustPolicyPath": "/tp.json",\n "trustStoreCertificates": {"acme": ["/ca.pem"]}}]}',
    line: 2,
    column: 29,
    path: "default[0].trustStoreCertificates.acme",
    message: /trust store names are TYPE:NAME/,
  },
  { name: "trailing data", text: '{"default": [{"type": "reject"}]}\n{}', line: 2, column: 1, path: "", message: /after the end of the JSON value/ },
];

describe("parsePolicy refuses bad policies with one line naming the place", () => {
  for (const bad of BAD_POLICIES) {
    test(bad.name, async () => {
      const error = await assertRejectsWithCode(() => parsePolicy(bad.text, { source: "bad.json" }), "POLICY_CONFIG_INVALID");
      assert.ok(!error.message.includes("\n"), "one line");
      const where = `bad.json:${bad.line}:${bad.column}: ${bad.path === "" ? "" : `${bad.path}: `}`;
      assert.ok(error.message.startsWith(`invalid policy ${where}`), `${error.message}\n  does not start with: invalid policy ${where}`);
      assert.match(error.message, bad.message);
      assert.deepEqual([error.details["line"], error.details["column"], error.details["path"]], [bad.line, bad.column, bad.path]);
    });
  }

  test("the collecting parser goes on after an error and reports every problem", () => {
    const text = JSON.stringify({
      default: [{ type: "reject" }],
      transports: { docker: { "a.example": [{ type: "nope" }], "b.example": [{ type: "signedBy" }], "c.example": [{ type: "reject" }] }, bogus: {} },
    });
    const result = parsePolicyCollectingIssues(text);
    assert.deepEqual(result.issues.map((i) => i.path), ['transports.docker["a.example"][0].type', 'transports.docker["b.example"][0]', "transports.bogus"]);
    // The good scope survives; the bad ones are dropped, never half-kept.
    assert.deepEqual([...result.policy!.transports.get("docker")!.scopes.keys()], ["c.example"]);
  });

  test("a bad requirement drops its whole list rather than weakening it", () => {
    const text = JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { "a.example": [{ type: "insecureAcceptAnything" }, { type: "signedBy" }] } } });
    const result = parsePolicyCollectingIssues(text);
    assert.equal(result.policy!.transports.get("docker")!.scopes.has("a.example"), false);
  });

  test("non-UTF-8 bytes are refused", async () => {
    await assertRejectsWithCode(() => parsePolicy(Buffer.from([0x7b, 0xff, 0x7d])), "POLICY_CONFIG_INVALID");
  });
});

describe("upstream parsing rules", () => {
  test("notationSigned parses its trust policy, stores, user metadata and scope", () => {
    const [requirement] = requirementsOf(
      JSON.stringify({
        default: [{ type: "reject" }],
        transports: { docker: { "r.example/app": [{ type: "notationSigned", trustPolicyPath: "/tp.json", trustStorePath: "/ts", trustStoreCertificates: { "ca:acme": ["/a.pem", "k8s://ns/s/ca.crt"] }, userMetadata: { env: "prod" } }] } },
      }),
      "docker",
      "r.example/app",
    );
    assert.equal(requirement?.type, "notationSigned");
    if (requirement?.type !== "notationSigned") return;
    assert.deepEqual(requirement.trustPolicy.kind === "path" ? requirement.trustPolicy.path : undefined, "/tp.json");
    assert.equal(requirement.trustStorePath, "/ts");
    assert.deepEqual(requirement.trustStoreCertificates.map((s) => [s.store, s.certificates.kind === "paths" ? s.certificates.paths : []]), [["ca:acme", ["/a.pem", "k8s://ns/s/ca.crt"]]]);
    assert.deepEqual(requirement.userMetadata, { env: "prod" });
    assert.equal(requirement.scope, undefined);
  });

  test("signedBy without signedIdentity gets matchRepoDigestOrExact", () => {
    const [req] = requirementsOf(JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { "a.example": [{ type: "signedBy", keyType: "GPGKeys", keyPath: "/k" }] } } }), "docker", "a.example");
    assert.ok(req?.type === "signedBy");
    assert.equal(req.signedIdentity.type, "matchRepoDigestOrExact");
  });

  test('an empty keyPath counts as unset, as upstream ("exactly one … none is set")', async () => {
    const error = await assertRejectsWithCode(() => parsePolicy('{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": ""}]}'), "POLICY_CONFIG_INVALID");
    assert.match(error.message, /none is set/);
  });

  test("remapIdentity prefixes: host[:port] or host/namespace, as validateIdentityRemappingPrefix", () => {
    const policyWith = (prefix: string): string =>
      JSON.stringify({ default: [{ type: "signedBy", keyType: "GPGKeys", keyPath: "/k", signedIdentity: { type: "remapIdentity", prefix, signedPrefix: "docker.io/library" } }] });
    // Upstream does not refuse "busybox/x" (its FIXME): "busybox" passes as a domain.
    for (const ok of ["example.com", "example.com:5000", "localhost", "[::1]:5000", "example.com/ns/repo", "docker.io/library", "UPPERCASE", "example", "busybox/x"]) {
      assert.doesNotThrow(() => parsePolicy(policyWith(ok)), ok);
    }
    for (const bad of ["", "example.com/", "example.com/UPPER", "example.com:port", "example.com/ns:tag", "https://example.com"]) {
      assert.throws(() => parsePolicy(policyWith(bad)), /is not a valid prefix/, bad);
    }
  });
});
