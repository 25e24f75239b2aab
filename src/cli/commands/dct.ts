/**
 * `signet dct verify IMAGE --server URL`: Docker Content Trust (Notary v1), as `docker pull` with
 * DOCKER_CONTENT_TRUST=1 checks it: the tag's digest signed in the Notary server's TUF metadata (targets/releases,
 * then targets), the root pinned on first use in a trust directory, and the registry serving that digest.
 */
import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { formatImageReference, parseImageLocation } from "../../oci/reference/index.js";
import { parseNotaryServerUrl } from "../../signatures/dct/server-url.js";
import { defaultTrustDir } from "../../signatures/dct/trust-dir.js";
import { verifyImageDct } from "../../signatures/dct/verify-image-dct.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, outputFormat, parseDurationMs, registryOptions, stringOption } from "../options.js";
import { writeJson } from "../output.js";

export const dctCommand: Command = {
  name: "dct",
  summary: "Docker Content Trust (Notary v1): verify that a tag is signed in a Notary server",
  usage: `signet dct verify IMAGE[:TAG] --server URL [--trust-dir DIR] [--output-format text|json]

  Looks the tag up in the Notary server's trust data for the GUN registry/repository (targets/releases first, then
  targets, as Docker does) and checks that the registry serves the signed digest. An image named by digest is
  accepted when some signed tag names that digest. The server's root is pinned on first use in the trust directory
  ($XDG_CONFIG_HOME/signet/trust by default; --trust-dir ~/.docker/trust shares Docker's).
  --server defaults to $DOCKER_CONTENT_TRUST_SERVER. Plain http:// is accepted only for a loopback server.`,
  subcommands: { verify: "verify an image's tag against a Notary server" },
  options: {
    ...REGISTRY_OPTIONS,
    server: { type: "string", value: "URL", description: "the Notary server (default: $DOCKER_CONTENT_TRUST_SERVER)" },
    "trust-dir": { type: "string", value: "DIR", description: "where roots are pinned and versions remembered (default: $XDG_CONFIG_HOME/signet/trust)" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const [sub, ...images] = context.positionals;
    if (sub !== "verify") throw new SignetError("USAGE", sub === undefined ? "signet dct needs a command: verify" : `unknown dct command "${sub}"`, { hint: "Run `signet dct --help`." });
    if (images.length !== 1) throw new SignetError("USAGE", "signet dct verify takes exactly one IMAGE");
    return verifyCommand(context, images[0]!);
  },
};

async function verifyCommand(context: CommandContext, text: string): Promise<number> {
  const server = notaryServer(context);
  const location = parseImageLocation(text);
  if (location.transport !== "docker") throw new SignetError("USAGE", "Docker Content Trust applies to images in a registry, not to OCI layouts");
  const trustDir = stringOption(context, "trust-dir") ?? defaultTrustDir(context.io.env);
  const access = new ImageAccess(registryOptions(context));
  try {
    const timeoutMs = parseDurationMs(stringOption(context, "timeout"));
    const result = await verifyImageDct(location.reference, { server, trustDir, access, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    if (outputFormat(context) === "json") {
      writeJson(context.io, { verified: true, ...result, server, trustDir });
      return 0;
    }
    const { target } = result;
    context.io.stdout.write(`${formatImageReference(location.reference)}: ${target.tag} is signed as ${target.digest} (${target.length} bytes) in ${target.role} of ${result.gun}\n`);
    context.io.stderr.write(
      `Verified: signed by ${target.signers.map((id) => id.slice(0, 12)).join(", ")}; root version ${result.rootVersion} (${result.root === "first-use" ? "trusted on first use and pinned" : result.root === "rotated" ? "rotated from the pinned root" : "pinned"} in ${trustDir}); the registry serves ${result.digest}; valid until ${result.expires}\n`,
    );
    if (result.releasesSkipped !== undefined) context.io.stderr.write(`Warning: targets/releases was not used: ${result.releasesSkipped}\n`);
    return 0;
  } finally {
    await access.close();
  }
}

function notaryServer(context: CommandContext): string {
  const text = stringOption(context, "server") ?? context.io.env["DOCKER_CONTENT_TRUST_SERVER"];
  if (text === undefined || text === "") throw new SignetError("USAGE", "--server URL is required (the Notary server, e.g. https://notary.docker.io), or set DOCKER_CONTENT_TRUST_SERVER");
  const parsed = parseNotaryServerUrl(text);
  if ("problem" in parsed) throw new SignetError("USAGE", `--server: ${parsed.problem}`);
  return parsed.url;
}
