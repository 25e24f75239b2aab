// Every signing algorithm signet supports, both ways with OpenSSL 3 (an independent implementation):
// signet sign-blob -> openssl verifies, and openssl signs -> signet verify-blob. SM2 uses SM3 and the standard
// distinguishing ID 1234567812345678 (what swr-cosign's KMS keys and `openssl pkeyutl -pkeyopt distid:` use).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { jsonErrorCodes, runSignet } from "../helpers/cli.js";

interface Algorithm {
  /** openssl genpkey arguments. */
  readonly generate: string[];
  /** openssl arguments that sign FILE into SIG (raw bytes) with KEY, and verify SIG over FILE with PUB. */
  readonly sign: (key: string, file: string, signature: string) => string[];
  readonly verify: (pub: string, file: string, signature: string) => string[];
}

const dgst = (extra: string[] = []): Pick<Algorithm, "sign" | "verify"> => ({
  sign: (key, file, signature) => ["dgst", "-sha256", ...extra, "-sign", key, "-out", signature, file],
  verify: (pub, file, signature) => ["dgst", "-sha256", ...extra, "-verify", pub, "-signature", signature, file],
});
const rawin = (extra: string[]): Pick<Algorithm, "sign" | "verify"> => ({
  sign: (key, file, signature) => ["pkeyutl", "-sign", "-rawin", ...extra, "-inkey", key, "-in", file, "-out", signature],
  verify: (pub, file, signature) => ["pkeyutl", "-verify", "-rawin", ...extra, "-pubin", "-inkey", pub, "-in", file, "-sigfile", signature],
});

const ALGORITHMS: Record<string, Algorithm> = {
  "ECDSA P-256": { generate: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ...dgst() },
  "ECDSA P-384": { generate: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], ...dgst() },
  "ECDSA P-521": { generate: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"], ...dgst() },
  Ed25519: { generate: ["-algorithm", "ED25519"], ...rawin([]) },
  "RSA PKCS#1 v1.5": { generate: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], ...dgst() },
  "RSA-PSS": { generate: ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"], ...dgst(["-sigopt", "rsa_pss_saltlen:32"]) },
  "SM2 with SM3": { generate: ["-algorithm", "SM2"], ...rawin(["-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]) },
};

describe("signing algorithms: signet and openssl, both ways", () => {
  const dir = mkdtempSync(join(tmpdir(), "signet-openssl-"));
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  writeFileSync(join(dir, "artifact.txt"), "a release artifact\n");
  writeFileSync(join(dir, "other.txt"), "another artifact\n");

  for (const [name, algorithm] of Object.entries(ALGORITHMS)) {
    const slug = name.replace(/[^A-Za-z0-9]+/g, "-");
    test(name, async () => {
      const key = `${slug}.key`;
      const pub = `${slug}.pub`;
      openssl(["genpkey", ...algorithm.generate, "-out", key]);
      openssl(["pkey", "-in", key, "-pubout", "-out", pub]);

      // signet signs, openssl verifies (and refuses the signature over other bytes).
      const signed = await runSignet(["sign-blob", "--tlog-upload=false", "--key", key, "--output-signature", `${slug}.sig.b64`, "artifact.txt"], { cwd: dir });
      assert.equal(signed.status, 0, signed.stderr);
      writeFileSync(join(dir, `${slug}.sig`), Buffer.from(readFileSync(join(dir, `${slug}.sig.b64`), "utf8").trim(), "base64"));
      assert.doesNotThrow(() => openssl(algorithm.verify(pub, "artifact.txt", `${slug}.sig`)), "openssl verifies signet's signature");
      assert.throws(() => openssl(algorithm.verify(pub, "other.txt", `${slug}.sig`)), "openssl refuses it over other bytes");

      // openssl signs, signet verifies (and refuses it over other bytes, with the code).
      openssl(algorithm.sign(key, "artifact.txt", `${slug}.openssl.sig`));
      writeFileSync(join(dir, `${slug}.openssl.sig.b64`), readFileSync(join(dir, `${slug}.openssl.sig`)).toString("base64"));
      const verified = await runSignet(["verify-blob", "--insecure-ignore-tlog", "--key", pub, "--signature", `${slug}.openssl.sig.b64`, "artifact.txt"], { cwd: dir });
      assert.equal(verified.status, 0, verified.stderr);
      const refused = await runSignet(["verify-blob", "--insecure-ignore-tlog", "--key", pub, "--signature", `${slug}.openssl.sig.b64`, "other.txt", "--output-format", "json"], { cwd: dir });
      assert.deepEqual(jsonErrorCodes(refused.stdout), ["SIG_INVALID"]);
    });
  }

  test("SM2 with another distinguishing ID is not accepted", async () => {
    openssl(["genpkey", "-algorithm", "SM2", "-out", "sm2-id.key"]);
    openssl(["pkey", "-in", "sm2-id.key", "-pubout", "-out", "sm2-id.pub"]);
    openssl(["pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-pkeyopt", "distid:other-id", "-inkey", "sm2-id.key", "-in", "artifact.txt", "-out", "sm2-id.sig"]);
    writeFileSync(join(dir, "sm2-id.sig.b64"), readFileSync(join(dir, "sm2-id.sig")).toString("base64"));
    const refused = await runSignet(["verify-blob", "--insecure-ignore-tlog", "--key", "sm2-id.pub", "--signature", "sm2-id.sig.b64", "artifact.txt", "--output-format", "json"], { cwd: dir });
    assert.deepEqual(jsonErrorCodes(refused.stdout), ["SIG_INVALID"]);
  });
});
