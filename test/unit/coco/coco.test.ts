import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parse as parseToml } from "smol-toml";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { runCliInProcess } from "../../helpers/cli.js";
import { checkCdhToml, createKernelParams } from "../../../src/coco/guest-config.js";
import { CC_INIT_DATA_ANNOTATION, createInitdata, decodeInitdataAnnotation } from "../../../src/coco/initdata.js";
import { createCocoPolicy } from "../../../src/coco/security-policy.js";
import { parsePolicy } from "../../../src/policy/index.js";

describe("signet coco", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-coco-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("initdata: initdata.toml with aa.toml, cdh.toml and policy.rego; the annotation decodes back to the same bytes and digest", async () => {
    const rego = "package agent_policy\n\ndefault CreateContainerRequest := true\ndefault ExecProcessRequest := false\n";
    writeFileSync(join(dir, "policy.rego"), rego);
    const file = join(dir, "initdata.toml");
    const result = await runCliInProcess(["coco", "initdata", "--kbs-url", "http://10.0.0.5:8080/", "--agent-policy", join(dir, "policy.rego"), "--file", file, "--output", "json"]);
    assert.equal(result.status, 0, result.stderr + result.stdout);
    const report = JSON.parse(result.stdout) as { digest: string; algorithm: string; annotation: { name: string; value: string }; teeFields: { snp: { value: string }; tdx: { value: string } } };
    const toml = readFileSync(file);
    // The annotation is base64(gzip(initdata.toml)), byte for byte.
    assert.equal(report.annotation.name, CC_INIT_DATA_ANNOTATION);
    assert.deepEqual(gunzipSync(Buffer.from(report.annotation.value, "base64")), toml);
    // The digest the attestation agent computes: the algorithm over the whole TOML text; SNP takes 32 bytes, TDX 48.
    assert.equal(report.algorithm, "sha384");
    assert.equal(report.digest, createHash("sha384").update(toml).digest("hex"));
    assert.equal(report.teeFields.snp.value, report.digest.slice(0, 64));
    assert.equal(report.teeFields.tdx.value, report.digest);
    // Parsed by an independent TOML reader: version, algorithm, [data] with the three files.
    const parsed = parseToml(toml.toString()) as { version: string; algorithm: string; data: Record<string, string> };
    assert.equal(parsed.version, "0.1.0");
    assert.deepEqual(Object.keys(parsed.data), ["aa.toml", "cdh.toml", "policy.rego"]);
    assert.equal(parsed.data["policy.rego"], rego);
    const cdh = parseToml(parsed.data["cdh.toml"]!) as { kbc: { name: string; url: string }; image: { image_security_policy_uri: string } };
    assert.deepEqual({ ...cdh.kbc }, { name: "cc_kbc", url: "http://10.0.0.5:8080" });
    assert.equal(cdh.image.image_security_policy_uri, "kbs:///default/security-policy/test");
    const aa = parseToml(parsed.data["aa.toml"]!) as { token_configs: { kbs: { url: string }; coco_as: { url: string } } };
    assert.equal(aa.token_configs.kbs.url, "http://10.0.0.5:8080");
    const decoded = decodeInitdataAnnotation(report.annotation.value);
    assert.equal(decoded.digest, report.digest);
    assert.equal(decoded.initdata.data["policy.rego"], rego);
    const decodedCli = await runCliInProcess(["coco", "initdata", "--decode", report.annotation.value]);
    assert.equal(decodedCli.stdout, toml.toString());
  });

  test("initdata: file text that a literal string cannot hold is written escaped and still reads back; sha256 and sha512 digests", () => {
    for (const algorithm of ["sha256", "sha512"] as const) {
      const text = "a ''' b\n\u0001 ends with a quote'";
      const result = createInitdata({ algorithm, files: [["x.txt", text]] });
      assert.equal(decodeInitdataAnnotation(result.annotation).initdata.data["x.txt"], text);
      assert.equal(result.digest, createHash(algorithm).update(result.toml).digest("hex"));
    }
  });

  test("initdata: a cdh.toml without image_security_policy_uri, bad TOML, or a bad annotation are refused with a code", async () => {
    writeFileSync(join(dir, "cdh-no-policy.toml"), '[kbc]\nname = "cc_kbc"\nurl = "http://kbs"\n');
    writeFileSync(join(dir, "aa.toml"), "[token_configs]\n");
    writeFileSync(join(dir, "bad.toml"), "[kbc\nname=");
    await assertRejectsWithCode(() => checkCdhToml(readFileSync(join(dir, "cdh-no-policy.toml"), "utf8")), "COCO_CONFIG_INVALID");
    const missing = await runCliInProcess(["coco", "initdata", "--aa-toml", join(dir, "aa.toml"), "--cdh-toml", join(dir, "cdh-no-policy.toml"), "--file", join(dir, "x.toml"), "--output", "json"]);
    assert.equal((JSON.parse(missing.stdout) as { error: { code: string } }).error.code, "COCO_CONFIG_INVALID");
    const bad = await runCliInProcess(["coco", "initdata", "--kbs-url", "http://kbs:8080", "--aa-toml", join(dir, "bad.toml"), "--file", join(dir, "y.toml"), "--output", "json"]);
    assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, "COCO_CONFIG_INVALID");
    await assertRejectsWithCode(() => decodeInitdataAnnotation("not base64!"), "COCO_CONFIG_INVALID");
    await assertRejectsWithCode(() => decodeInitdataAnnotation(Buffer.from("plain").toString("base64")), "COCO_CONFIG_INVALID");
  });

  test("kernel-params: the guide's line", async () => {
    assert.equal(
      createKernelParams({ kbsUrl: "http://10.0.0.5:8080" }),
      "agent.image_policy_file=kbs:///default/security-policy/test agent.enable_signature_verification=true agent.aa_kbc_params=cc_kbc::http://10.0.0.5:8080",
    );
    const json = await runCliInProcess(["coco", "kernel-params", "--kbs-url", "https://kbs.example", "--policy-uri", "kbs:///team/security-policy/prod", "--output", "json"]);
    assert.deepEqual(JSON.parse(json.stdout), {
      kernelParams: "agent.image_policy_file=kbs:///team/security-policy/prod agent.enable_signature_verification=true agent.aa_kbc_params=cc_kbc::https://kbs.example",
      annotation: "io.katacontainers.config.hypervisor.kernel_params",
    });
    await assertRejectsWithCode(() => createKernelParams({ kbsUrl: "ftp://kbs" }), "USAGE");
    await assertRejectsWithCode(() => createKernelParams({ kbsUrl: "http://kbs", policyUri: "kbs:///only/two" }), "POLICY_KEY_UNREADABLE");
  });

  test("policy: one scope per image with its kbs:/// key, default reject or insecureAcceptAnything, readable by both readers", () => {
    const { text, keyResources } = createCocoPolicy({
      scopes: [
        { image: "ghcr.io/org/app", key: "production" },
        { image: "nginx", key: "kbs:///team/cosign-key/nginx" },
      ],
    });
    const value = JSON.parse(text) as { default: unknown; transports: { docker: Record<string, { keyPath: string; signedIdentity: unknown }[]> } };
    assert.deepEqual(value.default, [{ type: "reject" }]);
    assert.equal(value.transports.docker["ghcr.io/org/app"]![0]!.keyPath, "kbs:///default/cosign-public-key/production");
    assert.equal(value.transports.docker["docker.io/library/nginx"]![0]!.keyPath, "kbs:///team/cosign-key/nginx");
    assert.deepEqual(value.transports.docker["ghcr.io/org/app"]![0]!.signedIdentity, { type: "matchRepository" });
    assert.deepEqual(keyResources, ["kbs:///default/cosign-public-key/production", "kbs:///team/cosign-key/nginx"]);
    parsePolicy(text, { semantics: "image-rs" });
    parsePolicy(text);
    const open = createCocoPolicy({ scopes: [{ image: "ghcr.io/org/app", key: "1" }], defaultRequirement: "insecureAcceptAnything" });
    assert.deepEqual((JSON.parse(open.text) as { default: unknown }).default, [{ type: "insecureAcceptAnything" }]);
  });

  test("policy: bad input is refused with its code", async () => {
    await assertRejectsWithCode(() => createCocoPolicy({ scopes: [] }), "USAGE");
    await assertRejectsWithCode(() => createCocoPolicy({ scopes: [{ image: "ghcr.io/org/app", key: "" }] }), "USAGE");
    await assertRejectsWithCode(() => createCocoPolicy({ scopes: [{ image: "ghcr.io/org/app", key: "bad tag" }] }), "POLICY_KEY_UNREADABLE");
    await assertRejectsWithCode(() => createCocoPolicy({ scopes: [{ image: "ghcr.io/org/app", key: "1" }, { image: "ghcr.io/org/app", key: "2" }] }), "USAGE");
    const cli = await runCliInProcess(["coco", "policy", "--image", "ghcr.io/org/app", "--output", "json"]);
    assert.equal((JSON.parse(cli.stdout) as { error: { code: string } }).error.code, "USAGE");
  });
});
