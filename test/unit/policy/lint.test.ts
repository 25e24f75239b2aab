import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VECTORS } from "../../helpers/peers.js";
import { runCliInProcess } from "../../helpers/cli.js";
import { formatLintFinding, lintPassed, lintPolicy, parsePolicy, type PolicyLintFinding } from "../../../src/policy/index.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");

function byRule(findings: readonly PolicyLintFinding[], rule: string): PolicyLintFinding[] {
  return findings.filter((f) => f.rule === rule);
}

describe("lintPolicy", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-lint-"));
    mkdirSync(join(dir, "keydir"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a careful policy has no findings", async () => {
    const text = JSON.stringify(
      {
        default: [{ type: "reject" }],
        transports: {
          docker: {
            "example.com/app": [{ type: "signedBy", keyType: "GPGKeys", keyPath: join(FIXTURES, "public-key.gpg") }],
            "example.com/cosigned": [{ type: "sigstoreSigned", keyPath: join(FIXTURES, "cosign.pub"), signedIdentity: { type: "matchRepository" } }],
          },
        },
      },
      null,
      2,
    );
    assert.deepEqual(await lintPolicy(text), []);
  });

  test("errors and risky choices, each with its line and column", async () => {
    const text = `{
  "default": [{"type": "insecureAcceptAnything"}],
  "transports": {
    "docker": {
      "": [{"type": "insecureAcceptAnything"}],
      "*.example.com": [{"type": "insecureAcceptAnything"}],
      "unmatched": [{"type": "reject"}],
      "index.docker.io/library/busybox": [{"type": "reject"}],
      "docker.io/busybox": [{"type": "reject"}],
      "registry.example.org": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "${join(dir, "keydir")}"}],
      "registry.example.org/team/app": [{"type": "insecureAcceptAnything"}],
      "registry.example.org/team/other": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "${join(dir, "keydir")}"}],
      "nonsense.example/app": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "bm9uc2Vuc2U="}],
      "missing.example/app": [{"type": "sigstoreSigned", "keyPath": "${join(dir, "missing.pub")}"}],
      "kbs.example/app": [{"type": "sigstoreSigned", "keyPath": "kbs:///default/key/1", "signedIdentity": {"type": "matchRepository"}}],
      "x509.example/app": [{"type": "signedBy", "keyType": "X509Certificates", "keyPath": "/k"}]
    },
    "oci": {
      "/srv/layouts": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "${join(FIXTURES, "public-key.gpg")}"}]
    }
  }
}`;
    const findings = await lintPolicy(text, { source: "p.json" });
    const show = findings.map(formatLintFinding).join("\n");
    const lines = text.split("\n");
    /** The finding of `rule` at line `line`, at the column where `needle` starts on that line. */
    const expect = (rule: string, severity: string, line: number, needle: string, message: RegExp): void => {
      const match = byRule(findings, rule).find((f) => f.line === line);
      assert.ok(match, `no ${rule} finding at line ${line}:\n${show}`);
      assert.equal(match.severity, severity, show);
      assert.equal(match.column, lines[line - 1]!.indexOf(needle) + 1, formatLintFinding(match));
      assert.match(match.message, message);
    };
    expect("default-not-reject", "warning", 2, '"default"', /accepts every image/);
    expect("accept-anything-broad", "warning", 5, '""', /every docker image no other scope names/);
    expect("accept-anything-broad", "warning", 6, '"*.example.com"', /any host under example.com/);
    expect("scope-never-matches", "warning", 7, '"unmatched"', /"unmatched" never matches/);
    // Registries are looked up in their canonical spelling (issue #9 item 1): index.docker.io is docker.io, so it matches.
    assert.equal(byRule(findings, "scope-never-matches").find((f) => f.line === 8), undefined, show);
    expect("scope-never-matches", "info", 9, '"docker.io/busybox"', /not the official image docker.io\/library\/busybox/);
    expect("unreadable-key", "error", 10, '"keyPath"', /is a directory/);
    expect("shadowed-scope", "warning", 11, '"registry', /replaces the signature requirements of scope "registry.example.org"/);
    expect("redundant-scope", "info", 12, '"registry', /same requirements as scope "registry.example.org"/);
    expect("invalid-key", "error", 13, '"keyData"', /^keyData is not an OpenPGP public keyring/);
    expect("unreadable-key", "error", 14, '"keyPath"', /does not exist/);
    expect("key-not-checked", "info", 15, '"keyPath"', /kbs:\/\/\/default\/key\/1 not checked/);
    expect("cosign-identity", "info", 14, '{"type": "sigstoreSigned"', /matchRepository/);
    expect("unsupported", "warning", 16, '{"type": "signedBy"', /X509Certificates is not implemented/);
    expect("identity-needs-registry-name", "warning", 19, '{"type": "signedBy"', /oci images do not have/);
    assert.equal(lintPassed(findings), false);
    // Sorted by position.
    const positions = findings.map((f) => f.line * 1000 + f.column);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    assert.match(formatLintFinding(findings[0]!), /^p\.json:2:3: warning: default: .* \[default-not-reject\]$/);
  });

  test("parse errors are reported as errors, all of them, with positions", async () => {
    const text = '{\n "default": [{"type": "reject"}],\n "transports": {"docker": {"a.example": [{"type": "bogus"}], "*.b.example:1": [{"type": "reject"}]}, "dockr": {}}\n}';
    const findings = await lintPolicy(text);
    assert.deepEqual(findings.map((f) => [f.severity, f.rule, f.line]), [["error", "invalid", 3], ["error", "invalid", 3], ["error", "invalid", 3]]);
    assert.deepEqual(findings.map((f) => f.path), ['transports.docker["a.example"][0].type', 'transports.docker["*.b.example:1"]', "transports.dockr"]);
  });

  test("truncated JSON is one error at the end", async () => {
    const findings = await lintPolicy('{"default": [');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.column, 14);
  });

  test("upstream's fixture policy: loads, and lint names its unusable keys and unimplemented requirements", async () => {
    const findings = await lintPolicy(readFileSync(join(FIXTURES, "policy.json")), { source: "policy.json" });
    assert.equal(byRule(findings, "invalid").length, 0);
    assert.ok(byRule(findings, "unreadable-key").length > 0, "the /keys/… files do not exist here");
    assert.ok(byRule(findings, "unsupported").some((f) => /signedBaseLayer/.test(f.message)));
    assert.ok(byRule(findings, "invalid-key").some((f) => /keyData/.test(f.message)), "keyData \"nonsense\"");
    assert.ok(byRule(findings, "accept-anything-broad").length === 0);
  });

  test("attack: a legal 130,000-scope policy lints (no INTERNAL 'Maximum call stack size exceeded'), as policy verify loads it", async () => {
    const docker: Record<string, unknown> = {};
    for (let i = 0; i < 130_000; i++) {
      // Every scope yields findings (never-matches, accept-anything-broad, shadowed-scope): 195,000 in all.
      docker[i % 2 === 0 ? `team${i}` : `reg${i}.example.com`] = [{ type: i % 2 === 0 ? "reject" : "insecureAcceptAnything" }];
    }
    const text = JSON.stringify({ default: [{ type: "reject" }], transports: { docker } });
    const policy = parsePolicy(text, { source: "big.json" });
    assert.equal(policy.transports.get("docker")!.scopes.size, 130_000);
    const findings = await lintPolicy(text, { source: "big.json" });
    assert.equal(byRule(findings, "scope-never-matches").length, 65_000);
    assert.equal(byRule(findings, "accept-anything-broad").length, 65_000);
    assert.equal(lintPassed(findings), true);
    const path = join(dir, "big.json");
    writeFileSync(path, text);
    const result = await runCliInProcess(["policy", "lint", "--output-format", "json", path], { HOME: "/nonexistent" });
    assert.equal(result.status, 0, result.stdout.slice(0, 300));
    assert.ok(!result.stdout.includes('"INTERNAL"'));
    assert.equal((JSON.parse(result.stdout) as { findings: unknown[] }).findings.length, findings.length);
  });
});

