// signet audit against a real registry (Debian's docker-registry) holding 500 images: signed with the trusted key,
// unsigned, tampered (the signature bytes changed) and signed by another key. The report's verdicts are compared,
// image by image, with the library's verifier and with `signet verify` and `signet policy verify` run on every
// image; an interrupted audit is resumed; the SARIF is validated against the OASIS schema; and the HTML is opened
// in headless Chromium (Debian's package, driven by playwright-core): screenshots of each page, no console error,
// every number shown equal to the JSON, and hostile names shown as text.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { createRequire } from "node:module";
import { chromium, type BrowserContext } from "playwright-core";
import { mapConcurrently } from "../../src/internal/concurrency.js";
import { generateSigningKey, publicKeyToPem } from "../../src/keys/index.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { parseImageLocation } from "../../src/oci/reference/index.js";
import { createTestImage } from "../../src/oci/layout/test-image.js";
import { signImages } from "../../src/signatures/cosign/sign-image.js";
import { CosignAnnotation } from "../../src/signatures/cosign/signature-manifest.js";
import { keyRequirement, verifyImage } from "../../src/signatures/verifier/index.js";
import { toSignetError } from "../../src/errors/index.js";
import type { AuditReport } from "../../src/cli/audit/model.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { runSignet } from "../helpers/cli.js";
import { requirePeer, SIGNET_BIN, VECTORS } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const COUNT = 500;
const KINDS = ["signed", "unsigned", "tampered", "wrong-signer"] as const;
type Kind = (typeof KINDS)[number];
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("signet audit: 500 images in a real registry", { timeout: 900_000 }, () => {
  let registry: TestRegistry;
  let work: string;
  let pubFile: string;
  let policyFile: string;
  const images: { ref: string; kind: Kind }[] = [];
  let keyReport: AuditReport;

  before(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), "signet-audit-"));
    const trusted = generateSigningKey("ecdsa-p256");
    const other = generateSigningKey("ecdsa-p256");
    pubFile = join(work, "cosign.pub");
    writeFileSync(pubFile, publicKeyToPem(trusted.publicKey));
    policyFile = join(work, "policy.json");
    writeFileSync(
      policyFile,
      JSON.stringify({
        default: [{ type: "reject" }],
        transports: { docker: { [`${registry.host}/audit`]: [{ type: "sigstoreSigned", keyPath: pubFile, signedIdentity: { type: "matchRepository" } }] } },
      }),
    );
    // 5 teams x 10 repositories x 10 tags, built through the library (no CLI process per image).
    for (let i = 0; i < COUNT; i++) {
      images.push({ ref: `${registry.host}/audit/team-${i % 5}/app-${Math.floor(i / 5) % 10}:v${Math.floor(i / 50)}`, kind: KINDS[i % 4]! });
    }
    const access = new ImageAccess();
    try {
      await mapConcurrently(images, 16, async (image, i) => {
        const repository = await access.repositoryByName(image.ref.slice(0, image.ref.lastIndexOf(":")));
        await createTestImage(repository, image.ref.slice(image.ref.lastIndexOf(":") + 1), { content: `audit image ${i}` });
      });
      // A repository outside the audited namespace: never listed in the report.
      await createTestImage(await access.repositoryByName(`${registry.host}/elsewhere/app`), "v1", { content: "elsewhere" });
      const refs = (kind: Kind) => images.filter((image) => image.kind === kind).map((image) => image.ref);
      const tamper = async (_payload: Buffer, signature: Buffer) => {
        const changed = Buffer.from(signature);
        changed[changed.length - 1]! ^= 0xff;
        return { [CosignAnnotation.signature]: changed.toString("base64") };
      };
      for (const [list, options] of [
        [refs("signed"), { key: trusted }],
        [refs("tampered"), { key: trusted, layerAnnotations: tamper }],
        [refs("wrong-signer"), { key: other }],
      ] as const) {
        const results = await signImages(access, list, options, 16);
        assert.ok(results.every((result) => "image" in result), "every image was signed");
      }
    } finally {
      await access.close();
    }
  });

  after(async () => {
    await registry?.stop();
    // SIGNET_TEST_KEEP_AUDIT=1 keeps the reports and screenshots to look at.
    if (work && process.env["SIGNET_TEST_KEEP_AUDIT"] !== "1") rmSync(work, { recursive: true, force: true });
    else if (work) console.log(`# audit reports and screenshots kept in ${work}`);
  });

  it("verifies every image with --key; each verdict is the library's and signet verify's", async () => {
    const out = join(work, "key-report");
    const run = await runSignet(["audit", "--registry", `${registry.host}/audit`, "--key", pubFile, "--insecure-ignore-tlog", "--output-dir", out]);
    assert.equal(run.status, 12, run.stderr);
    assert.match(run.stdout, /^500 images: 125 verified, 125 unsigned, 250 failed, 0 could not be checked/);
    assert.equal(run.stderr.includes("Auditing:"), false, "no progress on a pipe");
    keyReport = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditReport;
    assert.deepEqual(keyReport.totals, { total: 500, verified: 125, unsigned: 125, failed: 250, error: 0 });
    assert.equal(keyReport.images.length, COUNT);
    assert.ok(!keyReport.images.some((image) => image.image.includes("elsewhere")), "only the namespace is audited");
    assert.equal(keyReport.byNamespace.length, 50);
    assert.deepEqual(keyReport.byFormat, [
      { name: "(none)", images: 375 },
      { name: "cosign-legacy", images: 125 },
    ]);
    assert.deepEqual(keyReport.bySigner, [{ name: `key ${pubFile}`, images: 125 }]);
    const verdicts = new Map(keyReport.images.map((image) => [image.image, image]));
    const expected: Record<Kind, { status: string; code?: string }> = {
      signed: { status: "verified" },
      unsigned: { status: "unsigned", code: "SIG_MISSING" },
      tampered: { status: "failed", code: "SIG_INVALID" },
      "wrong-signer": { status: "failed", code: "SIG_INVALID" },
    };
    for (const image of images) {
      const verdict = verdicts.get(image.ref);
      assert.ok(verdict, image.ref);
      assert.equal(verdict.status, expected[image.kind].status, image.ref);
      assert.equal(verdict.code, expected[image.kind].code, image.ref);
      if (verdict.status !== "verified") assert.ok(verdict.hint && verdict.reason, "a reason and a fix for every failure");
    }

    // The library, image by image.
    const { parsePublicKeyPem } = await import("../../src/keys/index.js");
    const requirement = keyRequirement([parsePublicKeyPem(readFileSync(pubFile))]);
    const access = new ImageAccess();
    try {
      const library = await mapConcurrently(images, 16, async (image) => {
        try {
          await verifyImage(access, image.ref, { requirement });
          return "OK";
        } catch (error) {
          return toSignetError(error).code;
        }
      });
      images.forEach((image, i) => assert.equal(library[i], verdicts.get(image.ref)!.code ?? "OK", image.ref));
    } finally {
      await access.close();
    }

    // signet verify, every image in one process.
    const verify = await runSignet(["verify", "--key", pubFile, "--insecure-ignore-tlog", "--output-format", "json", ...images.map((image) => image.ref)]);
    const cli = JSON.parse(verify.stdout) as { images: { image: string; verified: boolean; error?: { code: string } }[] };
    assert.equal(cli.images.length, COUNT);
    for (const result of cli.images) {
      const verdict = verdicts.get(result.image)!;
      assert.equal(result.verified, verdict.status === "verified", result.image);
      assert.equal(result.error?.code, verdict.code, result.image);
    }
  });

  it("reads the registry's catalog in pages (Link header), bounded", async () => {
    const access = new ImageAccess({ tagPageSize: 7 });
    try {
      const before = access.requestCount();
      const repositories = await access.listRepositories(registry.host, 1000);
      assert.equal(repositories.length, 51);
      assert.ok(repositories.includes("elsewhere/app") && repositories.includes("audit/team-4/app-9"));
      assert.ok(access.requestCount() - before >= 8, "51 names in pages of 7");
      await assertRejectsWithCode(() => access.listRepositories(registry.host, 20), "COUNT_LIMIT_EXCEEDED");
    } finally {
      await access.close();
    }
  });

  it("verifies against a policy.json as signet policy verify does", async () => {
    const out = join(work, "policy-report");
    const run = await runSignet(["audit", "--registry", `${registry.host}/audit`, "--policy", policyFile, "--use-sigstore-attachments", "--registries-d", join(work, "no-registries.d"), "--output-dir", out]);
    assert.ok(run.status !== 0, run.stderr);
    const report = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditReport;
    assert.deepEqual(report.totals, { total: 500, verified: 125, unsigned: 125, failed: 250, error: 0 });
    assert.deepEqual(report.byFormat.map((f) => f.name), ["(none)", "sigstoreSigned"]);
    const verdicts = new Map(report.images.map((image) => [image.image, image]));
    const policyVerify = await runSignet([
      "policy", "verify", "--policy", policyFile, "--use-sigstore-attachments", "--registries-d", join(work, "no-registries.d"), "--output", "json", ...images.map((image) => image.ref),
    ]);
    const cli = JSON.parse(policyVerify.stdout) as { images: { image: string; allowed: boolean; requirements: { code?: string }[] }[] };
    assert.equal(cli.images.length, COUNT);
    cli.images.forEach((decision, i) => {
      const verdict = verdicts.get(images[i]!.ref)!;
      assert.equal(decision.allowed, verdict.status === "verified", verdict.image);
      if (!decision.allowed) assert.ok(decision.requirements.some((r) => r.code === verdict.code), `${verdict.image}: ${verdict.code}`);
    });
  });

  it("writes SARIF 2.1.0 that the OASIS schema accepts: one result per image that did not verify", async () => {
    const require = createRequire(import.meta.url);
    const Ajv = require("ajv-draft-04") as new (options: object) => { compile(schema: unknown): ((data: unknown) => boolean) & { errors?: unknown } };
    const addFormats = require("ajv-formats") as (ajv: unknown) => void;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(VECTORS, "oasis-tcs__sarif-spec", "sarif-schema-2.1.0.json"), "utf8")));
    const sarif = JSON.parse(readFileSync(join(work, "key-report", "audit.sarif"), "utf8")) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number }[] }[] };
    assert.equal(validate(sarif), true, JSON.stringify(validate.errors, null, 2));
    assert.equal(validate({ ...sarif, version: "2.0.0" }), false, "the schema check can fail");
    const [run] = sarif.runs;
    assert.equal(run!.results.length, 375);
    assert.deepEqual(run!.tool.driver.rules.map((rule) => rule.id), ["SIG_INVALID", "SIG_MISSING"]);
    for (const result of run!.results) assert.equal(run!.tool.driver.rules[result.ruleIndex]!.id, result.ruleId);
    assert.equal(run!.results.filter((r) => r.ruleId === "SIG_MISSING").length, 125);
  });

  it("audits every tagged image of an OCI layout; its signature tags are not images", async () => {
    const layout = join(work, "layout");
    const trusted = generateSigningKey("ecdsa-p256");
    const layoutPub = join(work, "layout.pub");
    writeFileSync(layoutPub, publicKeyToPem(trusted.publicKey));
    const access = new ImageAccess();
    try {
      const repository = await access.repositoryFor(parseImageLocation(`oci:${layout}`), { create: true });
      for (const tag of ["a", "b", "c", "d"]) await createTestImage(repository, tag, { content: `layout ${tag}` });
      const signed = await signImages(access, [`oci:${layout}:a`, `oci:${layout}:b`], { key: trusted });
      assert.ok(signed.every((result) => "image" in result));
      assert.ok((await repository.listTags()).some((tag) => tag.endsWith(".sig")), "the layout holds .sig tags");
    } finally {
      await access.close();
    }
    const out = join(work, "layout-report");
    const run = await runSignet(["audit", "--oci-layout", layout, "--key", layoutPub, "--insecure-ignore-tlog", "--output-dir", out]);
    assert.equal(run.status, 10, run.stderr);
    const report = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditReport;
    assert.deepEqual(report.images.map((image) => [image.image, image.status]), [
      [`oci:${layout}:a`, "verified"],
      [`oci:${layout}:b`, "verified"],
      [`oci:${layout}:c`, "unsigned"],
      [`oci:${layout}:d`, "unsigned"],
    ]);
  });

  it("resumes an interrupted audit: the verdicts saved are kept, only the rest is verified", async () => {
    const out = join(work, "resume-report");
    const state = join(out, "audit-state.json");
    const args = ["audit", "--registry", `${registry.host}/audit`, "--key", pubFile, "--insecure-ignore-tlog", "--output-dir", out, "--max-workers", "2"];
    const child = spawn(process.execPath, [SIGNET_BIN, ...args], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    let saved = 0;
    while (saved < 50) {
      await sleep(50);
      if (child.exitCode !== null) assert.fail("the audit finished before it could be interrupted");
      if (existsSync(state)) saved = (JSON.parse(readFileSync(state, "utf8")) as { verdicts: unknown[] }).verdicts.length;
    }
    child.kill("SIGKILL");
    await exited;
    // Every state file seen is whole (atomic replacement); it holds what was saved before the kill.
    const interrupted = JSON.parse(readFileSync(state, "utf8")) as { verdicts: { image: string }[] };
    assert.ok(interrupted.verdicts.length >= 50 && interrupted.verdicts.length < COUNT, `${interrupted.verdicts.length} verdicts saved`);
    assert.equal(existsSync(join(out, "audit.json")), false, "no report from an interrupted run");

    const mismatch = await runSignet(["audit", "--registry", `${registry.host}/audit`, "--policy", policyFile, "--output-dir", out, "--resume"]);
    assert.equal(mismatch.status, 1);
    assert.match(mismatch.stderr, /\[AUDIT_STATE_MISMATCH\]/);

    const resumed = await runSignet([...args, "--resume"]);
    assert.equal(resumed.status, 12, resumed.stderr);
    const report = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditReport;
    assert.equal(report.run.resumed, interrupted.verdicts.length);
    assert.equal(report.run.verifiedNow, COUNT - interrupted.verdicts.length);
    assert.deepEqual(report.totals, keyReport.totals);
    assert.deepEqual(
      report.images.map((image) => [image.image, image.status, image.code]),
      keyReport.images.map((image) => [image.image, image.status, image.code]),
    );
  });

  describe("the HTML report in headless Chromium", () => {
    let browser: BrowserContext;
    before(async () => {
      requirePeer(CHROMIUM);
      // A fresh profile (--user-data-dir) for each run; playwright passes it to Chromium.
      browser = await chromium.launchPersistentContext(join(work, "chromium-profile"), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    });
    after(async () => {
      await browser?.close();
    });

    it("renders every page without a console error; every number shown is the JSON's", async () => {
      const out = join(work, "key-report");
      const report = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditReport;
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
      page.on("request", (request) => {
        if (!request.url().startsWith("file:")) problems.push(`request: ${request.url()}`);
      });
      await page.goto(`file://${join(out, "audit.html")}`);
      for (const tab of ["summary", "namespaces", "signers", "problems", "images"]) {
        await page.click(`nav a[data-tab="${tab}"]`);
        assert.equal(await page.locator(`section[data-page="${tab}"]`).isVisible(), true, tab);
        await page.screenshot({ path: join(out, `screenshot-${tab}.png`), fullPage: tab !== "images" && tab !== "problems" });
      }
      const shown = await page.$$eval("[data-json]", (elements) => elements.map((e) => [e.getAttribute("data-json")!, e.textContent ?? ""] as const));
      // Totals (5), run (2), codes, 50 namespaces x 5 in the table and 40 bars, signers and formats (table and bars).
      assert.ok(shown.length >= 5 + 2 + report.byCode.length + 250 + 40 + 2 * (report.bySigner.length + report.byFormat.length), `${shown.length} numbers`);
      for (const [path, text] of shown) {
        const value = lookup(report, path);
        assert.equal(text, String(value), path);
      }
      const coverages = await page.$$eval("[data-coverage]", (elements) => elements.map((e) => [e.getAttribute("data-coverage")!, e.textContent ?? ""] as const));
      assert.equal(coverages.length, 1 + report.byNamespace.length);
      for (const [path, text] of coverages) {
        const tally = lookup(report, path) as { total: number; verified: number };
        assert.equal(text, ((100 * tally.verified) / tally.total).toFixed(1), path);
      }
      assert.equal(await page.textContent("[data-json-text=generatedAt]"), report.generatedAt);
      assert.equal(await page.locator("#problems tbody tr").count(), 375);
      assert.equal(await page.locator("#all-images tbody tr").count(), 500);
      await page.click('nav a[data-tab="images"]');
      await page.fill("#filter", "team-3/app-7:v2");
      assert.equal(await page.locator("#all-images tbody tr:visible").count(), 1);
      assert.deepEqual(problems, []);
      await page.close();
    });

    it("shows hostile names from a cluster dump as text and runs nothing", async () => {
      const hostile = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`;
      const pods = {
        apiVersion: "v1",
        kind: "List",
        items: [
          pod(`ns-${hostile}`, `pod-${hostile}`, [`${registry.host}/audit/team-0/app-0:v0`, `${registry.host}/audit/team-1/app-0:v0`]),
          pod("default", "web", [`${registry.host}/audit/team-0/app-0:v0`, `bad ref ${hostile}`]),
        ],
      };
      const podsFile = join(work, "pods.json");
      writeFileSync(podsFile, JSON.stringify(pods));
      const out = join(work, "hostile-report");
      const run = await runSignet(["audit", "--pods", podsFile, "--key", pubFile, "--insecure-ignore-tlog", "--output-dir", out]);
      // The unsigned image's exit code (10) outranks the unparsable reference's (1).
      assert.equal(run.status, 10, run.stderr);
      const report = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditReport;
      assert.deepEqual(report.totals, { total: 3, verified: 1, unsigned: 1, failed: 0, error: 1 });
      assert.deepEqual(report.byNamespace.map((n) => [n.name, n.total]), [["default", 2], [`ns-${hostile}`, 2]]);
      const html = readFileSync(join(out, "audit.html"), "utf8");
      assert.equal(html.includes("<script>document.title"), false);
      assert.equal(html.includes('<img src=x'), false);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("dialog", (dialog) => errors.push(`dialog ${dialog.message()}`));
      await page.goto(`file://${join(out, "audit.html")}`);
      await page.click('nav a[data-tab="namespaces"]');
      await page.screenshot({ path: join(out, "screenshot-hostile.png"), fullPage: true });
      assert.notEqual(await page.title(), "pwned");
      assert.equal(await page.locator("main img").count(), 0);
      assert.equal(await page.locator("script").count(), 1, "only the report's own script");
      assert.ok((await page.textContent("#namespaces table"))!.includes(`ns-${hostile}`), "shown as text");
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
});

function pod(namespace: string, name: string, images: string[]): unknown {
  return { apiVersion: "v1", kind: "Pod", metadata: { namespace, name }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } };
}

/** The value at a dotted path of the report (`byNamespace.3.total`, `images.7.workloads.length`). */
function lookup(report: AuditReport, path: string): unknown {
  return path.split(".").reduce<unknown>((object, key) => (object as Record<string, unknown>)[key], report);
}
