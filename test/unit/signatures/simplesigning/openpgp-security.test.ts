// The OpenPGP cases of security-cases.md D.26 at the policy level: each signature below is stored in a file://
// lookaside store and evaluated by `signet policy verify --output json` (the real CLI) under a signedBy policy,
// and each must be rejected with its code and reason in the decision tree. Images are named by digest, so no
// registry is contacted. Two controls (a valid signature, a valid subkey signature) must be allowed, so a case
// that is rejected for the wrong reason (an unreadable keyring, a missing file) fails its test.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import * as openpgp from "openpgp";
import { parseImageReference } from "../../../../src/oci/reference/index.js";
import { writeLookasideSignature } from "../../../../src/signatures/simplesigning/lookaside.js";
import { ATOMIC_SIGNATURE_TYPE, createAtomicPayload } from "../../../../src/signatures/simplesigning/payload.js";
import { runSignet } from "../../../helpers/cli.js";
import { startHostileRegistry, type HostileRegistry } from "../../../helpers/hostile-registry.js";

/** The in-process registry's "127.0.0.1:PORT": policy verify reads each manifest (is it an index?) before its signatures. */
let HOST = "registry.example.test";
const DAY_MS = 86_400_000;

type Key = openpgp.PrivateKey;

/** What a case must produce: the requirement's code and a pattern its (only) signature's reason must match. */
interface SecurityCase {
  name: string;
  /** The keyring file (under the temp dir) the case's scope trusts. */
  keyring: string;
  /** Makes the lookaside signature for the image's digest. */
  sign(digest: string, repository: string): Promise<Uint8Array>;
  expect: { allowed: true; signer: RegExp } | { code: string; reason: RegExp };
}

function keyId(key: openpgp.Key | openpgp.Subkey): Buffer {
  return Buffer.from(key.getKeyID().toHex(), "hex");
}

function fingerprint(key: openpgp.Key | openpgp.Subkey): Buffer {
  return Buffer.from(key.getFingerprint(), "hex");
}

/** Replaces every occurrence of `from` in `bytes` with `to` (same length); returns how many were replaced. */
function replaceAll(bytes: Buffer, from: Buffer, to: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(from); at !== -1; at = bytes.indexOf(from, at + to.length)) {
    to.copy(bytes, at);
    count++;
  }
  return count;
}

async function sign(key: Key, payload: Uint8Array, options: { date?: Date; notations?: openpgp.RawNotation[] } = {}): Promise<Buffer> {
  const date = options.date ?? new Date();
  const message = await openpgp.createMessage({ binary: payload, date });
  const signed = await openpgp.sign({
    message,
    signingKeys: key,
    date,
    format: "binary",
    ...(options.notations ? { signatureNotations: options.notations } : {}),
  });
  return Buffer.from(signed);
}

describe("OpenPGP security cases through `signet policy verify --output json` (security-cases.md D.26)", () => {
  let dir: string;
  let trusted: Key;
  let subkeyed: Key;
  let expired: Key;
  let other: Key;
  const payloadFor = (digest: string, repository: string, reference = `${HOST}/${repository}:v1`): Buffer =>
    createAtomicPayload({ dockerReference: reference, manifestDigest: digest, creator: "signet test", timestamp: Math.floor(Date.now() / 1000) });

  const CASES: SecurityCase[] = [
    {
      name: "control: a valid signature by the trusted key is allowed",
      keyring: "trusted.gpg",
      sign: (digest, repository) => sign(trusted, payloadFor(digest, repository)),
      expect: { allowed: true, signer: /^[0-9A-F]{40}$/ },
    },
    {
      name: "control: a signature by a valid signing subkey is allowed (reported by the primary key)",
      keyring: "subkeyed.gpg",
      sign: (digest, repository) => sign(subkeyed, payloadFor(digest, repository)),
      expect: { allowed: true, signer: /^[0-9A-F]{40} \(subkey [0-9A-F]{40}\)$/ },
    },
    {
      name: "revoked subkey: the same subkey signature, with the subkey revoked in the keyring",
      keyring: "subkeyed-revoked.gpg",
      sign: (digest, repository) => sign(subkeyed, payloadFor(digest, repository)),
      expect: { code: "SIG_INVALID", reason: /invalid GPG signature \(subkey-revoked\): signing subkey [0-9A-F]{40} of key [0-9A-F]{40} has been revoked/ },
    },
    {
      name: "revoked primary key: refused even for a signature made before the revocation",
      keyring: "trusted-revoked.gpg",
      sign: (digest, repository) => sign(trusted, payloadFor(digest, repository)),
      expect: { code: "SIG_INVALID", reason: /invalid GPG signature \(key-revoked\)/ },
    },
    {
      name: "expired key: a signature made while the key was valid is refused once the key has expired (as gpgme: EXPKEYSIG)",
      keyring: "expired.gpg",
      sign: (digest, repository) => sign(expired, payloadFor(digest, repository), { date: new Date(Date.now() - 2 * DAY_MS + 3_600_000) }),
      expect: { code: "SIG_INVALID", reason: /invalid GPG signature \(key-expired\): key [0-9A-F]{40} expired on / },
    },
    {
      name: "short key ID collision: the issuer's low 32 bits are the trusted key's, the signature was made by another key",
      keyring: "trusted.gpg",
      async sign(digest, repository) {
        const bytes = await sign(other, payloadFor(digest, repository));
        // A key ID that shares the trusted key's short (32-bit) ID but is another key, as a colliding key would have.
        const colliding = Buffer.concat([keyId(other).subarray(0, 4), keyId(trusted).subarray(4)]);
        assert.notDeepEqual(colliding, keyId(trusted));
        const forgedFingerprint = Buffer.concat([fingerprint(other).subarray(0, 12), colliding]);
        assert.equal(replaceAll(bytes, fingerprint(other), forgedFingerprint), 1, "the issuer fingerprint subpacket");
        assert.ok(replaceAll(bytes, keyId(other), colliding) >= 2, "the one-pass packet and the issuer subpacket");
        return bytes;
      },
      expect: { code: "SIG_INVALID", reason: /invalid GPG signature \(unknown-key\): the signature was made by key [0-9A-F]{16}, which is not in the keyring/ },
    },
    {
      name: "forged issuer: the signature names the trusted key (ID and fingerprint) but was made by another key",
      keyring: "trusted.gpg",
      async sign(digest, repository) {
        const bytes = await sign(other, payloadFor(digest, repository));
        assert.equal(replaceAll(bytes, fingerprint(other), fingerprint(trusted)), 1);
        assert.ok(replaceAll(bytes, keyId(other), keyId(trusted)) >= 2);
        return bytes;
      },
      expect: { code: "SIG_INVALID", reason: /invalid GPG signature \(bad-signature\): the signature does not verify with key [0-9A-F]{40}/ },
    },
    {
      name: "unknown critical field in the payload",
      keyring: "trusted.gpg",
      sign(digest, repository) {
        const payload = {
          critical: { identity: { "docker-reference": `${HOST}/${repository}:v1` }, image: { "docker-manifest-digest": digest }, "must-understand": true, type: ATOMIC_SIGNATURE_TYPE },
          optional: {},
        };
        return sign(trusted, Buffer.from(JSON.stringify(payload)));
      },
      expect: { code: "SIG_PAYLOAD_INVALID", reason: /^signed by [0-9A-F]{40}, but atomic signature payload has an unknown field "must-understand" in critical$/ },
    },
    {
      name: "unknown critical OpenPGP notation in the signature (gpg refuses to verify it)",
      keyring: "trusted.gpg",
      sign: (digest, repository) =>
        sign(trusted, payloadFor(digest, repository), { notations: [{ name: "must-understand@example.test", value: new Uint8Array([1]), humanReadable: false, critical: true }] }),
      expect: { code: "SIG_INVALID", reason: /invalid GPG signature \(malformed\)/ },
    },
    {
      name: "wrong critical.type (a cosign payload signed with the trusted GPG key)",
      keyring: "trusted.gpg",
      sign(digest, repository) {
        const payload = {
          critical: { identity: { "docker-reference": `${HOST}/${repository}` }, image: { "docker-manifest-digest": digest }, type: "cosign container image signature" },
          optional: null,
        };
        return sign(trusted, Buffer.from(JSON.stringify(payload)));
      },
      expect: { code: "SIG_PAYLOAD_INVALID", reason: /has critical\.type "cosign container image signature", expected "atomic container signature"/ },
    },
    {
      name: "mismatched docker-manifest-digest: a valid signature of another manifest, stored under this image's digest",
      keyring: "trusted.gpg",
      sign: (_digest, repository) => sign(trusted, payloadFor(`sha256:${"e".repeat(64)}`, repository)),
      expect: { code: "SIG_DIGEST_MISMATCH", reason: /the signature is for sha256:e{64}, not for this image's sha256:[0-9a-f]{64}$/ },
    },
    {
      name: "mismatched reference: a valid signature of this digest for another repository",
      keyring: "trusted.gpg",
      sign: (digest) => sign(trusted, payloadFor(digest, "sec/elsewhere")),
      expect: { code: "SIG_IDENTITY_MISMATCH", reason: /the signature names "127\.0\.0\.1:\d+\/sec\/elsewhere:v1", but matchRepoDigestOrExact .* requires a tag or digest of the repository 127\.0\.0\.1:\d+\/sec\/case-\d+/ },
    },
  ];

  interface Decision {
    image: string;
    allowed: boolean;
    outcome: string;
    code?: string;
    requirements: { code?: string; reason: string; signatures: { allowed: boolean; code?: string; reason: string; signer?: string }[] }[];
  }
  let output: { allowed: boolean; images: Decision[] };
  let exitStatus: number | null;
  const images: string[] = [];

  let registry: HostileRegistry;
  /** One single-image manifest per case, served by digest. */
  const manifests = new Map<string, Buffer>();
  before(async () => {
    registry = await startHostileRegistry((request, response) => {
      const digest = /\/manifests\/(sha256:[0-9a-f]{64})$/.exec(request.url)?.[1];
      const body = digest === undefined ? undefined : manifests.get(digest);
      if (body === undefined) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": digest!, "content-length": body.length }).end(request.method === "HEAD" ? undefined : body);
    });
    HOST = registry.host;
    dir = mkdtempSync(join(tmpdir(), "signet-openpgp-security-"));
    const generate = async (name: string, options: Record<string, unknown> = {}): Promise<Key> =>
      (await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name }], format: "object", ...options } as Parameters<typeof openpgp.generateKey>[0] & { format: "object" })).privateKey;
    trusted = await generate("trusted");
    subkeyed = await generate("subkeyed", { subkeys: [{ sign: true }] });
    expired = await generate("expired", { date: new Date(Date.now() - 2 * DAY_MS), keyExpirationTime: 86_400 });
    other = await generate("other");

    const write = (name: string, key: openpgp.Key): void => writeFileSync(join(dir, name), key.toPublic().write());
    write("trusted.gpg", trusted);
    write("subkeyed.gpg", subkeyed);
    write("expired.gpg", expired);
    const revokedSubkey = await openpgp.readPrivateKey({ binaryKey: subkeyed.write() });
    revokedSubkey.subkeys[0] = await revokedSubkey.subkeys[0]!.revoke(revokedSubkey.keyPacket as openpgp.SecretKeyPacket);
    write("subkeyed-revoked.gpg", revokedSubkey);
    const { publicKey: revokedTrusted } = await openpgp.revokeKey({ key: trusted, format: "binary" });
    writeFileSync(join(dir, "trusted-revoked.gpg"), revokedTrusted);

    const sigs = join(dir, "sigs");
    mkdirSync(join(dir, "registries.d"));
    writeFileSync(join(dir, "registries.d", "default.yaml"), `default-docker:\n  lookaside: ${pathToFileURL(sigs).href}\n`);
    const scopes: Record<string, unknown> = {};
    for (const [index, row] of CASES.entries()) {
      const repository = `sec/case-${index}`;
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${createHash("sha256").update(`config ${index}`).digest("hex")}`, size: 2 },
          layers: [],
        }),
      );
      const digest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
      manifests.set(digest, manifest);
      const image = `${HOST}/${repository}@${digest}`;
      images.push(image);
      await writeLookasideSignature(pathToFileURL(sigs).href, parseImageReference(image), digest, await row.sign(digest, repository));
      scopes[`${HOST}/${repository}`] = [{ type: "signedBy", keyType: "GPGKeys", keyPath: join(dir, row.keyring) }];
    }
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ default: [{ type: "reject" }], transports: { docker: scopes } }, null, 2));
    const result = await runSignet(["policy", "verify", "--policy", join(dir, "policy.json"), "--registries-d", join(dir, "registries.d"), "--output-format", "json", ...images], {
      env: { ...process.env, HOME: dir },
    });
    exitStatus = result.status;
    assert.equal(result.stderr, "", "policy verify --output json writes nothing to stderr");
    output = JSON.parse(result.stdout) as typeof output;
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await registry?.stop();
  });

  test("the run as a whole is denied: exit status 1, allowed false, one decision per image in order", () => {
    assert.equal(exitStatus, 1);
    assert.equal(output.allowed, false);
    assert.deepEqual(output.images.map((d) => d.image), images.map((i) => `docker://${i}`));
  });

  for (const [index, row] of CASES.entries()) {
    test(row.name, () => {
      const decision = output.images[index]!;
      const requirement = decision.requirements[0]!;
      assert.equal(decision.requirements.length, 1);
      const signatures = requirement.signatures;
      assert.equal(signatures.length, 1, "the one lookaside signature was read and tried");
      if ("allowed" in row.expect) {
        assert.equal(decision.allowed, true, JSON.stringify(decision, null, 2));
        assert.equal(decision.outcome, "allowed");
        assert.equal(signatures[0]!.allowed, true);
        assert.match(signatures[0]!.signer ?? "", row.expect.signer);
        return;
      }
      assert.equal(decision.allowed, false);
      assert.equal(decision.outcome, "denied", "a verdict on the image, not a failure to evaluate it");
      assert.equal(decision.code, "POLICY_DENIED");
      assert.equal(requirement.code, row.expect.code, requirement.reason);
      assert.equal(signatures[0]!.allowed, false);
      assert.equal(signatures[0]!.code, row.expect.code);
      assert.match(signatures[0]!.reason, row.expect.reason);
    });
  }
});
