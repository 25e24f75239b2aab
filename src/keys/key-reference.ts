/**
 * The one key reference grammar, as cosign writes it, for every place a key is named: the CLI's --key, a
 * policy.json keyPath/keyPaths, a ClusterImagePolicy `key` (its `kms`, and its secretRef as k8s://). Pure:
 * parsing only; key-source.ts reads what a reference names.
 *
 *   PATH, file:///PATH               a PEM file (public key, certificate, private key, cosign encrypted key)
 *   env://VAR                        the PEM text in environment variable VAR
 *   k8s://NAMESPACE/SECRET[/KEY]     a Kubernetes Secret: cosign.pub / cosign.key + cosign.password, or KEY
 *   pkcs11:token=...;object=...?...  a key in a PKCS#11 token (RFC 7512)
 *   awskms:// gcpkms:// azurekms:// hashivault://   a key in a KMS (keys/kms/)
 *   kbs:///REPO/TYPE/TAG             a Key Broker Service resource (policies only; read by policy/locations)
 *
 * Anything else with a scheme (`gitlab://`, `https://`, `foo://`) is KEY_REF_UNSUPPORTED naming the scheme,
 * never "file not found".
 */
import { fileURLToPath } from "node:url";
import { SignetError } from "../errors/index.js";
import { isPkcs11Uri, parsePkcs11Uri, redactPkcs11Uri, type Pkcs11Uri } from "./pkcs11-uri.js";
import { KMS_SCHEMES, parseKmsReference, type KmsScheme } from "./kms/reference.js";

export { KMS_SCHEMES, type KmsScheme };

export type KeyReference =
  | { readonly kind: "file"; readonly text: string; readonly path: string }
  | { readonly kind: "env"; readonly text: string; readonly variable: string }
  | { readonly kind: "k8s"; readonly text: string; readonly namespace: string; readonly name: string; readonly key: string | undefined }
  | { readonly kind: "pkcs11"; readonly text: string; readonly uri: Pkcs11Uri }
  | { readonly kind: "kms"; readonly text: string; readonly scheme: KmsScheme }
  | { readonly kind: "kbs"; readonly text: string };

export type KeyReferenceKind = KeyReference["kind"];

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
const DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const MAX_LENGTH = 4096;

/** Schemes cosign knows that signet does not read, named in the error. */
const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  gitlab: "cosign's GitLab CI variables (gitlab://) are not supported: export the key into an environment variable and use env://VAR",
  http: "keys are not fetched over HTTP: download the key and give its path",
  https: "keys are not fetched over HTTPS: download the key and give its path",
};

/** Parses a key reference; KEY_REF_INVALID when malformed, KEY_REF_UNSUPPORTED for a scheme signet does not read. */
export function parseKeyReference(text: string): KeyReference {
  if (text === "") throw new SignetError("KEY_REF_INVALID", "the key reference is empty", { details: { scheme: "" } });
  if (text.length > MAX_LENGTH) throw new SignetError("KEY_REF_INVALID", `the key reference is longer than ${MAX_LENGTH} characters`);
  if (isPkcs11Uri(text)) return { kind: "pkcs11", text, uri: parsePkcs11Uri(text) };
  const match = SCHEME.exec(text);
  if (match === null) return { kind: "file", text, path: text };
  const scheme = match[1]!.toLowerCase();
  const rest = text.slice(match[0].length);
  switch (scheme) {
    case "file":
      try {
        return { kind: "file", text, path: fileURLToPath(text) };
      } catch (error) {
        throw invalid(text, "file", `not a file URL: ${(error as Error).message}`, "Write file:///absolute/path or just the path.");
      }
    case "env":
      if (!ENV_NAME.test(rest)) throw invalid(text, "env", "write env://NAME with a variable name of letters, digits and _", "e.g. env://COSIGN_PRIVATE_KEY");
      return { kind: "env", text, variable: rest };
    case "k8s":
      return { kind: "k8s", text, ...parseK8sPath(text, rest) };
    case "kbs":
      return { kind: "kbs", text };
    default:
      if ((KMS_SCHEMES as readonly string[]).includes(scheme)) {
        // The KMS module's one parser of KMS URIs (it loads no SDK): KMS_REFERENCE_INVALID names the expected form.
        parseKmsReference(text);
        return { kind: "kms", text, scheme: scheme as KmsScheme };
      }
      throw new SignetError("KEY_REF_UNSUPPORTED", `unsupported key reference scheme ${scheme}://: ${KNOWN_UNSUPPORTED[scheme] ?? "signet reads file paths, env://, k8s://, pkcs11:, awskms://, gcpkms://, azurekms:// and hashivault://"}`, {
        details: { scheme },
      });
  }
}

/** The reference for messages and logs: a PKCS#11 PIN is never shown. */
export function describeKeyReference(text: string): string {
  return isPkcs11Uri(text) ? redactPkcs11Uri(text) : text;
}

/** The scheme word of a reference for messages and error details ("file" for a path). */
export function keyReferenceScheme(reference: KeyReference): string {
  return reference.kind === "kms" ? reference.scheme : reference.kind;
}

function parseK8sPath(text: string, rest: string): { namespace: string; name: string; key: string | undefined } {
  const parts = rest.split("/");
  if (parts.length < 2 || parts.length > 3) throw invalid(text, "k8s", "write k8s://NAMESPACE/SECRET (or k8s://NAMESPACE/SECRET/KEY)", "e.g. k8s://signing/cosign-key");
  const [namespace, name, key] = parts as [string, string, string | undefined];
  if (!DNS_LABEL.test(namespace)) throw invalid(text, "k8s", `${JSON.stringify(namespace)} is not a valid namespace name`, "Namespaces are DNS labels: lower-case letters, digits and -.");
  if (!DNS_SUBDOMAIN.test(name)) throw invalid(text, "k8s", `${JSON.stringify(name)} is not a valid secret name`, "Secret names are DNS subdomains: lower-case letters, digits, - and .");
  if (key !== undefined && !DATA_KEY.test(key)) throw invalid(text, "k8s", `${JSON.stringify(key)} is not a valid secret data key`, "Data keys are letters, digits, -, _ and .");
  return { namespace, name, key };
}

function invalid(text: string, scheme: string, problem: string, hint: string): SignetError {
  return new SignetError("KEY_REF_INVALID", `invalid ${scheme}:// key reference ${JSON.stringify(text.slice(0, 200))}: ${problem}`, { hint, details: { scheme } });
}
