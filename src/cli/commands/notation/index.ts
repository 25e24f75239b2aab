/**
 * `signet notation ...`: notation's command line (cert, key, sign, verify, inspect, list, policy, blob) over
 * notation's own configuration directory, so an existing notation setup works unchanged.
 */
import { SignetError } from "../../../errors/index.js";
import type { Command, CommandContext } from "../../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS } from "../../options.js";
import { blobSign, blobVerify } from "./blob.js";
import { certAdd, certDelete, certGenerateTest, certList, certShow } from "./certs.js";
import { keyAdd, keyDelete, keyList, keyUpdate } from "./key-store.js";
import { policyImport, policyInit, policyShow } from "./policy.js";
import { inspect, list, sign, verify } from "./sign-verify.js";

type Handler = (context: CommandContext, args: string[]) => Promise<number> | number;

const HANDLERS: Record<string, Handler> = {
  "cert add": certAdd,
  "cert ls": certList,
  "cert list": certList,
  "cert show": certShow,
  "cert delete": certDelete,
  "cert generate-test": certGenerateTest,
  "key add": keyAdd,
  "key ls": keyList,
  "key list": keyList,
  "key update": keyUpdate,
  "key set": keyUpdate,
  "key delete": keyDelete,
  "key rm": keyDelete,
  sign,
  verify,
  inspect,
  list,
  ls: list,
  "policy import": (context, args) => policyImport(context, "oci", args),
  "policy show": (context) => policyShow(context, "oci"),
  "policy init": (context) => policyInit(context, "oci"),
  "blob sign": blobSign,
  "blob verify": blobVerify,
  "blob policy import": (context, args) => policyImport(context, "blob", args),
  "blob policy show": (context) => policyShow(context, "blob"),
  "blob policy init": (context) => policyInit(context, "blob"),
};

export const notationCommand: Command = {
  name: "notation",
  summary: "Notary Project signatures: notation's commands, trust store and trust policy",
  usage: `signet notation <command> [options]     (configuration: $XDG_CONFIG_HOME/notation, as notation's)

  cert add --type ca|signingAuthority|tsa --store NAME FILE...   add certificates to a trust store
  cert ls [--type T] [--store S]        cert show --type T --store S FILE
  cert delete --type T --store S (FILE | --all) [--yes]
  cert generate-test NAME [--default]  an RSA key and a self-signed certificate, trusted as ca:NAME (tests only)
  key add NAME (--key-file K --cert-file C | --plugin P --id ID) [--default]   key ls   key update NAME --default
  key delete NAME...
  sign IMAGE [--key NAME] [--signature-format jws|cose] [--expiry 24h] [--user-metadata k=v]...
             [--timestamp-url URL --timestamp-root-cert FILE] [--oci-layout] [--force-referrers-tag]
             [--recursive]   for an index, also sign every platform manifest (each its own referrer)
  verify IMAGE [--user-metadata k=v]... [--oci-layout --scope REGISTRY/REPO] [--max-signatures N] [-o json]
             [--platform os/arch]   for an index, verify the instance a node on that platform pulls
  inspect IMAGE [-o json]        list IMAGE
  policy import FILE [--force]   policy show   policy init --name N --trust-store T:NAME --trusted-identity ID [--scope S]...
  blob sign FILE [--key NAME] [--signature-directory DIR] [--media-type T]
  blob verify --signature FILE.jws.sig FILE [--policy-name N]   blob policy import|show|init

  IMAGE is a registry reference, or with --oci-layout PATH:TAG / PATH@DIGEST (also oci:PATH:TAG).
  Registry options: --allow-http-registry, --allow-insecure-registry, --registry-cacert FILE, --timeout 30s`,
  options: {
    ...REGISTRY_OPTIONS,
    type: { type: "string", short: "t" },
    store: { type: "string", short: "s" },
    all: { type: "boolean", short: "a" },
    yes: { type: "boolean", short: "y" },
    default: { type: "boolean", short: "d" },
    key: { type: "string", short: "k" },
    "key-file": { type: "string" },
    "cert-file": { type: "string" },
    plugin: { type: "string" },
    id: { type: "string" },
    "plugin-config": { type: "string", multiple: true },
    "signature-format": { type: "string" },
    expiry: { type: "string", short: "e" },
    "user-metadata": { type: "string", short: "m", multiple: true },
    "oci-layout": { type: "boolean" },
    "force-referrers-tag": { type: "boolean" },
    recursive: { type: "boolean", short: "r" },
    platform: { type: "string" },
    "max-signatures": { type: "string" },
    "timestamp-url": { type: "string" },
    "timestamp-root-cert": { type: "string" },
    scope: { type: "string", multiple: true },
    force: { type: "boolean" },
    name: { type: "string" },
    level: { type: "string" },
    global: { type: "boolean" },
    "trust-store": { type: "string", multiple: true },
    "trusted-identity": { type: "string", multiple: true },
    signature: { type: "string" },
    "signature-directory": { type: "string" },
    "policy-name": { type: "string" },
    "media-type": { type: "string" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const words = context.positionals;
    for (const length of [3, 2, 1]) {
      const handler = HANDLERS[words.slice(0, length).join(" ")];
      if (handler !== undefined && words.length >= length) {
        // --scope is repeatable for policy init; verify takes one.
        const values = { ...context.values, scope: words[0] === "policy" || words[1] === "policy" ? context.values["scope"] : (context.values["scope"] as string[] | undefined)?.at(-1) };
        return handler({ ...context, values }, words.slice(length));
      }
    }
    throw new SignetError("USAGE", words.length === 0 ? "signet notation needs a command" : `unknown notation command "${words.slice(0, 2).join(" ")}"`, {
      hint: "Run `signet notation --help` for the commands.",
    });
  },
};
