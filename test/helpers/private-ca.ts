import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProgram } from "./cli.js";

/**
 * A private CA made with openssl in `dir`, for cosign's certificate flags: root.pem, int.pem (pathlen 0), chain.pem
 * (intermediate then root, as cosign's --certificate-chain), other-root.pem (an unrelated root), and leaf.pem: a
 * code-signing certificate for the key in `publicKeyFile` (e.g. cosign.pub), naming signer@example.com and, in
 * Fulcio's extensions (1.1 as cosign reads it, 1.8 as sigstore-go does), the issuer https://issuer.example.com.
 */
export async function createPrivateCa(dir: string, publicKeyFile: string): Promise<void> {
  const openssl = async (args: string[]): Promise<void> => {
    const result = await runProgram("openssl", args, { cwd: dir });
    assert.equal(result.status, 0, `openssl ${args.join(" ")}: ${result.stderr}`);
  };
  const ec = (name: string) => openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name]);
  const root = async (name: string, subject: string) => {
    await ec(`${name}.key`);
    await openssl(["req", "-x509", "-new", "-key", `${name}.key`, "-subj", subject, "-days", "3650", "-out", `${name}.pem`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  };
  await root("root", "/CN=Test Root");
  await root("other-root", "/CN=Other Root");
  await ec("int.key");
  await openssl(["req", "-new", "-key", "int.key", "-subj", "/CN=Test Intermediate", "-out", "int.csr"]);
  writeFileSync(join(dir, "int.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
  await openssl(["x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "3650", "-out", "int.pem", "-extfile", "int.ext"]);
  await ec("csr.key");
  await openssl(["req", "-new", "-key", "csr.key", "-subj", "/CN=signer", "-out", "leaf.csr"]);
  const issuerHex = Buffer.from("https://issuer.example.com").toString("hex").replace(/(..)(?!$)/g, "$1:");
  writeFileSync(
    join(dir, "leaf.ext"),
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=codeSigning",
      "subjectAltName=email:signer@example.com",
      `1.3.6.1.4.1.57264.1.1=DER:${issuerHex}`,
      "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://issuer.example.com",
      "",
    ].join("\n"),
  );
  // The leaf certifies the given public key (the CSR's own key only signs the request).
  await openssl(["x509", "-req", "-in", "leaf.csr", "-force_pubkey", publicKeyFile, "-CA", "int.pem", "-CAkey", "int.key", "-CAcreateserial", "-days", "365", "-out", "leaf.pem", "-extfile", "leaf.ext"]);
  writeFileSync(join(dir, "chain.pem"), readFileSync(join(dir, "int.pem"), "utf8") + readFileSync(join(dir, "root.pem"), "utf8"));
}
