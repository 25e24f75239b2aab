// Flags parsed as cosign's (pflag): the same command line means the same thing to signet and cosign.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFlags, type OptionTable } from "../../../src/cli/flags.js";
import { GLOBAL_OPTIONS } from "../../../src/cli/options.js";
import { commandHelp } from "../../../src/cli/help.js";
import { loadAllCommands } from "../../../src/cli/main.js";
import { SignetError } from "../../../src/errors/index.js";

const TABLE: OptionTable = {
  key: { type: "string" },
  annotations: { type: "string", short: "a", multiple: true },
  "tlog-upload": { type: "boolean", default: true },
  recursive: { type: "boolean", short: "r" },
  force: { type: "boolean", short: "f" },
  output: { type: "string", short: "o", choices: ["json", "text"] },
  "output-signature": { type: "string" },
  old: { type: "string", aliasOf: "output-signature", hidden: true },
};

function usageCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(SignetError.is(error));
    return error.code;
  }
  assert.fail("expected a usage error");
}

describe("cosign-style flags", () => {
  test("booleans: --flag, --flag=true|false in Go's spellings, never the next argument", () => {
    assert.deepEqual(parseFlags(["--tlog-upload", "img"], TABLE), { values: { "tlog-upload": true }, positionals: ["img"], help: false });
    assert.equal(parseFlags(["--tlog-upload=false", "img"], TABLE).values["tlog-upload"], false);
    for (const word of ["0", "f", "F", "FALSE", "False"]) assert.equal(parseFlags([`--tlog-upload=${word}`], TABLE).values["tlog-upload"], false);
    for (const word of ["1", "t", "T", "TRUE", "True", "true"]) assert.equal(parseFlags([`--tlog-upload=${word}`], TABLE).values["tlog-upload"], true);
    assert.deepEqual(parseFlags(["--tlog-upload", "false"], TABLE).positionals, ["false"]);
  });
  test("--flag=banana on a boolean is a usage error naming the flag", () => {
    assert.equal(usageCode(() => parseFlags(["--tlog-upload=banana", "img"], TABLE)), "USAGE");
    assert.throws(() => parseFlags(["--tlog-upload=banana"], TABLE), /--tlog-upload is a boolean.*--tlog-upload=false/);
  });
  test("values: --flag value, --flag=value, -a k=v, -ak=v, -a=k=v; repeated lists collect; others: last wins", () => {
    const parsed = parseFlags(["--key", "k1", "-a", "x=1", "-ay=2", "-a=z=3", "--annotations=w=4", "img", "--key=k2"], TABLE);
    assert.deepEqual(parsed.values, { key: "k2", annotations: ["x=1", "y=2", "z=3", "w=4"] });
    assert.deepEqual(parsed.positionals, ["img"]);
    assert.equal(parseFlags(["--key", "--weird-but-a-value"], TABLE).values["key"], "--weird-but-a-value");
  });
  test("combined short booleans, -r=false, and a value taking the rest", () => {
    assert.deepEqual(parseFlags(["-rf"], TABLE).values, { recursive: true, force: true });
    assert.deepEqual(parseFlags(["-r=false"], TABLE).values, { recursive: false });
    assert.deepEqual(parseFlags(["-rojson"], TABLE).values, { recursive: true, output: "json" });
  });
  test("-- ends the flags; - is a positional", () => {
    const parsed = parseFlags(["--force", "--", "--key", "-a", "-"], TABLE);
    assert.deepEqual(parsed.values, { force: true });
    assert.deepEqual(parsed.positionals, ["--key", "-a", "-"]);
    assert.deepEqual(parseFlags(["-"], TABLE).positionals, ["-"]);
  });
  test("unknown flags, missing values and values outside the choices are usage errors", () => {
    assert.equal(usageCode(() => parseFlags(["--nope"], TABLE)), "USAGE");
    assert.equal(usageCode(() => parseFlags(["-z"], TABLE)), "USAGE");
    assert.equal(usageCode(() => parseFlags(["--key"], TABLE)), "USAGE");
    assert.equal(usageCode(() => parseFlags(["-o", "yaml"], TABLE)), "USAGE");
  });
  test("an alias stores under the flag it spells; -h and --help ask for help", () => {
    assert.deepEqual(parseFlags(["--old", "sig"], TABLE).values, { "output-signature": "sig" });
    assert.equal(parseFlags(["img", "-h"], TABLE).help, true);
    assert.equal(parseFlags(["--help"], TABLE).help, true);
    assert.equal(parseFlags(["--", "--help"], TABLE).help, false);
  });
  test("every flag any --help shows is accepted by that command's parser", async () => {
    const commands = await loadAllCommands();
    assert.ok(commands.length >= 15);
    for (const command of commands) {
      const table = { ...GLOBAL_OPTIONS, ...command.options };
      const help = commandHelp(command, GLOBAL_OPTIONS);
      const mentioned = new Set([...help.matchAll(/(?<![\w-])--([a-z0-9][a-z0-9-]*[a-z0-9])/g)].map((m) => m[1]!));
      for (const flag of mentioned) {
        if (flag === "help") continue;
        assert.ok(Object.hasOwn(table, flag), `signet ${command.name} --help mentions --${flag}, which the parser rejects`);
      }
      for (const [, short] of help.matchAll(/(?<![\w-])-([a-zA-Z])[, ]/g)) {
        if (short === "h") continue;
        assert.ok(Object.values(table).some((def) => def.short === short), `signet ${command.name} --help mentions -${short}, which the parser rejects`);
      }
    }
  });
});
