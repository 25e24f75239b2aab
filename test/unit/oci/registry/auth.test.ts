import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, test } from "node:test";
import { basicAuthorization, createAuthenticator, scopesCover } from "../../../../src/oci/registry/auth.js";
import { createStaticCredentialStore } from "../../../../src/oci/registry/credentials.js";
import type { ExchangeContext, HttpRequest, HttpResponse, ResponseBody, RoundTrip } from "../../../../src/oci/registry/transport.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const target = { registry: "r.example", origin: "https://r.example", repository: "app" };
const context: ExchangeContext = { signal: new AbortController().signal, deadline: Date.now() + 60_000 };
const challenge = 'Bearer realm="https://auth.example/token",service="r.example"';

function jsonResponse(request: HttpRequest, status: number, value: unknown): HttpResponse {
  const body = Readable.from([Buffer.from(typeof value === "string" ? value : JSON.stringify(value))]) as unknown as ResponseBody;
  return { status, headers: {}, url: request.url, body };
}

/** A token endpoint that hands out numbered tokens and records what it was asked. */
function fakeTokenServer(answer?: (request: HttpRequest) => { status: number; value: unknown }) {
  const seen: HttpRequest[] = [];
  const roundTrip: RoundTrip = async (request) => {
    seen.push(request);
    if (answer) {
      const { status, value } = answer(request);
      return jsonResponse(request, status, value);
    }
    return jsonResponse(request, 200, { token: `tok${seen.length}`, expires_in: 300 });
  };
  return { seen, roundTrip };
}

describe("authenticator", () => {
  test("nothing is sent before a challenge", async () => {
    const auth = createAuthenticator({ tokenRoundTrip: fakeTokenServer().roundTrip, schemePolicy: {} });
    assert.equal(await auth.authorization(target, ["repository:app:pull"], context), undefined);
  });

  test("a Bearer challenge gets a token for the scopes, with Basic credentials to the realm", async () => {
    const server = fakeTokenServer();
    const auth = createAuthenticator({
      tokenRoundTrip: server.roundTrip,
      schemePolicy: {},
      credentials: createStaticCredentialStore("r.example", { username: "alice", password: "pw" }),
    });
    const header = await auth.answerChallenge(target, ["repository:app:pull"], challenge, undefined, context);
    assert.equal(header, "Bearer tok1");
    const request = server.seen[0]!;
    assert.equal(request.url.origin, "https://auth.example");
    assert.equal(request.url.searchParams.get("service"), "r.example");
    assert.deepEqual(request.url.searchParams.getAll("scope"), ["repository:app:pull"]);
    assert.equal(request.headers?.authorization, basicAuthorization("alice", "pw"));
  });

  test("tokens are cached per scope set, reused when they cover the request, and expire", async () => {
    const server = fakeTokenServer();
    let now = 1_000_000;
    const auth = createAuthenticator({ tokenRoundTrip: server.roundTrip, schemePolicy: {}, now: () => now });
    await auth.answerChallenge(target, ["repository:app:pull,push"], challenge, undefined, context);
    assert.equal(await auth.authorization(target, ["repository:app:pull"], context), "Bearer tok1", "a push token covers pull");
    assert.equal(await auth.authorization(target, ["repository:app:pull,push"], context), "Bearer tok1");
    assert.equal(await auth.authorization(target, ["repository:other:pull"], context), "Bearer tok2");
    assert.equal(server.seen.length, 2);
    now += 289_000;
    assert.equal(await auth.authorization(target, ["repository:app:pull"], context), "Bearer tok1", "still valid before the margin");
    now += 2_000;
    assert.equal(await auth.authorization(target, ["repository:app:pull"], context), "Bearer tok3", "refreshed after expires_in minus the margin");
  });

  test("concurrent requests for one scope share one token request", async () => {
    const server = fakeTokenServer();
    const auth = createAuthenticator({ tokenRoundTrip: server.roundTrip, schemePolicy: {} });
    await auth.answerChallenge(target, ["repository:app:pull"], challenge, undefined, context);
    const headers = await Promise.all(Array.from({ length: 5 }, () => auth.authorization(target, ["repository:x:pull"], context)));
    assert.deepEqual(new Set(headers), new Set(["Bearer tok2"]));
    assert.equal(server.seen.length, 2);
  });

  test("a short or missing expires_in counts as 60 s; access_token is accepted", async () => {
    let now = 0;
    const server = fakeTokenServer(() => ({ status: 200, value: { access_token: "at", expires_in: 1 } }));
    const auth = createAuthenticator({ tokenRoundTrip: server.roundTrip, schemePolicy: {}, now: () => now });
    assert.equal(await auth.answerChallenge(target, ["repository:app:pull"], challenge, undefined, context), "Bearer at");
    now = 40_000;
    await auth.authorization(target, ["repository:app:pull"], context);
    assert.equal(server.seen.length, 1);
  });

  test("a retried 401 with the same token gives up instead of looping", async () => {
    const server = fakeTokenServer(() => ({ status: 200, value: { token: "same" } }));
    const auth = createAuthenticator({ tokenRoundTrip: server.roundTrip, schemePolicy: {} });
    assert.equal(await auth.answerChallenge(target, ["repository:app:pull"], challenge, undefined, context), "Bearer same");
    assert.equal(await auth.answerChallenge(target, ["repository:app:pull"], challenge, "Bearer same", context), undefined);
  });

  test("the challenge's own scope is added to the request", async () => {
    const server = fakeTokenServer();
    const auth = createAuthenticator({ tokenRoundTrip: server.roundTrip, schemePolicy: {} });
    await auth.answerChallenge(target, ["repository:app:pull"], `${challenge},scope="repository:app:pull,push repository:base:pull",error="insufficient_scope"`, undefined, context);
    assert.deepEqual(server.seen[0]!.url.searchParams.getAll("scope"), ["repository:app:pull", "repository:app:pull,push", "repository:base:pull"]);
  });

  test("an identity token is exchanged with the OAuth2 refresh-token grant", async () => {
    const server = fakeTokenServer();
    const auth = createAuthenticator({
      tokenRoundTrip: server.roundTrip,
      schemePolicy: {},
      credentials: createStaticCredentialStore("r.example", { identityToken: "refresh-123" }),
    });
    await auth.answerChallenge(target, ["repository:app:pull"], challenge, undefined, context);
    const request = server.seen[0]!;
    assert.equal(request.method, "POST");
    const form = new URLSearchParams(request.body!.toString());
    assert.equal(form.get("grant_type"), "refresh_token");
    assert.equal(form.get("refresh_token"), "refresh-123");
    assert.equal(form.get("scope"), "repository:app:pull");
    assert.equal(request.headers?.authorization, undefined);
  });

  test("Basic: credentials once; the same refused credentials are not sent again; none without credentials", async () => {
    const withCreds = createAuthenticator({
      tokenRoundTrip: fakeTokenServer().roundTrip,
      schemePolicy: {},
      credentials: createStaticCredentialStore("r.example", { username: "u", password: "p" }),
    });
    const header = await withCreds.answerChallenge(target, [], 'Basic realm="registry"', undefined, context);
    assert.equal(header, basicAuthorization("u", "p"));
    assert.equal(await withCreds.authorization(target, [], context), header);
    assert.equal(await withCreds.answerChallenge(target, [], 'Basic realm="registry"', header, context), undefined);
    const anonymous = createAuthenticator({ tokenRoundTrip: fakeTokenServer().roundTrip, schemePolicy: {} });
    assert.equal(await anonymous.answerChallenge(target, [], 'Basic realm="registry"', undefined, context), undefined);
  });

  test("credentials of one registry are not used for another", async () => {
    const server = fakeTokenServer();
    const auth = createAuthenticator({
      tokenRoundTrip: server.roundTrip,
      schemePolicy: {},
      credentials: createStaticCredentialStore("registry.example.com", { username: "u", password: "p" }),
    });
    const other = { registry: "registry.example.com.evil.net", origin: "https://registry.example.com.evil.net" };
    await auth.answerChallenge(other, [], 'Bearer realm="https://registry.example.com.evil.net/token"', undefined, context);
    assert.equal(server.seen[0]!.headers?.authorization, undefined);
    assert.equal(await auth.answerChallenge(other, [], 'Basic realm="x"', undefined, context), undefined);
  });

  test("token server failures and bad answers", async () => {
    const refuse = createAuthenticator({
      tokenRoundTrip: fakeTokenServer(() => ({ status: 401, value: { details: "incorrect username or password" } })).roundTrip,
      schemePolicy: {},
      credentials: createStaticCredentialStore("r.example", { username: "u", password: "hunter22" }),
    });
    const error = await assertRejectsWithCode(() => refuse.answerChallenge(target, [], challenge, undefined, context), "REGISTRY_UNAUTHORIZED");
    assert.ok(!JSON.stringify(error.toJSON()).includes("hunter22"));
    const notJson = createAuthenticator({ tokenRoundTrip: fakeTokenServer(() => ({ status: 200, value: "<html>" })).roundTrip, schemePolicy: {} });
    await assertRejectsWithCode(() => notJson.answerChallenge(target, [], challenge, undefined, context), "REGISTRY_PROTOCOL");
    const headerInjection = createAuthenticator({ tokenRoundTrip: fakeTokenServer(() => ({ status: 200, value: { token: "a\r\nX-Evil: 1" } })).roundTrip, schemePolicy: {} });
    await assertRejectsWithCode(() => headerInjection.answerChallenge(target, [], challenge, undefined, context), "REGISTRY_PROTOCOL");
    const plainRealm = createAuthenticator({ tokenRoundTrip: fakeTokenServer().roundTrip, schemePolicy: {} });
    await assertRejectsWithCode(() => plainRealm.answerChallenge(target, [], 'Bearer realm="http://auth.example/token"', undefined, context), "REGISTRY_INSECURE_REFUSED");
    const badRealm = createAuthenticator({ tokenRoundTrip: fakeTokenServer().roundTrip, schemePolicy: {} });
    await assertRejectsWithCode(() => badRealm.answerChallenge(target, [], 'Bearer realm="not a url"', undefined, context), "REGISTRY_PROTOCOL");
  });

  test("scope coverage", () => {
    assert.ok(scopesCover(["repository:a:pull,push"], ["repository:a:pull"]));
    assert.ok(scopesCover(["repository:a:*"], ["repository:a:push"]));
    assert.ok(scopesCover(["repository:a:pull", "repository:b:pull"], ["repository:b:pull"]));
    assert.ok(scopesCover(["repository:a:pull"], []));
    assert.ok(!scopesCover(["repository:a:pull"], ["repository:a:pull,push"]));
    assert.ok(!scopesCover(["repository:a:pull"], ["repository:ab:pull"]));
    assert.ok(!scopesCover([], ["repository:a:pull"]));
  });
});
