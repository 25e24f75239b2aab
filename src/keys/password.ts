import type { EventEmitter } from "node:events";
import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { SignetError } from "../errors/index.js";
import { toPasswordBytes } from "./password-bytes.js";

/*
 * Where a key password comes from, in cosign's order (sigstore cryptoutils' readPasswordFn):
 *   1. COSIGN_PASSWORD when it is set, even to "" (an empty password is valid: cosign encrypts with it);
 *   2. --password-file (cosign has no such flag; it comes after the environment variable so that signet and
 *      cosign given the same environment use the same password);
 *   3. a prompt on the terminal (no echo; asked twice when creating a key);
 *   4. otherwise KEY_PASSWORD_MISSING. cosign would read a piped stdin here; signet does not, because stdin
 *      may carry other data and a hung read is worse than a clear error.
 * Passwords are never logged, never put in error details, and zeroed where signet owns the buffer.
 */

/** Asked only when a key turns out to be encrypted (plain PEM keys need no password). */
export type PasswordProvider = () => Promise<Uint8Array>;
/**
 * A password, or where to get one when it is needed: the bytes themselves, a string (UTF-8), a provider, or the
 * sources to try in cosign's order (resolvePassword's options).
 */
export type PasswordInput = Uint8Array | string | PasswordProvider | ResolvePasswordOptions;

/** Password files are a line of text; anything bigger is a wrong path. */
const PASSWORD_FILE_MAX_BYTES = 64 * 1024;

export interface TerminalInput extends EventEmitter {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface PasswordTerminal {
  input: TerminalInput;
  /** Prompts go here (stderr by default), so that stdout stays clean for output. */
  output: { write(text: string): unknown };
}

export interface ResolvePasswordOptions {
  passwordFile?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Whether a terminal prompt is allowed at all. Default true. */
  prompt?: boolean;
  /** Ask twice and require both to match (when creating a key). Default false. */
  confirm?: boolean;
  /** Default: process.stdin and process.stderr. */
  terminal?: PasswordTerminal;
}

export async function resolvePassword(options: ResolvePasswordOptions = {}): Promise<Buffer> {
  const env = options.env ?? process.env;
  const fromEnv = env["COSIGN_PASSWORD"];
  if (fromEnv !== undefined) return Buffer.from(fromEnv, "utf8");
  if (options.passwordFile !== undefined) return readPasswordFile(options.passwordFile);
  const terminal = options.terminal ?? { input: process.stdin, output: process.stderr };
  if (options.prompt === false || !isTerminal(terminal.input)) {
    throw new SignetError("KEY_PASSWORD_MISSING", "the key needs a password, and none was given (no COSIGN_PASSWORD, no --password-file, no terminal)");
  }
  return promptPassword(terminal, options.confirm === true);
}

/** A provider that resolves the password on first use and then returns the same one. */
export function createPasswordProvider(options: ResolvePasswordOptions = {}): PasswordProvider {
  let pending: Promise<Buffer> | undefined;
  return () => {
    pending ??= resolvePassword(options);
    return pending;
  };
}

export async function passwordFromInput(input: PasswordInput): Promise<Buffer> {
  if (typeof input === "string" || input instanceof Uint8Array) return toPasswordBytes(input);
  if (typeof input === "function") return toPasswordBytes(await input());
  return resolvePassword(input);
}

async function readPasswordFile(path: string): Promise<Buffer> {
  let content: Buffer;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(PASSWORD_FILE_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > PASSWORD_FILE_MAX_BYTES) {
        buffer.fill(0);
        throw new SignetError("KEY_PASSWORD_MISSING", `password file ${path} is larger than ${PASSWORD_FILE_MAX_BYTES} bytes`, { details: { path } });
      }
      content = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (SignetError.is(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SignetError("FILE_NOT_FOUND", `password file ${path} does not exist`, { details: { path } });
    throw new SignetError("IO_ERROR", `cannot read password file ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
  }
  // One trailing newline is the file's line end, not part of the password (`echo pw > file`).
  if (content.at(-1) === 0x0a) content = content.subarray(0, content.at(-2) === 0x0d ? -2 : -1);
  return content;
}

function isTerminal(input: TerminalInput): boolean {
  return input.isTTY === true && typeof input.setRawMode === "function";
}

async function promptPassword(terminal: PasswordTerminal, confirm: boolean): Promise<Buffer> {
  const reader = new HiddenLineReader(terminal);
  try {
    terminal.output.write("Enter password for private key: ");
    const first = await reader.readLine();
    if (!confirm) return first;
    terminal.output.write("Enter password for private key again: ");
    const second = await reader.readLine();
    const same = first.equals(second);
    second.fill(0);
    if (!same) {
      first.fill(0);
      throw new SignetError("KEY_PASSWORD_MISMATCH", "the two passwords entered differ");
    }
    return first;
  } finally {
    reader.close();
  }
}

/**
 * Reads lines from a terminal in raw mode without echo. Keeps what follows a line end for the next line, so a
 * pasted "pw\rpw\r" answers both prompts. Handles backspace, Ctrl-U (clear) and Ctrl-C / Ctrl-D (give up).
 */
class HiddenLineReader {
  private readonly decoder = new StringDecoder("utf8");
  private pendingText = "";
  private waiting: { resolve: (line: Buffer) => void; reject: (error: Error) => void } | undefined;
  private ended = false;
  private afterCarriageReturn = false;
  private readonly onData = (chunk: Buffer | string) => {
    this.pendingText += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    this.deliver();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.deliver();
  };

  constructor(private readonly terminal: PasswordTerminal) {
    terminal.input.setRawMode?.(true);
    terminal.input.on("data", this.onData);
    terminal.input.on("end", this.onEnd);
    terminal.input.resume();
  }

  readLine(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.deliver();
    });
  }

  close(): void {
    this.terminal.input.off("data", this.onData);
    this.terminal.input.off("end", this.onEnd);
    this.terminal.input.setRawMode?.(false);
    this.terminal.input.pause();
    this.pendingText = "";
  }

  private deliver(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    // A CR LF pair ends one line, not two.
    if (this.afterCarriageReturn && this.pendingText.startsWith("\n")) this.pendingText = this.pendingText.slice(1);
    if (this.pendingText !== "") this.afterCarriageReturn = false;
    const chars: string[] = [];
    let consumed = 0;
    for (const char of this.pendingText) {
      consumed += char.length;
      if (char === "\r" || char === "\n") {
        if (char === "\r" && this.pendingText[consumed] === "\n") consumed += 1;
        else this.afterCarriageReturn = char === "\r";
        return this.finish(consumed, () => waiting.resolve(Buffer.from(chars.join(""), "utf8")));
      }
      if (char === "\u0003" || (char === "\u0004" && chars.length === 0)) {
        return this.finish(consumed, () => waiting.reject(new SignetError("KEY_PASSWORD_MISSING", "the password prompt was cancelled")));
      }
      if (char === "\u007f" || char === "\b") chars.pop();
      else if (char === "\u0015") chars.length = 0;
      else if (char >= " ") chars.push(char);
    }
    if (this.ended) this.finish(this.pendingText.length, () => waiting.reject(new SignetError("KEY_PASSWORD_MISSING", "the terminal closed before a password was entered")));
  }

  private finish(consumed: number, settle: () => void): void {
    this.pendingText = this.pendingText.slice(consumed);
    this.waiting = undefined;
    this.terminal.output.write("\n");
    settle();
  }
}
