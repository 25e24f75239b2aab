import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { apiHostFor, checkUrlScheme, isLoopbackHost, parseRegistryHost, planScheme } from "../../../../src/oci/registry/endpoint.js";
import { buildConnectOptions } from "../../../../src/oci/registry/transport.js";
import { rootCertificates } from "node:tls";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

describe("registry endpoints", () => {
  test("parses host[:port] and IPv6 literals", () => {
    assert.equal(parseRegistryHost("ghcr.io"), "ghcr.io");
    assert.equal(parseRegistryHost("127.0.0.1:5000"), "127.0.0.1:5000");
    assert.equal(parseRegistryHost("[::1]:5000"), "[::1]:5000");
    assert.equal(parseRegistryHost("Registry.Example.com:443"), "registry.example.com:443");
    assert.equal(parseRegistryHost("registry.example.com:80"), "registry.example.com:80");
  });

  test("rejects anything that would smuggle user info, paths or queries into a URL", async () => {
    for (const bad of ["", "user@host", "host/path", "host?x", "host#x", "host:99999x", "host:0", "ho st", "http://host", "[zz]:1", "-host"]) {
      await assertRejectsWithCode(() => parseRegistryHost(bad), "REF_INVALID");
    }
  });

  test("Docker Hub's API host", () => {
    assert.equal(apiHostFor("docker.io"), "registry-1.docker.io");
    assert.equal(apiHostFor("index.docker.io"), "registry-1.docker.io");
    assert.equal(apiHostFor("ghcr.io"), "ghcr.io");
  });

  test("loopback hosts", () => {
    for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1", "[::ffff:127.0.0.1]"]) assert.ok(isLoopbackHost(host), host);
    for (const host of ["localhost.evil.com", "128.0.0.1", "10.0.0.1", "[::2]", "example.com", "0.0.0.0"]) assert.ok(!isLoopbackHost(host), host);
  });

  test("loopback uses plain HTTP, everything else HTTPS", () => {
    assert.deepEqual(planScheme("127.0.0.1:5000", {}), { kind: "fixed", origin: "http://127.0.0.1:5000" });
    assert.deepEqual(planScheme("localhost:5000", {}), { kind: "fixed", origin: "http://localhost:5000" });
    assert.deepEqual(planScheme("[::1]:5000", {}), { kind: "fixed", origin: "http://[::1]:5000" });
    assert.deepEqual(planScheme("docker.io", {}), { kind: "fixed", origin: "https://registry-1.docker.io" });
  });

  test("HTTP off loopback only when allowed; forcing it otherwise is refused", async () => {
    await assertRejectsWithCode(() => planScheme("registry.example.com", { plainHttp: true }), "REGISTRY_INSECURE_REFUSED");
    assert.deepEqual(planScheme("registry.example.com", { plainHttp: true, allowHttpRegistry: true }), { kind: "fixed", origin: "http://registry.example.com" });
    assert.deepEqual(planScheme("registry.example.com", { allowInsecureRegistry: true }), {
      kind: "https-then-http",
      httpsOrigin: "https://registry.example.com",
      httpOrigin: "http://registry.example.com",
    });
  });

  test("URLs the registry sends: HTTPS, or HTTP on loopback or when allowed", async () => {
    checkUrlScheme(new URL("https://storage.example.com/x"), {});
    checkUrlScheme(new URL("http://127.0.0.1:9/x"), {});
    checkUrlScheme(new URL("http://storage.example.com/x"), { allowHttpRegistry: true });
    await assertRejectsWithCode(() => checkUrlScheme(new URL("http://storage.example.com/x"), {}), "REGISTRY_INSECURE_REFUSED");
    await assertRejectsWithCode(() => checkUrlScheme(new URL("file:///etc/passwd"), { allowInsecureRegistry: true }), "REGISTRY_PROTOCOL");
  });

  test("TLS options: extra CAs are added to Node's, insecure turns verification off", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const withCa = buildConnectOptions({ caCertificates: [pem] });
    assert.equal(withCa.rejectUnauthorized, true);
    assert.equal(withCa.ca?.length, rootCertificates.length + 1);
    assert.equal(withCa.ca?.at(-1), pem);
    assert.deepEqual(buildConnectOptions({}), { rejectUnauthorized: true });
    assert.equal(buildConnectOptions({ allowInsecureRegistry: true }).rejectUnauthorized, false);
  });
});
