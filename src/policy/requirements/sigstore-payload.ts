/**
 * The cosign simple-signing payload, read as strictly as containers/image's UntrustedSigstorePayload: the top level
 * holds exactly `critical` and `optional`; `critical` exactly `type`, `image` and `identity`; no key twice anywhere
 * it reads (a second `docker-manifest-digest` that another parser might pick is refused). `optional` may be null
 * (cosign writes that) and its unknown fields are ignored.
 */
import { SignetError } from "../../errors/index.js";
import { isDigest, type Digest } from "../../internal/digest.js";
import { COSIGN_SIGNATURE_TYPE } from "../../signatures/payload/simple-signing.js";
import { JsonSyntaxError, describeJsonKind, parseJsonDocument, type JsonNode, type JsonObjectNode } from "../config/index.js";

export interface StrictSigstorePayload {
  readonly dockerReference: string;
  readonly manifestDigest: Digest;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const HINT = "The signed payload is not a cosign image signature (it may be an attestation or another attachment).";

/** Parses payload bytes whose signature has verified; throws SIG_PAYLOAD_INVALID. */
export function parseStrictSigstorePayload(untrustedBytes: Uint8Array): StrictSigstorePayload {
  let root: JsonNode;
  try {
    root = parseJsonDocument(decoder.decode(untrustedBytes));
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw invalid(`is not JSON: ${error.message}`);
    if (error instanceof TypeError) throw invalid("is not valid UTF-8");
    throw error;
  }
  const top = exactFields(root, "the payload", ["critical", "optional"]);
  const optional = top.get("optional")!;
  if (optional.kind !== "null" && optional.kind !== "object") throw invalid(`has an optional section that is ${describeJsonKind(optional)}`);
  const critical = exactFields(top.get("critical")!, "critical", ["type", "image", "identity"]);
  const type = critical.get("type")!;
  if (type.kind !== "string" || type.value !== COSIGN_SIGNATURE_TYPE) {
    throw invalid(`has critical.type ${type.kind === "string" ? JSON.stringify(type.value.slice(0, 80)) : describeJsonKind(type)}, expected ${JSON.stringify(COSIGN_SIGNATURE_TYPE)}`);
  }
  const digest = exactFields(critical.get("image")!, "critical.image", ["docker-manifest-digest"]).get("docker-manifest-digest")!;
  if (digest.kind !== "string" || !isDigest(digest.value)) throw invalid("has an invalid critical.image.docker-manifest-digest");
  const reference = exactFields(critical.get("identity")!, "critical.identity", ["docker-reference"]).get("docker-reference")!;
  if (reference.kind !== "string") throw invalid(`has a critical.identity.docker-reference that is ${describeJsonKind(reference)}`);
  return { dockerReference: reference.value, manifestDigest: digest.value };
}

function exactFields(node: JsonNode, where: string, names: readonly string[]): Map<string, JsonNode> {
  if (node.kind !== "object") throw invalid(`has ${where} that is ${describeJsonKind(node)}, not an object`);
  const fields = new Map((node as JsonObjectNode).members.map((member) => [member.key, member.value]));
  for (const key of fields.keys()) {
    if (!names.includes(key)) throw invalid(`has an unknown field ${JSON.stringify(key.slice(0, 80))} in ${where}`);
  }
  for (const name of names) {
    if (!fields.has(name)) throw invalid(`lacks the field ${JSON.stringify(name)} in ${where}`);
  }
  return fields;
}

function invalid(problem: string): SignetError {
  return new SignetError("SIG_PAYLOAD_INVALID", `cosign signature payload ${problem}`, { hint: HINT });
}
