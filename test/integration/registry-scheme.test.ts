import assert from "node:assert/strict";
import { createServer as createTlsServer } from "node:https";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRegistryHttp } from "../../src/oci/registry/registry-http.js";
import { createAgents, createBaseRoundTrip, dumpBody, type RoundTrip } from "../../src/oci/registry/transport.js";
import type { SchemePolicy } from "../../src/oci/registry/endpoint.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { startHostileRegistry, type HostileRegistry } from "../helpers/hostile-registry.js";
import { requirePeer } from "../helpers/peers.js";

/** The Docker-style fallback (HTTPS first, then HTTP) is only planned off loopback; the plan is injected here. */
describe("HTTPS-then-HTTP fallback for registries allowed to use HTTP", () => {
  let plain: HostileRegistry;
  let dir: string;
  let tlsServer: ReturnType<typeof createTlsServer>;
  let tlsHost: string;
  let certificate: string;

  before(async () => {
    plain = await startHostileRegistry((_request, response) => void response.writeHead(200).end("{}"));
    dir = mkdtempSync(join(tmpdir(), "signet-tls-"));
    execFileSync(requirePeer("openssl"), ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    certificate = readFileSync(join(dir, "cert.pem"), "utf8");
    tlsServer = createTlsServer({ key: readFileSync(join(dir, "key.pem")), cert: certificate }, (_request, response) => void response.writeHead(200).end("{}"));
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    tlsHost = `127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });
  after(async () => {
    await plain?.stop();
    tlsServer?.closeAllConnections();
    await new Promise((resolve) => (tlsServer ? tlsServer.close(resolve) : resolve(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function httpFor(options: { caCertificates?: string[]; allowInsecureRegistry?: boolean }) {
    const agent = createAgents({ timeoutMs: 2000, ...options });
    const base = createBaseRoundTrip(agent, { userAgent: "test", counter: { requests: 0 } });
    const unused: RoundTrip = () => Promise.reject(new Error("not used"));
    const policy: SchemePolicy = { allowHttpRegistry: true, ...options };
    const http = createRegistryHttp({
      policy,
      timeoutMs: 2000,
      authenticated: unused,
      base,
      planScheme: (registry) => ({ kind: "https-then-http", httpsOrigin: `https://${registry}`, httpOrigin: `http://${registry}` }),
    });
    return { http, agent };
  }

  test("a registry without TLS is reached over HTTP", async () => {
    const { http, agent } = httpFor({});
    try {
      assert.equal(await http.originFor(plain.host), plain.origin);
    } finally {
      agent.close();
    }
  });

  test("a registry with TLS stays on HTTPS when its certificate is trusted (--registry-cacert)", async () => {
    const { http, agent } = httpFor({ caCertificates: [certificate] });
    try {
      assert.equal(await http.originFor(tlsHost), `https://${tlsHost}`);
    } finally {
      agent.close();
    }
  });

  test("a trusted CA lets the client fetch over HTTPS; without it the certificate is refused", async () => {
    for (const [options, expectOk] of [[{ caCertificates: [certificate] }, true], [{ allowInsecureRegistry: true }, true], [{}, false]] as const) {
      const agent = createAgents({ timeoutMs: 2000, ...options });
      const base = createBaseRoundTrip(agent, { userAgent: "test", counter: { requests: 0 } });
      const context = { signal: new AbortController().signal, deadline: Date.now() + 2000 };
      try {
        if (expectOk) {
          const response = await base({ method: "GET", url: new URL(`https://${tlsHost}/v2/`) }, context);
          assert.equal(response.status, 200);
          await dumpBody(response.body, 1 << 20);
        } else {
          const error = await assertRejectsWithCode(() => base({ method: "GET", url: new URL(`https://${tlsHost}/v2/`) }, context), "REGISTRY_UNREACHABLE");
          assert.match(error.hint, /registry-cacert/);
        }
      } finally {
        agent.close();
      }
    }
  });
});
