/**
 * `signet generate` (the payload `sign` would sign, as cosign prints it) and `signet env` (the environment variables
 * signet reads, in cosign's format).
 */
import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { createSimpleSigningPayload } from "../../signatures/payload/simple-signing.js";
import type { Command } from "../command.js";
import { REGISTRY_OPTIONS, booleanOption, keyValueOptions, registryOptions } from "../options.js";

export const generateCommand: Command = {
  name: "generate",
  summary: "Print the (unsigned) signature payload of an image",
  usage: `signet generate [-a key=value]... IMAGE

  Prints the cosign simple-signing payload that \`signet sign\` (and \`cosign sign\`) would sign for IMAGE: its
  digest (a tag is resolved), its repository, and the annotations.`,
  options: {
    annotations: { type: "string", short: "a", multiple: true, value: "k=v", description: "add an annotation to the payload" },
    ...REGISTRY_OPTIONS,
  },
  async run(context) {
    if (context.positionals.length !== 1) throw new SignetError("USAGE", "generate takes exactly one IMAGE");
    const annotations = keyValueOptions(context, "annotations");
    const access = new ImageAccess(registryOptions(context));
    try {
      const resolved = await access.resolve(context.positionals[0]!);
      context.io.stdout.write(createSimpleSigningPayload({ dockerReference: resolved.identity, manifestDigest: resolved.digest, annotations }));
      return 0;
    } finally {
      await access.close();
    }
  },
};

interface EnvironmentVariable {
  readonly name: string;
  readonly description: string;
  readonly expects: string;
  readonly sensitive: boolean;
}

/** The variables signet reads (cosign's names where cosign has them). */
const VARIABLES: readonly EnvironmentVariable[] = [
  { name: "ACTIONS_ID_TOKEN_REQUEST_TOKEN", description: "is bearer token for the request to the OIDC provider", expects: "string with a bearer token", sensitive: true },
  { name: "ACTIONS_ID_TOKEN_REQUEST_URL", description: "is the URL for GitHub's OIDC provider", expects: "string with the URL for the OIDC provider", sensitive: false },
  { name: "COSIGN_EXPERIMENTAL", description: "enables experimental cosign features (sign --registry-referrers-mode=oci-1-1)", expects: "1 if experimental features should be enabled (0 by default)", sensitive: false },
  {
    name: "COSIGN_MAX_ATTACHMENT_SIZE",
    description: "is accepted for cosign scripts; signet's own bounds are lower (1 MiB per signature or attestation layer) and always apply",
    expects: "human-readable unit of memory, e.g. 5120, 20K, 3M, 45MiB, 1GB",
    sensitive: false,
  },
  { name: "COSIGN_PASSWORD", description: "is the password of the private key (else --password-file, else a prompt)", expects: "string with the password (asked on a terminal if unset)", sensitive: true },
  { name: "COSIGN_REPOSITORY", description: "can be used to store signatures in an alternate location (sign, attest, verify, verify-attestation, triangulate, download)", expects: "string with a repository", sensitive: false },
  { name: "COSIGN_YES", description: "skips confirmations (signet never asks; accepted for cosign scripts)", expects: "true", sensitive: false },
  { name: "DOCKER_CONFIG", description: "is the directory of Docker's config.json (registry credentials)", expects: "string with a directory (default ~/.docker)", sensitive: false },
  { name: "REGISTRY_AUTH_FILE", description: "is the containers auth file read first for registry credentials", expects: "string with a path", sensitive: false },
  { name: "SIGNET_CODE_CACHE", description: "is where V8's code cache of the bundled CLI is kept (default $XDG_CACHE_HOME/signet/code-cache); off turns it off", expects: "string with a directory, or off", sensitive: false },
  { name: "SIGNET_KBS_URL", description: "is the Key Broker Service for kbs:/// keys and policies", expects: "string with a URL", sensitive: false },
  { name: "SIGNET_KBS_MIRROR", description: "is a directory of copies of KBS resources (DIR/<repository>/<type>/<tag>) for kbs:/// keys and policies", expects: "string with a directory path", sensitive: false },
  { name: "SIGNET_TUF_ROOT", description: "is where the sigstore trust root fetched through TUF is cached", expects: "string with a directory", sensitive: false },
  { name: "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", description: "overrides what is used to validate the SCT coming back from Fulcio", expects: "path to the public key file", sensitive: false },
  { name: "SIGSTORE_ID_TOKEN", description: "is the OIDC identity token for keyless signing", expects: "string with an identity token (a JWT)", sensitive: true },
  { name: "SIGSTORE_REKOR_PUBLIC_KEY", description: "is also a public key to verify Rekor entries (instead of the trust root's)", expects: "path to the public key file", sensitive: false },
  { name: "SIGSTORE_ROOT_FILE", description: "overrides the Fulcio root certificates (instead of the trust root's)", expects: "path to the certificate file", sensitive: false },
];

export const envCommand: Command = {
  name: "env",
  summary: "Print the environment variables signet reads",
  usage: `signet env [--show-descriptions=false] [--show-sensitive-values]

  As cosign env: NAME=value for every variable signet reads, with a description above each; the values of
  secrets (passwords, tokens) are masked unless --show-sensitive-values.`,
  options: {
    "show-descriptions": { type: "boolean", default: true, description: "print a description above each variable" },
    "show-sensitive-values": { type: "boolean", description: "print passwords and tokens instead of masking them" },
  },
  async run(context) {
    if (context.positionals.length > 0) throw new SignetError("USAGE", "env takes no arguments");
    const describe = booleanOption(context, "show-descriptions", true);
    const sensitive = booleanOption(context, "show-sensitive-values", false);
    const lines: string[] = [];
    for (const variable of VARIABLES) {
      if (describe) lines.push(`# ${variable.name} ${variable.description}`, `# Expects: ${variable.expects}`);
      const value = context.io.env[variable.name] ?? "";
      lines.push(`${variable.name}=${variable.sensitive && value !== "" && !sensitive ? "******" : value}`);
    }
    context.io.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  },
};
