// Completions and the man page come from the option tables: every flag signet accepts is offered and documented.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { bashCompletion, fishCompletion, manPage, zshCompletion, type CompletionSource } from "../../../src/cli/completion.js";
import { visibleFlags } from "../../../src/cli/help.js";
import { loadAllCommands } from "../../../src/cli/main.js";
import { GLOBAL_OPTIONS } from "../../../src/cli/options.js";

async function source(): Promise<CompletionSource> {
  return { commands: await loadAllCommands(), globals: GLOBAL_OPTIONS };
}

function bashComplete(script: string, words: string[]): string[] {
  const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _signet; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync("bash", ["-c", program], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split("\n").filter((line) => line !== "");
}

describe("completions and man page", () => {
  test("every visible flag of every command is in the bash, zsh and fish scripts and in the man page", async () => {
    const s = await source();
    const scripts = { bash: bashCompletion(s), zsh: zshCompletion(s), fish: fishCompletion(s), man: manPage(s, "0.0.0") };
    for (const command of s.commands) {
      for (const [name] of visibleFlags(command.options)) {
        assert.ok(scripts.bash.includes(`--${name}`), `bash lacks ${command.name} --${name}`);
        assert.ok(scripts.zsh.includes(`--${name}`), `zsh lacks ${command.name} --${name}`);
        assert.ok(scripts.fish.includes(`-l ${name}`), `fish lacks ${command.name} --${name}`);
        assert.ok(scripts.man.includes(`\\-\\-${name.replaceAll("-", "\\-")}`), `man lacks ${command.name} --${name}`);
      }
    }
  });
  test("bash completes commands, a command's flags, a flag's choices, and files after a value flag", async () => {
    const script = bashCompletion(await source());
    assert.ok(bashComplete(script, ["signet", "ver"]).includes("verify"));
    const flags = bashComplete(script, ["signet", "verify", "--insecure"]);
    assert.deepEqual(flags, ["--insecure-ignore-sct", "--insecure-ignore-tlog"]);
    assert.deepEqual(bashComplete(script, ["signet", "verify", "-o", ""]).sort(), ["json", "text"]);
    assert.deepEqual(bashComplete(script, ["signet", "sign", "--tlog"]), ["--tlog-upload"]);
    assert.deepEqual(bashComplete(script, ["signet", "completion", ""]).sort(), ["bash", "fish", "zsh"]);
  });
  test("the man page is valid roff for man(1)", async () => {
    const page = manPage(await source(), "0.0.0");
    const rendered = spawnSync("man", ["-l", "-"], { input: page, encoding: "utf8", env: { ...process.env, MANWIDTH: "100", MAN_KEEP_FORMATTING: "0" } });
    if (rendered.error !== undefined) return; // man(1) is not installed: the roff is still checked by the test above
    assert.equal(rendered.status, 0, rendered.stderr);
    // eslint-disable-next-line no-control-regex -- man(1) marks bold text with backspaces
    const text = rendered.stdout.replace(/.\x08/g, "");
    assert.match(text, /signet verify/);
    assert.match(text, /--insecure-ignore-tlog/);
    assert.match(text, /EXIT STATUS/);
  });
});
