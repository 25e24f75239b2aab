// policy-controller's own ClusterImagePolicy test data (vectors §15): every invalid document is refused with
// the reason its `# ERROR:` lines give (the field paths in policy-controller's words), every valid one loads.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { VECTORS } from "../../../helpers/peers.js";
import { checkClusterImagePolicyFiles, compileClusterImagePolicies, loadClusterImagePolicies } from "../../../../src/webhook/policy/index.js";

const BASE = join(VECTORS, "sigstore__policy-controller", "test", "testdata", "policy-controller");
const yamlFiles = (folder: string) => readdirSync(join(BASE, folder)).filter((name) => name.endsWith(".yaml")).sort();

/** The e2e script's extraction: each `# ERROR:` line, the text after the first ":" (trimmed). */
function expectedErrors(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.includes("ERROR:"))
    .map((line) => line.slice(line.indexOf(":") + 1).trim());
}

async function errorText(file: string, options = {}): Promise<string> {
  const reports = await checkClusterImagePolicyFiles([file], options);
  return reports.flatMap((report) => report.problems.filter((p) => p.level === "error").map((p) => `validation failed: ${p.text}`)).join("\n");
}

describe("policy-controller invalid ClusterImagePolicies", () => {
  const files = yamlFiles("invalid");
  test("the folder holds cases", () => assert.ok(files.length >= 10, `only ${files.length} invalid cases found`));
  for (const name of files) {
    test(`${name} is refused with its reason`, async () => {
      const file = join(BASE, "invalid", name);
      const expected = expectedErrors(file);
      assert.ok(expected.length > 0, "the vector names its expected error");
      const text = await errorText(file);
      for (const line of expected) assert.ok(text.includes(line), `expected ${JSON.stringify(line)} in:\n${text}`);
      const error = await assertRejectsWithCode(() => loadClusterImagePolicies([file]), "CLUSTER_IMAGE_POLICY_INVALID");
      assert.ok(Array.isArray(error.details["problems"]) && (error.details["problems"] as unknown[]).length > 0);
    });
  }
});

describe("policy-controller valid ClusterImagePolicies", () => {
  for (const folder of ["valid", "e2e", "tester"]) {
    for (const name of yamlFiles(folder)) {
      test(`${folder}/${name} is accepted and compiles`, async () => {
        const file = join(BASE, folder, name);
        assert.equal(await errorText(file), "");
        const loaded = await loadClusterImagePolicies([file]);
        if (folder === "valid") assert.ok(loaded.length > 0, "a valid file holds a policy");
        // Secrets are not reachable here: their authorities compile as "unavailable" (fail closed), never throw.
        const compiled = await compileClusterImagePolicies(loaded);
        assert.equal(compiled.policies.length, loaded.length);
      });
    }
  }
});

describe("empty authorities (policy-controller's fail-on-empty-authorities)", () => {
  for (const name of yamlFiles("empty-authorities")) {
    test(`${name}: refused by default, accepted when the option is off`, async () => {
      const file = join(BASE, "empty-authorities", name);
      assert.match(await errorText(file), /missing field\(s\): spec\.authorities/);
      assert.equal(await errorText(file, { failOnEmptyAuthorities: false }), "");
    });
  }
});
