// docs/compatibility.md lists every cosign flag with what signet does with it, generated from the option tables.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { cosignFlagsMarkdown, describeUnsupportedCosignFlag, reasonFor } from "../../../src/cli/cosign-compat.js";
import { COSIGN_FLAGS, cosignFlagsOf } from "../../../src/cli/cosign-flags.js";
import { loadAllCommands } from "../../../src/cli/main.js";
import { GLOBAL_OPTIONS } from "../../../src/cli/options.js";
import { REPO_ROOT } from "../../helpers/peers.js";

describe("cosign flags", () => {
  test("docs/compatibility.md's flag table is generated from the current tables (node scripts/gen-cosign-flags-doc.mjs)", async () => {
    const doc = readFileSync(join(REPO_ROOT, "docs", "compatibility.md"), "utf8");
    const table = cosignFlagsMarkdown(await loadAllCommands(), GLOBAL_OPTIONS);
    assert.ok(doc.includes(`-->\n${table}\n<!-- cosign-flags:end -->`), "docs/compatibility.md is stale: run node scripts/gen-cosign-flags-doc.mjs");
  });
  test("every cosign flag of a command signet has is accepted, or refused with a reason", async () => {
    const commands = new Map((await loadAllCommands()).map((c) => [c.name, c]));
    const missing: string[] = [];
    for (const cosignCommand of Object.keys(COSIGN_FLAGS)) {
      const signet = commands.get(cosignCommand.split(" ")[0]!);
      if (signet === undefined) continue;
      for (const flag of cosignFlagsOf(cosignCommand)) {
        if (Object.hasOwn(signet.options, flag.name) || Object.hasOwn(GLOBAL_OPTIONS, flag.name)) continue;
        if (reasonFor(cosignCommand, flag.name) === "") missing.push(`${cosignCommand} --${flag.name}`);
      }
    }
    assert.deepEqual(missing, []);
  });
  test("a refused cosign flag is named as cosign's, a typo as unknown to cosign too", () => {
    assert.equal(describeUnsupportedCosignFlag("sign", undefined, "sk").cosign, "unsupported");
    assert.match(describeUnsupportedCosignFlag("sign", undefined, "sk").message, /hardware security keys/);
    assert.equal(describeUnsupportedCosignFlag("sign", undefined, "certificate-identity").cosign, "other-command");
    assert.equal(describeUnsupportedCosignFlag("verify", undefined, "tlog-uplaod").cosign, "not-in-cosign");
  });
});
