// Attack: a local user plants a symbolic link (or a file of their own) where signet writes a private key, to read
// the key or to make signet overwrite another file. Every key writer (webhook certs, public-key --outfile,
// generate-key-pair, import-key-pair) refuses both, with its code, and writes atomically with the right mode.
import assert from "node:assert/strict";
import { chownSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { generateSigningKey, privateKeyToPem, publicKeyToPem, writeKeyPair } from "../../../src/keys/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { runCliInProcess } from "../../helpers/cli.js";

const made: string[] = [];
const newDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "signet-keywrites-"));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const OTHER_UID = 65534; // nobody
const canChown = process.getuid?.() === 0;

const cli = runCliInProcess;

function errorCode(stdout: string): string {
  return (JSON.parse(stdout) as { error: { code: string } }).error.code;
}

const certs = (outDir: string, ...extra: string[]): string[] => ["webhook", "certs", "--service", "svc", "--namespace", "ns", "--out-dir", outDir, "--output-format", "json", ...extra];

describe("webhook certs writes keys atomically and refuses prepared destinations", () => {
  test("--force does not write the private key through a planted symbolic link (FILE_SYMLINK)", async () => {
    const dir = newDir();
    const out = join(dir, "out");
    assert.equal((await cli(certs(out))).status, 0);
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    rmSync(join(out, "tls.key"));
    symlinkSync(victim, join(out, "tls.key"));
    const result = await cli(certs(out, "--force"));
    assert.equal(result.status, 1);
    assert.equal(errorCode(result.stdout), "FILE_SYMLINK");
    assert.equal(readFileSync(victim, "utf8"), "precious\n");
    assert.equal(readlinkSync(join(out, "tls.key")), victim);
  });

  test("without --force a dangling link is refused too, and nothing is written (FILE_SYMLINK)", async () => {
    const dir = newDir();
    const out = join(dir, "out");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(out);
    symlinkSync(join(dir, "attacker-readable"), join(out, "ca.key"));
    const result = await cli(certs(out));
    assert.equal(errorCode(result.stdout), "FILE_SYMLINK");
    assert.deepEqual(readdirSync(out), ["ca.key"]);
    assert.throws(() => statSync(join(dir, "attacker-readable")));
  });

  test("--force does not replace a key file owned by another user (FILE_FOREIGN_OWNER)", { skip: !canChown && "needs root to chown" }, async () => {
    const dir = newDir();
    const out = join(dir, "out");
    assert.equal((await cli(certs(out))).status, 0);
    writeFileSync(join(out, "tls.key"), "theirs\n", { mode: 0o666 });
    chownSync(join(out, "tls.key"), OTHER_UID, OTHER_UID);
    const result = await cli(certs(out, "--force"));
    assert.equal(result.status, 1);
    assert.equal(errorCode(result.stdout), "FILE_FOREIGN_OWNER");
    assert.equal(readFileSync(join(out, "tls.key"), "utf8"), "theirs\n");
  });

  test("--force replaces the old files with new ones (new inodes, keys 0600), no temporary files left", async () => {
    const dir = newDir();
    const out = join(dir, "out");
    assert.equal((await cli(certs(out))).status, 0);
    writeFileSync(join(out, "tls.key"), "old\n", { mode: 0o644 });
    const { chmodSync } = await import("node:fs");
    chmodSync(join(out, "tls.key"), 0o666); // a world-readable old file must not keep its mode
    const before = statSync(join(out, "tls.key")).ino;
    const result = await cli(certs(out, "--force"));
    assert.equal(result.status, 0, result.stdout);
    assert.notEqual(statSync(join(out, "tls.key")).ino, before);
    assert.equal(statSync(join(out, "tls.key")).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, "ca.key")).mode & 0o777, 0o600);
    assert.match(readFileSync(join(out, "tls.key"), "utf8"), /PRIVATE KEY/);
    assert.deepEqual(readdirSync(out).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
  });
});

describe("public-key --outfile", () => {
  const keyFile = (dir: string): string => {
    const path = join(dir, "plain.key");
    writeFileSync(path, privateKeyToPem(generateSigningKey()), { mode: 0o600 });
    return path;
  };

  test("writes the public key; refuses a planted link (FILE_SYMLINK) and another user's file (FILE_FOREIGN_OWNER)", async () => {
    const dir = newDir();
    const key = keyFile(dir);
    const outfile = join(dir, "key.pub");
    assert.equal((await cli(["public-key", "--key", key, "--outfile", outfile])).status, 0);
    assert.match(readFileSync(outfile, "utf8"), /^-----BEGIN PUBLIC KEY-----\n/);

    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    const linked = join(dir, "linked.pub");
    symlinkSync(victim, linked);
    const viaLink = await cli(["public-key", "--key", key, "--outfile", linked]);
    assert.equal(viaLink.status, 1);
    assert.match(viaLink.stderr, /\[FILE_SYMLINK\]/);
    assert.equal(readFileSync(victim, "utf8"), "precious\n");
    assert.ok(lstatSync(linked).isSymbolicLink());

    if (canChown) {
      const foreign = join(dir, "foreign.pub");
      writeFileSync(foreign, "theirs\n");
      chownSync(foreign, OTHER_UID, OTHER_UID);
      const result = await cli(["public-key", "--key", key, "--outfile", foreign]);
      assert.match(result.stderr, /\[FILE_FOREIGN_OWNER\]/);
      assert.equal(readFileSync(foreign, "utf8"), "theirs\n");
    }
  });
});

describe("generate-key-pair and import-key-pair", () => {
  test("--force refuses a planted link at PREFIX.key (FILE_SYMLINK) and another user's PREFIX.pub (FILE_FOREIGN_OWNER)", async () => {
    const dir = newDir();
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(dir, "cosign.key"));
    const env = { COSIGN_PASSWORD: "pw" };
    const generated = await cli(["generate-key-pair", "--force", "--output-key-prefix", join(dir, "cosign"), "--output-format", "json"], env);
    assert.equal(errorCode(generated.stdout), "FILE_SYMLINK");
    assert.equal(readFileSync(victim, "utf8"), "precious\n");

    const plain = join(dir, "plain.pem");
    writeFileSync(plain, privateKeyToPem(generateSigningKey()));
    const imported = await cli(["import-key-pair", "--key", plain, "--force", "--output-key-prefix", join(dir, "cosign"), "--output-format", "json"], env);
    assert.equal(errorCode(imported.stdout), "FILE_SYMLINK");
    assert.equal(readFileSync(victim, "utf8"), "precious\n");

    if (canChown) {
      const other = newDir();
      writeFileSync(join(other, "cosign.pub"), publicKeyToPem(generateSigningKey().publicKey));
      chownSync(join(other, "cosign.pub"), OTHER_UID, OTHER_UID);
      await assertRejectsWithCode(() => writeKeyPair(other, generateSigningKey(), "pw", { force: true }), "FILE_FOREIGN_OWNER");
      assert.deepEqual(readdirSync(other), ["cosign.pub"]);
    }
  });
});

describe("other files signet writes on request follow the same rule", () => {
  test("sign-blob --output-signature and policy init --file --force refuse a planted link (FILE_SYMLINK); policy init without --force keeps FILE_EXISTS", async () => {
    const dir = newDir();
    const key = join(dir, "plain.key");
    writeFileSync(key, privateKeyToPem(generateSigningKey()), { mode: 0o600 });
    const blob = join(dir, "blob.txt");
    writeFileSync(blob, "hello\n");
    const victim = join(dir, "victim");
    writeFileSync(victim, "precious\n");
    const linked = join(dir, "linked");
    symlinkSync(victim, linked);

    const signed = await cli(["sign-blob", "--tlog-upload=false", "--key", key, "--output-signature", linked, "--output-format", "json", blob]);
    assert.equal(errorCode(signed.stdout), "FILE_SYMLINK");
    const pub = join(dir, "k.pub");
    writeFileSync(pub, publicKeyToPem(generateSigningKey().publicKey));
    const policy = await cli(["policy", "init", "--image", "example.com/app", "--key", pub, "--file", linked, "--force", "--output-format", "json"]);
    assert.equal(errorCode(policy.stdout), "FILE_SYMLINK");
    assert.equal(readFileSync(victim, "utf8"), "precious\n");

    const existing = join(dir, "policy.json");
    writeFileSync(existing, "{}");
    assert.equal(errorCode((await cli(["policy", "init", "--image", "example.com/app", "--key", pub, "--file", existing, "--output-format", "json"])).stdout), "FILE_EXISTS");
    assert.equal((await cli(["policy", "init", "--image", "example.com/app", "--key", pub, "--file", existing, "--force"])).status, 0);
    assert.match(readFileSync(existing, "utf8"), /sigstoreSigned/);
    const written = join(dir, "sig.txt");
    assert.equal((await cli(["sign-blob", "--tlog-upload=false", "--key", key, "--output-signature", written, blob])).status, 0);
    assert.match(readFileSync(written, "utf8"), /^[A-Za-z0-9+/]+=*$/);
  });
});
