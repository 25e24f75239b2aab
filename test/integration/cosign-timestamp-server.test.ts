// cosign's `sign --timestamp-server-url` (RFC 3161) both ways with the real cosign 2.5, a real registry and a local
// openssl TSA: signet writes the `dev.sigstore.cosign/rfc3161timestamp` annotation in cosign's shape and cosign
// verifies it; cosign's annotation is read and verified by signet's one layer verifier; a TSA that is down fails
// signing with TSA_UNAVAILABLE and nothing is pushed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodePemBlocks, pemBlockBytes } from "../../src/keys/pem.js";
import { verifyCosignKeylessLayer } from "../../src/signatures/bundle/index.js";
import type { TrustMaterial } from "../../src/trust/trust-material.js";
import { Certificate } from "../../src/trust/x509.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { startOpensslTsa, type TestTsa } from "../helpers/notation.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const ANNOTATION = "dev.sigstore.cosign/rfc3161timestamp";

describe("cosign sign --timestamp-server-url: RFC 3161 timestamps on .sig layers (real cosign, openssl TSA)", () => {
  let registry: TestRegistry;
  let tsa: TestTsa;
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;
  let chainPath: string;
  const runCosign = (args: string[]): Promise<RunResult> => runProgram(cosign, args, { env, cwd: dir });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const ok = (result: RunResult, what: string): void => assert.equal(result.status, 0, `${what}: ${result.stderr}`);
  const image = async (repo: string, content: string): Promise<{ ref: string; digest: string }> => {
    const digest = await pushTestImage(registry.host, repo, "v1", content);
    return { ref: `${registry.host}/${repo}:v1`, digest };
  };
  const tags = async (repo: string): Promise<string[]> => ((await (await fetch(`http://${registry.host}/v2/${repo}/tags/list`)).json()) as { tags: string[] | null }).tags ?? [];
  const sigLayer = async (repo: string, digest: string): Promise<{ payload: Buffer; annotations: Record<string, string> }> => {
    const response = await fetch(`http://${registry.host}/v2/${repo}/manifests/${digest.replace(":", "-")}.sig`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    assert.equal(response.status, 200);
    const manifest = (await response.json()) as { layers: { digest: string; annotations: Record<string, string> }[] };
    assert.equal(manifest.layers.length, 1);
    const layer = manifest.layers[0]!;
    const payload = Buffer.from(await (await fetch(`http://${registry.host}/v2/${repo}/blobs/${layer.digest}`)).arrayBuffer());
    return { payload, annotations: layer.annotations };
  };
  const certificates = (path: string): Certificate[] => decodePemBlocks(readFileSync(path, "utf8")).map((block) => Certificate.parse(pemBlockBytes(block)));
  const trustWithTsa = (): TrustMaterial => ({
    description: "test TSA",
    certificateAuthorities: [],
    timestampAuthorities: [{ name: "signet test TSA", certChain: certificates(chainPath), validFor: { start: new Date(0), end: new Date(8.64e15) } }],
    tlogs: [],
    ctlogs: [],
  });

  before(async () => {
    registry = await startRegistry();
    tsa = await startOpensslTsa();
    cosign = cosignPath();
    dir = mkdtempSync(join(tmpdir(), "signet-tsa-sign-"));
    env = cosignEnv({ COSIGN_PASSWORD: "tsa-sign" });
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "cosign"]), "generate-key-pair");
    // The TSA's signing certificate, then its root (cosign's --timestamp-certificate-chain, a trusted root's certChain order).
    chainPath = join(dir, "tsa-chain.pem");
    writeFileSync(chainPath, readFileSync(join(dirname(tsa.rootPath), "tsa.pem"), "utf8") + readFileSync(tsa.rootPath, "utf8"));
  });
  after(async () => {
    await tsa?.stop();
    await registry?.stop();
  });

  test("signet sign --timestamp-server-url writes cosign's annotation over the raw signature; cosign verifies it with the TSA chain", async () => {
    const { ref, digest } = await image("tsa/signet", "stamped by signet");
    const before = tsa.requests();
    ok(await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "--timestamp-server-url", tsa.url, "-y", ref]), "signet sign --timestamp-server-url");
    assert.equal(tsa.requests(), before + 1);
    const { annotations } = await sigLayer("tsa/signet", digest);
    const stamp = JSON.parse(annotations[ANNOTATION]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(stamp), ["SignedRFC3161Timestamp"]);
    // openssl checks the stored TimeStampResp covers the raw signature bytes and chains to the TSA root.
    writeFileSync(join(dir, "signet.tsr"), Buffer.from(stamp["SignedRFC3161Timestamp"] as string, "base64"));
    writeFileSync(join(dir, "signet.sig"), Buffer.from(annotations["dev.cosignproject.cosign/signature"]!, "base64"));
    execFileSync("openssl", ["ts", "-verify", "-in", "signet.tsr", "-data", "signet.sig", "-CAfile", tsa.rootPath, "-untrusted", join(dirname(tsa.rootPath), "tsa.pem")], { cwd: dir, stdio: "pipe" });
    ok(await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--use-signed-timestamps", "--timestamp-certificate-chain", chainPath, ref]), "cosign verify --use-signed-timestamps");
    // cosign does check it: with another TSA's chain it refuses.
    const other = await startOpensslTsa();
    try {
      const refused = await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--use-signed-timestamps", "--timestamp-certificate-chain", other.rootPath, ref]);
      assert.notEqual(refused.status, 0, "cosign refuses the timestamp with another TSA's chain");
    } finally {
      await other.stop();
    }
  });

  test("cosign sign --timestamp-server-url: signet's layer verifier reads and checks the timestamp against the trust material's TSAs", async () => {
    const { ref, digest } = await image("tsa/cosign", "stamped by cosign");
    ok(await runCosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "--timestamp-server-url", tsa.url, "-y", ref]), "cosign sign --timestamp-server-url");
    const { payload, annotations } = await sigLayer("tsa/cosign", digest);
    assert.ok(annotations[ANNOTATION] !== undefined, "cosign wrote the annotation");
    ok(await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", ref]), "signet verify --key (the key alone decides)");
    const layer = { payload, signatureBase64: annotations["dev.cosignproject.cosign/signature"]!, rfc3161TimestampJson: annotations[ANNOTATION]! };
    const publicKey = createPublicKey(readFileSync(join(dir, "cosign.pub")));
    const verified = verifyCosignKeylessLayer(layer, { kind: "key", publicKey }, trustWithTsa(), { requireTlog: false });
    const tsaTimes = verified.timestamps.filter((t) => t.kind === "tsa");
    assert.equal(tsaTimes.length, 1, "the timestamp verified against the TSA");
    assert.ok(Math.abs(tsaTimes[0]!.time.getTime() - Date.now()) < 3_600_000);
    // The same layer with the timestamp of another signature (signet's, above) does not count.
    const other = (await sigLayer("tsa/signet", await fetchDigest("tsa/signet"))).annotations[ANNOTATION]!;
    await assertRejectsWithCode(() => verifyCosignKeylessLayer({ ...layer, rfc3161TimestampJson: other }, { kind: "key", publicKey }, trustWithTsa(), { requireTlog: false }), "TIMESTAMP_INVALID");
  });

  test("signet sign --new-bundle-format --timestamp-server-url: the bundle carries the timestamp over the DSSE signature; cosign verifies with the TSA in its trusted root", async () => {
    const { ref, digest } = await image("tsa/bundle", "bundle stamped by signet");
    const before = tsa.requests();
    ok(await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "--new-bundle-format", "--timestamp-server-url", tsa.url, "-y", ref]), "signet sign --new-bundle-format");
    assert.equal(tsa.requests(), before + 1);
    const accept = { accept: "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json" };
    const index = (await (await fetch(`http://${registry.host}/v2/tsa/bundle/manifests/${digest.replace(":", "-")}`, { headers: accept })).json()) as { manifests: { digest: string }[] };
    const manifest = (await (await fetch(`http://${registry.host}/v2/tsa/bundle/manifests/${index.manifests[0]!.digest}`, { headers: accept })).json()) as { layers: { digest: string }[] };
    const bundle = (await (await fetch(`http://${registry.host}/v2/tsa/bundle/blobs/${manifest.layers[0]!.digest}`)).json()) as {
      verificationMaterial: { timestampVerificationData: { rfc3161Timestamps: { signedTimestamp: string }[] } };
      dsseEnvelope: { signatures: { sig: string }[] };
    };
    const stamps = bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps;
    assert.equal(stamps.length, 1);
    writeFileSync(join(dir, "bundle.tsr"), Buffer.from(stamps[0]!.signedTimestamp, "base64"));
    writeFileSync(join(dir, "bundle.sig"), Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, "base64"));
    execFileSync("openssl", ["ts", "-verify", "-in", "bundle.tsr", "-data", "bundle.sig", "-CAfile", tsa.rootPath, "-untrusted", join(dirname(tsa.rootPath), "tsa.pem")], { cwd: dir, stdio: "pipe" });
    const rawBytes = (path: string): { rawBytes: string }[] => decodePemBlocks(readFileSync(path, "utf8")).map((block) => ({ rawBytes: Buffer.from(pemBlockBytes(block)).toString("base64") }));
    writeFileSync(join(dir, "tsa-root.json"), JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      timestampAuthorities: [{ subject: { organization: "signet", commonName: "signet test TSA" }, uri: tsa.url, certChain: { certificates: rawBytes(chainPath) }, validFor: { start: "2000-01-01T00:00:00Z" } }],
    }));
    ok(await runCosign(["verify-attestation", "--key", "cosign.pub", "--new-bundle-format", "--trusted-root", "tsa-root.json", "--insecure-ignore-tlog", "--allow-http-registry", "--type", "https://sigstore.dev/cosign/sign/v1", ref]), "cosign verify-attestation of the stamped bundle");
  });

  test("an https TSA: --timestamp-client-cacert names its CA; without it the TLS check fails (TSA_UNAVAILABLE, nothing pushed)", async () => {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls.key", "-out", "tls.pem", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { cwd: dir, stdio: "pipe" });
    // An https front for the openssl TSA, on loopback.
    const server = createHttpsServer({ key: readFileSync(join(dir, "tls.key")), cert: readFileSync(join(dir, "tls.pem")) }, (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        void fetch(tsa.url, { method: "POST", headers: { "content-type": "application/timestamp-query" }, body: Buffer.concat(chunks) })
          .then(async (answer) => response.writeHead(answer.status, { "content-type": "application/timestamp-reply" }).end(Buffer.from(await answer.arrayBuffer())))
          .catch(() => response.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const httpsUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const untrusted = await image("tsa/tls-untrusted", "tls untrusted");
      const refused = await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "--timestamp-server-url", httpsUrl, "--output-format", "json", "-y", untrusted.ref]);
      assert.equal(refused.status, 4, refused.stderr);
      assert.deepEqual((JSON.parse(refused.stdout) as { error?: { code: string } }[]).map((entry) => entry.error?.code), ["TSA_UNAVAILABLE"]);
      assert.deepEqual(await tags("tsa/tls-untrusted"), ["v1"]);
      const { ref } = await image("tsa/tls", "tls trusted");
      ok(await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "--timestamp-server-url", httpsUrl, "--timestamp-client-cacert", "tls.pem", "-y", ref]), "signet sign over https");
      ok(await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--use-signed-timestamps", "--timestamp-certificate-chain", chainPath, ref]), "cosign verify of the https-stamped signature");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test("signet attest --timestamp-server-url stamps the whole envelope of the .att layer, as cosign attest does; cosign verifies it", async () => {
    const { ref, digest } = await image("tsa/attest", "attested by signet");
    writeFileSync(join(dir, "predicate.json"), JSON.stringify({ built: "yes" }));
    ok(await signet(["attest", "--key", "cosign.key", "--tlog-upload=false", "--timestamp-server-url", tsa.url, "--predicate", "predicate.json", "--type", "custom", "-y", ref]), "signet attest --timestamp-server-url");
    const response = await fetch(`http://${registry.host}/v2/tsa/attest/manifests/${digest.replace(":", "-")}.att`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    const layer = ((await response.json()) as { layers: { digest: string; annotations: Record<string, string> }[] }).layers[0]!;
    writeFileSync(join(dir, "att.envelope"), Buffer.from(await (await fetch(`http://${registry.host}/v2/tsa/attest/blobs/${layer.digest}`)).arrayBuffer()));
    writeFileSync(join(dir, "att.tsr"), Buffer.from((JSON.parse(layer.annotations[ANNOTATION]!) as { SignedRFC3161Timestamp: string }).SignedRFC3161Timestamp, "base64"));
    execFileSync("openssl", ["ts", "-verify", "-in", "att.tsr", "-data", "att.envelope", "-CAfile", tsa.rootPath, "-untrusted", join(dirname(tsa.rootPath), "tsa.pem")], { cwd: dir, stdio: "pipe" });
    ok(await runCosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--use-signed-timestamps", "--timestamp-certificate-chain", chainPath, "--type", "custom", ref]), "cosign verify-attestation --use-signed-timestamps");
  });

  test("a TSA that is down fails signing with TSA_UNAVAILABLE and nothing is pushed", async () => {
    const { ref } = await image("tsa/down", "no timestamp");
    const down = await startOpensslTsa();
    const url = down.url;
    await down.stop();
    const result = await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "--timestamp-server-url", url, "--output-format", "json", "-y", ref]);
    assert.equal(result.status, 4, result.stderr);
    const report = JSON.parse(result.stdout) as { error?: { code: string } }[];
    assert.deepEqual(report.map((entry) => entry.error?.code), ["TSA_UNAVAILABLE"]);
    assert.deepEqual(await tags("tsa/down"), ["v1"], "no .sig tag pushed");
  });

  async function fetchDigest(repo: string): Promise<string> {
    const response = await fetch(`http://${registry.host}/v2/${repo}/manifests/v1`, { method: "HEAD", headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    return response.headers.get("docker-content-digest")!;
  }
});
