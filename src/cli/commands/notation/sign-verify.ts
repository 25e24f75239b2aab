/** `signet notation sign|verify|inspect|list`: Notation signatures of images in a registry or an OCI layout. */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignetError } from "../../../errors/index.js";
import { requestTimestamp } from "../../../signing/timestamp-client.js";
import { loadOciTrustPolicy, readNotationConfig } from "../../../signatures/notation/notation-config.js";
import { attachNotationSignature, discoverNotationSignatures } from "../../../signatures/notation/oci-signatures.js";
import { parseNotationEnvelope } from "../../../signatures/notation/parse-envelope.js";
import { localNotationSigner, signNotation } from "../../../signatures/notation/sign-notation.js";
import { NotationTimestampError, verifyNotationTimestamp } from "../../../signatures/notation/timestamp.js";
import { parseCertificateFile, trustStoresAt } from "../../../signatures/notation/trust-store-files.js";
import { notationStatement, type NotationRequirement } from "../../../signatures/notation/notation-requirement.js";
import { checkChainRevocation } from "../../../signatures/notation/revocation.js";
import { createRecordDiscovery, explainNoSignature, verifyDigestSignatures, type DigestVerification } from "../../../signatures/verifier/index.js";
import { chooseInstance, parsePlatform } from "../../../oci/manifest/platform.js";
import type { Descriptor } from "../../../oci/manifest/descriptor.js";
import type { ManifestBytes } from "../../../oci/repository.js";
import type { Digest } from "../../../internal/digest.js";
import { LIMITS } from "../../../internal/limits.js";
import type { CommandContext } from "../../command.js";
import { outputFormat, stringOption } from "../../options.js";
import { writeJson } from "../../output.js";
import { parseManifest } from "../../../oci/manifest/parse.js";
import { configDir, loadLocalKey, openImage, parseExpiry, revocationOptions, signingKeyEntry, userMetadata, type NotationImage } from "./context.js";
import { parseNotationPayload } from "../../../signatures/notation/payload.js";

function format(context: CommandContext, dir: string): "jws" | "cose" {
  const given = stringOption(context, "signature-format") ?? readNotationConfig(dir).signatureFormat;
  if (given !== "jws" && given !== "cose") throw new SignetError("USAGE", `--signature-format must be jws or cose, not ${JSON.stringify(given)}`);
  return given;
}

function oneImage(images: string[], what: string): string {
  if (images.length !== 1) throw new SignetError("USAGE", `${what} takes exactly one image reference`);
  return images[0]!;
}

function tagWarning(context: CommandContext, resolvedTag: string | undefined, display: string, action: "signing" | "verification"): void {
  if (resolvedTag === undefined) return;
  const digest = display.slice(display.indexOf("@") + 1);
  if (action === "signing") {
    context.io.stderr.write(`Warning: Always sign the artifact using digest(@sha256:...) rather than a tag(:${resolvedTag}) because tags are mutable and a tag reference can point to a different artifact than the one signed.\n`);
  }
  context.io.stderr.write(`Resolved artifact tag \`${resolvedTag}\` to digest \`${digest}\` before ${action}.\n`);
}

/** A countersigner for `--timestamp-url`, checked against `--timestamp-root-cert` before the signature is pushed. */
function timestamper(context: CommandContext): ((signature: Buffer) => Promise<Buffer>) | undefined {
  const url = stringOption(context, "timestamp-url");
  const rootPath = stringOption(context, "timestamp-root-cert");
  if (url === undefined && rootPath === undefined) return undefined;
  if (url === undefined || rootPath === undefined) throw new SignetError("USAGE", "--timestamp-url and --timestamp-root-cert go together");
  const roots = parseCertificateFile(readFileSync(rootPath), rootPath);
  return async (signature) => {
    const token = await requestTimestamp(url, signature);
    try {
      verifyNotationTimestamp(token, signature, roots);
    } catch (error) {
      if (error instanceof NotationTimestampError) throw new SignetError("TIMESTAMP_INVALID", `the timestamp from ${url} does not verify with --timestamp-root-cert: ${error.message}`);
      throw error;
    }
    return token;
  };
}

export async function sign(context: CommandContext, images: string[]): Promise<number> {
  const dir = configDir(context);
  const entry = signingKeyEntry(dir, stringOption(context, "key"));
  const { privateKey, chain } = loadLocalKey(entry);
  const signer = localNotationSigner(privateKey, chain);
  const image = await openImage(context, oneImage(images, "sign"));
  try {
    tagWarning(context, image.resolvedTag, image.display, "signing");
    const expiryMs = parseExpiry(stringOption(context, "expiry"));
    const stamp = timestamper(context);
    const { envelope, mediaType } = await signNotation(signer, {
      format: format(context, dir),
      subject: image.descriptor,
      userMetadata: userMetadata(context),
      ...(expiryMs !== undefined ? { expiry: new Date(Date.now() + expiryMs) } : {}),
      ...(stamp !== undefined ? { timestamp: stamp } : {}),
    });
    const attachOptions = { forceReferrersTag: context.values["force-referrers-tag"] === true };
    const pushed = await attachNotationSignature(image.repository, image.descriptor, { bytes: envelope, mediaType, certificateChain: chain }, attachOptions);
    const base = image.display.slice(0, image.display.indexOf("@"));
    const signed = [{ reference: image.display, signature: pushed.descriptor.digest, listedBy: pushed.listedBy }];
    // --recursive (a signet extension, cf. notation#1229): every platform manifest of an index is signed too,
    // each signature a referrer of its own manifest, so verifying the index or the instance a node pulls works.
    if (context.values["recursive"] === true) {
      const parsed = parseManifest(image.manifest.bytes, image.manifest.mediaType);
      if (parsed.kind === "index") {
        for (const child of parsed.manifests) {
          const subject = { mediaType: child.mediaType, digest: child.digest, size: child.size };
          const childEnvelope = await signNotation(signer, { format: format(context, dir), subject, userMetadata: userMetadata(context), ...(expiryMs !== undefined ? { expiry: new Date(Date.now() + expiryMs) } : {}), ...(stamp !== undefined ? { timestamp: stamp } : {}) });
          const childPushed = await attachNotationSignature(image.repository, subject, { bytes: childEnvelope.envelope, mediaType: childEnvelope.mediaType, certificateChain: chain }, attachOptions);
          signed.push({ reference: `${base}@${child.digest}`, signature: childPushed.descriptor.digest, listedBy: childPushed.listedBy });
        }
      }
    }
    if (outputFormat(context) === "json") writeJson(context.io, signed.length === 1 ? { ...signed[0], mediaType } : { signed, mediaType });
    else for (const entry of signed) context.io.stdout.write(`Successfully signed ${entry.reference}\nPushed the signature to ${base}@${entry.signature}\n`);
    return 0;
  } finally {
    await image.access.close();
  }
}

export async function verify(context: CommandContext, images: string[]): Promise<number> {
  const dir = configDir(context);
  const { policy } = loadOciTrustPolicy(dir);
  const image = await openImage(context, oneImage(images, "verify"));
  try {
    if (image.scope === undefined) throw new SignetError("USAGE", "an OCI layout has no registry scope: pass --scope REGISTRY/REPOSITORY to choose the trust policy statement");
    tagWarning(context, image.resolvedTag, image.display, "verification");
    const metadata = userMetadata(context);
    const revocation = revocationOptions(context);
    const requirement: NotationRequirement = {
      kind: "notation",
      policy,
      scope: image.scope,
      trustStores: trustStoresAt(dir),
      checkRevocation: (chain) => checkChainRevocation(chain, revocation),
      ...(Object.keys(metadata).length > 0 ? { userMetadata: metadata } : {}),
    };
    const statement = notationStatement(requirement);
    if (statement.level === "skip") {
      context.io.stdout.write(`Trust policy "${statement.name}" is configured to skip signature verification for ${image.display}.\n`);
      return 0;
    }
    // --platform (a signet extension, cf. notation#1229): verify the instance of an index a node on that platform pulls.
    const target = await platformTarget(context, image);
    const verification = await verifyDigestSignatures({
      discovery: createRecordDiscovery(image.repository, target.descriptor.digest, { manifest: target.manifest }),
      requirement,
      claims: { repository: image.display.slice(0, image.display.indexOf("@")) },
      maxSignatures: maxSignatures(context),
    });
    const accepted = verification.verified[0];
    if (accepted === undefined || accepted.signer.kind !== "notation") throw notationImageFailure(target.display, verification);
    const signer = accepted.signer;
    if (outputFormat(context) === "json") {
      writeJson(context.io, { reference: target.display, signature: accepted.source, statement: signer.statement, signer: signer.subject, userMetadata: signer.userMetadata, outcomes: signer.outcomes, warnings: signer.warnings });
      return 0;
    }
    for (const warning of signer.warnings) context.io.stderr.write(`Warning: ${warning}\n`);
    context.io.stdout.write(`Successfully verified signature for ${target.display}\n`);
    if (Object.keys(signer.userMetadata).length > 0) {
      context.io.stdout.write("\nThe artifact was signed with the following user metadata.\n\nKEY\tVALUE\n");
      for (const [key, value] of Object.entries(signer.userMetadata)) context.io.stdout.write(`${key}\t${value}\n`);
    }
    return 0;
  } finally {
    await image.access.close();
  }
}

function maxSignatures(context: CommandContext): number {
  const text = stringOption(context, "max-signatures");
  if (text === undefined) return 100;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) throw new SignetError("USAGE", `--max-signatures takes a positive number, not ${JSON.stringify(text)}`);
  return Math.min(value, LIMITS.signaturesPerImage);
}

/** The image itself, or with --platform the platform instance of an index (an image that is not an index is itself). */
async function platformTarget(context: CommandContext, image: NotationImage): Promise<{ descriptor: Descriptor; manifest: ManifestBytes; display: string }> {
  const platform = stringOption(context, "platform");
  const self = { descriptor: image.descriptor, manifest: image.manifest, display: image.display };
  if (platform === undefined) return self;
  const spec = parsePlatform(platform);
  const parsed = parseManifest(image.manifest.bytes, image.manifest.mediaType);
  if (parsed.kind !== "index") return self;
  const instance = chooseInstance(parsed.manifests, spec, image.display);
  const manifest = await image.repository.getManifest(instance.digest);
  return { descriptor: { mediaType: manifest.mediaType, digest: instance.digest, size: manifest.bytes.length }, manifest, display: `${image.display.slice(0, image.display.indexOf("@"))}@${instance.digest}` };
}

/** notation's message for an image none of whose signatures verified, with the most telling rejection's code. */
function notationImageFailure(display: string, verification: DigestVerification): SignetError {
  if (verification.rejected.length === 0) {
    return new SignetError("SIG_MISSING", `no Notation signature is associated with ${display}`, {
      hint: "Sign the image with `signet notation sign` (or notation sign), or check that you verify the digest that was signed.",
      details: { searched: verification.searched },
    });
  }
  const ranked = explainNoSignature(display.slice(display.indexOf("@") + 1) as Digest, verification, verification.searched);
  const reasons = verification.rejected.map(({ source, reason }) => `${source}: ${reason}`).join("; ");
  return new SignetError(ranked.code, `signature verification failed for all the signatures associated with ${display}: ${reasons}`, {
    ...(ranked.hint === undefined ? {} : { hint: ranked.hint }),
    details: { signatures: verification.rejected.map(({ source, code, reason }) => ({ digest: source, code, reason })) },
  });
}

export async function inspect(context: CommandContext, images: string[]): Promise<number> {
  const image = await openImage(context, oneImage(images, "inspect"));
  try {
    const { found, skipped } = await discoverNotationSignatures(image.repository, image.descriptor.digest);
    const signatures = found.map((signature) => {
      try {
        const envelope = parseNotationEnvelope(signature.mediaType, signature.untrustedBytes);
        const chain = envelope.certificateChain.map((der) => ({ der, ...certificateTimes(der) }));
        const target = parseNotationPayload(envelope.payload);
        return {
          digest: signature.manifestDigest,
          mediaType: signature.mediaType,
          signatureAlgorithm: envelope.algorithm,
          signingScheme: envelope.signingScheme,
          signedAttributes: { signingTime: envelope.signingTime.toISOString(), ...(envelope.expiry ? { expiry: envelope.expiry.toISOString() } : {}), ...envelope.extendedAttributes },
          userDefinedAttributes: target.annotations,
          unsignedAttributes: { signingAgent: envelope.signingAgent ?? "", ...(envelope.timestampSignature ? { timestampSignature: "present (not verified by inspect)" } : {}) },
          certificates: chain.map((certificate) => {
            const x509 = new X509Certificate(certificate.der);
            return { sha256Fingerprint: x509.fingerprint256.replace(/:/g, "").toLowerCase(), subject: x509.subject.split("\n").reverse().join(","), issuer: x509.issuer.split("\n").reverse().join(","), notBefore: certificate.notBefore.toISOString(), notAfter: certificate.notAfter.toISOString() };
          }),
          signedArtifact: { mediaType: target.mediaType, digest: target.digest, size: target.size }, 
        };
      } catch (error) {
        return { digest: signature.manifestDigest, mediaType: signature.mediaType, error: (error as Error).message };
      }
    });
    if (outputFormat(context) === "json") writeJson(context.io, { mediaType: image.descriptor.mediaType, signatures, skipped });
    else {
      context.io.stdout.write(`${image.display}\n└── application/vnd.cncf.notary.signature\n`);
      for (const signature of signatures) {
        context.io.stdout.write(`    └── ${signature.digest}\n`);
        for (const [key, value] of Object.entries(signature)) if (key !== "digest") context.io.stdout.write(`        ├── ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
      }
      if (signatures.length === 0) context.io.stdout.write("    (no signatures)\n");
    }
    return 0;
  } finally {
    await image.access.close();
  }
}

function certificateTimes(der: Buffer): { notBefore: Date; notAfter: Date } {
  const x509 = new X509Certificate(der);
  return { notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
}

export async function list(context: CommandContext, images: string[]): Promise<number> {
  const image = await openImage(context, oneImage(images, "list"));
  try {
    const { found } = await discoverNotationSignatures(image.repository, image.descriptor.digest);
    if (outputFormat(context) === "json") writeJson(context.io, found.map((signature) => ({ digest: signature.manifestDigest, mediaType: signature.mediaType })));
    else if (found.length === 0) context.io.stdout.write(`${image.display} has no associated signature\n`);
    else {
      context.io.stdout.write(`${image.display}\n└── application/vnd.cncf.notary.signature\n`);
      found.forEach((signature, index) => context.io.stdout.write(`    ${index === found.length - 1 ? "└──" : "├──"} ${signature.manifestDigest}\n`));
    }
    return 0;
  } finally {
    await image.access.close();
  }
}
