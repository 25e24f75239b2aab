import { LIMITS } from "../../internal/limits.js";

/** One challenge of a WWW-Authenticate header: a lower-case scheme and its parameters (lower-case names). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const MAX_HEADER_LENGTH = LIMITS.wwwAuthenticateLength;
const MAX_CHALLENGES = LIMITS.wwwAuthenticateChallenges;
const MAX_PARAMS = LIMITS.wwwAuthenticateParams;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses WWW-Authenticate (RFC 7235): `Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull"`,
 * several challenges in one header or in several headers, quoted values with commas and escapes, token68 values.
 * What cannot be parsed ends the parse: the challenges read so far are returned (an empty list for garbage).
 */
export function parseWwwAuthenticate(untrustedHeader: string | string[] | undefined): AuthChallenge[] {
  const values = untrustedHeader === undefined ? [] : Array.isArray(untrustedHeader) ? untrustedHeader : [untrustedHeader];
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    if (value.length > MAX_HEADER_LENGTH) continue;
    for (const challenge of new ChallengeParser(value).parse()) {
      if (challenges.length >= MAX_CHALLENGES) return challenges;
      challenges.push(challenge);
    }
  }
  return challenges;
}

class ChallengeParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): AuthChallenge[] {
    const challenges: AuthChallenge[] = [];
    for (;;) {
      this.skip(/[\s,]/);
      const scheme = this.readToken();
      if (scheme === "") return challenges;
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      challenges.push({ scheme: scheme.toLowerCase(), params });
      if (!this.parseParams(params)) return challenges;
    }
  }

  /** Reads the parameters of one challenge. False when the header is malformed from here on. */
  private parseParams(params: Record<string, string>): boolean {
    this.skip(/[ \t]/);
    if (this.tryToken68(params)) return true;
    let count = 0;
    for (;;) {
      this.skip(/[ \t]/);
      const start = this.pos;
      const name = this.readToken();
      if (name === "") return this.atEndOrComma();
      this.skip(/[ \t]/);
      if (this.peek() !== "=") {
        // A token without "=" starts the next challenge.
        this.pos = start;
        return true;
      }
      this.pos++;
      this.skip(/[ \t]/);
      let value: string | undefined;
      if (this.peek() === '"') {
        value = this.readQuoted();
        if (value === undefined) return false;
      } else {
        value = this.readToken();
      }
      const key = name.toLowerCase();
      if (!(key in params) && ++count <= MAX_PARAMS) params[key] = value;
      this.skip(/[ \t]/);
      if (this.pos >= this.text.length) return true;
      if (this.peek() !== ",") return false;
      this.skip(/[\s,]/);
      if (this.pos >= this.text.length) return true;
    }
  }

  /** A token68 value ("Negotiate abc+/=="): token68 characters alone up to the end or a comma. */
  private tryToken68(params: Record<string, string>): boolean {
    const start = this.pos;
    const token68 = this.readToken68();
    if (token68 !== "" && this.atEndOrComma()) {
      params["token68"] = token68;
      return true;
    }
    this.pos = start;
    return false;
  }

  private atEndOrComma(): boolean {
    this.skip(/[ \t]/);
    return this.pos >= this.text.length || this.peek() === ",";
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skip(pattern: RegExp): void {
    while (this.pos < this.text.length && pattern.test(this.text[this.pos]!)) this.pos++;
  }

  private readToken(): string {
    const start = this.pos;
    this.skip(TOKEN_CHAR);
    return this.text.slice(start, this.pos);
  }

  private readToken68(): string {
    const start = this.pos;
    this.skip(TOKEN68_CHAR);
    if (this.pos === start) return "";
    this.skip(/=/);
    return this.text.slice(start, this.pos);
  }

  /** Reads a quoted-string with backslash escapes; undefined when it is not terminated. */
  private readQuoted(): string | undefined {
    this.pos++;
    let value = "";
    while (this.pos < this.text.length) {
      const char = this.text[this.pos++]!;
      if (char === '"') return value;
      if (char === "\\") {
        if (this.pos >= this.text.length) return undefined;
        value += this.text[this.pos++];
      } else {
        value += char;
      }
    }
    return undefined;
  }
}
