// signet anchors identity regexps; when only cosign's unanchored reading would accept the certificate, it says so.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import type { CommandContext } from "../../../src/cli/command.js";
import { explainAnchoring, unanchoredRegexps } from "../../../src/cli/commands/trust.js";
import { SignetError } from "../../../src/errors/index.js";

function context(values: CommandContext["values"]): CommandContext {
  return { values, positionals: [], io: { stdout: new PassThrough(), stderr: new PassThrough(), env: {}, interactive: false } };
}

const mismatch = () =>
  new SignetError("CERT_IDENTITY_MISMATCH", "the certificate identity does not match", {
    details: { subjects: ["uri:https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"], issuer: "https://token.actions.githubusercontent.com" },
  });

describe("identity regexp anchoring", () => {
  test("a prefix regexp that cosign would accept: the error says signet anchors it and names the -unanchored flag", async () => {
    const explained = await explainAnchoring(mismatch(), context({ "certificate-identity-regexp": "^https://github.com/org/" }));
    assert.equal(explained.code, "CERT_IDENTITY_MISMATCH");
    assert.match(explained.message, /signet anchors --certificate-identity-regexp/);
    assert.match(explained.hint, /--certificate-identity-regexp-unanchored/);
  });
  test("a regexp cosign would reject too: the error is left as it is", async () => {
    const error = mismatch();
    assert.equal(await explainAnchoring(error, context({ "certificate-identity-regexp": "^https://gitlab.com/" })), error);
    assert.equal(await explainAnchoring(error, context({ "certificate-identity": "x" })), error);
  });
  test("the -unanchored flags become a whole-value regexp that accepts a match anywhere, and refuse patterns that escape", async () => {
    const { compileIdentityPolicy } = await import("../../../src/signatures/bundle/identity-match.js");
    const { subjectRegExp } = await unanchoredRegexps(context({ "certificate-identity-regexp-unanchored": "^https://github.com/org/" }));
    const matches = compileIdentityPolicy({ kind: "identity", subjectRegExp: subjectRegExp!, issuer: "x" }).subjectMatches!;
    assert.equal(matches("https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"), true);
    assert.equal(matches("https://evil.example/https://github.com/org/"), false, "^ still anchors at the start, as in Go");
    await assert.rejects(() => unanchoredRegexps(context({ "certificate-identity-regexp-unanchored": "a)|(b" })), (error: unknown) => SignetError.is(error) && error.code === "IDENTITY_POLICY_INVALID");
  });
});
