/**
 * The catalog of stable error codes. Every SignetError carries one of these codes; scripts match on
 * `code`, never on the message. `docs/errors.md` is generated from this table (npm run docs:errors).
 *
 * category:
 *   usage     - the command line or an option is wrong
 *   input     - a file or value the user gave is malformed
 *   rejected  - evaluated and rejected (the image is not acceptable): a verdict
 *   unavailable - could not evaluate (network, registry, timeout): no verdict was reached
 *   internal  - a bug in signet
 *
 * Exit codes (the CLI's contract with scripts; cosign's where cosign has one):
 *   0 success (verified)   1 bad input   2 usage   3 internal   4 could not check (registry, network, trust root)
 *   10 no signature (cosign's ImageWithoutSignature)   11 the image or tag does not exist (cosign's NonExistentTag)
 *   12 rejected: signatures exist and none is acceptable (cosign's NoMatchingSignature)
 */
export type ErrorCategory = "usage" | "input" | "rejected" | "unavailable" | "internal";

export interface ErrorCodeInfo {
  readonly category: ErrorCategory;
  /** What the user can do about it. */
  readonly hint: string;
  /** Process exit code for the CLI. */
  readonly exitCode: number;
}

export const EXIT_CODES = {
  ok: 0,
  input: 1,
  usage: 2,
  internal: 3,
  unavailable: 4,
  noSignature: 10,
  notFound: 11,
  rejected: 12,
} as const;

const usage = (hint: string): ErrorCodeInfo => ({ category: "usage", hint, exitCode: EXIT_CODES.usage });
const input = (hint: string): ErrorCodeInfo => ({ category: "input", hint, exitCode: EXIT_CODES.input });
const rejected = (hint: string): ErrorCodeInfo => ({ category: "rejected", hint, exitCode: EXIT_CODES.rejected });
/** A verdict too (nothing acceptable was found), with cosign's own exit code: there is nothing signed at all. */
const missing = (hint: string): ErrorCodeInfo => ({ category: "rejected", hint, exitCode: EXIT_CODES.noSignature });
const unavailable = (hint: string): ErrorCodeInfo => ({ category: "unavailable", hint, exitCode: EXIT_CODES.unavailable });

export const ERROR_CATALOG = {
  USAGE: usage("Run `signet help <command>` for the options the command takes."),
  OPTION_CONFLICT: usage("Give only one of the conflicting options."),

  REF_INVALID: input("Write the image as [registry[:port]/]repository[:tag][@sha256:<64 hex>], e.g. ghcr.io/org/app:1.0."),
  REF_TRANSPORT_UNKNOWN: input("Use docker://REFERENCE (the default) or oci:PATH[:TAG]."),
  DIGEST_INVALID: input("A digest is sha256:<64 lower-case hex> (or sha384/sha512 with their lengths)."),

  KEY_NOT_FOUND: input("Check the key path; generate a key pair with `signet generate-key-pair`."),
  KEY_INVALID: input("Give a PEM public or private key (cosign, PKCS#8, SEC1 or PKCS#1) or a cosign encrypted key."),
  KEY_UNSUPPORTED: input("Use ECDSA P-256/P-384/P-521, Ed25519, RSA or RSA-PSS (2048 bits or more), or SM2."),
  KEY_PASSWORD_WRONG: input("Check the password (COSIGN_PASSWORD, --password-file, or the prompt)."),
  KEY_PASSWORD_MISSING: input("Set COSIGN_PASSWORD, pass --password-file FILE, or run on a terminal to be prompted."),
  KEY_PASSWORD_MISMATCH: input("Enter the same password twice."),
  KEY_KDF_UNSUPPORTED: input("Only scrypt with N of 2^15, 2^16 or 2^17, r=8, p=1 is accepted; decrypt the key with the tool that wrote it, then `signet import-key-pair --key plain.pem`."),
  KEY_REF_INVALID: input("Write the key as a file path, env://VAR, k8s://NAMESPACE/SECRET, pkcs11:token=...;object=...?module-path=..., or awskms://, gcpkms://, azurekms://, hashivault:// (docs/keys.md)."),
  KEY_REF_UNSUPPORTED: input("This key reference scheme (or provider) is not available here: use a file path, env://, k8s://, pkcs11: or a KMS URI whose provider is built in (docs/keys.md)."),
  KEY_REF_UNREADABLE: unavailable("The key reference could not be read: check the environment variable, the Kubernetes secret and your access to it (kubeconfig or service account), or the PKCS#11 module, token and PIN."),
  SIGNING_CERTIFICATE_INVALID: input("The --certificate for signing must be one X.509 certificate (PEM or DER) for the signing key, and --certificate-chain a PEM chain, root last, that issued it: check which certificate goes with which key (as cosign: \"public key in certificate does not match the provided public key\")."),
  KEY_EXISTS: input("Move the existing file away, or pass --force to overwrite it."),
  KMS_REFERENCE_INVALID: input("Write the key as awskms://[ENDPOINT]/KEYID|alias/NAME|arn:..., gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K[/cryptoKeyVersions/V], azurekms://VAULT.vault.azure.net/KEY[/VERSION] or hashivault://KEY (docs/kms.md)."),
  KMS_UNAUTHORIZED: unavailable("The KMS refused the credentials: check the provider's credentials (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_*, VAULT_TOKEN) and that they may read and sign with the key (docs/kms.md)."),
  KMS_KEY_NOT_FOUND: input("Check the key's name, version, region or vault, and that the credentials may see it."),
  KMS_KEY_UNSUPPORTED: input("Use a KMS signing key of ECDSA P-256/P-384/P-521, RSA (2048 bits or more, PKCS#1 v1.5 or PSS with SHA-256), Ed25519 (Vault, GCP) or SM2 (AWS); secp256k1 and encryption keys cannot sign images."),
  KMS_UNAVAILABLE: unavailable("The KMS could not be reached, timed out, throttled or answered with an error: check the endpoint and network, and try again."),
  KMS_PROTOCOL: unavailable("The KMS's answer is malformed or too large; check that the endpoint is that KMS."),

  REGISTRY_UNREACHABLE: unavailable("Check the registry address, your network, and --registry-cacert for a private CA."),
  REGISTRY_INSECURE_REFUSED: usage("The registry is not on loopback: pass --allow-http-registry (plain HTTP) or --allow-insecure-registry (skip TLS checks) if you trust the network."),
  REGISTRY_UNAUTHORIZED: unavailable("Log in with `signet login REGISTRY`, or check the credentials in ~/.docker/config.json or $REGISTRY_AUTH_FILE."),
  REGISTRY_DENIED: unavailable("The credentials lack access to this repository; check the account's permissions."),
  REGISTRY_NOT_FOUND: { category: "unavailable", hint: "Check the repository name, tag and digest.", exitCode: EXIT_CODES.notFound },
  PLATFORM_NOT_FOUND: rejected("The multi-arch index lists no image for that platform: pick one it lists (--platform os/arch[/variant]), or verify the index itself."),
  REGISTRY_TOO_MANY_REQUESTS: unavailable("The registry is rate limiting; wait and try again, or log in for a higher limit."),
  REGISTRY_ERROR: unavailable("The registry answered with an error; the details give its message."),
  REGISTRY_PROTOCOL: unavailable("The registry's answer does not follow the distribution API; check that the address is a registry."),
  REGISTRY_TIMEOUT: unavailable("The registry did not answer in time; try again or raise --timeout."),
  REGISTRY_REDIRECT_LOOP: unavailable("The registry keeps redirecting; check its configuration."),
  DIGEST_MISMATCH: rejected("The content does not hash to the digest that names it: the registry or layout is corrupt or hostile."),
  SIZE_LIMIT_EXCEEDED: rejected("The content is larger than signet accepts; it may be hostile."),
  COUNT_LIMIT_EXCEEDED: rejected("There are more items than signet accepts; the content may be hostile."),
  MANIFEST_INVALID: rejected("The manifest is not valid JSON of a known media type."),
  MANIFEST_UNSUPPORTED: rejected("Use an OCI or Docker v2 schema 2 manifest or index."),

  LAYOUT_INVALID: input("Give the directory of an OCI image layout (it holds oci-layout, index.json and blobs/)."),

  SIG_MISSING: missing("Sign the image with `signet sign --key cosign.key IMAGE`, or check that you verify the digest that was signed."),
  SIG_INVALID: rejected("No signature verified with the given key: the image was signed with another key, or the signature or image was changed."),
  SIG_PAYLOAD_INVALID: rejected("The signed payload is not an image signature of the expected format (cosign simple signing or atomic container signature)."),
  SIG_DIGEST_MISMATCH: rejected("The signature is for another image digest: the image was changed or re-tagged after signing."),
  SIG_IDENTITY_MISMATCH: rejected("The signature names another repository than the image being verified."),
  SIG_ANNOTATION_MISMATCH: rejected("The signature lacks an annotation that -a requires."),
  SIG_THRESHOLD_NOT_MET: rejected("Fewer distinct signers than the threshold signed the image: have the missing signers sign it (each with their own key or identity), or check the signers' keys and identities in the policy."),
  SIG_REQUIRED_SIGNER_MISSING: rejected("A signer the policy always requires has not signed the image: have that signer sign it; other signatures do not replace it."),
  SIG_CONFLICT: unavailable("Other signers kept changing the signature tag; try again."),
  TLOG_NOT_CHECKED: rejected("No transparency log is configured; pass --insecure-ignore-tlog to accept signatures without a log entry."),

  REGISTRIES_D_INVALID: input("Fix the registries.d file named (see containers-registries.d(5))."),
  REGISTRY_AUTH_FILE_INVALID: input("Fix or remove the credentials file named, or point REGISTRY_AUTH_FILE at another one."),
  POLICY_CONFIG_INVALID: input("Fix the policy file at the place named; `signet policy lint FILE` lists every problem."),
  POLICY_DENIED: rejected("The image does not satisfy the policy; the decision tree says which requirement failed and why."),
  POLICY_KEY_UNREADABLE: unavailable("The key named by the policy cannot be read; check the path, the KBS URL or the Kubernetes secret."),
  POLICY_UNSUPPORTED: rejected("This policy feature is not supported yet; the requirement fails closed."),

  KBS_ATTESTATION_REQUIRED: unavailable("A KBS releases resources only to an attested guest, encrypted to its key. Outside the guest pass --kbs-mirror DIR (DIR/<repository>/<type>/<tag>), or --kbs-resource-token FILE for a KBS that serves that token in plain (docs/coco.md)."),
  KBS_ADMIN_REJECTED: unavailable("The KBS refused the admin request: check that --auth-private-key is the private half of the KBS's admin public key (or that --admin-token is current), and the KBS URL."),
  COCO_CONFIG_INVALID: input("Fix the file named: aa.toml and cdh.toml must be TOML as guest-components reads them (docs/coco.md shows both)."),

  WEBHOOK_CONFIG_INVALID: input("Fix the setting named (flag or --config file); `signet webhook serve --help` lists them."),
  WEBHOOK_TLS_INVALID: input("Give a PEM certificate and its unencrypted PEM private key; `signet webhook certs` makes a pair."),
  WEBHOOK_DEADLINE_EXCEEDED: unavailable("The images were not verified in time (slow or unreachable registry); the request was denied. Retry, or raise --deadline (below the webhook timeout)."),
  BUNDLE_INVALID: rejected("The sigstore bundle is malformed, or of a version or form signet does not accept (v0.1 to v0.3); re-create it with a current sigstore client."),
  NOTATION_ENVELOPE_INVALID: rejected("The Notation signature envelope is malformed (JWS or COSE): re-sign the artifact with `notation sign` or `signet notation sign`."),
  NOTATION_INTEGRITY: rejected("The Notation signature does not verify or is for another artifact: the artifact or the signature was changed after signing."),
  NOTATION_AUTHENTICITY: rejected("The signing certificate chain does not reach a certificate of the trust policy's trust stores: add the signer's root with `notation cert add --type ca --store NAME cert.pem`."),
  NOTATION_UNTRUSTED_IDENTITY: rejected("The signing certificate's subject is not one of the trust policy's trustedIdentities: add its x509.subject or check who signed."),
  NOTATION_EXPIRED: rejected("The signature's expiry time has passed: re-sign the artifact, or override expiry to \"log\" in the trust policy if that is acceptable."),
  NOTATION_AUTHENTIC_TIMESTAMP: rejected("The signing certificate was not valid at the signing time (or is not valid now and no trusted timestamp says otherwise): re-sign with a valid certificate or with --timestamp-url."),
  NOTATION_REVOKED: rejected("A certificate of the signing chain is revoked: the signature must not be trusted; re-sign with a valid certificate."),
  NOTATION_REVOCATION_UNKNOWN: rejected("The certificate's revocation status could not be checked: set revocation to \"log\" or \"skip\" in the trust policy's override if that is acceptable."),
  NOTATION_POLICY_INVALID: input("Fix the trust policy as the message says (notation's trustpolicy.json, version 1.0)."),
  NOTATION_NO_APPLICABLE_POLICY: rejected("Add a trust policy statement whose registryScopes name the repository, or a \"*\" statement."),
  NOTATION_POLICY_SKIP: rejected("The trust policy statement for this scope has level skip, which proves nothing: give the scope a verifying statement, or let the image run unsigned explicitly in the admission policy."),
  NOTATION_USER_METADATA_MISMATCH: rejected("The verified signature does not carry the --user-metadata you required: check the key=value pairs, or who signed."),
  NOTATION_CONFIG_INVALID: input("Fix notation's configuration file as the message says (config.json, signingkeys.json under $XDG_CONFIG_HOME/notation)."),
  NOTATION_KEY_NOT_FOUND: input("Name a key from `signet notation key ls`, add one with `signet notation key add`, or make a test key with `signet notation cert generate-test NAME`."),
  NOTATION_TRUST_STORE_INVALID: input("Check the trust store directory: truststore/x509/{ca,signingAuthority,tsa}/NAME/ holding CA certificates (PEM or DER), regular files only."),
  DCT_NOT_SIGNED: missing("The Notary server has no trust data for this tag (in targets/releases or targets): sign it with `docker trust sign IMAGE:TAG` (or `notary add` and `notary publish`), and check --server and the image name (the GUN is registry/repository)."),
  DCT_DIGEST_MISMATCH: rejected("The tag in the registry points at another manifest than the one signed in Notary: the tag was re-pointed after signing; pull by the signed digest, or sign the new digest."),
  DCT_SIGNATURE_INVALID: rejected("The Notary metadata does not carry enough valid signatures by the role's keys (its threshold): it was changed, or signed by keys the trusted root does not delegate to."),
  DCT_EXPIRED: rejected("Notary metadata has expired: the publisher (targets, snapshot) or the Notary server (timestamp) must re-sign it (`notary witness` and `notary publish`); check this machine's clock."),
  DCT_ROLLBACK: rejected("The Notary server served an older version of metadata than this trust directory has seen: a replay or a rolled-back server; if the repository was really reset, remove its directory under the trust dir (tuf/GUN/) to trust it anew."),
  DCT_HASH_MISMATCH: rejected("Notary metadata does not match the length and hashes its parent role lists for it (timestamp -> snapshot -> targets): the server mixes versions or was tampered with."),
  DCT_ROOT_ROTATION_INVALID: rejected("The Notary server's root is not signed by the keys of the root pinned in the trust directory (trust on first use): the repository's root keys changed without a signed rotation. If the change is legitimate, remove tuf/GUN/ under the trust dir and trust the new root."),
  DCT_ROOT_INVALID: rejected("The Notary root metadata is not valid: its root keys must be certificates for the GUN (CN=registry/repository), valid now, and it must be signed by its own root keys."),
  DCT_METADATA_INVALID: rejected("The Notary metadata is malformed (not TUF metadata as Notary writes it); check that --server is a Notary server."),
  DCT_SERVER_UNAVAILABLE: unavailable("The Notary server could not be reached or answered with an error: check --server, the network and the server's health."),
  DCT_TRUST_DIR_INVALID: input("The trust directory's pinned metadata for this repository cannot be read or is not valid: check --trust-dir; remove tuf/GUN/ under it to trust the server's root anew."),
  CERT_CHAIN_INVALID: rejected("The signing certificate does not chain to a CA of the trusted root valid at signing time: check --trusted-root (public-good vs staging vs private instance), or --certificate-chain/--ca-roots/--ca-intermediates for a private CA."),
  CERT_IDENTITY_MISMATCH: rejected("The certificate names another signer: check --certificate-identity/-regexp, --certificate-oidc-issuer/-regexp and the GitHub workflow claims against the details."),
  IDENTITY_POLICY_INVALID: usage("Give --certificate-identity or --certificate-identity-regexp, and --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (or --key for key-signed material)."),
  SCT_INVALID: rejected("The certificate's SCT does not verify with a CT log key of the trusted root: the certificate was not logged by a trusted CT log. A private CA that logs to no CT log: --insecure-ignore-sct, as cosign."),
  TLOG_ENTRY_MISSING: rejected("No verified transparency log entry: log the signature (cosign/signet default) or, for key-based signatures only, pass --insecure-ignore-tlog."),
  TLOG_LOOKUP_UNSUPPORTED: usage("A detached signature has no log proof and signet does not search Rekor online: verify a bundle (--bundle), or pass --insecure-ignore-tlog to check the signature alone."),
  TLOG_ENTRY_MISMATCH: rejected("The transparency log entry is for another signature, key, certificate or artifact: the material was tampered with or mixed up."),
  TLOG_PROOF_INVALID: rejected("The log entry's signed timestamp, inclusion proof or checkpoint does not verify with a log of the trusted root."),
  TSA_UNAVAILABLE: unavailable("The timestamp authority could not be reached or refused the request: check --timestamp-url (notation) or --timestamp-server-url (cosign) and the network, then sign again."),
  TIMESTAMP_INVALID: rejected("No trusted time for the signature: the RFC 3161 timestamp or log time does not verify, or falls outside the validity of the certificate, key or authority."),
  TRUST_ROOT_INVALID: input("Fix the trusted root named (a sigstore trusted_root.json, mediaType …trustedroot+json;version=0.1 or …trustedroot.v0.2+json), or the key or CA file."),
  TRUST_ROOT_UNAVAILABLE: unavailable("The sigstore trust root could not be updated through TUF: check the network, or pass --offline to use the cached or embedded root, or --trusted-root FILE."),
  REFERRERS_INVALID: rejected("The image's referrers list (referrers API answer or sha256-<hex> index tag) is malformed: the registry or whoever wrote the tag is broken or hostile."),
  ATTESTATION_MISSING: missing("Attest the image with `signet attest --predicate FILE --type TYPE IMAGE` (or cosign attest), or check --type and that you verify the digest that was attested."),
  ATTESTATION_INVALID: rejected("The attestation is not a DSSE envelope of type application/vnd.in-toto+json carrying an in-toto statement; re-create it with signet or cosign attest."),
  ATTESTATION_TYPE_MISMATCH: rejected("The image has attestations, but none of the predicate type required: check --type."),
  ATTESTATION_SUBJECT_MISMATCH: rejected("The attestation's subject names another digest: it was made for another image, or the image changed after it was attested."),
  OIDC_TOKEN_MISSING: input("Pass --identity-token TOKEN (or a file), set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write`."),
  OIDC_TOKEN_INVALID: input("Give an OIDC identity token (a JWT with iss, sub or email, aud and exp) that has not expired."),
  FULCIO_ERROR: unavailable("The Fulcio CA did not issue a certificate; check --fulcio-url, the identity token (issuer, audience \"sigstore\", expiry) and the details."),
  REKOR_ERROR: unavailable("The Rekor log did not record the entry; check --rekor-url and the details, or sign with --tlog-upload=false (key-based only)."),
  CLUSTER_IMAGE_POLICY_INVALID: input("Fix the ClusterImagePolicy at the field named; `signet webhook check-policy FILE...` lists every problem."),
  ADMISSION_REVIEW_INVALID: input("Send an AdmissionReview of apiVersion admission.k8s.io/v1 with a request (the API server does; check the webhook configuration's admissionReviewVersions)."),
  ADMISSION_KIND_UNSUPPORTED: rejected("signet inspects Pods and the pod templates of Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs and ReplicationControllers; limit the webhook configuration's rules to those."),
  ADMISSION_NO_POLICY: rejected("Add a ClusterImagePolicy whose images glob covers the image, or change the webhook's --no-match-action."),
  ADMISSION_TOO_MANY_IMAGES: rejected("The object names more images (containers, init and ephemeral containers, image volumes) than the webhook's maxImagesPerRequest: split the workload, or raise maxImagesPerRequest in the webhook's configuration."),
  ADMISSION_TAG_UNPINNED: rejected("/validate cannot pin a tag to the digest it verified, so the node could pull other content: name the image by digest (IMAGE@sha256:…), or register the webhook's /mutate too (it pins tags to digests before /validate runs)."),
  PULL_SECRET_UNREADABLE: unavailable("The webhook could not read the pod's pull secrets or service account: check the API server and that the webhook's RBAC allows `get` on serviceaccounts and secrets."),
  KUBE_API_FAILED: unavailable("The Kubernetes API server refused or did not answer: check that it is reachable, and the webhook's RBAC (the details name the verb and resource)."),
  PULL_SECRET_INVALID: unavailable("Recreate the pull secret with `kubectl create secret docker-registry`; it must be of type kubernetes.io/dockerconfigjson (or kubernetes.io/dockercfg)."),
  AUDIT_SOURCE_INVALID: input("Give the output of `kubectl get pods -A -o json` (a List of Pods, or one Pod) to --pods."),
  AUDIT_STATE_INVALID: input("The audit state file is not one signet audit wrote (or is damaged): delete it, or run without --resume."),
  AUDIT_STATE_MISMATCH: input("The audit state file was written by an audit of another source, policy or options: run the same command as before, give another --state file, or run without --resume."),
  FILE_NOT_FOUND: input("Check the path."),
  FILE_EXISTS: input("Move the existing file away, or pass --force to overwrite it."),
  FILE_SYMLINK: input("The destination is a symbolic link (someone may have planted it to redirect a key): remove the link, or write to the real path."),
  FILE_NOT_REGULAR: input("The destination exists and is not a regular file: remove it or choose another path."),
  FILE_FOREIGN_OWNER: input("The destination belongs to another user: remove it (or have its owner remove it), or write elsewhere."),
  IO_ERROR: unavailable("Check permissions and free space."),
  TIMEOUT: unavailable("The operation did not finish in time."),
  INTERNAL: { category: "internal", hint: "This is a bug in signet; please report it with the command you ran.", exitCode: EXIT_CODES.internal },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CATALOG, value);
}

/**
 * Which rejection best explains why nothing verified, most telling first: the further a signature got through the
 * checks, the more its rejection says. One that verified but names another identity, lacks an annotation or names
 * another digest explains more than one whose certificate identity, log entry or chain did not check, which explains more than one that did not verify at all, which explains more than none at all.
 * Every entry point (library, CLI, policy.json requirements, webhook authorities) ranks with this one list.
 */
export const EXPLANATION_RANK: readonly ErrorCode[] = [
  "SIG_IDENTITY_MISMATCH",
  "SIG_ANNOTATION_MISMATCH",
  "NOTATION_USER_METADATA_MISMATCH",
  "SIG_DIGEST_MISMATCH",
  "SIG_REQUIRED_SIGNER_MISSING",
  "SIG_THRESHOLD_NOT_MET",
  "DCT_DIGEST_MISMATCH",
  "ATTESTATION_SUBJECT_MISMATCH",
  "CERT_IDENTITY_MISMATCH",
  "NOTATION_UNTRUSTED_IDENTITY",
  "NOTATION_REVOKED",
  "NOTATION_EXPIRED",
  "NOTATION_AUTHENTIC_TIMESTAMP",
  "NOTATION_REVOCATION_UNKNOWN",
  "TLOG_ENTRY_MISMATCH",
  "TLOG_PROOF_INVALID",
  "TLOG_ENTRY_MISSING",
  "SCT_INVALID",
  "CERT_CHAIN_INVALID",
  "NOTATION_AUTHENTICITY",
  "TIMESTAMP_INVALID",
  "SIG_PAYLOAD_INVALID",
  "ATTESTATION_INVALID",
  "BUNDLE_INVALID",
  "NOTATION_ENVELOPE_INVALID",
  "SIG_INVALID",
  "NOTATION_INTEGRITY",
  "DCT_ROOT_ROTATION_INVALID",
  "DCT_ROLLBACK",
  "DCT_EXPIRED",
  "DCT_HASH_MISMATCH",
  "DCT_SIGNATURE_INVALID",
  "DCT_ROOT_INVALID",
  "DCT_METADATA_INVALID",
  "ATTESTATION_TYPE_MISMATCH",
  "ATTESTATION_MISSING",
  "SIG_MISSING",
  "DCT_NOT_SIGNED",
  "NOTATION_NO_APPLICABLE_POLICY",
  "NOTATION_POLICY_SKIP",
  "POLICY_UNSUPPORTED",
  "POLICY_DENIED",
];

/** The item whose code ranks highest in EXPLANATION_RANK (the first item when none is ranked); undefined for none. */
export function mostTelling<T extends { readonly code?: ErrorCode | undefined }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const item of items) {
    const rank = item.code === undefined ? -1 : EXPLANATION_RANK.indexOf(item.code);
    const effective = rank === -1 ? EXPLANATION_RANK.length : rank;
    if (best === undefined || effective < bestRank) {
      best = item;
      bestRank = effective;
    }
  }
  return best;
}
