/**
 * The guest components' configuration as the Confidential Containers guide writes it: the attestation agent's
 * aa.toml (`[token_configs]`), the confidential data hub's cdh.toml (`[kbc]` cc_kbc and `[image]`
 * image_security_policy_uri), and the kata agent kernel parameters of the older flow. Pure.
 */
import { SignetError } from "../errors/index.js";
import { parseKbsUri, parseKbsUrl } from "../policy/locations/kbs-location.js";
import { parseTomlDocument, tomlString } from "./initdata.js";

/** The resource path the CoCo guide registers the image security policy under. */
export const DEFAULT_POLICY_URI = "kbs:///default/security-policy/test";
const CDH_SOCKET = "unix:///run/confidential-containers/cdh.sock";

export interface GuestConfigOptions {
  /** The KBS as the guest reaches it, e.g. http://kbs.example:8080. */
  readonly kbsUrl: string;
  /** PEM certificate of an https KBS, written into both files. */
  readonly kbsCert?: string;
}

/** The KBS URL as the guest configuration writes it: http(s), without a trailing slash or white space. */
export function checkKbsUrl(text: string): string {
  parseKbsUrl(text);
  if (/\s/.test(text)) throw new SignetError("USAGE", "the KBS URL must not contain white space");
  return text.replace(/\/+$/, "");
}

/** aa.toml: where the attestation agent gets its tokens (the KBS, and the attestation service behind it). */
export function createAaToml(options: GuestConfigOptions): string {
  const url = checkKbsUrl(options.kbsUrl);
  const cert = options.kbsCert === undefined ? [] : [`cert = ${tomlString(options.kbsCert)}`];
  return ["[token_configs]", "[token_configs.coco_as]", `url = ${tomlString(url)}`, "", "[token_configs.kbs]", `url = ${tomlString(url)}`, ...cert, ""].join("\n");
}

/** cdh.toml: the KBS the data hub fetches resources from, and where image-rs's security policy is. */
export function createCdhToml(options: GuestConfigOptions & { readonly policyUri: string }): string {
  const url = checkKbsUrl(options.kbsUrl);
  parseKbsUri(options.policyUri);
  const cert = options.kbsCert === undefined ? [] : [`kbs_cert = ${tomlString(options.kbsCert)}`];
  return [
    `socket = ${tomlString(CDH_SOCKET)}`,
    "credentials = []",
    "",
    "[kbc]",
    'name = "cc_kbc"',
    `url = ${tomlString(url)}`,
    ...cert,
    "",
    "[image]",
    `image_security_policy_uri = ${tomlString(options.policyUri)}`,
    "",
  ].join("\n");
}

/**
 * Checks a cdh.toml the user wrote: valid TOML whose `[image]` names the security policy, so image-rs verifies
 * signatures (without it the guest pulls every image unchecked). Returns the policy URI.
 */
export function checkCdhToml(text: string): string {
  const document = parseTomlDocument(text, "cdh.toml");
  const image = document["image"];
  const uri = typeof image === "object" && image !== null ? (image as Record<string, unknown>)["image_security_policy_uri"] : undefined;
  if (typeof uri !== "string" || uri === "") {
    throw new SignetError("COCO_CONFIG_INVALID", "cdh.toml has no [image] image_security_policy_uri: the guest would pull images without checking signatures", {
      hint: `Add [image] image_security_policy_uri = "${DEFAULT_POLICY_URI}" (the KBS resource holding security-policy.json).`,
    });
  }
  return uri;
}

export function checkAaToml(text: string): void {
  parseTomlDocument(text, "aa.toml");
}

export interface KernelParamsOptions {
  readonly kbsUrl: string;
  /** Where the guest reads the security policy: a kbs:/// resource (default DEFAULT_POLICY_URI). */
  readonly policyUri?: string;
}

/** `agent.image_policy_file=… agent.enable_signature_verification=true agent.aa_kbc_params=cc_kbc::URL`. */
export function createKernelParams(options: KernelParamsOptions): string {
  const url = checkKbsUrl(options.kbsUrl);
  const policy = options.policyUri ?? DEFAULT_POLICY_URI;
  parseKbsUri(policy);
  return `agent.image_policy_file=${policy} agent.enable_signature_verification=true agent.aa_kbc_params=cc_kbc::${url}`;
}
