/**
 * Differential test of the cosign payload reader (issue #8): a corpus of odd simple-signing payloads, each signed
 * with one key and attached as a `.sig` layer to its own image on a real registry, is verified by cosign 2.5
 * (`cosign verify --key --insecure-ignore-tlog=true`) and by signet's two paths (`signet verify --key` and
 * `signet policy verify` with a sigstoreSigned keyPath requirement). (Debian's skopeo is built without sigstore
 * support, so containers/image's own verdicts come from its unit-test fixtures in test/unit/policy instead.) The rules:
 * - signet never accepts a payload cosign rejects;
 * - when signet accepts, cosign read the same digest (the image's);
 * - signet's verify path and policy path give the same verdict and the same error code.
 * Each row also pins the verdict expected from every tool, so a change in any of them shows up here. With
 * SIGNET_DIFFERENTIAL_TABLE=path the table in docs/compatibility.md is written to that path.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Digest } from "../../src/internal/digest.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { NO_CREDENTIALS } from "../../src/oci/registry/credentials.js";
import { attachSignatureLayer } from "../../src/signatures/cosign/attach.js";
import { runProgram, runSignet } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const TYPE = "cosign container image signature";
const OTHER = `sha256:${"0".repeat(63)}1` as Digest;

type Verdict = "accept" | "reject";

interface Case {
  readonly name: string;
  /** The payload for an image whose repository is `repo` and digest `digest`. */
  readonly payload: (repo: string, digest: string) => string | Buffer;
  readonly cosign: Verdict;
  /** signet's verdict: accepted, or the error code of both signet paths. */
  readonly signet: "accept" | "SIG_PAYLOAD_INVALID" | "SIG_DIGEST_MISMATCH";
}

const critical = (repo: string, digest: string, image = `{"docker-manifest-digest":"${digest}"}`, extra = ""): string =>
  `{"identity":{"docker-reference":"${repo}"},"image":${image},"type":"${TYPE}"${extra}}`;
const payloadOf = (repo: string, digest: string, options: { image?: string; criticalExtra?: string; optional?: string; top?: string } = {}): string =>
  `{"critical":${critical(repo, digest, options.image, options.criticalExtra)},"optional":${options.optional ?? "null"}${options.top ?? ""}}`;

const CASES: readonly Case[] = [
  { name: "cosign's own payload", payload: (r, d) => payloadOf(r, d), cosign: "accept", signet: "accept" },
  { name: "annotations in optional", payload: (r, d) => payloadOf(r, d, { optional: '{"team":"blue","n":1}' }), cosign: "accept", signet: "accept" },
  { name: "whitespace around and inside", payload: (r, d) => ` \n${payloadOf(r, d).replace(/,/g, " ,\n ")}\n`, cosign: "accept", signet: "accept" },
  { name: "key spelled with an escape (docker\\u002dmanifest-digest)", payload: (r, d) => payloadOf(r, d, { image: `{"docker\\u002dmanifest-digest":"${d}"}` }), cosign: "accept", signet: "accept" },
  { name: "duplicate docker-manifest-digest, this image's last", payload: (r, d) => payloadOf(r, d, { image: `{"docker-manifest-digest":"${OTHER}","docker-manifest-digest":"${d}"}` }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "duplicate docker-manifest-digest, this image's first", payload: (r, d) => payloadOf(r, d, { image: `{"docker-manifest-digest":"${d}","docker-manifest-digest":"${OTHER}"}` }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "case-variant Docker-Manifest-Digest after, naming another digest", payload: (r, d) => payloadOf(r, d, { image: `{"docker-manifest-digest":"${d}","Docker-Manifest-Digest":"${OTHER}"}` }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "case-variant Docker-Manifest-Digest before, naming another digest", payload: (r, d) => payloadOf(r, d, { image: `{"Docker-Manifest-Digest":"${OTHER}","docker-manifest-digest":"${d}"}` }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "only a case variant DOCKER-MANIFEST-DIGEST", payload: (r, d) => payloadOf(r, d, { image: `{"DOCKER-MANIFEST-DIGEST":"${d}"}` }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "Kelvin sign variant doc\\u212Aer-manifest-digest after, naming another digest", payload: (r, d) => payloadOf(r, d, { image: `{"docker-manifest-digest":"${d}","doc\u212Aer-manifest-digest":"${OTHER}"}` }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "case-variant Image object after, naming another digest", payload: (r, d) => payloadOf(r, d, { criticalExtra: `,"Image":{"docker-manifest-digest":"${OTHER}"}` }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "case-variant Critical object after, naming another digest", payload: (r, d) => payloadOf(r, d, { top: `,"Critical":${critical(r, OTHER)}` }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "leading UTF-8 byte order mark", payload: (r, d) => `\uFEFF${payloadOf(r, d)}`, cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "trailing bytes after the object", payload: (r, d) => `${payloadOf(r, d)}x`, cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "a second JSON object after the first", payload: (r, d) => `${payloadOf(r, d)}${payloadOf(r, OTHER)}`, cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "missing optional", payload: (r, d) => `{"critical":${critical(r, d)}}`, cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "unknown critical field", payload: (r, d) => payloadOf(r, d, { criticalExtra: ',"expires":"2000-01-01"' }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "unknown top-level field", payload: (r, d) => payloadOf(r, d, { top: ',"note":"x"' }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "unknown field in critical.image", payload: (r, d) => payloadOf(r, d, { image: `{"docker-manifest-digest":"${d}","size":1}` }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "missing critical.type", payload: (r, d) => `{"critical":{"identity":{"docker-reference":"${r}"},"image":{"docker-manifest-digest":"${d}"}},"optional":null}`, cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "critical.type of an atomic signature", payload: (r, d) => payloadOf(r, d).replace(TYPE, "atomic container signature"), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "duplicate annotation key in optional", payload: (r, d) => payloadOf(r, d, { optional: '{"team":"red","team":"blue"}' }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "optional.creator not a string", payload: (r, d) => payloadOf(r, d, { optional: '{"creator":5}' }), cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "invalid UTF-8 in docker-reference", payload: (r, d) => Buffer.from(payloadOf(`${r}\u0001`, d)).map((byte) => (byte === 0x01 ? 0xff : byte)) as Buffer, cosign: "accept", signet: "SIG_PAYLOAD_INVALID" },
  { name: "digest of another image", payload: (r) => payloadOf(r, OTHER), cosign: "reject", signet: "SIG_DIGEST_MISMATCH" },
  { name: "digest as a number", payload: (r, d) => payloadOf(r, d, { image: '{"docker-manifest-digest":1}' }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "digest null", payload: (r, d) => payloadOf(r, d, { image: '{"docker-manifest-digest":null}' }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "digest in upper case", payload: (r, d) => payloadOf(r, d.replace(/[a-f]/g, (c) => c.toUpperCase())), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "docker-reference as a number", payload: (r, d) => payloadOf(r, d).replace(`"${r}"`, "5"), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "critical null", payload: () => '{"critical":null,"optional":null}', cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "optional a string", payload: (r, d) => payloadOf(r, d, { optional: '"x"' }), cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
  { name: "the payload an array", payload: (r, d) => `[${payloadOf(r, d)}]`, cosign: "reject", signet: "SIG_PAYLOAD_INVALID" },
];

interface Row {
  readonly name: string;
  readonly cosign: Verdict;
  /** Which digest cosign read when it accepted: "the image's" or "another". */
  readonly cosignDigest: string;
  readonly signetVerify: string;
  readonly signetPolicy: string;
}

describe("cosign payload differential (cosign 2.5, signet verify, signet policy verify)", () => {
  let registry: TestRegistry;
  let dir: string;
  let privateKey: KeyObject;
  const rows: Row[] = [];
  const images = new Map<string, { repo: string; digest: Digest }>();

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-differential-"));
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    privateKey = pair.privateKey;
    writeFileSync(join(dir, "cosign.pub"), pair.publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(
      join(dir, "policy.json"),
      JSON.stringify({
        default: [{ type: "reject" }],
        transports: { docker: { [`${registry.host}/differential`]: [{ type: "sigstoreSigned", keyPath: join(dir, "cosign.pub"), signedIdentity: { type: "matchRepository" } }] } },
      }),
    );
    mkdirSync(join(dir, "registries.d"));
    writeFileSync(join(dir, "registries.d", "default.yaml"), "default-docker:\n  use-sigstore-attachments: true\n");
    const access = new ImageAccess({ credentials: NO_CREDENTIALS });
    try {
      for (const [index, entry] of CASES.entries()) {
        const repo = `${registry.host}/differential/case-${index}`;
        const digest = await pushTestImage(registry.host, `differential/case-${index}`, "v1", `differential ${index}`);
        const payload = entry.payload(repo, digest);
        const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
        const signature = sign("sha256", bytes, privateKey).toString("base64");
        const repository = await access.repositoryByName(repo);
        await attachSignatureLayer(repository, digest, { payload: bytes, annotations: { "dev.cosignproject.cosign/signature": signature } });
        images.set(entry.name, { repo, digest });
      }
    } finally {
      await access.close();
    }
  });

  after(async () => {
    await registry.stop();
    const table = process.env["SIGNET_DIFFERENTIAL_TABLE"];
    if (table !== undefined && rows.length === CASES.length) writeFileSync(table, formatTable(rows));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const entry of CASES) {
    test(entry.name, async () => {
      const { repo, digest } = images.get(entry.name)!;
      const image = `${repo}@${digest}`;
      const env = cosignEnv();

      const cosign = await runProgram(cosignPath(), ["verify", "--key", join(dir, "cosign.pub"), "--insecure-ignore-tlog=true", "--output", "json", image], { env, cwd: dir });
      const cosignVerdict: Verdict = cosign.status === 0 ? "accept" : "reject";
      const cosignDigest = cosign.status === 0 ? (JSON.parse(cosign.stdout) as { critical: { image: { "docker-manifest-digest": string } } }[])[0]!.critical.image["docker-manifest-digest"] : undefined;

      const verify = await runSignet(["verify", "--key", join(dir, "cosign.pub"), "--insecure-ignore-tlog", "--output-format", "json", image], { cwd: dir });
      const verifyOutcome = signetOutcome(verify.status, verify.stdout);
      const signetDigest =
        verify.status === 0
          ? (JSON.parse(verify.stdout) as { images: { signatures: { payload: { critical: { image: { "docker-manifest-digest": string } } } }[] }[] }).images[0]!.signatures[0]!.payload.critical.image["docker-manifest-digest"]
          : undefined;

      const policy = await runSignet(["policy", "verify", "--policy", join(dir, "policy.json"), "--registries-d", join(dir, "registries.d"), "--output-format", "json", `docker://${image}`], { cwd: dir, env: { ...process.env, HOME: dir } });
      const policyOutcome = policyVerdict(policy.status, policy.stdout);

      rows.push({ name: entry.name, cosign: cosignVerdict, cosignDigest: cosignDigest === undefined ? "-" : cosignDigest === digest ? "the image's" : "another", signetVerify: verifyOutcome, signetPolicy: policyOutcome });

      // The invariants.
      if (verifyOutcome === "accept") {
        assert.equal(cosignVerdict, "accept", `signet accepted what cosign rejects: ${cosign.stderr.slice(0, 300)}`);
        assert.equal(signetDigest, digest);
        assert.equal(cosignDigest, digest, "cosign read another digest than signet");
      }
      assert.equal(policyOutcome, verifyOutcome, "signet's verify and policy paths disagree");
      // The expectations this row documents.
      assert.equal(cosignVerdict, entry.cosign, `cosign: ${cosign.stderr.slice(0, 300)}`);
      assert.equal(verifyOutcome, entry.signet, `signet verify: ${verify.stdout.slice(0, 500)}`);
    });
  }
});

function signetOutcome(status: number | null, stdout: string): string {
  if (status === 0) return "accept";
  const value = JSON.parse(stdout) as { error?: { code: string }; images?: { error?: { code: string } }[] };
  return value.error?.code ?? value.images?.[0]?.error?.code ?? `exit ${String(status)}`;
}

function policyVerdict(status: number | null, stdout: string): string {
  const value = JSON.parse(stdout) as { allowed: boolean; images: { allowed: boolean; requirements: { code?: string; signatures?: { code?: string }[] }[] }[] };
  assert.equal(status, value.allowed ? 0 : 1);
  if (value.allowed) return "accept";
  const requirement = value.images[0]!.requirements[0]!;
  return requirement.signatures?.[0]?.code ?? requirement.code ?? "denied";
}

function formatTable(rows: readonly Row[]): string {
  const lines = [
    "| payload | cosign 2.5 | digest cosign read | signet verify | signet policy verify |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((row) => `| ${row.name.replace(/\|/g, "\\|")} | ${row.cosign} | ${row.cosignDigest} | ${row.signetVerify} | ${row.signetPolicy} |`),
  ];
  return `${lines.join("\n")}\n`;
}
