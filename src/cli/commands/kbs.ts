import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Agent } from "undici";
import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { createAdminToken, parseAdminPrivateKey, parseResourcePath, RESOURCE_MAX_BYTES, setKbsResource } from "../../coco/kbs-admin.js";
import { readFileLocation } from "../../policy/locations/file-location.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, outputFormat, parseDurationMs, requireString, stringOption } from "../options.js";
import { writeJson } from "../output.js";

const DEFAULT_TIMEOUT_MS = 30_000;

export const kbsCommand: Command = {
  name: "kbs",
  summary: "Key Broker Service admin: upload keys and policies (as kbs-client config set-resource)",
  subcommands: { "set-resource": "upload a resource (a key, a security policy) with the KBS admin API" },
  usage: `signet kbs set-resource --url URL --path REPOSITORY/TYPE/TAG --resource-file FILE
                            (--auth-private-key KEY.pem | --admin-token FILE) [--mirror DIR] [--output json]

  set-resource   POSTs the file to URL/kbs/v0/resource/REPOSITORY/TYPE/TAG with an admin bearer token: an
                 EdDSA JWT (iat, exp = iat + 2h) signed with --auth-private-key (the Ed25519 key whose public
                 half the KBS trusts, as kbs-client signed it), or the token in --admin-token FILE.
                 --mirror DIR also keeps a copy as DIR/REPOSITORY/TYPE/TAG, the mirror \`signet policy verify\`
                 reads kbs:/// resources from (a KBS serves resources only to attested guests).`,
  options: {
    url: { type: "string", value: "URL", description: "the KBS base URL (kbs-client's --url)" },
    "kbs-url": { type: "string", aliasOf: "url", hidden: true },
    path: { type: "string", value: "R/T/T", description: "the resource path REPOSITORY/TYPE/TAG (or kbs:///R/T/T)" },
    "resource-file": { type: "string", value: "FILE", description: "the bytes to upload" },
    "auth-private-key": { type: "string", value: "FILE", description: "Ed25519 PEM private key that signs the admin token" },
    "admin-token": { type: "string", value: "FILE", description: "a file holding the admin bearer token instead" },
    "kbs-cacert": { type: "string", value: "FILE", description: "PEM CA certificate of an https KBS" },
    mirror: { type: "string", value: "DIR", description: "also keep a copy as DIR/REPOSITORY/TYPE/TAG" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const [subcommand, ...rest] = context.positionals;
    if (subcommand !== "set-resource") {
      throw new SignetError("USAGE", subcommand === undefined ? "kbs needs a subcommand: set-resource" : `unknown kbs subcommand ${JSON.stringify(subcommand)}`, { hint: "Run `signet kbs --help`." });
    }
    if (rest.length > 0) throw new SignetError("USAGE", `kbs set-resource takes no arguments (got ${JSON.stringify(rest[0])})`);
    return setResource(context);
  },
};

async function setResource(context: CommandContext): Promise<number> {
  const url = requireString(context, "url");
  const resource = parseResourcePath(requireString(context, "path"));
  const keyFile = stringOption(context, "auth-private-key");
  const tokenFile = stringOption(context, "admin-token");
  if (keyFile !== undefined && tokenFile !== undefined) throw new SignetError("OPTION_CONFLICT", "give --auth-private-key or --admin-token, not both");
  if (keyFile === undefined && tokenFile === undefined) {
    throw new SignetError("USAGE", "kbs set-resource needs --auth-private-key KEY.pem or --admin-token FILE", {
      hint: "The KBS admin API takes a bearer token: signet signs one with the Ed25519 admin key, or sends the token you give.",
    });
  }
  const bytes = await readFileLocation(requireString(context, "resource-file"), { maxBytes: RESOURCE_MAX_BYTES, what: "resource file" });
  const adminToken =
    keyFile !== undefined
      ? createAdminToken(parseAdminPrivateKey(await readFileLocation(keyFile, { maxBytes: 64 * 1024, what: "KBS admin private key" })))
      : (await readFileLocation(tokenFile!, { maxBytes: 64 * 1024, what: "KBS admin token" })).toString("utf8").trim();
  const timeoutMs = parseDurationMs(stringOption(context, "timeout")) ?? DEFAULT_TIMEOUT_MS;
  const caFile = stringOption(context, "kbs-cacert");
  const dispatcher = caFile === undefined ? undefined : new Agent({ connect: { ca: (await readFileLocation(caFile, { maxBytes: 1024 * 1024, what: "KBS CA certificate" })).toString("utf8") } });
  let stored: string;
  try {
    stored = await setKbsResource({ kbsUrl: url, resource, bytes, adminToken, timeoutMs, ...(dispatcher === undefined ? {} : { dispatcher }) });
  } finally {
    await dispatcher?.close();
  }
  const path = `${resource.repository}/${resource.type}/${resource.tag}`;
  const mirror = stringOption(context, "mirror");
  if (mirror !== undefined) {
    const target = join(mirror, resource.repository, resource.type, resource.tag);
    await mkdir(dirname(target), { recursive: true });
    await writeFileAtomic(target, bytes, { mode: 0o644, replace: true, guard: true });
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (outputFormat(context) === "json") writeJson(context.io, { uri: `kbs:///${path}`, url: stored, bytes: bytes.length, sha256, ...(mirror === undefined ? {} : { mirror }) });
  else context.io.stderr.write(`Set kbs:///${path} (${bytes.length} bytes, sha256:${sha256})${mirror === undefined ? "" : `; copy in ${mirror}`}\n`);
  return 0;
}
