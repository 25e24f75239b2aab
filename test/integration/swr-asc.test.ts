/**
 * swr-cosign's `.asc` objects: `{PublicKeyID, Signature: base64 of an armored detached GPG signature,
 * SerializedPayload: base64 of the payload}` at `<base>/<repository>/<sha256 hex>.asc`. An object made by hand with
 * the guide's commands (cosign generate, gpg --armor --detach-sign, base64, echo) verifies in signet (policy.json
 * signedBy and signetThreshold, through `signet policy verify` and the webhook, from a file: and an http: store);
 * signet's own object (`signet sign --gpg-key --swr-asc`) verifies with the same commands reversed
 * (base64 -d, gpg --verify). Real gpg, cosign and registry.
 */
import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import type { ErrorCode } from "../../src/errors/index.js";
import type { Digest } from "../../src/internal/digest.js";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { createGpgHome, type GpgHome } from "../helpers/gpg.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath, requirePeer } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, workload } from "../unit/webhook/server/admission-reviews.js";
import { postReview } from "../unit/webhook/server/https-client.js";
import { signingSetup, startWebhookProcess, webhookFiles, type SigningSetup, type WebhookProcess } from "./webhook-server-harness.js";

interface Verdict {
  readonly allowed: boolean;
  readonly code?: ErrorCode;
}

describe("swr-cosign .asc objects", () => {
  let registry: TestRegistry;
  let gpgHome: GpgHome;
  let signer: SigningSetup;
  let dir: string;
  let host: string;
  let http: Server;
  let httpBase: string;
  let webhook: WebhookProcess;
  const digests = new Map<string, Digest>();
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, HOME: dir });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env: env(), cwd: dir });
  const image = (repo: string) => `${host}/swr/${repo}:v1`;
  const ascPath = (repo: string) => join(dir, "store", "swr", repo, `${digests.get(repo)!.slice("sha256:".length)}.asc`);

  /** The guide's commands, run by bash with real cosign, gpg and base64. */
  async function guideSign(repo: string, signedImage = `${host}/swr/${repo}@${digests.get(repo)!}`): Promise<void> {
    const script = [
      "set -euo pipefail",
      'cosign generate "$IMAGE" > payload.json',
      'gpg --batch --pinentry-mode loopback --passphrase-file "$PASSFILE" --armor --detach-sign --local-user "$FPR" --output payload.json.asc payload.json',
      "SIG=$(base64 -w0 payload.json.asc)",
      "PAYLOAD=$(base64 -w0 payload.json)",
      "KEYID=$(gpg --batch --list-keys --with-colons \"$FPR\" | awk -F: '/^pub/{print $5; exit}')",
      'mkdir -p "$(dirname "$OUT")"',
      'echo "{\\"PublicKeyID\\":\\"$KEYID\\",\\"Signature\\":\\"$SIG\\",\\"SerializedPayload\\":\\"$PAYLOAD\\"}" > "$OUT"',
      "rm -f payload.json payload.json.asc",
    ].join("\n");
    const work = mkdtempSync(join(dir, "guide-"));
    const cosignDir = join(cosignPath(), "..");
    const result = await runProgram("bash", ["-c", script], {
      cwd: work,
      env: { ...cosignEnv(), ...gpgHome.env, PATH: `${cosignDir}:${process.env["PATH"] ?? ""}`, IMAGE: signedImage, FPR: gpgHome.fingerprint, PASSFILE: gpgHome.passphraseFile, OUT: ascPath(repo) },
    });
    assert.equal(result.status, 0, `the guide's commands failed: ${result.stderr}`);
  }

  before(async () => {
    requirePeer("gpg");
    requirePeer("jq");
    registry = await startRegistry();
    host = registry.host;
    gpgHome = await createGpgHome({ userId: "SWR <swr@example.test>" });
    signer = signingSetup();
    dir = mkdtempSync(join(tmpdir(), "signet-swr-asc-"));
    writeFileSync(join(dir, "ci.pub"), signer.publicKeyPem);
    for (const repo of ["guide", "unsigned", "copied", "signet", "with-key", "put"]) digests.set(repo, await pushTestImage(host, `swr/${repo}`, "v1", `swr ${repo}`));

    await guideSign("guide");
    await guideSign("with-key");
    await signer.sign(image("with-key"));
    // A valid object of another image, stored under this one's digest.
    await guideSign("copied", `${host}/swr/guide@${digests.get("guide")!}`);

    // The store over HTTP too, as an object storage bucket serves it (GET, 404 when absent; PUT stores an object).
    http = createServer((request, response) => {
      const path = normalize(join(dir, "store", decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)));
      if (request.method === "PUT" && path.startsWith(join(dir, "store"))) {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          mkdirSync(join(path, ".."), { recursive: true });
          writeFileSync(path, Buffer.concat(chunks));
          response.writeHead(201).end();
        });
        return;
      }
      if (request.method !== "GET" || !path.startsWith(join(dir, "store")) || !existsSync(path) || !statSync(path).isFile()) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      createReadStream(path).pipe(response);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    for (const [name, base] of [["file", pathToFileURL(join(dir, "store")).href], ["http", httpBase]] as const) {
      mkdirSync(join(dir, `regd-${name}`));
      writeFileSync(join(dir, `regd-${name}`, "swr.yaml"), `default-docker:\n  lookaside: ${pathToFileURL(join(dir, "no-lookaside")).href}\n  signet-swr-asc: ${base}\n`);
    }
    const matchRepository = { type: "matchRepository" };
    writeFileSync(join(dir, "policy.json"), JSON.stringify({
      default: [{ type: "reject" }],
      transports: {
        docker: {
          [`${host}/swr`]: [{ type: "signedBy", keyType: "GPGKeys", keyPath: gpgHome.publicKeyPath, signedIdentity: matchRepository }],
          [`${host}/swr/with-key`]: [
            {
              type: "signetThreshold",
              threshold: 2,
              signers: [
                { name: "ci", type: "sigstoreSigned", keyPath: join(dir, "ci.pub") },
                { name: "release", type: "signedBy", keyType: "GPGKeys", keyPath: gpgHome.publicKeyPath },
              ],
              signedIdentity: matchRepository,
            },
          ],
        },
      },
    }));
    webhook = await startWebhookProcess({ ...webhookFiles({}), policyDir: "" }, ["--deadline", "20s", "--policy-json", join(dir, "policy.json"), "--registries-d", join(dir, "regd-http")]);
  });

  after(async () => {
    await webhook?.stop();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await signer?.close();
    await gpgHome?.close();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function policyVerify(repo: string, store: "file" | "http"): Promise<Verdict> {
    const result = await signet(["policy", "verify", "--policy", "policy.json", "--registries-d", `regd-${store}`, "--use-sigstore-attachments", "--output-format", "json", `docker://${image(repo)}`]);
    const report = JSON.parse(result.stdout) as { images: { allowed: boolean; code?: ErrorCode; requirements?: { allowed: boolean; code?: ErrorCode }[] }[] };
    const [decision] = report.images;
    return decision!.allowed ? { allowed: true } : { allowed: false, code: decision!.requirements?.find((r) => !r.allowed)?.code ?? decision!.code! };
  }

  async function admit(repo: string): Promise<Verdict> {
    const answer = (await postReview(webhook.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image(repo) } })))).json<{
      response: { allowed: boolean; status?: { message?: string } };
    }>().response;
    if (answer.allowed) return { allowed: true };
    const code = /^ {2}code: ([A-Z_]+)$/m.exec(answer.status?.message ?? "")?.[1] as ErrorCode | undefined;
    return { allowed: false, ...(code === undefined ? {} : { code }) };
  }

  const cases: { repo: string; expected: Verdict; what: string }[] = [
    { repo: "guide", expected: { allowed: true }, what: "an object made with the guide's commands" },
    { repo: "with-key", expected: { allowed: true }, what: "signetThreshold: a cosign key signature and an .asc object are two signers" },
    { repo: "unsigned", expected: { allowed: false, code: "SIG_MISSING" }, what: "no object" },
    { repo: "copied", expected: { allowed: false, code: "SIG_DIGEST_MISMATCH" }, what: "another image's object stored under this digest" },
  ];
  for (const { repo, expected, what } of cases) {
    test(`${what}: ${expected.allowed ? "allowed" : expected.code} (file: and http: stores, CLI and webhook)`, async () => {
      assert.deepEqual(await policyVerify(repo, "file"), expected, "signet policy verify, file: store");
      assert.deepEqual(await policyVerify(repo, "http"), expected, "signet policy verify, http: store");
      assert.deepEqual(await admit(repo), expected, "webhook --policy-json, http: store");
    });
  }

  test("the object the guide's commands wrote is what the guide describes", () => {
    const object = JSON.parse(readFileSync(ascPath("guide"), "utf8")) as Record<string, string>;
    assert.deepEqual(Object.keys(object), ["PublicKeyID", "Signature", "SerializedPayload"]);
    assert.match(Buffer.from(object["Signature"]!, "base64").toString(), /^-----BEGIN PGP SIGNATURE-----/);
    assert.equal((JSON.parse(Buffer.from(object["SerializedPayload"]!, "base64").toString()) as { critical: { image: { "docker-manifest-digest": string } } }).critical.image["docker-manifest-digest"], digests.get("guide"));
  });

  test("signet sign --swr-asc DIR writes an object that base64 -d | gpg --verify accepts", async () => {
    const signed = await signet(["sign", "--gpg-key", gpgHome.secretKeyPath, "--passphrase-file", gpgHome.passphraseFile, "--swr-asc", join(dir, "store"), image("signet")]);
    assert.equal(signed.status, 0, signed.stderr);
    const path = ascPath("signet");
    assert.ok(existsSync(path), `${path} was not written: ${signed.stderr}`);
    const script = [
      "set -euo pipefail",
      'jq -r .Signature "$ASC" | base64 -d > sig.asc',
      'jq -r .SerializedPayload "$ASC" | base64 -d > payload.json',
      "gpg --batch --verify sig.asc payload.json",
      "jq -r '.critical.image[\"docker-manifest-digest\"]' payload.json",
    ].join("\n");
    const work = mkdtempSync(join(dir, "reverse-"));
    const verified = await runProgram("bash", ["-c", script], { cwd: work, env: { ...gpgHome.env, ASC: path } });
    assert.equal(verified.status, 0, `gpg --verify refused signet's object: ${verified.stderr}`);
    assert.match(verified.stderr, /Good signature/);
    assert.equal(verified.stdout.trim(), digests.get("signet"));
    // And signet reads its own object back.
    assert.deepEqual(await policyVerify("signet", "file"), { allowed: true });
    // Tampering with the payload breaks gpg's check too.
    const object = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
    const payload = Buffer.from(object["SerializedPayload"]!, "base64").toString().replace(digests.get("signet")!, digests.get("guide")!);
    writeFileSync(path, JSON.stringify({ ...object, SerializedPayload: Buffer.from(payload).toString("base64") }));
    const refused = await runProgram("bash", ["-c", script], { cwd: mkdtempSync(join(dir, "reverse-")), env: { ...gpgHome.env, ASC: path } });
    assert.notEqual(refused.status, 0, "gpg accepted a changed payload");
    assert.deepEqual(await policyVerify("signet", "file"), { allowed: false, code: "SIG_INVALID" });
  });

  test("signet sign --swr-asc URL stores the object with an HTTP PUT, and it verifies from that store", async () => {
    const signed = await signet(["sign", "--gpg-key", gpgHome.secretKeyPath, "--passphrase-file", gpgHome.passphraseFile, "--swr-asc", httpBase, image("put")]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.ok(existsSync(ascPath("put")), "the PUT did not reach the store");
    assert.deepEqual(await policyVerify("put", "http"), { allowed: true });
  });
});
