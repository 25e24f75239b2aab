import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { SignetError } from "../../../../src/errors/index.js";
import { createServingCertificates } from "../../../../src/webhook/server/certificates/serving-certificates.js";
import { loadServingTls, type ServingTls } from "../../../../src/webhook/server/serving-tls.js";
import { createTlsReloader } from "../../../../src/webhook/server/tls-reloader.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

function pairFiles() {
  const dir = mkdtempSync(join(tmpdir(), "signet-tls-"));
  const files = { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") };
  const write = (made = createServingCertificates({ service: "wh", namespace: "ns" })) => {
    writeFileSync(files.certFile, made.certPem);
    writeFileSync(files.keyFile, made.keyPem);
    return made;
  };
  return { dir, files, write };
}

describe("serving certificate files", () => {
  test("a matching pair loads, with its fingerprint and expiry", async () => {
    const { files, write } = pairFiles();
    write();
    const tls = await loadServingTls(files);
    assert.match(tls.fingerprint, /^[a-f0-9]{64}$/);
    assert.match(tls.subject, /CN=wh\.ns\.svc/);
    assert.ok(tls.notAfter.getTime() > Date.now());
  });

  test("mismatched, malformed or missing files are refused with a code, and the key never appears in the message", async () => {
    const { files, write } = pairFiles();
    const first = write();
    const second = createServingCertificates({ service: "wh", namespace: "ns" });
    writeFileSync(files.keyFile, second.keyPem);
    const mismatch = await assertRejectsWithCode(() => loadServingTls(files), "WEBHOOK_TLS_INVALID");
    assert.match(mismatch.message, /not the private key/);
    writeFileSync(files.keyFile, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    const badKey = await assertRejectsWithCode(() => loadServingTls(files), "WEBHOOK_TLS_INVALID");
    assert.doesNotMatch(badKey.message, /AAAA/);
    writeFileSync(files.keyFile, first.keyPem);
    writeFileSync(files.certFile, "not a certificate");
    await assertRejectsWithCode(() => loadServingTls(files), "WEBHOOK_TLS_INVALID");
    await assertRejectsWithCode(() => loadServingTls({ ...files, certFile: join(files.certFile, "..", "absent.crt") }), "FILE_NOT_FOUND");
  });
});

describe("createTlsReloader", () => {
  test("a new valid pair is installed; a broken one is reported once and the old pair stays", async () => {
    const { files, write } = pairFiles();
    write();
    const initial = await loadServingTls(files);
    const reloaded: ServingTls[] = [];
    const invalid: SignetError[] = [];
    const reloader = createTlsReloader({ files, initial, pollIntervalMs: 60_000, onReload: (tls) => reloaded.push(tls), onInvalid: (error) => invalid.push(error) });
    try {
      await reloader.check();
      assert.equal(reloaded.length, 0, "unchanged files reload nothing");

      // A certificate written before its key: the pair does not match yet.
      const next = createServingCertificates({ service: "wh", namespace: "ns" });
      writeFileSync(files.certFile, next.certPem);
      await reloader.check();
      await reloader.check();
      assert.equal(invalid.length, 1, "reported once while it stays broken");
      assert.equal(invalid[0]!.code, "WEBHOOK_TLS_INVALID");
      assert.equal(reloader.current.fingerprint, initial.fingerprint, "the old pair keeps serving");

      writeFileSync(files.keyFile, next.keyPem);
      await reloader.check();
      assert.equal(reloaded.length, 1);
      assert.notEqual(reloader.current.fingerprint, initial.fingerprint);
      assert.equal(reloader.current.cert.toString(), next.certPem);
    } finally {
      reloader.close();
    }
  });

  test("a change is seen without calling check: file events, or the poll", async () => {
    const { files, write } = pairFiles();
    write();
    const initial = await loadServingTls(files);
    const reloaded: ServingTls[] = [];
    const reloader = createTlsReloader({ files, initial, pollIntervalMs: 100, onReload: (tls) => reloaded.push(tls), onInvalid: () => undefined });
    try {
      await sleep(50);
      write();
      for (let i = 0; i < 100 && reloaded.length === 0; i++) await sleep(20);
      assert.equal(reloaded.length, 1);
    } finally {
      reloader.close();
    }
  });
});
