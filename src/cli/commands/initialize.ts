/**
 * cosign's `initialize --mirror URL --root FILE [--root-checksum SHA256]`: start TUF from an out-of-band root.json
 * and another mirror. Offline: the root is checked (its shape, and the checksum when given), written into signet's
 * TUF cache for that mirror, and the mirror recorded; the next online use walks the TUF chain from there.
 */
import { SignetError } from "../../errors/index.js";
import type { Command } from "../command.js";
import { OUTPUT_FORMAT_OPTION, outputFormat, readFileBounded, stringOption } from "../options.js";
import { writeJson } from "../output.js";

export const initializeCommand: Command = {
  name: "initialize",
  summary: "Start the sigstore trust root from a root.json and a TUF mirror (offline)",
  usage: `signet initialize --root FILE [--mirror URL] [--root-checksum SHA256]

  Seeds signet's TUF cache ($SIGNET_TUF_ROOT, else ~/.cache/signet/tuf) for MIRROR (default the public-good
  https://tuf-repo-cdn.sigstore.dev) with the root.json FILE instead of the embedded root, and records MIRROR
  (remote.json, as cosign), so that \`trust update\` and keyless verification use them. Nothing is fetched: --root
  must be a file (cosign also takes a URL). Without --root there is nothing to do offline: run \`signet trust update\`.
  cosign keeps its own cache (go-tuf's layout): run \`cosign initialize\` for cosign.`,
  options: {
    mirror: { type: "string", value: "URL", default: "https://tuf-repo-cdn.sigstore.dev", description: "the TUF repository (http(s) or file: URL) later updates fetch from" },
    root: { type: "string", value: "FILE", description: "the out-of-band TUF root.json to start from (a file: signet fetches nothing here)" },
    "root-checksum": { type: "string", value: "SHA256", description: "the sha256 (hex) the root.json must have" },
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    if (context.positionals.length > 0) throw new SignetError("USAGE", "initialize takes no arguments");
    const root = stringOption(context, "root");
    if (root === undefined) throw new SignetError("USAGE", "initialize needs --root FILE (offline); to refresh the public-good root, run `signet trust update`");
    if (/^https?:\/\//.test(root)) throw new SignetError("USAGE", "--root must be a file: signet initialize fetches nothing", { hint: "Download the root.json, check it out of band, and give its path." });
    const checksum = stringOption(context, "root-checksum");
    if (checksum !== undefined && !/^[0-9a-fA-F]{64}$/.test(checksum)) throw new SignetError("USAGE", "--root-checksum takes a sha256 in hex (64 characters)");
    const mirror = stringOption(context, "mirror") ?? "https://tuf-repo-cdn.sigstore.dev";
    const { defaultTufCacheDir, initializeTufRoot } = await import("../../trust/trusted-root.js");
    const cacheDir = defaultTufCacheDir(context.io.env);
    const written = await initializeTufRoot({ cacheDir, mirror, untrustedRoot: readFileBounded(root, "the root.json", 1024 * 1024), ...(checksum !== undefined ? { rootChecksum: checksum } : {}) });
    if (outputFormat(context) === "json") writeJson(context.io, { mirror, root: written.rootPath, version: written.version, cache: cacheDir });
    else context.io.stderr.write(`Root version ${written.version} for ${mirror} written to ${written.rootPath}; the next \`signet trust update\` fetches from ${mirror}\n`);
    return 0;
  },
};
