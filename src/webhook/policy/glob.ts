// `spec.images[].glob` as policy-controller matches it (pkg/apis/glob): `*` is any run of characters except
// `/`, `**` any run including `/`, everything else literal, and the glob covers the whole name (anchored at
// both ends). The bare globs "*" and "*/*" mean Docker Hub: "index.docker.io/library/*" and
// "index.docker.io/*/*". An image is matched by its normalised name (index.docker.io/library/busybox:latest),
// by the same name spelled docker.io/..., and, as policy-controller still does, by the text written in the
// object.
//
// Hosts are matched in their canonical spelling (canonicalRegistry: lower case, no :443/:80, Docker Hub's aliases
// as docker.io) on both sides, so `LOCALHOST:5000/team/app` or `host:443/team/app` cannot escape a glob written
// for `localhost:5000/team/*` or `host/team/*`.
//
// Matching is a linear-time simulation over the glob's positions (no regular expression, no backtracking),
// so a hostile image name cannot make it slow.
import { canonicalRegistry, parseNormalizedName, toPolicyReference, type ImageReference } from "../../oci/reference/index.js";
import type { ImageGlob } from "./types.js";

/** policy-controller's validGlob: letters, digits and `-_:/*.@`. */
const VALID_GLOB = /^[a-zA-Z0-9\-_:/*.@]+$/;
export const GLOB_MAX_LENGTH = 1024;

type Token = { type: "literal"; char: string } | { type: "star" } | { type: "globstar" };

/** Why the glob is invalid, or undefined when it is valid. */
export function globProblem(glob: string): string | undefined {
  if (glob.length > GLOB_MAX_LENGTH) return `glob is invalid: longer than ${GLOB_MAX_LENGTH} characters`;
  if (!VALID_GLOB.test(expandShorthand(glob))) return `glob is invalid: invalid glob ${JSON.stringify(glob)}`;
  return undefined;
}

export function compileImageGlob(glob: string): ImageGlob {
  const problem = globProblem(glob);
  if (problem !== undefined) throw new Error(problem);
  const expanded = canonicalGlobHost(expandShorthand(glob));
  const tokens = tokenize(expanded);
  // Most globs start (and end) with literal text: a candidate without it is refused without running the NFA.
  const firstWildcard = expanded.indexOf("*");
  const prefix = firstWildcard === -1 ? expanded : expanded.slice(0, firstWildcard);
  const suffix = firstWildcard === -1 ? "" : expanded.slice(expanded.lastIndexOf("*") + 1);
  const run = tokens.length < 31 ? bitParallelMatcher(tokens) : (text: string) => matchTokens(tokens, text);
  const matchesCandidate = (candidate: string) => {
    if (firstWildcard === -1) return candidate === expanded;
    if (!candidate.startsWith(prefix) || !candidate.endsWith(suffix) || candidate.length < prefix.length + suffix.length) return false;
    return run(candidate);
  };
  return {
    source: glob,
    matches: (image: string) => imageMatchCandidates(image).some(matchesCandidate),
    matchesAnyOf: (candidates: readonly string[]) => candidates.some(matchesCandidate),
  };
}

/** True when `glob` matches `image` (an image reference as written in a pod spec). */
export function matchesImageGlob(glob: string, image: string): boolean {
  return compileImageGlob(glob).matches(image);
}

/**
 * The names an image is matched by: go-containerregistry's `ref.Name()` (Docker Hub as index.docker.io, a
 * name-only reference gets `:latest`, a digest reference drops its tag), the same with `docker.io`, and the
 * text as written. An invalid reference has no candidates: it matches nothing.
 */
export function imageMatchCandidates(image: string): string[] {
  let reference: ImageReference;
  try {
    reference = toPolicyReference(parseNormalizedName(image));
  } catch {
    return [];
  }
  const suffix = reference.digest !== undefined ? `@${reference.digest}` : `:${reference.tag ?? "latest"}`;
  const candidates = new Set<string>();
  if (reference.registry === "docker.io") {
    candidates.add(`index.docker.io/${reference.repository}${suffix}`);
    candidates.add(`docker.io/${reference.repository}${suffix}`);
  } else {
    candidates.add(`${reference.registry}/${reference.repository}${suffix}`);
  }
  candidates.add(image);
  return [...candidates];
}

/**
 * The glob with its registry part (the first component, when a "/" follows it) in its canonical spelling. A
 * host with a wildcard is lower-cased and loses a literal :443 or :80.
 */
function canonicalGlobHost(glob: string): string {
  const slash = glob.indexOf("/");
  if (slash === -1) return glob;
  const host = glob.slice(0, slash);
  const canonical = host.includes("*") ? host.toLowerCase().replace(/:(?:443|80)$/, "") : canonicalRegistry(host);
  return canonical + glob.slice(slash);
}

function expandShorthand(glob: string): string {
  if (glob === "*/*") return "index.docker.io/*/*";
  if (glob === "*") return "index.docker.io/library/*";
  return glob;
}

function tokenize(glob: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < glob.length; i++) {
    if (glob[i] === "*") {
      if (glob[i + 1] === "*") {
        tokens.push({ type: "globstar" });
        i++;
      } else {
        tokens.push({ type: "star" });
      }
    } else {
      tokens.push({ type: "literal", char: glob[i]! });
    }
  }
  return tokens;
}

/**
 * The NFA below with its states as the bits of one integer (globs of up to 30 tokens): per character, literal
 * positions advance when the character matches, wildcards stay, and a wildcard may be skipped.
 */
function bitParallelMatcher(tokens: readonly Token[]): (text: string) => boolean {
  // Glob literals are ASCII (VALID_GLOB): one mask per code unit below 128; anything else matches no literal.
  const literalMasks = new Int32Array(128);
  let starMask = 0;
  let globstarMask = 0;
  tokens.forEach((token, j) => {
    const bit = 1 << j;
    if (token.type === "literal") literalMasks[token.char.charCodeAt(0)]! |= bit;
    else if (token.type === "star") starMask |= bit;
    else globstarMask |= bit;
  });
  const wildcards = starMask | globstarMask;
  const accept = 1 << tokens.length;
  const slash = "/".charCodeAt(0);
  // A wildcard may match nothing, so reaching it also reaches the next token (repeatedly for "***").
  const cascades = (wildcards & (wildcards << 1)) !== 0;
  const close = (states: number) => {
    let closed = states | ((states & wildcards) << 1);
    if (!cascades) return closed;
    for (let previous = states; closed !== previous; ) {
      previous = closed;
      closed |= (closed & wildcards) << 1;
    }
    return closed;
  };
  const initial = close(1);
  return (text) => {
    let states = initial;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      const stay = code === slash ? states & globstarMask : states & wildcards;
      states = close(((states & (code < 128 ? literalMasks[code]! : 0)) << 1) | stay);
      if (states === 0) return false;
    }
    return (states & accept) !== 0;
  };
}

/**
 * Runs the glob as an NFA: `states[j]` is true when the first j tokens can match the text read so far.
 * O(text × glob) time, O(glob) memory.
 */
function matchTokens(tokens: readonly Token[], text: string): boolean {
  let states = new Uint8Array(tokens.length + 1);
  let next = new Uint8Array(tokens.length + 1);
  states[0] = 1;
  closeOverWildcards(tokens, states);
  for (const char of text) {
    next.fill(0);
    let any = false;
    for (let j = 0; j < tokens.length; j++) {
      if (states[j] !== 1) continue;
      const token = tokens[j]!;
      if (token.type === "literal") {
        if (token.char === char) {
          next[j + 1] = 1;
          any = true;
        }
      } else if (token.type === "globstar" || char !== "/") {
        next[j] = 1; // the wildcard consumes this character and may consume more
        any = true;
      }
    }
    if (!any) return false;
    closeOverWildcards(tokens, next);
    [states, next] = [next, states];
  }
  return states[tokens.length] === 1;
}

/** A wildcard may match nothing: whoever reaches it may also skip it. */
function closeOverWildcards(tokens: readonly Token[], states: Uint8Array): void {
  for (let j = 0; j < tokens.length; j++) {
    if (states[j] === 1 && tokens[j]!.type !== "literal") states[j + 1] = 1;
  }
}
