/**
 * The Confidential Containers guide replayed end to end against real components: a docker-registry, images
 * signed with `signet sign --key`, a local KBS admin endpoint (in this test: it checks the EdDSA admin JWT with
 * the admin public key, stores what is POSTed, and refuses resource reads without attestation, as a KBS does).
 *
 *   keys (generate-key-pair) -> coco policy -> kbs set-resource (key and policy, with a mirror copy)
 *   -> coco initdata (annotation decoded and checked) -> policy verify --as image-rs, reading the policy and the
 *   key through kbs:/// from the mirror: the signed image is allowed; unsigned, wrong-key and tampered images are
 *   denied with their codes; the guide's own policy (no signedIdentity) is allowed by image-rs's reading and
 *   denied (SIG_IDENTITY_MISMATCH) by containers/image's.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

interface Decision {
  image: string;
  allowed: boolean;
  code?: string;
  requirements?: { code?: string }[];
  error?: { code: string };
}

describe("the Confidential Containers guide, end to end", () => {
  let registry: TestRegistry;
  let kbs: Server;
  let kbsUrl: string;
  let dir: string;
  const stored = new Map<string, Buffer>();
  const env = { ...process.env, COSIGN_PASSWORD: "" };
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const images = {} as Record<"signed" | "unsigned" | "wrongKey" | "tampered", string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-coco-guide-"));
    registry = await startRegistry();
    const admin = generateKeyPairSync("ed25519");
    writeFileSync(join(dir, "admin.key"), admin.privateKey.export({ type: "pkcs8", format: "pem" }));
    kbs = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const path = /^\/kbs\/v0\/resource\/([^/]+\/[^/]+\/[^/]+)$/.exec(request.url ?? "")?.[1];
        if (path === undefined) return void response.writeHead(404).end();
        if (request.method === "GET") return void response.writeHead(401).end('{"type":"https://github.com/confidential-containers/kbs/errors/TokenNotFound"}');
        const token = /^Bearer (.+)\.(.+)\.(.+)$/.exec(request.headers.authorization ?? "");
        const ok = token !== null && verify(null, Buffer.from(`${token[1]}.${token[2]}`), admin.publicKey, Buffer.from(token[3]!, "base64url"));
        if (!ok) return void response.writeHead(401).end("bad admin token");
        stored.set(path, Buffer.concat(chunks));
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => kbs.listen(0, "127.0.0.1", resolve));
    kbsUrl = `http://127.0.0.1:${(kbs.address() as AddressInfo).port}`;

    const repo = `${registry.host}/coco/app`;
    images.signed = `${repo}@${(await pushTestImage(registry.host, "coco/app", "signed", "signed content")).toString()}`;
    images.unsigned = `${repo}@${(await pushTestImage(registry.host, "coco/app", "unsigned", "unsigned content")).toString()}`;
    images.wrongKey = `${repo}@${(await pushTestImage(registry.host, "coco/app", "wrong-key", "wrong key content")).toString()}`;
    const tamperedDigest = (await pushTestImage(registry.host, "coco/app", "tampered", "tampered content")).toString();
    images.tampered = `${repo}@${tamperedDigest}`;

    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "cosign"])).status, 0);
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "other"])).status, 0);
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "cosign.key", images.signed])).status, 0);
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "other.key", images.wrongKey])).status, 0);
    // Tampered: the signed image's valid signature, copied to the other image's signature tag.
    const signedSig = `sha256-${images.signed.split("@sha256:")[1]!}.sig`;
    const manifest = await fetch(`http://${registry.host}/v2/coco/app/manifests/${signedSig}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    assert.equal(manifest.status, 200);
    const put = await fetch(`http://${registry.host}/v2/coco/app/manifests/sha256-${tamperedDigest.slice(7)}.sig`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      body: Buffer.from(await manifest.arrayBuffer()),
    });
    assert.equal(put.status, 201);
  });

  after(async () => {
    kbs?.close();
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const verifyAs = async (policy: string, semantics: "image-rs" | "containers-image", extra: string[] = ["--kbs-mirror", "mirror"]): Promise<Decision[]> => {
    // containers/image reads cosign attachments only where registries.d enables them; image-rs always reads them.
    const attachments = semantics === "containers-image" ? ["--use-sigstore-attachments"] : [];
    const result = await signet(["policy", "verify", "--as", semantics, "--policy", policy, ...attachments, ...extra, "--output", "json", images.signed, images.unsigned, images.wrongKey, images.tampered]);
    const report = JSON.parse(result.stdout) as { allowed: boolean; semantics?: string; images?: Decision[]; error?: { code: string } };
    if (report.images === undefined) return [{ image: "", allowed: false, error: report.error! }];
    assert.equal(result.status, report.allowed ? 0 : 1);
    assert.equal(report.semantics, semantics);
    return report.images;
  };

  test("keys and policy go to the KBS (admin JWT) and the mirror; image-rs's reading allows the signed image only", async () => {
    const policy = await signet(["coco", "policy", "--image", `${registry.host}/coco/app=test`, "--file", "security-policy.json"]);
    assert.equal(policy.status, 0, policy.stderr);
    for (const [path, file] of [["default/cosign-public-key/test", "cosign.pub"], ["default/security-policy/test", "security-policy.json"]] as const) {
      const set = await signet(["kbs", "set-resource", "--url", kbsUrl, "--path", path, "--resource-file", file, "--auth-private-key", "admin.key", "--mirror", "mirror"]);
      assert.equal(set.status, 0, set.stderr + set.stdout);
      assert.deepEqual(stored.get(path), readFileSync(join(dir, file)));
    }

    const decisions = await verifyAs("kbs:///default/security-policy/test", "image-rs");
    assert.deepEqual(
      decisions.map((d) => [d.allowed, d.code, d.requirements?.[0]?.code]),
      [
        [true, undefined, undefined],
        [false, "POLICY_DENIED", "SIG_MISSING"],
        [false, "POLICY_DENIED", "SIG_INVALID"],
        [false, "POLICY_DENIED", "SIG_DIGEST_MISMATCH"],
      ],
    );
    // The generated policy names matchRepository, so containers/image's reading agrees.
    assert.deepEqual(
      (await verifyAs("kbs:///default/security-policy/test", "containers-image")).map((d) => d.allowed),
      [true, false, false, false],
    );
  });

  test("the guide's own policy (no signedIdentity): image-rs allows the signed image, containers/image does not", async () => {
    writeFileSync(
      join(dir, "guide-policy.json"),
      JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { [`${registry.host}/coco/app`]: [{ type: "sigstoreSigned", keyPath: "kbs:///default/cosign-public-key/test" }] } } }),
    );
    const imageRs = await verifyAs("guide-policy.json", "image-rs");
    assert.deepEqual(imageRs.map((d) => d.requirements?.[0]?.code ?? "allowed"), ["allowed", "SIG_MISSING", "SIG_INVALID", "SIG_DIGEST_MISMATCH"]);
    const containersImage = await verifyAs("guide-policy.json", "containers-image");
    assert.equal(containersImage[0]!.allowed, false);
    assert.equal(containersImage[0]!.requirements?.[0]?.code, "SIG_IDENTITY_MISMATCH");
  });

  test("reading kbs:/// from the KBS itself, outside a guest, says that it serves resources only after attestation", async () => {
    const [failure] = await verifyAs("kbs:///default/security-policy/test", "image-rs", ["--kbs-url", kbsUrl]);
    assert.equal(failure!.error?.code, "KBS_ATTESTATION_REQUIRED");
  });

  test("initdata for the guest: the annotation decodes to initdata.toml, whose cdh.toml names the policy resource", async () => {
    const result = await signet(["coco", "initdata", "--kbs-url", kbsUrl, "--file", "initdata.toml", "--output", "json"]);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { annotation: { value: string }; imageSecurityPolicyUri: string };
    assert.deepEqual(gunzipSync(Buffer.from(report.annotation.value, "base64")), readFileSync(join(dir, "initdata.toml")));
    assert.equal(report.imageSecurityPolicyUri, "kbs:///default/security-policy/test");
    const params = await signet(["coco", "kernel-params", "--kbs-url", kbsUrl]);
    assert.equal(params.stdout.trim(), `agent.image_policy_file=kbs:///default/security-policy/test agent.enable_signature_verification=true agent.aa_kbc_params=cc_kbc::${kbsUrl}`);
  });
});
