/**
 * Certificates for Notation tests, made by openssl (an independent implementation): a self-signed code-signing
 * certificate for a key, and CA-issued chains.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";

/** "CN=a,O=b,ST=c,C=d" -> openssl's "/CN=a/O=b/ST=c/C=d". */
function opensslSubject(subject: string): string {
  return `/${subject.split(",").join("/")}`;
}

export function selfSignedCodeSigningCertificate(privateKey: KeyObject, subject: string, days = 30): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "signet-notation-cert-"));
  try {
    writeFileSync(join(dir, "key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    execFileSync("openssl", [
      "req", "-x509", "-new", "-key", join(dir, "key.pem"), "-subj", opensslSubject(subject), "-days", String(days), "-outform", "DER", "-out", join(dir, "cert.der"),
      "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature", "-addext", "extendedKeyUsage=codeSigning",
    ], { stdio: "pipe" });
    return readFileSync(join(dir, "cert.der"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TestTsa {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  /** The TSA's root certificate, PEM (for --timestamp-root-cert and a tsa trust store). */
  readonly rootPath: string;
  readonly requests: () => number;
  stop(): Promise<void>;
}

/**
 * An RFC 3161 timestamp authority on loopback: openssl's `ts -reply` answers each query, signing with a TSA
 * certificate (critical timeStamping EKU) issued by a root made here.
 */
export async function startOpensslTsa(): Promise<TestTsa> {
  const { createServer } = await import("node:http");
  const dir = mkdtempSync(join(tmpdir(), "signet-tsa-"));
  const run = (args: string[], input?: Buffer) => execFileSync("openssl", args, { cwd: dir, stdio: ["pipe", "pipe", "pipe"], input });
  run(["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-subj", "/CN=signet test TSA root/O=signet/C=US", "-days", "30",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=signet test TSA/O=signet/C=US"]);
  writeFileSync(join(dir, "tsa.ext"), "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
  run(["x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "tsa.pem", "-days", "30", "-extfile", "tsa.ext"]);
  writeFileSync(join(dir, "openssl.cnf"), [
    "[ tsa ]", "default_tsa = tsa_config", "[ tsa_config ]", `dir = ${dir}`, "serial = $dir/serial", "signer_cert = $dir/tsa.pem", "certs = $dir/tsa.pem",
    "signer_key = $dir/tsa.key", "signer_digest = sha256", "default_policy = 1.2.3.4.1", "digests = sha256, sha384, sha512", "accuracy = secs:1", "ordering = no",
    "tsa_name = no", "ess_cert_id_chain = no", "ess_cert_id_alg = sha256", "",
  ].join("\n"));
  writeFileSync(join(dir, "serial"), "01\n");
  let count = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      count++;
      try {
        writeFileSync(join(dir, "query.tsq"), Buffer.concat(chunks));
        run(["ts", "-reply", "-config", "openssl.cnf", "-queryfile", "query.tsq", "-out", "reply.tsr"]);
        response.writeHead(200, { "Content-Type": "application/timestamp-reply" }).end(readFileSync(join(dir, "reply.tsr")));
      } catch (error) {
        response.writeHead(500).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    rootPath: join(dir, "root.pem"),
    requests: () => count,
    stop: () => new Promise<void>((resolve) => server.close(() => (rmSync(dir, { recursive: true, force: true }), resolve()))),
  };
}

export interface RevocationAuthority {
  /** The CA's certificate, PEM file (for a ca trust store). */
  readonly rootPath: string;
  /** http://127.0.0.1:PORT: /ca.crl serves the CRL, /ocsp answers OCSP. */
  readonly url: string;
  readonly crlRequests: () => number;
  readonly ocspRequests: () => number;
  /** Issues a code-signing certificate; returns the key file and a chain file (leaf, [intermediate,] root). */
  issue(name: string, options: { crl: boolean; ocsp: boolean }): { keyPath: string; chainPath: string };
  revoke(name: string): void;
  /** "up", "down" (HTTP 503) or "hang" (no answer) for each service. */
  setState(service: "crl" | "ocsp", state: "up" | "down" | "hang"): void;
  stop(): Promise<void>;
}

/**
 * A CA with a CRL and an OCSP responder on loopback, both answered by openssl (`ca -gencrl`, `ocsp -reqin`).
 */
export async function startRevocationAuthority(authorityOptions: { intermediate?: boolean } = {}): Promise<RevocationAuthority> {
  const { createServer } = await import("node:http");
  const dir = mkdtempSync(join(tmpdir(), "signet-revocation-"));
  const run = (args: string[], input?: Buffer) => execFileSync("openssl", args, { cwd: dir, stdio: ["pipe", "pipe", "pipe"], input });
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "crlnumber"), "1000\n");
  writeFileSync(join(dir, "ca.cnf"), [
    "[ ca ]", "default_ca = test_ca", "[ test_ca ]", `dir = ${dir}`, "database = $dir/index.txt", "new_certs_dir = $dir", "certificate = $dir/issuer.pem",
    "private_key = $dir/issuer.key", "serial = $dir/serial", "crlnumber = $dir/crlnumber", "default_md = sha256", "default_crl_days = 1", "default_days = 30",
    "policy = any", "unique_subject = no", "copy_extensions = none", "[ any ]", "commonName = supplied", "organizationName = optional", "stateOrProvinceName = optional",
    "localityName = optional", "countryName = optional", "",
  ].join("\n"));
  writeFileSync(join(dir, "serial"), "1001\n");
  run(["req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-subj", "/C=US/ST=WA/L=Seattle/O=Notary/CN=signet revocation test root", "-days", "30",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]);
  // The issuing CA: the root itself, or an intermediate it signed (a chain of three).
  if (authorityOptions.intermediate === true) {
    run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "issuer.key", "-out", "issuer.csr", "-subj", "/C=US/ST=WA/L=Seattle/O=Notary/CN=signet revocation test intermediate"]);
    writeFileSync(join(dir, "issuer.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n");
    run(["x509", "-req", "-in", "issuer.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "4096", "-out", "issuer.pem", "-days", "30", "-extfile", "issuer.ext"]);
  } else {
    writeFileSync(join(dir, "issuer.key"), readFileSync(join(dir, "root.key")));
    writeFileSync(join(dir, "issuer.pem"), readFileSync(join(dir, "root.pem")));
  }
  const states = { crl: "up", ocsp: "up" } as Record<"crl" | "ocsp", "up" | "down" | "hang">;
  let crlCount = 0;
  let ocspCount = 0;
  const regenerate = () => run(["ca", "-config", "ca.cnf", "-gencrl", "-out", "ca.crl.pem"]) && run(["crl", "-in", "ca.crl.pem", "-outform", "DER", "-out", "ca.crl"]);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const service = request.url === "/ca.crl" ? "crl" : request.url === "/ocsp" ? "ocsp" : undefined;
      if (service === undefined) return void response.writeHead(404).end();
      if (service === "crl") crlCount++;
      else ocspCount++;
      if (states[service] === "hang") return; // never answers
      if (states[service] === "down") return void response.writeHead(503).end();
      try {
        if (service === "crl") return void response.writeHead(200, { "content-type": "application/pkix-crl" }).end(readFileSync(join(dir, "ca.crl")));
        writeFileSync(join(dir, "req.der"), Buffer.concat(chunks));
        run(["ocsp", "-index", "index.txt", "-rsigner", "issuer.pem", "-rkey", "issuer.key", "-CA", "issuer.pem", "-reqin", "req.der", "-respout", "resp.der", "-ndays", "1"]);
        response.writeHead(200, { "content-type": "application/ocsp-response" }).end(readFileSync(join(dir, "resp.der")));
      } catch (error) {
        response.writeHead(500).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  regenerate();
  return {
    rootPath: join(dir, "root.pem"),
    url,
    crlRequests: () => crlCount,
    ocspRequests: () => ocspCount,
    issue(name, options) {
      run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/C=US/ST=WA/L=Seattle/O=Notary/CN=${name}`]);
      const extensions = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=codeSigning"];
      if (options.crl) extensions.push(`crlDistributionPoints=URI:${url}/ca.crl`);
      if (options.ocsp) extensions.push(`authorityInfoAccess=OCSP;URI:${url}/ocsp`);
      writeFileSync(join(dir, `${name}.ext`), `${extensions.join("\n")}\n`);
      run(["ca", "-config", "ca.cnf", "-batch", "-notext", "-in", `${name}.csr`, "-out", `${name}.pem`, "-extfile", `${name}.ext`]);
      const chain = [`${name}.pem`, ...(authorityOptions.intermediate === true ? ["issuer.pem"] : []), "root.pem"].map((file) => readFileSync(join(dir, file)));
      writeFileSync(join(dir, `${name}.chain.pem`), Buffer.concat(chain));
      return { keyPath: join(dir, `${name}.key`), chainPath: join(dir, `${name}.chain.pem`) };
    },
    revoke(name) {
      run(["ca", "-config", "ca.cnf", "-revoke", `${name}.pem`]);
      regenerate();
    },
    setState(service, state) {
      states[service] = state;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => (rmSync(dir, { recursive: true, force: true }), resolve()));
    }),
  };
}

/**
 * A chain root -> intermediate -> intermediate -> leaf made by openssl, the root limited to `rootPathLength`
 * intermediates; returns the leaf's key and the chain (leaf first), DER.
 */
export function opensslChainOfFour(rootPathLength: number): { keyPem: string; chain: Buffer[] } {
  const dir = mkdtempSync(join(tmpdir(), "signet-notation-chain-"));
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  try {
    run(["req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-subj", "/C=US/ST=WA/O=Notary/CN=root", "-days", "30",
      "-addext", `basicConstraints=critical,CA:TRUE,pathlen:${rootPathLength}`, "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    const issue = (name: string, issuer: string, extensions: string) => {
      run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/C=US/ST=WA/O=Notary/CN=${name}`]);
      writeFileSync(join(dir, `${name}.ext`), extensions);
      run(["x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "30", "-outform", "PEM", "-extfile", `${name}.ext`]);
    };
    const ca = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
    issue("ca1", "root", ca);
    issue("ca2", "ca1", ca);
    issue("leaf", "ca2", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n");
    const der = (name: string) => {
      run(["x509", "-in", `${name}.pem`, "-outform", "DER", "-out", `${name}.der`]);
      return readFileSync(join(dir, `${name}.der`));
    };
    return { keyPem: readFileSync(join(dir, "leaf.key"), "utf8"), chain: [der("leaf"), der("ca2"), der("ca1"), der("root")] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
