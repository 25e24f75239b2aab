#!/usr/bin/env node
// Prints the COSIGN_FLAGS table of src/cli/cosign-flags.ts from a cosign binary's --help:
//   node scripts/cosign-flags-snapshot.mjs [path/to/cosign]   (default: $SIGNET_TEST_COSIGN, else cosign)
import { execFileSync } from "node:child_process";

const cosign = process.argv[2] ?? process.env.SIGNET_TEST_COSIGN ?? "cosign";
const commands = ["attach attestation", "attach sbom", "attach signature", "attest", "attest-blob", "bundle create", "clean", "copy", "dockerfile verify", "download attestation", "download sbom", "download signature", "env", "generate", "generate-key-pair", "import-key-pair", "initialize", "load", "login", "manifest verify", "public-key", "save", "sign", "sign-blob", "tree", "triangulate", "trusted-root create", "upload blob", "upload wasm", "verify", "verify-attestation", "verify-blob", "verify-blob-attestation", "version", "completion"];
for (const command of commands) {
  let text;
  try {
    text = execFileSync(cosign, [...command.split(" "), "--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    text = error.stdout ?? "";
  }
  const section = text.slice(text.indexOf("\nFlags:") + 7).split("\nGlobal Flags")[0];
  const flags = [];
  for (const m of section.matchAll(/^\s+(?:-(\w), )?--([\w-]+)=(.*?):\n\t/gm)) {
    const [, short, name, value] = m;
    if (name === "help") continue;
    const kind = value === "false" || value === "true" ? "b" : value.startsWith("[") ? "l" : "s";
    flags.push(`${short ? `${short}|` : ""}${name}:${kind}${kind === "b" && value === "true" ? "=true" : ""}`);
  }
  console.log(`  ${JSON.stringify(command)}: ${JSON.stringify(flags.join(" "))},`);
}
