/**
 * cosign's command-line flags, to tell a user whether a flag signet rejects is a cosign flag signet does not
 * support (and why) or a typo, and to list every cosign flag in docs/compatibility.md. Taken from
 * `cosign <command> --help` of cosign 2.5 (scripts/cosign-flags-snapshot.mjs prints it again), plus the flags cosign
 * 2.6/3 added that guides already use (COSIGN_3_FLAGS). Each entry: [short|]name:kind, kind b (boolean, =true when
 * it defaults to true), s (a value) or l (a repeatable list).
 */
export const COSIGN_FLAGS: Readonly<Record<string, string>> = {
  "attach attestation": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s attestation:l k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "attach sbom": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s input-format:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-referrers-mode:s registry-server-name:s registry-token:s registry-username:s sbom:s type:s",
  "attach signature": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s certificate:s certificate-chain:s k8s-keychain:b payload:s registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s rekor-response:s signature:s tsr:s",
  "attest": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s certificate:s certificate-chain:s fulcio-auth-flow:s fulcio-url:s identity-token:s insecure-skip-verify:b k8s-keychain:b key:s new-bundle-format:b no-upload:b oidc-client-id:s oidc-client-secret-file:s oidc-disable-ambient-providers:b oidc-issuer:s oidc-provider:s oidc-redirect-url:s predicate:s record-creation-timestamp:b r|recursive:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s rekor-entry-type:s rekor-url:s replace:b sk:b slot:s timestamp-client-cacert:s timestamp-client-cert:s timestamp-client-key:s timestamp-server-name:s timestamp-server-url:s tlog-upload:b=true type:s y|yes:b",
  "attest-blob": "bundle:s certificate:s certificate-chain:s fulcio-auth-flow:s fulcio-url:s hash:s identity-token:s insecure-skip-verify:b key:s new-bundle-format:b oidc-client-id:s oidc-client-secret-file:s oidc-disable-ambient-providers:b oidc-issuer:s oidc-provider:s oidc-redirect-url:s output-attestation:s output-certificate:s output-signature:s predicate:s rekor-entry-type:s rekor-url:s rfc3161-timestamp-bundle:s sk:b slot:s timestamp-client-cacert:s timestamp-client-cert:s timestamp-client-key:s timestamp-server-name:s timestamp-server-url:s tlog-upload:b=true type:s y|yes:b",
  "bundle create": "artifact:s attestation:s bundle:s certificate:s ignore-tlog:b key:s out:s rekor-url:s rfc3161-timestamp:s signature:s sk:b slot:s",
  "clean": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s f|force:b k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s type:s",
  "copy": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s f|force:b k8s-keychain:b only:l platform:s registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s sig-only:b",
  "dockerfile verify": "allow-http-registry:b allow-insecure-registry:b a|annotations:l attachment:s attachment-tag-prefix:s base-image-only:b ca-intermediates:s ca-roots:s certificate:s certificate-chain:s certificate-github-workflow-name:s certificate-github-workflow-ref:s certificate-github-workflow-repository:s certificate-github-workflow-sha:s certificate-github-workflow-trigger:s certificate-identity:s certificate-identity-regexp:s certificate-oidc-issuer:s certificate-oidc-issuer-regexp:s check-claims:b=true experimental-oci11:b insecure-ignore-sct:b insecure-ignore-tlog:b k8s-keychain:b key:s local-image:b max-workers:s new-bundle-format:b offline:b o|output:s payload:s private-infrastructure:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s rekor-url:s sct:s signature:s signature-digest-algorithm:s sk:b slot:s timestamp-certificate-chain:s trusted-root:s use-signed-timestamps:b",
  "download attestation": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s k8s-keychain:b platform:s predicate-type:s registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "download sbom": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s k8s-keychain:b platform:s registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "download signature": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "env": "show-descriptions:b=true show-sensitive-values:b",
  "generate": "allow-http-registry:b allow-insecure-registry:b a|annotations:l attachment-tag-prefix:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "generate-key-pair": "kms:s output-key-prefix:s",
  "import-key-pair": "k|key:s o|output-key-prefix:s y|yes:b",
  "initialize": "mirror:s root:s root-checksum:s",
  "load": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s dir:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "login": "p|password:s password-stdin:b u|username:s",
  "manifest verify": "allow-http-registry:b allow-insecure-registry:b a|annotations:l attachment:s attachment-tag-prefix:s ca-intermediates:s ca-roots:s certificate:s certificate-chain:s certificate-github-workflow-name:s certificate-github-workflow-ref:s certificate-github-workflow-repository:s certificate-github-workflow-sha:s certificate-github-workflow-trigger:s certificate-identity:s certificate-identity-regexp:s certificate-oidc-issuer:s certificate-oidc-issuer-regexp:s check-claims:b=true experimental-oci11:b insecure-ignore-sct:b insecure-ignore-tlog:b k8s-keychain:b key:s local-image:b max-workers:s new-bundle-format:b offline:b o|output:s payload:s private-infrastructure:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s rekor-url:s sct:s signature:s signature-digest-algorithm:s sk:b slot:s timestamp-certificate-chain:s trusted-root:s use-signed-timestamps:b",
  "public-key": "key:s outfile:s sk:b slot:s",
  "save": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s dir:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "sign": "allow-http-registry:b allow-insecure-registry:b a|annotations:l attachment:s attachment-tag-prefix:s certificate:s certificate-chain:s fulcio-auth-flow:s fulcio-url:s identity-token:s insecure-skip-verify:b issue-certificate:b k8s-keychain:b key:s oidc-client-id:s oidc-client-secret-file:s oidc-disable-ambient-providers:b oidc-issuer:s oidc-provider:s oidc-redirect-url:s output-certificate:s output-payload:s output-signature:s payload:s record-creation-timestamp:b r|recursive:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-referrers-mode:s registry-server-name:s registry-token:s registry-username:s rekor-url:s sign-container-identity:s sk:b slot:s timestamp-client-cacert:s timestamp-client-cert:s timestamp-client-key:s timestamp-server-name:s timestamp-server-url:s tlog-upload:b=true upload:b=true y|yes:b",
  "sign-blob": "b64:b=true bundle:s fulcio-auth-flow:s fulcio-url:s identity-token:s insecure-skip-verify:b issue-certificate:b key:s new-bundle-format:b oidc-client-id:s oidc-client-secret-file:s oidc-disable-ambient-providers:b oidc-issuer:s oidc-provider:s oidc-redirect-url:s output:s output-certificate:s output-signature:s rekor-url:s rfc3161-timestamp:s sk:b slot:s timestamp-client-cacert:s timestamp-client-cert:s timestamp-client-key:s timestamp-server-name:s timestamp-server-url:s tlog-upload:b=true y|yes:b",
  "tree": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "triangulate": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s type:s",
  "trusted-root create": "certificate-chain:l ctfe-key:l ctfe-start-time:l out:s rekor-key:l rekor-start-time:l timestamp-certificate-chain:l",
  "upload blob": "allow-http-registry:b allow-insecure-registry:b a|annotation:l attachment-tag-prefix:s ct:s f|files:l k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "upload wasm": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s f|file:s k8s-keychain:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s",
  "verify": "allow-http-registry:b allow-insecure-registry:b a|annotations:l attachment:s attachment-tag-prefix:s ca-intermediates:s ca-roots:s certificate:s certificate-chain:s certificate-github-workflow-name:s certificate-github-workflow-ref:s certificate-github-workflow-repository:s certificate-github-workflow-sha:s certificate-github-workflow-trigger:s certificate-identity:s certificate-identity-regexp:s certificate-oidc-issuer:s certificate-oidc-issuer-regexp:s check-claims:b=true experimental-oci11:b insecure-ignore-sct:b insecure-ignore-tlog:b k8s-keychain:b key:s local-image:b max-workers:s new-bundle-format:b offline:b o|output:s payload:s private-infrastructure:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s rekor-url:s sct:s signature:s signature-digest-algorithm:s sk:b slot:s timestamp-certificate-chain:s trusted-root:s use-signed-timestamps:b",
  "verify-attestation": "allow-http-registry:b allow-insecure-registry:b attachment-tag-prefix:s ca-intermediates:s ca-roots:s certificate:s certificate-chain:s certificate-github-workflow-name:s certificate-github-workflow-ref:s certificate-github-workflow-repository:s certificate-github-workflow-sha:s certificate-github-workflow-trigger:s certificate-identity:s certificate-identity-regexp:s certificate-oidc-issuer:s certificate-oidc-issuer-regexp:s check-claims:b=true experimental-oci11:b insecure-ignore-sct:b insecure-ignore-tlog:b k8s-keychain:b key:s local-image:b max-workers:s new-bundle-format:b offline:b o|output:s policy:l private-infrastructure:b registry-cacert:s registry-client-cert:s registry-client-key:s registry-password:s registry-server-name:s registry-token:s registry-username:s rekor-url:s sct:s sk:b slot:s timestamp-certificate-chain:s trusted-root:s type:s use-signed-timestamps:b",
  "verify-blob": "bundle:s ca-intermediates:s ca-roots:s certificate:s certificate-chain:s certificate-github-workflow-name:s certificate-github-workflow-ref:s certificate-github-workflow-repository:s certificate-github-workflow-sha:s certificate-github-workflow-trigger:s certificate-identity:s certificate-identity-regexp:s certificate-oidc-issuer:s certificate-oidc-issuer-regexp:s experimental-oci11:b insecure-ignore-sct:b insecure-ignore-tlog:b key:s max-workers:s new-bundle-format:b offline:b private-infrastructure:b rekor-url:s rfc3161-timestamp:s sct:s signature:s sk:b slot:s timestamp-certificate-chain:s trusted-root:s use-signed-timestamps:b",
  "verify-blob-attestation": "bundle:s ca-intermediates:s ca-roots:s certificate:s certificate-chain:s certificate-github-workflow-name:s certificate-github-workflow-ref:s certificate-github-workflow-repository:s certificate-github-workflow-sha:s certificate-github-workflow-trigger:s certificate-identity:s certificate-identity-regexp:s certificate-oidc-issuer:s certificate-oidc-issuer-regexp:s check-claims:b=true experimental-oci11:b insecure-ignore-sct:b insecure-ignore-tlog:b key:s max-workers:s new-bundle-format:b offline:b private-infrastructure:b rekor-url:s rfc3161-timestamp:s sct:s signature:s sk:b slot:s timestamp-certificate-chain:s trusted-root:s type:s use-signed-timestamps:b",
  "version": "json:b",
  "completion": "",
};

/** cosign's persistent flags, accepted by every command. */
export const COSIGN_GLOBAL_FLAGS = "output-file:s t|timeout:s d|verbose:b";

/** Flags of cosign 2.6 and 3 that published guides use (the Confidential Containers guide, sigstore docs). */
export const COSIGN_3_FLAGS: Readonly<Record<string, string>> = {
  sign: "new-bundle-format:b use-signing-config:b signing-config:s trusted-root:s",
  attest: "use-signing-config:b signing-config:s trusted-root:s",
  "sign-blob": "use-signing-config:b signing-config:s trusted-root:s",
  "attest-blob": "use-signing-config:b signing-config:s trusted-root:s",
};

export interface CosignFlag {
  readonly name: string;
  readonly short?: string;
  readonly kind: "b" | "s" | "l";
  readonly defaultTrue: boolean;
  readonly since: "2.5" | "3";
}

/** cosign's flags for a command ("sign", "attach signature"), globals included. */
export function cosignFlagsOf(command: string): CosignFlag[] {
  const own = COSIGN_FLAGS[command];
  if (own === undefined) return [];
  return [...parseList(own, "2.5"), ...parseList(COSIGN_3_FLAGS[command] ?? "", "3"), ...parseList(COSIGN_GLOBAL_FLAGS, "2.5")];
}

export function isCosignCommand(command: string): boolean {
  return Object.hasOwn(COSIGN_FLAGS, command);
}

/** The cosign commands that have the flag. */
export function cosignCommandsWithFlag(flag: string): string[] {
  return Object.keys(COSIGN_FLAGS).filter((command) => cosignFlagsOf(command).some((f) => f.name === flag || f.short === flag));
}

function parseList(text: string, since: "2.5" | "3"): CosignFlag[] {
  return text
    .split(" ")
    .filter((item) => item !== "")
    .map((item) => {
      const [spelled, kindText] = item.split(":") as [string, string];
      const [short, name] = spelled.includes("|") ? (spelled.split("|") as [string, string]) : [undefined, spelled];
      const kind = kindText.slice(0, 1) as "b" | "s" | "l";
      return { name, ...(short !== undefined ? { short } : {}), kind, defaultTrue: kindText.endsWith("=true"), since };
    });
}
