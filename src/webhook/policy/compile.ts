/**
 * Turns validated ClusterImagePolicies into what the webhook evaluates: globs and identity regexps compiled,
 * keys parsed (secrets read once), and a version hash over all of it that caches key on. A key that cannot be
 * loaded does not fail the whole set: its authority fails closed with the reason, and `problems` says so.
 */
import { createHash, type KeyObject } from "node:crypto";
import { readFileLocation } from "../../internal/file-location.js";
import { parseSignedJson } from "../../internal/json-reader.js";
import { combinedTrustStores, storeCertificates } from "../../signatures/notation/trust-store-files.js";
import { parseTrustPolicy, type TrustPolicyDocument } from "../../signatures/notation/trust-policy.js";
import type { NotationTrustStores } from "../../signatures/notation/verify-notation.js";
import type { Certificate } from "../../trust/x509.js";
import { SignetError, toSignetError } from "../../errors/index.js";
import { loadPublicKey, parsePublicKeyPem } from "../../keys/index.js";
import { compileImageGlob } from "./glob.js";
import { compileIdentityPolicy, type IdentityPolicy } from "../../signatures/bundle/index.js";
import type {
  AuthorityConfig,
  ClusterImagePolicy,
  CompiledAuthority,
  CompiledIdentity,
  CompiledImagePolicy,
  CompiledPolicySet,
  CompilePoliciesOptions,
  IdentityConfig,
  KeyRef,
  LoadedClusterImagePolicy,
  NotationAuthorityConfig,
  PolicySource,
  SecretEntryReference,
} from "./types.js";
import { normaliseHashAlgorithm, validateClusterImagePolicy } from "./validate.js";

export const DEFAULT_SYSTEM_NAMESPACE = "signet-system";

export async function compileClusterImagePolicies(
  documents: readonly (ClusterImagePolicy | LoadedClusterImagePolicy)[],
  options: CompilePoliciesOptions = {},
): Promise<CompiledPolicySet> {
  const problems: string[] = [];
  const names = new Set<string>();
  const policies: CompiledImagePolicy[] = [];
  for (const [index, document] of documents.entries()) {
    const loaded = "policy" in document ? document : { policy: document, source: { document: index } };
    // Revalidate: callers may hand in objects that never went through the loader (e.g. from the Kubernetes API).
    const validation = validateClusterImagePolicy(loaded.policy, {
      failOnEmptyAuthorities: false,
      ...(options.systemNamespace === undefined ? {} : { systemNamespace: options.systemNamespace }),
    });
    const firstError = validation.problems.find((problem) => problem.level === "error");
    if (validation.policy === undefined || firstError !== undefined) {
      throw new SignetError("CLUSTER_IMAGE_POLICY_INVALID", `invalid ClusterImagePolicy ${JSON.stringify(loaded.policy.metadata?.name ?? "")}: ${firstError?.text ?? "invalid"}`, {
        details: { problems: validation.problems.map((problem) => problem.text) },
      });
    }
    const policy = validation.policy;
    if (names.has(policy.metadata.name)) {
      throw new SignetError("CLUSTER_IMAGE_POLICY_INVALID", `two ClusterImagePolicies are named ${JSON.stringify(policy.metadata.name)}`);
    }
    names.add(policy.metadata.name);
    policies.push(await compilePolicy(policy, loaded.source, options, problems));
  }
  policies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const version = sha256(JSON.stringify(policies.map((policy) => [policy.name, policy.version])));
  return Object.freeze({ version, policies: Object.freeze(policies), problems: Object.freeze(problems) });
}

async function compilePolicy(policy: ClusterImagePolicy, source: PolicySource, options: CompilePoliciesOptions, problems: string[]): Promise<CompiledImagePolicy> {
  const spec = policy.spec;
  const name = policy.metadata.name;
  const authorities = await Promise.all((spec.authorities ?? []).map((authority, index) => compileAuthority(name, authority, index, options, problems)));
  const match = (spec.match ?? []).map((entry) => ({
    group: entry.group ?? "",
    version: entry.version ?? "",
    resource: entry.resource ?? "",
    ...(entry.selector === undefined ? {} : { selector: entry.selector }),
  }));
  // What the version covers: the whole spec as written plus the key material actually loaded (a rotated
  // secret changes the version even when the policy text does not).
  const keyMaterial = authorities.map((authority) =>
    authority.type === "key" ? authority.publicKeys.map(spkiHex) : authority.type === "unavailable" ? [`unavailable:${authority.reason}`] : authority.type === "notation" ? [authority.material] : [],
  );
  const version = sha256(JSON.stringify({ name, spec, keyMaterial }));
  return Object.freeze({
    name,
    mode: spec.mode === "warn" ? "warn" : "enforce",
    images: (spec.images ?? []).map((image) => compileImageGlob(image.glob ?? "")),
    authorities,
    match,
    ...(spec.policy === undefined ? {} : { policy: spec.policy }),
    ...(spec.signers === undefined ? {} : { signers: Object.freeze({ threshold: spec.signers.threshold, required: Object.freeze([...(spec.signers.required ?? [])]) }) }),
    source,
    version,
  });
}

async function compileAuthority(policyName: string, authority: AuthorityConfig, index: number, options: CompilePoliciesOptions, problems: string[]): Promise<CompiledAuthority> {
  const source = authority.source?.[0];
  const common = {
    name: authority.name ?? `authority-${index}`,
    index,
    attestations: (authority.attestations ?? []).map((attestation) => ({
      name: attestation.name ?? "",
      predicateType: attestation.predicateType ?? "",
      ...(attestation.policy === undefined ? {} : { policy: attestation.policy }),
    })),
    ...(source?.oci === undefined || source.oci === "" ? {} : { signatureRepository: source.oci }),
    signaturePullSecrets: (source?.signaturePullSecrets ?? []).map((secret) => secret.name ?? ""),
    ...(source?.tagPrefix === undefined || source.tagPrefix === "" ? {} : { tagPrefix: source.tagPrefix }),
    ...(authority.ctlog === undefined ? {} : { ctlog: authority.ctlog }),
    ...(authority.rfc3161timestamp === undefined ? {} : { rfc3161timestamp: authority.rfc3161timestamp }),
    ...(authority.signatureFormat === undefined ? {} : { signatureFormat: authority.signatureFormat }),
  };
  try {
    if (authority.static !== undefined) {
      return { ...common, type: "static", action: authority.static.action === "pass" ? "pass" : "fail", ...(authority.static.message === undefined ? {} : { message: authority.static.message }) };
    }
    if (authority.notation !== undefined) return { ...common, type: "notation", ...(await compileNotation(authority.notation, options)) };
    if (authority.key !== undefined) {
      const hashAlgorithm = normaliseHashAlgorithm(authority.key.hashAlgorithm || "sha256");
      const kms = authority.key.kms;
      if (kms !== undefined && kms !== "") {
        // The one key reference grammar: a KMS URI, its public key fetched once (the webhook caches it across reloads).
        const publicKey = await (options.kmsPublicKey ?? ((reference: string) => loadPublicKey(reference)))(kms);
        return { ...common, type: "key", publicKeys: [publicKey], hashAlgorithm, keySource: `KMS key ${kms}` };
      }
      const { pem, where } = await keyText(authority.key, options);
      return { ...common, type: "key", publicKeys: [parsePublicKeyPem(pem)], hashAlgorithm, keySource: where };
    }
    const keyless = authority.keyless!;
    const caCert = keyless["ca-cert"];
    let caCertPem: string | undefined;
    if (caCert !== undefined && (caCert.kms === undefined || caCert.kms === "")) caCertPem = (await keyText(caCert, options)).pem;
    return {
      ...common,
      type: "keyless",
      identities: (keyless.identities ?? []).map(compileIdentity),
      trust: Object.freeze({
        ...(keyless.url === undefined ? {} : { url: keyless.url }),
        ...(caCertPem === undefined ? {} : { caCertPem }),
        ...(caCert?.kms === undefined || caCert.kms === "" ? {} : { caCertKms: caCert.kms }),
        ...(keyless.trustRootRef === undefined ? {} : { trustRootRef: keyless.trustRootRef }),
        insecureIgnoreSCT: keyless.insecureIgnoreSCT === true,
        ...(authority.ctlog === undefined ? {} : { ctlog: authority.ctlog }),
        ...(authority.rfc3161timestamp === undefined ? {} : { rfc3161timestamp: authority.rfc3161timestamp }),
      }),
    };
  } catch (error) {
    const signetError = toSignetError(error);
    const reason = `the ${authority.notation !== undefined ? "trust material" : "key"} of authority ${JSON.stringify(common.name)} could not be loaded: ${signetError.message}`;
    problems.push(`ClusterImagePolicy ${JSON.stringify(policyName)}: ${reason}`);
    return { ...common, type: "unavailable", reason, code: signetError.code };
  }
}

/** The PEM of a key (or CA) given inline or in a secret of the webhook's namespace. */
async function keyText(key: KeyRef, options: CompilePoliciesOptions): Promise<{ pem: string; where: string }> {
  if (key.data !== undefined && key.data !== "") return { pem: key.data, where: "inline key" };
  const ref = key.secretRef;
  if (ref === undefined || ref.name === undefined || ref.name === "") throw new SignetError("POLICY_KEY_UNREADABLE", "the authority names no key");
  const namespace = ref.namespace !== undefined && ref.namespace !== "" ? ref.namespace : options.systemNamespace ?? DEFAULT_SYSTEM_NAMESPACE;
  const where = `secret ${namespace}/${ref.name}`;
  if (options.readSecret === undefined) {
    throw new SignetError("POLICY_KEY_UNREADABLE", `${where} cannot be read: no Kubernetes access was configured`);
  }
  let data: Record<string, Uint8Array | string>;
  try {
    data = await options.readSecret({ name: ref.name, namespace });
  } catch (error) {
    const cause = toSignetError(error);
    throw new SignetError("POLICY_KEY_UNREADABLE", `${where} cannot be read: ${cause.message}`, { cause: error });
  }
  const entries = Object.entries(data);
  // One entry (policy-controller's rule); from a cosign-made secret with several, only the public key.
  const chosen = entries.length === 1 ? entries[0]![1] : data["cosign.pub"];
  if (chosen === undefined) {
    throw new SignetError("POLICY_KEY_UNREADABLE", `${where} holds ${entries.length} entries; it must hold exactly one (the public key), or a cosign.pub entry`);
  }
  return { pem: typeof chosen === "string" ? chosen : Buffer.from(chosen).toString("utf8"), where };
}

/**
 * A Notation authority's trust policy and listed trust stores, read once (inline, a file such as a mounted
 * ConfigMap, or a Secret entry); a trust store directory is read on first use. `material` hashes what was read,
 * so a changed Secret or file changes the policy version (and the cache keys).
 */
async function compileNotation(notation: NotationAuthorityConfig, options: CompilePoliciesOptions): Promise<{ trustPolicy: TrustPolicyDocument; trustStores: NotationTrustStores; userMetadata: Record<string, string>; material: string }> {
  const read = (what: string, inline: string | undefined, path: string | undefined, ref: SecretEntryReference | undefined) => readTrustMaterial(what, inline, path, ref, options);
  const policyBytes = await read("the trust policy", notation.trustPolicy, notation.trustPolicyPath, notation.trustPolicySecretRef);
  const trustPolicy = parseTrustPolicy(parseSignedJson(policyBytes.bytes, `the trust policy (${policyBytes.where})`, "NOTATION_POLICY_INVALID"));
  const listed = new Map<string, Certificate[]>();
  const hash = createHash("sha256").update(policyBytes.bytes);
  for (const store of notation.trustStores ?? []) {
    const name = store.name ?? "";
    const { bytes, where } = await read(`trust store ${name}`, store.data, store.path, store.secretRef);
    listed.set(name, [...(listed.get(name) ?? []), ...storeCertificates(name, bytes, where)]);
    hash.update(name).update(bytes);
  }
  const directory = notation.trustStorePath === undefined || notation.trustStorePath === "" ? undefined : notation.trustStorePath;
  return {
    trustPolicy,
    trustStores: combinedTrustStores(directory, listed),
    userMetadata: { ...(notation.userMetadata ?? {}) },
    material: `notation:${hash.digest("hex")}${directory === undefined ? "" : `+dir:${directory}`}`,
  };
}

async function readTrustMaterial(what: string, inline: string | undefined, path: string | undefined, ref: SecretEntryReference | undefined, options: CompilePoliciesOptions): Promise<{ bytes: Buffer; where: string }> {
  if (inline !== undefined && inline !== "") return { bytes: Buffer.from(inline, "utf8"), where: "inline" };
  if (path !== undefined && path !== "") {
    // The one bounded file reader (a trust policy or certificate bundle is far below 1 MiB).
    return { bytes: await readFileLocation(path, { maxBytes: 1024 * 1024, what }), where: path };
  }
  if (ref === undefined || ref.name === undefined || ref.name === "") throw new SignetError("POLICY_KEY_UNREADABLE", `the authority gives no ${what}`);
  const namespace = ref.namespace !== undefined && ref.namespace !== "" ? ref.namespace : options.systemNamespace ?? DEFAULT_SYSTEM_NAMESPACE;
  const where = `secret ${namespace}/${ref.name}${ref.key === undefined ? "" : `/${ref.key}`}`;
  if (options.readSecretEntry === undefined) throw new SignetError("POLICY_KEY_UNREADABLE", `${where} cannot be read: no Kubernetes access was configured`);
  try {
    return { bytes: await options.readSecretEntry({ name: ref.name, namespace, key: ref.key }), where };
  } catch (error) {
    throw new SignetError("POLICY_KEY_UNREADABLE", `${what} cannot be read from ${where}: ${toSignetError(error).message}`, { cause: error });
  }
}

function compileIdentity(identity: IdentityConfig): CompiledIdentity {
  const rules = {
    ...(identity.issuer ? { issuer: identity.issuer } : { issuerRegExp: identity.issuerRegExp ?? "" }),
    ...(identity.subject ? { subject: identity.subject } : { subjectRegExp: identity.subjectRegExp ?? "" }),
  };
  const policy: IdentityPolicy = Object.freeze({ kind: "identity", ...rules });
  compileIdentityPolicy(policy); // the one keyless identity rule: checked (and its regexps compiled) now
  return Object.freeze({ ...rules, policy });
}

function spkiHex(key: KeyObject): string {
  return key.export({ type: "spki", format: "der" }).toString("hex");
}

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}
