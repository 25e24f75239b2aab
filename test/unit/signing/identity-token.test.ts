import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseIdentityToken, resolveIdentityToken } from "../../../src/signing/identity-token.js";
import { requestSigningCertificate } from "../../../src/signing/fulcio-client.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";

const jwt = (claims: Record<string, unknown>) => `${Buffer.from('{"alg":"ES256"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.c2ln`;
const future = Math.floor(Date.now() / 1000) + 600;

/** A one-route HTTP server on loopback; returns its URL and a stop function. */
async function serve(handler: (url: string, headers: Record<string, string | string[] | undefined>) => { status: number; body: string }): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const { status, body } = handler(request.url ?? "", request.headers);
    response.writeHead(status, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("identity tokens", () => {
  test("the subject is the verified email when there is one, else sub", () => {
    assert.equal(parseIdentityToken(jwt({ iss: "https://i", sub: "123", email: "a@b.test", email_verified: true, exp: future }), "SIGSTORE_ID_TOKEN").subject, "a@b.test");
    assert.equal(parseIdentityToken(jwt({ iss: "https://i", sub: "repo:org/app:ref:refs/heads/main", exp: future }), "SIGSTORE_ID_TOKEN").subject, "repo:org/app:ref:refs/heads/main");
  });

  const bad: [string, string][] = [
    ["not a JWT", "abc"],
    ["unreadable claims", "a.b.c"],
    ["no issuer", jwt({ sub: "x", exp: future })],
    ["no subject", jwt({ iss: "https://i", exp: future })],
    ["an unverified email", jwt({ iss: "https://i", email: "a@b.test", email_verified: false, exp: future })],
    ["expired", jwt({ iss: "https://i", sub: "x", exp: 1000 })],
  ];
  for (const [name, token] of bad) {
    test(`a token with ${name} is OIDC_TOKEN_INVALID`, async () => {
      await assertRejectsWithCode(() => parseIdentityToken(token, "--identity-token"), "OIDC_TOKEN_INVALID");
    });
  }

  test("--identity-token wins over SIGSTORE_ID_TOKEN, which wins over GitHub Actions; a file is read", async () => {
    const flag = jwt({ iss: "https://flag", sub: "f", exp: future });
    const env = jwt({ iss: "https://env", sub: "e", exp: future });
    assert.equal((await resolveIdentityToken({ flag, env: { SIGSTORE_ID_TOKEN: env, ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:1/", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" } })).issuer, "https://flag");
    assert.equal((await resolveIdentityToken({ env: { SIGSTORE_ID_TOKEN: env } })).source, "SIGSTORE_ID_TOKEN");
    const file = join(mkdtempSync(join(tmpdir(), "signet-token-")), "token");
    writeFileSync(file, `${flag}\n`);
    assert.equal((await resolveIdentityToken({ flag: file, env: {} })).token, flag);
    await assertRejectsWithCode(() => resolveIdentityToken({ env: {} }), "OIDC_TOKEN_MISSING");
  });

  test("GitHub Actions: the request token as bearer, the sigstore audience asked for", async () => {
    const token = jwt({ iss: "https://token.actions.githubusercontent.com", sub: "repo:org/app:ref:refs/heads/main", exp: future });
    let seen = "";
    let authorization: string | string[] | undefined;
    const server = await serve((url, headers) => {
      seen = url;
      authorization = headers.authorization;
      return { status: 200, body: JSON.stringify({ value: token }) };
    });
    try {
      const resolved = await resolveIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token" } });
      assert.equal(resolved.source, "GitHub Actions");
      assert.equal(resolved.subject, "repo:org/app:ref:refs/heads/main");
      assert.equal(seen, "/token?api-version=2.0&audience=sigstore");
      assert.equal(authorization, "bearer request-token");
    } finally {
      await server.stop();
    }
  });
});

describe("Fulcio client", () => {
  const request = (url: string) => requestSigningCertificate({ fulcioUrl: url, identityToken: "t", publicKeyPem: "k", proofOfPossession: Buffer.from("p"), timeoutMs: 2000 });

  test("an error answer keeps Fulcio's message", async () => {
    const server = await serve(() => ({ status: 401, body: JSON.stringify({ code: 16, message: "token expired" }) }));
    try {
      const error = await assertRejectsWithCode(() => request(server.url), "FULCIO_ERROR");
      assert.match(error.message, /HTTP 401: token expired/);
    } finally {
      await server.stop();
    }
  });

  test("an answer without a certificate chain, or with garbage, is FULCIO_ERROR", async () => {
    for (const body of ["{}", "not json", JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: ["garbage"] } } })]) {
      const server = await serve(() => ({ status: 201, body }));
      try {
        await assertRejectsWithCode(() => request(server.url), "FULCIO_ERROR");
      } finally {
        await server.stop();
      }
    }
  });

  test("an unreachable Fulcio is FULCIO_ERROR, and a non-URL is a usage error", async () => {
    await assertRejectsWithCode(() => request("http://127.0.0.1:1"), "FULCIO_ERROR");
    await assertRejectsWithCode(() => request("not a url"), "USAGE");
  });
});
