/**
 * The one base64 decoder for untrusted text. `Buffer.from(text, "base64")` never fails: it skips characters
 * outside the alphabet, accepts either alphabet and stops at the first `=`, so two different texts (or a text
 * with junk in it) decode to the same bytes. Every untrusted base64 value goes through here instead.
 */

/** Whole groups of four, then an optional final group padded with `=`. */
const STANDARD_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const STANDARD_UNPADDED_OK = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const URL_SAFE_UNPADDED_OK = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

export type Base64Flavour =
  /**
   * Go's `base64.StdEncoding.DecodeString` (cosign signature annotations, Kubernetes Secret values, docker
   * config `auth`, policy.json `keyData`): standard alphabet, `=` padding required; CR and LF are skipped
   * (Go skips them), anything else outside the alphabet is refused.
   */
  | "go-std"
  /** Standard alphabet, padding required, nothing else at all (PEM bodies after line joining, Rekor fields). */
  | "std-exact"
  /**
   * Standard or URL-safe alphabet (not mixed), padding optional: what protobuf JSON accepts for `bytes`
   * fields and what the DSSE specification allows.
   */
  | "std-or-url";

/** Decodes `text`, or returns undefined when it is not exactly base64 of the given flavour. */
export function decodeBase64Strict(text: string, flavour: Base64Flavour = "go-std"): Buffer<ArrayBuffer> | undefined {
  switch (flavour) {
    case "go-std": {
      const joined = text.replace(/[\r\n]/g, "");
      return STANDARD_PADDED.test(joined) ? Buffer.from(joined, "base64") : undefined;
    }
    case "std-exact":
      return STANDARD_PADDED.test(text) ? Buffer.from(text, "base64") : undefined;
    case "std-or-url":
      if (STANDARD_UNPADDED_OK.test(text)) return Buffer.from(text, "base64");
      if (URL_SAFE_UNPADDED_OK.test(text)) return Buffer.from(text, "base64url");
      return undefined;
  }
}
