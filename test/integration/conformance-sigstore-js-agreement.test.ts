/**
 * Cross-check against the reference TypeScript verifier: every sigstore-conformance bundle case is verified by
 * signet and by @sigstore/verify (with @sigstore/bundle's parser); the two must agree, except on the cases
 * where @sigstore/verify 3.1.1 is known to be wrong (MANIFEST §1), where signet must give the stated outcome.
 */
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { verifySigstoreBundle, type SignerPolicy } from "../../src/signatures/bundle/index.js";
import { embeddedTrustDir, parseTrustedRoot } from "../../src/trust/index.js";
import { VECTORS } from "../helpers/peers.js";

const CASES = join(VECTORS, "sigstore__sigstore-conformance", "test", "assets", "bundle-verify");
const IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const PROD = join(embeddedTrustDir(), "public-good", "trusted_root.json");

/** Where @sigstore/verify 3.1.1 disagrees with the stated outcome (MANIFEST §1). */
const SIGSTORE_JS_WRONG = new Set(["rekor2-dsse-happy-path", "trust-root-tlog-missing-validity-start_fail"]);

function inputs(name: string) {
  const dir = join(CASES, name);
  const rootPath = existsSync(join(dir, "trusted_root.json")) ? join(dir, "trusted_root.json") : PROD;
  const artifact = readFileSync(existsSync(join(dir, "artifact")) ? join(dir, "artifact") : join(CASES, "a.txt"));
  const keyPath = join(dir, "key.pub");
  const identity = existsSync(join(dir, "identity")) ? readFileSync(join(dir, "identity"), "utf8").trim() : IDENTITY;
  const issuer = existsSync(join(dir, "issuer")) ? readFileSync(join(dir, "issuer"), "utf8").trim() : ISSUER;
  return { dir, rootPath, artifact, keyPath: existsSync(keyPath) ? keyPath : undefined, identity, issuer };
}

function signetVerifies(name: string): boolean {
  const { dir, rootPath, artifact, keyPath, identity, issuer } = inputs(name);
  try {
    const policy: SignerPolicy = keyPath === undefined ? { kind: "identity", subject: identity, issuer } : { kind: "key", publicKey: createPublicKey(readFileSync(keyPath)) };
    verifySigstoreBundle(JSON.parse(readFileSync(join(dir, "bundle.sigstore.json"), "utf8")), { bytes: artifact }, policy, parseTrustedRoot(readFileSync(rootPath), rootPath));
    return true;
  } catch {
    return false;
  }
}

function sigstoreJsVerifies(name: string): boolean {
  const { dir, rootPath, artifact, keyPath, identity, issuer } = inputs(name);
  try {
    const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, "utf8")));
    const trust = toTrustMaterial(root, (_hint: string) => ({ publicKey: createPublicKey(readFileSync(keyPath!)), validFor: () => true }));
    const bundle = bundleFromJSON(JSON.parse(readFileSync(join(dir, "bundle.sigstore.json"), "utf8")));
    const escaped = (text: string): string => `^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
    new Verifier(trust).verify(toSignedEntity(bundle, artifact), keyPath === undefined ? { subjectAlternativeName: escaped(identity), extensions: { issuer } } : undefined);
    return true;
  } catch {
    return false;
  }
}

describe("signet and @sigstore/verify agree on the sigstore-conformance cases", () => {
  const names = readdirSync(CASES).filter((name) => statSync(join(CASES, name)).isDirectory());
  for (const name of names.sort()) {
    test(name, () => {
      const expected = !name.endsWith("_fail");
      const signet = signetVerifies(name);
      assert.equal(signet, expected, `signet must ${expected ? "verify" : "refuse"} ${name}`);
      if (!SIGSTORE_JS_WRONG.has(name)) assert.equal(sigstoreJsVerifies(name), signet, `@sigstore/verify disagrees on ${name}`);
      else assert.equal(sigstoreJsVerifies(name), !expected, `${name} is listed as a @sigstore/verify gap`);
    });
  }
});
