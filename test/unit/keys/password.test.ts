// Password sources in cosign's order, the password file, and the no-echo terminal prompt (with a fake TTY).
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createPasswordProvider, passwordFromInput, resolvePassword, type PasswordTerminal } from "../../../src/keys/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";

const dir = mkdtempSync(join(tmpdir(), "signet-password-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

/** A terminal double: records raw-mode changes and what was written; `type` feeds keystrokes. */
class FakeTerminal extends EventEmitter {
  isTTY = true;
  rawModes: boolean[] = [];
  written = "";
  paused = false;
  setRawMode(raw: boolean): this {
    this.rawModes.push(raw);
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  type(...chunks: (string | Buffer)[]): void {
    setImmediate(() => {
      for (const chunk of chunks) this.emit("data", typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
    });
  }
  get terminal(): PasswordTerminal {
    return { input: this, output: { write: (text: string) => (this.written += text) } };
  }
}

describe("password sources", () => {
  test("COSIGN_PASSWORD comes first, before --password-file (cosign's order)", async () => {
    const path = file("pw-a", "from-file\n");
    assert.equal((await resolvePassword({ env: { COSIGN_PASSWORD: "from-env" }, passwordFile: path })).toString(), "from-env");
  });

  test("an empty COSIGN_PASSWORD is a password, not an absence", async () => {
    const terminal = new FakeTerminal();
    const password = await resolvePassword({ env: { COSIGN_PASSWORD: "" }, terminal: terminal.terminal });
    assert.equal(password.length, 0);
    assert.equal(terminal.written, "", "no prompt");
  });

  test("--password-file strips exactly one trailing newline", async () => {
    const cases: [string, string][] = [
      ["secret\n", "secret"],
      ["secret\r\n", "secret"],
      ["secret\n\n", "secret\n"],
      ["secret", "secret"],
      [" secret \n", " secret "],
      ["\n", ""],
      ["pässwörd\n", "pässwörd"],
    ];
    for (const [index, [content, expected]] of cases.entries()) {
      assert.equal((await resolvePassword({ env: {}, passwordFile: file(`pw-${index}`, content) })).toString("utf8"), expected);
    }
  });

  test("a missing password file: FILE_NOT_FOUND; a directory: IO_ERROR", async () => {
    await assertRejectsWithCode(() => resolvePassword({ env: {}, passwordFile: join(dir, "absent") }), "FILE_NOT_FOUND");
    await assertRejectsWithCode(() => resolvePassword({ env: {}, passwordFile: dir }), "IO_ERROR");
  });

  test("a huge password file is refused", async () => {
    await assertRejectsWithCode(() => resolvePassword({ env: {}, passwordFile: file("huge", Buffer.alloc(70 * 1024, 0x61)) }), "KEY_PASSWORD_MISSING");
  });

  test("no source and no terminal: KEY_PASSWORD_MISSING", async () => {
    const notATty = new FakeTerminal();
    notATty.isTTY = false;
    await assertRejectsWithCode(() => resolvePassword({ env: {}, terminal: notATty.terminal }), "KEY_PASSWORD_MISSING");
    await assertRejectsWithCode(() => resolvePassword({ env: {}, prompt: false, terminal: new FakeTerminal().terminal }), "KEY_PASSWORD_MISSING");
  });

  test("passwordFromInput: bytes, strings, providers and source options", async () => {
    assert.equal((await passwordFromInput("pw")).toString(), "pw");
    assert.equal((await passwordFromInput(new Uint8Array([0x61, 0x62]))).toString(), "ab");
    assert.equal((await passwordFromInput(async () => Buffer.from("lazy"))).toString(), "lazy");
    assert.equal((await passwordFromInput({ env: { COSIGN_PASSWORD: "env" } })).toString(), "env");
  });

  test("createPasswordProvider asks once and remembers", async () => {
    const terminal = new FakeTerminal();
    const provider = createPasswordProvider({ env: {}, terminal: terminal.terminal });
    terminal.type("once\r");
    assert.equal(Buffer.from(await provider()).toString(), "once");
    assert.equal(Buffer.from(await provider()).toString(), "once");
    assert.equal(terminal.written.match(/Enter password/g)?.length, 1);
  });
});

describe("terminal prompt", () => {
  test("reads in raw mode without echo, prompts on the output stream, restores the terminal", async () => {
    const terminal = new FakeTerminal();
    terminal.type("s3cr", "et\r");
    const password = await resolvePassword({ env: {}, terminal: terminal.terminal });
    assert.equal(password.toString(), "s3cret");
    assert.deepEqual(terminal.rawModes, [true, false]);
    assert.ok(terminal.paused);
    assert.match(terminal.written, /^Enter password for private key: \n$/);
    assert.ok(!terminal.written.includes("s3cret"), "the password was echoed");
    assert.equal(terminal.listenerCount("data"), 0);
  });

  test("confirmation: both entries must match", async () => {
    const same = new FakeTerminal();
    same.type("pw\r", "pw\r");
    assert.equal((await resolvePassword({ env: {}, confirm: true, terminal: same.terminal })).toString(), "pw");
    assert.match(same.written, /again/);

    const differ = new FakeTerminal();
    differ.type("pw\r", "wp\r");
    await assertRejectsWithCode(() => resolvePassword({ env: {}, confirm: true, terminal: differ.terminal }), "KEY_PASSWORD_MISMATCH");
    assert.deepEqual(differ.rawModes, [true, false]);
  });

  test("a pasted 'pw CR LF pw CR LF' in one chunk answers both prompts", async () => {
    const terminal = new FakeTerminal();
    terminal.type("pw\r\npw\r\n");
    assert.equal((await resolvePassword({ env: {}, confirm: true, terminal: terminal.terminal })).toString(), "pw");
  });

  test("backspace and Ctrl-U edit the line", async () => {
    const terminal = new FakeTerminal();
    terminal.type("abx\u007fc\r");
    assert.equal((await resolvePassword({ env: {}, terminal: terminal.terminal })).toString(), "abc");
    const cleared = new FakeTerminal();
    cleared.type("wrong\u0015right\r");
    assert.equal((await resolvePassword({ env: {}, terminal: cleared.terminal })).toString(), "right");
  });

  test("an empty line is the empty password", async () => {
    const terminal = new FakeTerminal();
    terminal.type("\r");
    assert.equal((await resolvePassword({ env: {}, terminal: terminal.terminal })).length, 0);
  });

  test("a multi-byte character split across chunks", async () => {
    const terminal = new FakeTerminal();
    const bytes = Buffer.from("pä\r", "utf8");
    terminal.type(bytes.subarray(0, 2), bytes.subarray(2));
    assert.equal((await resolvePassword({ env: {}, terminal: terminal.terminal })).toString("utf8"), "pä");
  });

  test("Ctrl-C, Ctrl-D on an empty line, and a closed terminal: KEY_PASSWORD_MISSING, terminal restored", async () => {
    for (const keys of ["pw\u0003", "\u0004"]) {
      const terminal = new FakeTerminal();
      terminal.type(keys);
      await assertRejectsWithCode(() => resolvePassword({ env: {}, terminal: terminal.terminal }), "KEY_PASSWORD_MISSING");
      assert.deepEqual(terminal.rawModes, [true, false]);
    }
    const closed = new FakeTerminal();
    setImmediate(() => closed.emit("end"));
    await assertRejectsWithCode(() => resolvePassword({ env: {}, terminal: closed.terminal }), "KEY_PASSWORD_MISSING");
  });
});
