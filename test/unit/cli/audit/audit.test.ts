import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { escapeHtml, renderAuditHtml } from "../../../../src/cli/audit/html.js";
import type { AuditVerdict } from "../../../../src/cli/audit/model.js";
import { buildAuditReport } from "../../../../src/cli/audit/report.js";
import { renderAuditSarif } from "../../../../src/cli/audit/sarif.js";
import { createAuditStateWriter, readAuditState } from "../../../../src/cli/audit/state.js";
import { isAttachmentTag, listTargets } from "../../../../src/cli/audit/targets.js";
import { ImageAccess } from "../../../../src/oci/image-access.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { startFakeApiServer, type FakeApiServer } from "../../webhook/kube/fake-apiserver.js";

const HOSTILE = `"><img src=x onerror=alert(1)><script>alert(2)</script>'&`;
const LIMITS = { maxImages: 1000, maxRepositories: 1000 };

function verdict(image: string, status: AuditVerdict["status"], extra: Partial<AuditVerdict> = {}): AuditVerdict {
  return {
    image,
    namespace: "ns",
    workloads: [],
    status,
    signers: status === "verified" ? ["key cosign.pub"] : [],
    formats: status === "verified" ? ["cosign-legacy"] : [],
    ...(status === "unsigned" ? { code: "SIG_MISSING", reason: "no signature", hint: "sign it" } : {}),
    ...(status === "failed" ? { code: "SIG_INVALID", reason: "bad signature", hint: "re-sign" } : {}),
    ...(status === "error" ? { code: "REGISTRY_ERROR", reason: "down", hint: "retry" } : {}),
    ...extra,
  } as AuditVerdict;
}

const REPORT_OPTIONS = { source: "registry r/ns", policy: "key cosign.pub", generatedAt: new Date(0), resumed: 0, durationMs: 1, registryRequests: 2 };

describe("audit report", () => {
  it("counts each status, and a cluster image in every namespace that runs it", () => {
    const report = buildAuditReport(
      [
        verdict("a:1", "verified", { workloads: [{ namespace: "x", pod: "p", container: "c" }, { namespace: "y", pod: "q", container: "c" }] }),
        verdict("b:1", "unsigned", { namespace: "y", workloads: [{ namespace: "y", pod: "r", container: "c" }] }),
        verdict("c:1", "failed"),
        verdict("d:1", "error"),
      ],
      REPORT_OPTIONS,
    );
    assert.deepEqual(report.totals, { total: 4, verified: 1, unsigned: 1, failed: 1, error: 1 });
    assert.deepEqual(
      report.byNamespace.map((n) => [n.name, n.total, n.verified]),
      [["ns", 2, 0], ["x", 1, 1], ["y", 2, 1]],
    );
    assert.deepEqual(report.byFormat, [{ name: "(none)", images: 3 }, { name: "cosign-legacy", images: 1 }]);
    assert.deepEqual(report.byCode.map((c) => [c.code, c.images]), [["REGISTRY_ERROR", 1], ["SIG_INVALID", 1], ["SIG_MISSING", 1]]);
  });

  it("escapes every string from a registry or cluster in the HTML; only its own script runs (CSP by hash)", () => {
    const report = buildAuditReport(
      [
        verdict(`r/app:${HOSTILE}`, "failed", { namespace: HOSTILE, reason: HOSTILE, workloads: [{ namespace: HOSTILE, pod: HOSTILE, container: HOSTILE }] }),
        verdict("r/app:ok", "verified", { signers: [`subject ${HOSTILE}`], formats: [HOSTILE] }),
      ],
      { ...REPORT_OPTIONS, source: `registry ${HOSTILE}` },
    );
    const html = renderAuditHtml(report);
    assert.equal(html.includes("<img"), false);
    assert.equal(html.includes("alert(2)</script>"), false);
    assert.equal(html.match(/<script>/g)?.length, 1, "one script: the page's own");
    assert.ok(html.includes(escapeHtml(HOSTILE)));
    assert.equal(escapeHtml(HOSTILE), "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;&#39;&amp;");
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const hash = createHash("sha256").update(script).digest("base64");
    assert.ok(html.includes(`script-src &#39;sha256-${hash}&#39;`), "the CSP allows exactly the page's script");
    assert.equal(/(src|href)="(https?:)?\/\//.test(html), false, "no external asset");
  });

  it("SARIF: one result per image that did not verify, its rule the error code", () => {
    const report = buildAuditReport([verdict("a:1", "verified"), verdict("b:1", "unsigned"), verdict("c:1", "failed"), verdict("d:1", "failed")], REPORT_OPTIONS);
    const sarif = renderAuditSarif(report, "0.0.0") as { version: string; runs: { tool: { driver: { rules: { id: string; help: { text: string } }[] } }; results: { ruleId: string; ruleIndex: number; level: string }[] }[] };
    assert.equal(sarif.version, "2.1.0");
    const run = sarif.runs[0]!;
    assert.deepEqual(run.tool.driver.rules.map((r) => r.id), ["SIG_INVALID", "SIG_MISSING"]);
    assert.deepEqual(run.results.map((r) => [r.ruleId, r.ruleIndex]), [["SIG_MISSING", 1], ["SIG_INVALID", 0], ["SIG_INVALID", 0]]);
    assert.match(run.tool.driver.rules[1]!.help.text, /signet sign/);
  });
});

describe("audit state", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "signet-audit-state-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips verdicts; an absent file is an empty state", async () => {
    const path = join(dir, "state.json");
    assert.equal((await readAuditState(path, "f1")).size, 0);
    const writer = createAuditStateWriter(path, "f1", [verdict("a:1", "verified")], 2);
    await writer.add(verdict("b:1", "unsigned"));
    await writer.add(verdict("c:1", "failed"));
    const state = await readAuditState(path, "f1");
    assert.deepEqual([...state.keys()], ["a:1", "b:1", "c:1"]);
    assert.equal(state.get("b:1")!.code, "SIG_MISSING");
  });

  it("refuses the state of another audit (AUDIT_STATE_MISMATCH) and a damaged one (AUDIT_STATE_INVALID)", async () => {
    const path = join(dir, "other.json");
    await createAuditStateWriter(path, "f1", [], 1).add(verdict("a:1", "verified"));
    await assertRejectsWithCode(() => readAuditState(path, "f2"), "AUDIT_STATE_MISMATCH");
    writeFileSync(path, "{not json");
    await assertRejectsWithCode(() => readAuditState(path, "f1"), "AUDIT_STATE_INVALID");
    writeFileSync(path, JSON.stringify({ signetAuditState: 1, fingerprint: "f1", verdicts: [{ ...verdict("a:1", "failed"), code: "NOT_A_CODE" }] }));
    await assertRejectsWithCode(() => readAuditState(path, "f1"), "AUDIT_STATE_INVALID");
    writeFileSync(path, JSON.stringify({ signetAuditState: 1, fingerprint: "f1", verdicts: [{ ...verdict("a:1", "failed"), status: "maybe" }] }));
    await assertRejectsWithCode(() => readAuditState(path, "f1"), "AUDIT_STATE_INVALID");
  });
});

describe("audit targets", () => {
  let dir: string;
  let api: FakeApiServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-audit-targets-"));
    api = await startFakeApiServer();
  });
  after(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const pod = (namespace: string, name: string, images: string[], init: string[] = []) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })), initContainers: init.map((image, i) => ({ name: `i${i}`, image })) },
  });

  it("leaves signature and attachment tags out", () => {
    assert.equal(isAttachmentTag(`sha256-${"a".repeat(64)}.sig`), true);
    assert.equal(isAttachmentTag(`sha256-${"a".repeat(64)}`), true);
    assert.equal(isAttachmentTag("v1.0"), false);
    assert.equal(isAttachmentTag("sha256-abc"), false);
  });

  it("reads a kubectl dump with the webhook's extraction: every container kind, one target per image", async () => {
    const path = join(dir, "pods.json");
    writeFileSync(path, JSON.stringify({ apiVersion: "v1", kind: "List", items: [pod("a", "p1", ["r/x:1", "r/y:1"], ["r/init:1"]), pod("b", "p2", ["r/x:1"])] }));
    const targets = await listTargets({ kind: "pods-file", path }, new ImageAccess(), LIMITS);
    assert.deepEqual(targets.map((t) => [t.image, t.namespace, t.workloads.length]), [["r/init:1", "a", 1], ["r/x:1", "a", 2], ["r/y:1", "a", 1]]);
    await assertRejectsWithCode(() => listTargets({ kind: "pods-file", path }, new ImageAccess(), { ...LIMITS, maxImages: 2 }), "COUNT_LIMIT_EXCEEDED");
  });

  it("refuses what is not a pod list, and a malformed pod (AUDIT_SOURCE_INVALID)", async () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ kind: "Deployment" }));
    await assertRejectsWithCode(() => listTargets({ kind: "pods-file", path }, new ImageAccess(), LIMITS), "AUDIT_SOURCE_INVALID");
    writeFileSync(path, JSON.stringify({ kind: "List", items: [{ kind: "Pod", metadata: { name: "p" }, spec: { containers: "nginx" } }] }));
    await assertRejectsWithCode(() => listTargets({ kind: "pods-file", path }, new ImageAccess(), LIMITS), "AUDIT_SOURCE_INVALID");
    writeFileSync(path, "[1,");
    await assertRejectsWithCode(() => listTargets({ kind: "pods-file", path }, new ImageAccess(), LIMITS), "AUDIT_SOURCE_INVALID");
    await assertRejectsWithCode(() => listTargets({ kind: "pods-file", path: join(dir, "absent.json") }, new ImageAccess(), LIMITS), "FILE_NOT_FOUND");
  });

  it("lists a cluster's pods in pages through the webhook's Kubernetes client", async () => {
    for (let i = 0; i < 501; i++) api.apply("api/v1/pods", pod(`ns${i % 3}`, `pod-${String(i).padStart(3, "0")}`, [`r/app:${i % 7}`]));
    const before = api.requests.length;
    const targets = await listTargets({ kind: "kubeconfig", kubeconfig: api.kubeconfig, env: {}, timeoutMs: 5_000 }, new ImageAccess(), LIMITS);
    const lists = api.requests.slice(before).filter((r) => r.startsWith("GET /api/v1/pods"));
    assert.equal(lists.length, 2, lists.join("\n"));
    assert.match(lists[1]!, /continue=/);
    assert.equal(targets.length, 7);
    assert.equal(targets.reduce((sum, t) => sum + t.workloads.length, 0), 501);
    assert.ok(readFileSync(api.kubeconfig, "utf8").length > 0);
  });
});

describe("signet audit command line", () => {
  const codeOf = (stderr: string) => /\[([A-Z_]+)\]/.exec(stderr)?.[1];
  it("needs exactly one source, one thing to verify against, and --output-dir", async () => {
    const { runCliInProcess } = await import("../../../helpers/cli.js");
    const cases: [string[], string][] = [
      [["audit", "--key", "k.pub", "--output-dir", "d"], "USAGE"],
      [["audit", "--registry", "r.example", "--pods", "p.json", "--key", "k.pub", "--output-dir", "d"], "OPTION_CONFLICT"],
      [["audit", "--registry", "r.example", "--key", "k.pub"], "USAGE"],
      [["audit", "--pods", "p.json", "--output-dir", "d"], "USAGE"],
      [["audit", "--pods", "p.json", "--policy", "policy.json", "--key", "k.pub", "--output-dir", "d"], "OPTION_CONFLICT"],
      [["audit", "--pods", "p.json", "--key", "k.pub", "--platform", "linux/amd64", "--output-dir", "d"], "USAGE"],
      [["audit", "--pods", "p.json", "--key", "k.pub", "--output-dir", "d", "--max-images", "0"], "USAGE"],
      [["audit", "--pods", "p.json", "--key", "k.pub", "--output-dir", "d", "extra"], "USAGE"],
    ];
    for (const [args, code] of cases) {
      const result = await runCliInProcess(args);
      assert.notEqual(result.status, 0, args.join(" "));
      assert.equal(codeOf(result.stderr), code, `${args.join(" ")}: ${result.stderr}`);
    }
  });
});
