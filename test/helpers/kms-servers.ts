/**
 * What the KMS wire-protocol test servers share: a loopback TLS certificate (issued by a CA of the test's own,
 * written with src/trust/certificate-writer.ts, passed to the client as a CA bundle: no TLS check is switched
 * off), signing a digest the way a KMS does (node:crypto's keys; ECDSA over a given digest needs the arithmetic
 * done here, since node:crypto always hashes first), and a small JSON server on a random loopback port.
 */
import { constants, generateKeyPairSync, privateEncrypt, type KeyObject } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificate, toPem } from "../../src/trust/certificate-writer.js";

export interface LoopbackTls {
  readonly caFile: string;
  readonly cert: string;
  readonly key: string;
}

/** A CA and a server certificate for "localhost", the CA written to a file (for AWS_CA_BUNDLE and the like). */
export function createLoopbackTls(): LoopbackTls {
  const now = Date.now();
  const notBefore = new Date(now - 60_000);
  const notAfter = new Date(now + 3600_000);
  const ca = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const caName = { commonName: "signet kms test CA" };
  const issuer = { name: caName, privateKey: ca.privateKey, publicKey: ca.publicKey };
  const caCert = createCertificate({ subject: caName, subjectPublicKey: ca.publicKey, notBefore, notAfter, kind: "ca" }, issuer);
  const server = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const serverCert = createCertificate({ subject: { commonName: "localhost" }, subjectPublicKey: server.publicKey, notBefore, notAfter, kind: "server", dnsNames: ["localhost"] }, issuer);
  const dir = mkdtempSync(join(tmpdir(), "signet-kms-tls-"));
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, toPem(caCert));
  return { caFile, cert: toPem(serverCert), key: server.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

export type Handler = (request: RecordedRequest) => { status: number; headers?: Record<string, string>; body?: unknown } | Promise<{ status: number; headers?: Record<string, string>; body?: unknown }>;

export interface TestServer {
  readonly port: number;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A JSON server on a random loopback port (HTTPS when `tls` is given). */
export async function startJsonServer(handler: Handler, tls?: LoopbackTls): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      Promise.resolve(handler(recorded))
        .then(({ status, headers = {}, body }) => {
          const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
          res.writeHead(status, { "content-type": "application/json", "content-length": String(bytes.length), ...headers });
          res.end(bytes);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ message: String(error) }));
        });
    });
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener) : createHttpServer(listener);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The order n of each curve a test key may be on. */
const CURVE_ORDERS: Readonly<Record<string, bigint>> = {
  prime256v1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  secp384r1: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};

const DIGEST_INFO: Readonly<Record<string, string>> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

/**
 * Signs a digest as a KMS does: ECDSA (DER, the digest as the curve's field length) or RSA PKCS#1 v1.5
 * (DigestInfo of `hash`). The ECDSA nonce's point k·G comes from node:crypto (a fresh key pair: its private
 * scalar is k, its public x the point's x).
 */
export function signDigest(privateKey: KeyObject, digest: Buffer, hash: "sha256" | "sha384" | "sha512" = "sha256"): Buffer {
  if (privateKey.asymmetricKeyType === "rsa") {
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([Buffer.from(DIGEST_INFO[hash]!, "hex"), digest]));
  }
  const curve = privateKey.asymmetricKeyDetails?.namedCurve ?? "";
  const n = CURVE_ORDERS[curve];
  if (n === undefined) throw new Error(`no curve order for ${curve}`);
  const d = toBigInt(Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url"));
  const z = toBigInt(digest) % n;
  for (;;) {
    const nonce = generateKeyPairSync("ec", { namedCurve: curve }).privateKey.export({ format: "jwk" });
    const k = toBigInt(Buffer.from(nonce.d!, "base64url"));
    const r = toBigInt(Buffer.from(nonce.x!, "base64url")) % n;
    if (r === 0n) continue;
    const s = (modInverse(k, n) * (z + r * d)) % n;
    if (s === 0n) continue;
    return derSignature(r, s);
  }
}

function toBigInt(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`);
}

function modInverse(a: bigint, m: bigint): bigint {
  let result = 1n;
  let base = a % m;
  let exponent = m - 2n;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % m;
    base = (base * base) % m;
    exponent >>= 1n;
  }
  return result;
}

function derSignature(r: bigint, s: bigint): Buffer {
  const integer = (value: bigint) => {
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, "hex");
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  };
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([Buffer.from(body.length < 0x80 ? [0x30, body.length] : [0x30, 0x81, body.length]), body]);
}

/** DER ECDSA signature as r || s of `size` bytes each (what Key Vault returns). */
export function derToP1363(signature: Buffer, size: number): Buffer {
  let offset = signature[1]! & 0x80 ? 3 : 2;
  const read = () => {
    const length = signature[offset + 1]!;
    const value = signature.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    const trimmed = value[0] === 0 ? value.subarray(1) : value;
    return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  return Buffer.concat([read(), read()]);
}

