import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { isKmsReference, openKmsKey, parseKmsReference } from "../../../../src/keys/kms/index.js";
import { p1363ToDer } from "../../../../src/keys/kms/provider.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

describe("KMS key references", () => {
  test("tells KMS URIs from everything else", () => {
    for (const reference of ["awskms:///alias/x", "gcpkms://projects/p", "azurekms://v.vault.azure.net/k", "hashivault://k", "awskms://garbage"]) assert.ok(isKmsReference(reference), reference);
    for (const reference of ["cosign.pub", "./awskms/key.pub", "k8s://ns/s", "env://KEY", "pkcs11:token=t", "AWSKMS:///alias/x", "awskms:/alias/x"]) assert.ok(!isKmsReference(reference), reference);
  });

  test("parses the forms cosign's providers accept", () => {
    assert.deepEqual(parseKmsReference("awskms:///1234abcd-12ab-34cd-56ef-1234567890ab"), { scheme: "awskms", endpoint: "", keyId: "1234abcd-12ab-34cd-56ef-1234567890ab" });
    assert.deepEqual(parseKmsReference("awskms://localhost:4566/alias/signer"), { scheme: "awskms", endpoint: "localhost:4566", keyId: "alias/signer" });
    assert.deepEqual(parseKmsReference("awskms:///arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), {
      scheme: "awskms",
      endpoint: "",
      keyId: "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      region: "us-east-2",
    });
    assert.equal(parseKmsReference("awskms:///arn:aws-cn:kms:cn-north-1:111122223333:alias/sm2").scheme, "awskms");
    assert.deepEqual(parseKmsReference("gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k"), { scheme: "gcpkms", cryptoKey: "projects/p/locations/global/keyRings/r/cryptoKeys/k" });
    assert.deepEqual(parseKmsReference("gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3"), {
      scheme: "gcpkms",
      cryptoKey: "projects/p/locations/global/keyRings/r/cryptoKeys/k",
      version: "3",
    });
    assert.equal(parseKmsReference("gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/versions/3").scheme, "gcpkms");
    assert.deepEqual(parseKmsReference("azurekms://signet.vault.azure.net/signer"), { scheme: "azurekms", vaultHost: "signet.vault.azure.net", keyName: "signer" });
    assert.deepEqual(parseKmsReference("azurekms://signet.vault.azure.net/signer/0123abcd"), { scheme: "azurekms", vaultHost: "signet.vault.azure.net", keyName: "signer", version: "0123abcd" });
    assert.deepEqual(parseKmsReference("hashivault://cosign-key.v2"), { scheme: "hashivault", keyName: "cosign-key.v2" });
  });

  test("a malformed reference is KMS_REFERENCE_INVALID naming the form expected", async () => {
    const cases: Array<[string, RegExp]> = [
      ["awskms:///not-a-key", /awskms:\/\/\[ENDPOINT\]\/KEY_ID/],
      ["awskms://user:pass@host/alias/x", /not host\[:port\]/],
      ["awskms:///arn:aws:kms:us-east-1:12:key/x", /awskms/],
      ["gcpkms://projects/p/locations/l/keyRings/r", /cryptoKeys\/KEY/],
      ["azurekms://vault.vault.azure.net/", /azurekms:\/\/VAULT/],
      ["azurekms://vault/a/b/c", /azurekms:\/\/VAULT/],
      ["hashivault://transit/key", /hashivault:\/\/KEY/],
      ["hashivault://-key", /hashivault:\/\/KEY/],
      [`hashivault://${"k".repeat(3000)}`, /longer than/],
    ];
    for (const [reference, message] of cases) {
      const error = await assertRejectsWithCode(() => openKmsKey(reference, { env: {} }), "KMS_REFERENCE_INVALID");
      assert.match(error.message, message, reference);
      assert.ok(error.message.length < 600, "one bounded line");
    }
  });

  test("Key Vault's r || s becomes the DER node:crypto writes", () => {
    const r = Buffer.alloc(32, 0);
    r[31] = 1;
    const s = Buffer.alloc(32, 0xff);
    assert.equal(p1363ToDer(Buffer.concat([r, s])).toString("hex"), `3026020101022100${"ff".repeat(32)}`);
  });

  test("telling and parsing references loads no cloud SDK (a key file's start-up does not pay for them)", () => {
    const index = new URL("../../../../src/keys/kms/index.js", import.meta.url).href;
    const hooks = `data:text/javascript,${encodeURIComponent(
      "export async function resolve(specifier, context, next) { if (/^@(aws-sdk|google-cloud|azure)\\//.test(specifier)) throw new Error('loaded ' + specifier); return next(specifier, context); }",
    )}`;
    const script = `
      import { register } from "node:module";
      register(${JSON.stringify(hooks)});
      const kms = await import(${JSON.stringify(index)});
      for (const r of ["awskms:///alias/a", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "azurekms://v.vault.azure.net/k", "hashivault://k"]) kms.parseKmsReference(r);
      await kms.openKmsKey("awskms:///bad").catch((e) => { if (e.code !== "KMS_REFERENCE_INVALID") throw e; });
      let refused = false;
      await kms.openKmsKey("awskms:///alias/a", { env: { AWS_REGION: "eu-west-1" }, timeoutMs: 1 }).catch((e) => { refused = /loaded @aws-sdk/.test(e.message); });
      if (!refused) throw new Error("the hook did not see the SDK load: this test would prove nothing");
    `;
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: fileURLToPath(new URL("../../../../..", import.meta.url)), stdio: "pipe" });
  });
});
