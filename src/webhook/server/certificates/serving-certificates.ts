import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignetError } from "../../../errors/index.js";
import { createCertificate, toPem, type CertificateIssuer } from "../../../trust/certificate-writer.js";

export interface ServingCertificateOptions {
  /** The webhook's Service name and namespace: the certificate names NAME.NS.svc (what the API server dials). */
  readonly service: string;
  readonly namespace: string;
  /** Validity of the serving certificate. Default 365 days. */
  readonly days?: number;
  /** An existing CA (PEM) to issue from, so the webhook configurations' caBundle stays the same on renewal. */
  readonly ca?: { readonly certPem: string; readonly keyPem: string };
  readonly now?: Date;
}

export interface ServingCertificates {
  readonly caCertPem: string;
  /** Undefined when an existing CA was given (its key stays where it is). */
  readonly caKeyPem: string | undefined;
  readonly certPem: string;
  readonly keyPem: string;
  /** base64 of the CA certificate PEM: the `caBundle` of the webhook configurations. */
  readonly caBundle: string;
  readonly dnsNames: readonly string[];
  readonly notAfter: Date;
}

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DAY_MS = 86_400_000;
const CA_DAYS = 3650;

/**
 * A CA and a serving certificate for the webhook's Service. The API server connects to
 * `https://NAME.NS.svc:443` and checks the certificate against the caBundle in the webhook configuration.
 * Keys are ECDSA P-256. Validity starts an hour back, for clocks that run a little behind.
 */
export function createServingCertificates(options: ServingCertificateOptions): ServingCertificates {
  for (const [what, value] of [["--service", options.service], ["--namespace", options.namespace]] as const) {
    if (!DNS_LABEL.test(value)) {
      throw new SignetError("USAGE", `${what} ${JSON.stringify(value)} is not a valid Kubernetes name`, { hint: "Use lower-case letters, digits and '-', at most 63 characters." });
    }
  }
  const days = options.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new SignetError("USAGE", `--days must be a whole number of days from 1 to 3650, not ${days}`);
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3_600_000);
  const { service, namespace } = options;
  const dnsNames = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];

  let issuer: CertificateIssuer;
  let caCertPem: string;
  let caKeyPem: string | undefined;
  if (options.ca !== undefined) {
    ({ issuer, caCertPem } = loadIssuer(options.ca.certPem, options.ca.keyPem));
  } else {
    const ca = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const name = { commonName: `signet webhook CA (${service}.${namespace})`, organization: "signet" };
    issuer = { name, privateKey: ca.privateKey, publicKey: ca.publicKey };
    caCertPem = toPem(
      createCertificate({ subject: name, subjectPublicKey: ca.publicKey, notBefore, notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS), kind: "ca" }, issuer),
    );
    caKeyPem = ca.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }

  const serving = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const certDer = createCertificate(
    { subject: { commonName: `${service}.${namespace}.svc` }, subjectPublicKey: serving.publicKey, notBefore, notAfter, kind: "server", dnsNames },
    issuer,
  );
  return {
    caCertPem,
    caKeyPem,
    certPem: toPem(certDer),
    keyPem: serving.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    caBundle: Buffer.from(caCertPem).toString("base64"),
    dnsNames,
    notAfter,
  };
}

function loadIssuer(certPem: string, keyPem: string): { issuer: CertificateIssuer; caCertPem: string } {
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(certPem);
  } catch (error) {
    throw new SignetError("WEBHOOK_TLS_INVALID", `--ca-cert is not a PEM certificate: ${(error as Error).message}`);
  }
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    throw new SignetError("WEBHOOK_TLS_INVALID", "--ca-key is not an unencrypted PEM private key");
  }
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType !== "ec" || details?.namedCurve !== "prime256v1") {
    throw new SignetError("WEBHOOK_TLS_INVALID", "--ca-key must be an ECDSA P-256 key (as `signet webhook certs` makes)");
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new SignetError("WEBHOOK_TLS_INVALID", "--ca-key is not the private key of --ca-cert");
  if (!certificate.ca) throw new SignetError("WEBHOOK_TLS_INVALID", "--ca-cert is not a CA certificate (basicConstraints CA:TRUE)");
  return {
    issuer: { name: parseSimpleName(certificate.subject), privateKey, publicKey: createPublicKey(privateKey) },
    caCertPem: certificate.toString(),
  };
}

/** The CA's subject as written by createServingCertificates: O and CN, in that order. */
function parseSimpleName(subject: string): { commonName: string; organization?: string } {
  const fields = new Map(subject.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const));
  const commonName = fields.get("CN");
  const organization = fields.get("O");
  if (commonName === undefined || fields.size > (organization === undefined ? 1 : 2)) {
    throw new SignetError("WEBHOOK_TLS_INVALID", `--ca-cert's subject ${JSON.stringify(subject)} is not one this command can reissue under (O and CN only)`, {
      hint: "Use a CA made by `signet webhook certs`, or let the command make a new one.",
    });
  }
  return organization === undefined ? { commonName } : { commonName, organization };
}
