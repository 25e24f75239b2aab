/**
 * KMS key references as cosign writes them (sigstore's pkg/signature/kms providers), parsed without loading any
 * cloud SDK, so that telling a KMS URI from a file path and rejecting a malformed one costs nothing at start-up.
 */
import { SignetError } from "../../errors/index.js";

export type KmsScheme = "awskms" | "gcpkms" | "azurekms" | "hashivault";

export interface AwsKmsReference {
  readonly scheme: "awskms";
  /** host[:port] of a KMS-compatible endpoint (reached over HTTPS), or "" for the region's own endpoint. */
  readonly endpoint: string;
  /** A key id, alias/NAME, or key or alias ARN, as the KMS API takes it in KeyId. */
  readonly keyId: string;
  /** The region an ARN names, if it names one. */
  readonly region?: string;
}

export interface GcpKmsReference {
  readonly scheme: "gcpkms";
  /** projects/P/locations/L/keyRings/R/cryptoKeys/K */
  readonly cryptoKey: string;
  /** The version named, or undefined for the newest enabled one. */
  readonly version?: string;
}

export interface AzureKmsReference {
  readonly scheme: "azurekms";
  /** VAULT.vault.azure.net (or any host[:port] of a Key Vault), reached over HTTPS. */
  readonly vaultHost: string;
  readonly keyName: string;
  /** The version named, or undefined for the current one. */
  readonly version?: string;
}

export interface HashivaultReference {
  readonly scheme: "hashivault";
  readonly keyName: string;
}

export type KmsReference = AwsKmsReference | GcpKmsReference | AzureKmsReference | HashivaultReference;

/** The forms each scheme accepts, as error messages and docs/kms.md name them. */
export const KMS_REFERENCE_FORMS: Readonly<Record<KmsScheme, string>> = {
  awskms: "awskms://[ENDPOINT]/KEY_ID, awskms://[ENDPOINT]/alias/NAME or awskms://[ENDPOINT]/arn:aws:kms:REGION:ACCOUNT:key/KEY_ID|alias/NAME",
  gcpkms: "gcpkms://projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY[/cryptoKeyVersions/VERSION]",
  azurekms: "azurekms://VAULT.vault.azure.net/KEY[/VERSION]",
  hashivault: "hashivault://KEY",
};

const SCHEMES: readonly KmsScheme[] = ["awskms", "gcpkms", "azurekms", "hashivault"];
/** Longer than any real key name; bounds the regular expressions' input. */
const MAX_REFERENCE_LENGTH = 2048;

// No nested repetition and a bounded input: none of these can backtrack badly.
const UUID = String.raw`m?r?k?-?[A-Fa-f0-9]{8}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{4}-?[A-Fa-f0-9]{12}`;
const ARN = String.raw`arn:(?:aws|aws-us-gov|aws-cn):kms:([a-z0-9-]+):\d{12}:`;
const AWS_FORMS = [
  new RegExp(`^awskms://([^/]*)/(${UUID})$`),
  new RegExp(`^awskms://([^/]*)/(${ARN}key/${UUID})$`),
  new RegExp(`^awskms://([^/]*)/(alias/[A-Za-z0-9/_-]+)$`),
  new RegExp(`^awskms://([^/]*)/(${ARN}alias/[A-Za-z0-9/_-]+)$`),
];
const GCP_FORM = /^gcpkms:\/\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+)(?:\/(?:cryptoKeyVersions|versions)\/([^/]+))?$/;
const AZURE_FORM = /^azurekms:\/\/([^/]+)\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9]+))?$/;
const VAULT_FORM = /^hashivault:\/\/(\w(?:[\w.-]*\w)?)$/;
/** host or host:port: a DNS name or IPv4 address, or a bracketed IPv6 address. */
const HOST_PORT = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The KMS scheme a reference names ("awskms" for awskms://…), or undefined for anything else. */
export function kmsSchemeOf(reference: string): KmsScheme | undefined {
  return SCHEMES.find((scheme) => reference.startsWith(`${scheme}://`));
}

/** Whether `reference` names a key in a KMS (one of the four schemes), well-formed or not. */
export function isKmsReference(reference: string): boolean {
  return kmsSchemeOf(reference) !== undefined;
}

/** Parses a KMS reference, or throws KMS_REFERENCE_INVALID naming the form expected. */
export function parseKmsReference(reference: string): KmsReference {
  const scheme = kmsSchemeOf(reference);
  if (scheme === undefined) {
    throw new SignetError("KMS_REFERENCE_INVALID", `${printable(reference)} is not a KMS key reference (${SCHEMES.map((s) => `${s}://`).join(", ")})`);
  }
  const invalid = (why?: string) =>
    new SignetError("KMS_REFERENCE_INVALID", `${printable(reference)} is not a valid ${scheme} key reference${why ? ` (${why})` : ""}: expected ${KMS_REFERENCE_FORMS[scheme]}`, {
      details: { scheme },
    });
  if (reference.length > MAX_REFERENCE_LENGTH) throw invalid(`longer than ${MAX_REFERENCE_LENGTH} characters`);
  switch (scheme) {
    case "awskms": {
      for (const form of AWS_FORMS) {
        const match = form.exec(reference);
        if (!match) continue;
        const [, endpoint = "", keyId = "", region] = match;
        if (endpoint !== "" && !HOST_PORT.test(endpoint)) throw invalid(`the endpoint ${printable(endpoint)} is not host[:port]`);
        return { scheme, endpoint, keyId, ...(region !== undefined ? { region } : {}) };
      }
      throw invalid();
    }
    case "gcpkms": {
      const match = GCP_FORM.exec(reference);
      if (!match) throw invalid();
      const [, cryptoKey = "", version] = match;
      return { scheme, cryptoKey, ...(version !== undefined ? { version } : {}) };
    }
    case "azurekms": {
      const match = AZURE_FORM.exec(reference);
      if (!match) throw invalid();
      const [, vaultHost = "", keyName = "", version] = match;
      if (!HOST_PORT.test(vaultHost)) throw invalid(`the vault ${printable(vaultHost)} is not host[:port]`);
      return { scheme, vaultHost, keyName, ...(version !== undefined ? { version } : {}) };
    }
    case "hashivault": {
      const match = VAULT_FORM.exec(reference);
      if (!match) throw invalid();
      return { scheme, keyName: match[1] ?? "" };
    }
  }
}

/** A reference as it may appear in a message: bounded, control characters escaped. */
function printable(text: string): string {
  const short = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return JSON.stringify(short);
}
