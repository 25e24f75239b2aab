import { execFileSync } from "node:child_process";
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePeer } from "./peers.js";

/** One token request the server received. */
export interface TokenRequestRecord {
  readonly method: string;
  /** The user of a Basic Authorization header, if any. */
  readonly user: string | undefined;
  readonly service: string | null;
  readonly scopes: string[];
}

export interface TokenServerOptions {
  /** user name -> password; other credentials are answered with 401. */
  readonly users?: Readonly<Record<string, string>>;
  /** Actions granted to a user (undefined = anonymous) on a repository; default: users get what they ask, anonymous nothing. */
  readonly grant?: (user: string | undefined, repository: string, requested: readonly string[]) => string[];
  readonly expiresIn?: number;
  /** Name the token `access_token` instead of `token` in the answer. */
  readonly useAccessTokenField?: boolean;
}

export interface TokenServer {
  /** "http://127.0.0.1:PORT/token" */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The PEM certificate the registry trusts (rootcertbundle). */
  readonly certificatePath: string;
  readonly requests: TokenRequestRecord[];
  /** The `auth:` section for docker-registry's config (startRegistry's extraConfig). */
  registryAuthConfig(): string;
  stop(): Promise<void>;
}

/**
 * A distribution token server (Bearer auth) on a random loopback port. Tokens are ES256 JWTs carrying the
 * signing certificate in `x5c`; the registry trusts that self-signed certificate as its rootcertbundle.
 * The certificate is made with the openssl command line (Node cannot create X.509 certificates).
 */
export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  requirePeer("openssl");
  const dir = mkdtempSync(join(tmpdir(), "signet-token-"));
  const keyPath = join(dir, "key.pem");
  const certificatePath = join(dir, "cert.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", keyPath, "-out", certificatePath, "-days", "2", "-subj", "/CN=signet test token issuer",
  ], { stdio: "ignore" });
  const key = createPrivateKey(readFileSync(keyPath));
  const certificateDer = new X509Certificate(readFileSync(certificatePath)).raw.toString("base64");
  const service = "signet-test-registry";
  const issuer = "signet-test-issuer";
  const requests: TokenRequestRecord[] = [];
  const users = options.users ?? {};
  const grant = options.grant ?? ((user, _repository, requested) => (user === undefined ? [] : [...requested]));

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    let user: string | undefined;
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const name = decoded.slice(0, colon);
      if (colon < 0 || users[name] === undefined || users[name] !== decoded.slice(colon + 1)) {
        requests.push({ method: req.method ?? "", user: name, service: url.searchParams.get("service"), scopes: url.searchParams.getAll("scope") });
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ details: "incorrect username or password" }));
        return;
      }
      user = name;
    }
    const scopes = url.searchParams.getAll("scope");
    requests.push({ method: req.method ?? "", user, service: url.searchParams.get("service"), scopes });
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = splitScope(scope);
      if (type !== "repository") return [];
      const granted = grant(user, name, actions.split(","));
      return granted.length > 0 ? [{ type, name, actions: granted }] : [];
    });
    const token = signToken(key, certificateDer, { issuer, service, subject: user ?? "", access, expiresIn: options.expiresIn ?? 300 });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(options.useAccessTokenField ? { access_token: token, expires_in: options.expiresIn ?? 300 } : { token, expires_in: options.expiresIn ?? 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service,
    issuer,
    certificatePath,
    requests,
    registryAuthConfig() {
      return ["auth:", "  token:", `    realm: ${realm}`, `    service: ${service}`, `    issuer: ${issuer}`, `    rootcertbundle: ${certificatePath}`].join("\n");
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function splitScope(scope: string): [string, string, string] {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  return [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
}

function signToken(
  key: KeyObject,
  certificateDer: string,
  claims: { issuer: string; service: string; subject: string; access: unknown[]; expiresIn: number },
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: "JWT", alg: "ES256", x5c: [certificateDer] };
  const payload = {
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.service,
    exp: now + claims.expiresIn,
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access: claims.access,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  return `${input}.${signature.toString("base64url")}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}
