import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createServingCertificates } from "../../../../src/webhook/server/certificates/serving-certificates.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const SERVICE = { service: "signet-webhook", namespace: "signet-system" };

describe("webhook serving certificates", () => {
  test("a CA and a server certificate for NAME.NS.svc that chain, with the right extensions", () => {
    const made = createServingCertificates({ ...SERVICE, days: 30 });
    const ca = new X509Certificate(made.caCertPem);
    const leaf = new X509Certificate(made.certPem);
    assert.equal(ca.ca, true);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.verify(ca.publicKey), "signed by the CA");
    assert.ok(ca.verify(ca.publicKey), "the CA is self-signed");
    assert.equal(leaf.checkIssued(ca), true);
    assert.equal(leaf.checkHost("signet-webhook.signet-system.svc"), "signet-webhook.signet-system.svc");
    assert.equal(leaf.checkHost("signet-webhook.signet-system.svc.cluster.local"), "signet-webhook.signet-system.svc.cluster.local");
    assert.equal(leaf.checkHost("evil.signet-system.svc"), undefined);
    assert.deepEqual(leaf.keyUsage, ["1.3.6.1.5.5.7.3.1"], "serverAuth only");
    const days = (new Date(leaf.validTo).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30.01, `${days} days`);
    assert.equal(Buffer.from(made.caBundle, "base64").toString(), made.caCertPem);
    assert.match(made.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  });

  test("OpenSSL accepts the chain for TLS server use and the service name", () => {
    const dir = mkdtempSync(join(tmpdir(), "signet-certs-"));
    const made = createServingCertificates(SERVICE);
    writeFileSync(join(dir, "ca.crt"), made.caCertPem);
    writeFileSync(join(dir, "tls.crt"), made.certPem);
    const out = execFileSync("openssl", ["verify", "-CAfile", join(dir, "ca.crt"), "-purpose", "sslserver", "-verify_hostname", "signet-webhook.signet-system.svc", join(dir, "tls.crt")], { encoding: "utf8" });
    assert.match(out, /tls\.crt: OK/);
    assert.throws(() =>
      execFileSync("openssl", ["verify", "-CAfile", join(dir, "ca.crt"), "-verify_hostname", "other.signet-system.svc", join(dir, "tls.crt")], { stdio: "pipe" }),
    );
  });

  test("a TLS client that trusts only the caBundle connects to a server using the pair", async () => {
    const made = createServingCertificates(SERVICE);
    const server = createServer({ cert: made.certPem, key: made.keyPem }, (_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, servername: "signet-webhook.signet-system.svc", ca: Buffer.from(made.caBundle, "base64"), path: "/" }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal(body, "ok");
    } finally {
      server.close();
    }
  });

  test("renewal from the same CA keeps the caBundle", () => {
    const first = createServingCertificates(SERVICE);
    const renewed = createServingCertificates({ ...SERVICE, ca: { certPem: first.caCertPem, keyPem: first.caKeyPem! } });
    assert.equal(renewed.caBundle, first.caBundle);
    assert.equal(renewed.caKeyPem, undefined);
    assert.notEqual(renewed.certPem, first.certPem);
    assert.ok(new X509Certificate(renewed.certPem).verify(new X509Certificate(first.caCertPem).publicKey));
  });

  test("refuses bad names, bad validity and a CA key that is not the CA's", async () => {
    await assertRejectsWithCode(() => createServingCertificates({ service: "Bad_Name", namespace: "ns" }), "USAGE");
    await assertRejectsWithCode(() => createServingCertificates({ service: "svc", namespace: "a.b" }), "USAGE");
    await assertRejectsWithCode(() => createServingCertificates({ ...SERVICE, days: 0 }), "USAGE");
    const one = createServingCertificates(SERVICE);
    const other = createServingCertificates(SERVICE);
    await assertRejectsWithCode(() => createServingCertificates({ ...SERVICE, ca: { certPem: one.caCertPem, keyPem: other.caKeyPem! } }), "WEBHOOK_TLS_INVALID");
    await assertRejectsWithCode(() => createServingCertificates({ ...SERVICE, ca: { certPem: one.certPem, keyPem: one.keyPem } }), "WEBHOOK_TLS_INVALID");
    await assertRejectsWithCode(() => createServingCertificates({ ...SERVICE, ca: { certPem: "junk", keyPem: one.caKeyPem! } }), "WEBHOOK_TLS_INVALID");
  });
});
