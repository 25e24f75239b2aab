/**
 * KMS key references as policy-controller validates them (pkg/apis/policy/common): a known provider scheme,
 * and for AWS one of the forms that need no extra configuration (a key or alias ARN, optional endpoint).
 * The key itself is opened through the one key reference grammar (keys/, keys/kms/); an authority whose KMS
 * provider is not built fails closed with KEY_REF_UNSUPPORTED, and `webhook check-policy` refuses it.
 */
export const KMS_PROVIDERS = ["awskms://", "azurekms://", "hashivault://", "gcpkms://"] as const;

const KMS_REFERENCE_FORMAT = "kms key should be in the format awskms://[ENDPOINT]/[ID/ALIAS/ARN] (endpoint optional)";
const UUID = String.raw`m?r?k?-?[A-Fa-f0-9]{8}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{12}`;
const ARN = String.raw`arn:(?:aws|aws-us-gov|aws-cn):kms:[a-z0-9-]+:\d{12}:`;
const HOST = "([^/]*)/";
// No nested repetition, and the input is bounded (KMS_MAX_LENGTH): these cannot backtrack badly.
const AWS_FORMS = [
  new RegExp(`^awskms://${HOST}(${UUID})$`),
  new RegExp(`^awskms://${HOST}(${ARN}key/${UUID})$`),
  new RegExp(`^awskms://${HOST}(alias/.*)$`),
  new RegExp(`^awskms://${HOST}(${ARN}alias/.*)$`),
];
const KMS_MAX_LENGTH = 2048;

/** Why the KMS reference is invalid, or undefined when policy-controller would accept it. */
export function kmsProblem(kms: string): string | undefined {
  if (kms.length > KMS_MAX_LENGTH) return `longer than ${KMS_MAX_LENGTH} characters`;
  if (!KMS_PROVIDERS.some((prefix) => kms.startsWith(prefix))) {
    return `malformed KMS format, should be prefixed by any of the supported providers: [${KMS_PROVIDERS.join(" ")}]`;
  }
  return kms.startsWith("awskms://") ? awsKmsProblem(kms) : undefined;
}

function awsKmsProblem(kms: string): string | undefined {
  const parts = kms.split("/");
  if (parts.length < 4) {
    return "malformed AWS KMS format 'awskms://$ENDPOINT/$KEYID', should be conformant with KMS standard documented here: https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id";
  }
  if (!AWS_FORMS.some((form) => form.test(kms))) return KMS_REFERENCE_FORMAT;
  const endpoint = parts[2]!;
  if (endpoint !== "" && (endpoint.startsWith("arn") || endpoint.startsWith("alias"))) return KMS_REFERENCE_FORMAT;
  if (endpoint !== "" && !isHostPort(endpoint)) return `malformed endpoint: address ${endpoint}: missing port in address`;
  const arn = parseArn(parts[3]!);
  if (arn === undefined) return "failed to parse either key or alias arn: arn: invalid prefix";
  if (arn.resource !== "key" && arn.resource !== "alias") return `Got ARN: ${parts[3]!} Resource: ${arn.resource}`;
  return undefined;
}

/** Go's net.SplitHostPort succeeds: "host:port" or "[v6]:port". */
function isHostPort(text: string): boolean {
  if (text.startsWith("[")) return /^\[[^\]]*\]:[^:]*$/.test(text);
  const colon = text.lastIndexOf(":");
  return colon !== -1 && text.indexOf(":") === colon;
}

/** aws-sdk-go-v2's arn.Parse: "arn:" and six ":"-separated sections, the last one the resource. */
function parseArn(text: string): { resource: string } | undefined {
  if (!text.startsWith("arn:")) return undefined;
  const sections = text.split(":");
  if (sections.length < 6) return undefined;
  return { resource: sections.slice(5).join(":") };
}
