import { readFileSync } from "node:fs";
import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import { ImageAccess } from "../../oci/image-access.js";
import { resolvePredicateType } from "../../signatures/attestation/predicate-types.js";
import type { VerifiedImageAttestations } from "../../signatures/attestation/verify-image-attestations.js";
import { signerToJson } from "../signer-json.js";
import type { Command } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, outputFormat, registryOptions, requireString, stringOption } from "../options.js";
import { printError, progress, writeJson } from "../output.js";
import { SIGNER_OPTIONS, SIGNER_USAGE, signerSetupFrom } from "../signer-options.js";
import { describeSigner, multiArchOptions } from "./verify.js";
import { SIGSTORE_SIGN_OPTIONS, SIGSTORE_SIGN_USAGE, sigstoreSignerFrom } from "./sign-sigstore.js";

const TYPES = "slsaprovenance|slsaprovenance02|slsaprovenance1|link|spdx|spdxjson|cyclonedx|vuln|openvex|custom or a URI";

export const attestCommand: Command = {
  name: "attest",
  summary: "Attest to images: a signed in-toto statement (DSSE), in the .att tag or as a sigstore bundle",
  usage: `signet attest --key cosign.key --predicate FILE --type TYPE IMAGE...
       signet attest --identity-token T --fulcio-url URL --rekor-url URL --predicate FILE --type TYPE IMAGE...

  Wraps the predicate FILE in an in-toto statement whose subject is the image digest, signs it as a DSSE envelope
  and stores it as cosign does: a layer of REPO:sha256-<hex>.att, or with --new-bundle-format a sigstore bundle
  attached as an OCI referrer.
  --predicate FILE           the predicate (JSON; text for spdx and custom)
  --type TYPE                ${TYPES} (default custom)
  --key PATH                 cosign encrypted key or PEM private key; without it, keyless signing
  --password-file FILE       read the key's password from FILE (else COSIGN_PASSWORD, else a prompt)
  -r, --recursive            for a multi-arch index, also attest every platform manifest
${SIGSTORE_SIGN_USAGE}
  -o, --output json          print the results as JSON
  --allow-http-registry, --allow-insecure-registry, --registry-cacert FILE, --timeout 30s`,
  options: {
    key: { type: "string" },
    "password-file": { type: "string" },
    predicate: { type: "string" },
    type: { type: "string" },
    recursive: { type: "boolean", short: "r" },
    "tlog-upload": { type: "string" },
    yes: { type: "boolean", short: "y" },
    ...SIGSTORE_SIGN_OPTIONS,
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const format = outputFormat(context);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "attest needs at least one IMAGE");
    const predicatePath = requireString(context, "predicate");
    const type = stringOption(context, "type") ?? "custom";
    resolvePredicateType(type);
    const predicate = readPredicate(predicatePath);
    const signer = await sigstoreSignerFrom(context);
    const { attestImages } = await import("../../signatures/attestation/sign-attestation.js");
    const access = new ImageAccess(registryOptions(context));
    try {
      progress(context.io, `Attesting ${images.length} image(s) as ${signer.who}…`);
      const results = await attestImages(access, images, {
        signer: { key: signer.key, ...optional("certificatePem", signer.certificatePem), ...optional("chainPem", signer.chainPem), ...optional("rekorUrl", signer.rekorUrl) },
        type,
        predicate,
        bundleFormat: context.values["new-bundle-format"] === true,
        recursive: context.values["recursive"] === true,
      });
      let failed = 0;
      const report = results.map((result, index) => {
        const image = images[index]!;
        if (SignetError.is(result)) {
          failed++;
          if (format === "text") printError(context.io, result, false);
          return { image, error: result.toJSON() };
        }
        if (format === "text") {
          if (result.image.resolvedTag !== undefined) context.io.stderr.write(`Resolved ${image} to digest ${result.image.digest}: attesting the digest, not the tag.\n`);
          for (const a of result.attested) {
            const where = a.referrer !== undefined ? `bundle stored as referrer ${a.referrer.descriptor.digest}` : `stored in ${result.image.repository.displayName}:${a.tag}`;
            context.io.stderr.write(`Attested ${a.digest} (${a.predicateType}) as ${signer.who}${a.logIndex !== undefined ? `, logged in Rekor at index ${a.logIndex}` : ""}; ${where}\n`);
          }
        }
        return {
          image,
          digest: result.image.digest,
          signer: signer.who,
          attested: result.attested.map((a) => ({ digest: a.digest, predicateType: a.predicateType, tag: a.tag ?? null, referrer: a.referrer?.descriptor.digest ?? null, logIndex: a.logIndex ?? null })),
        };
      });
      if (format === "json") writeJson(context.io, report);
      return failed === 0 ? 0 : 1;
    } finally {
      await access.close();
    }
  },
};

export const verifyAttestationCommand: Command = {
  name: "verify-attestation",
  summary: "Verify the attestations of images",
  usage: `signet verify-attestation --key cosign.pub --type TYPE IMAGE...
       signet verify-attestation --certificate-identity ID --certificate-oidc-issuer URL --type TYPE IMAGE...

  Finds the image's attestations in REPO:sha256-<hex>.att and among its OCI referrers (sigstore bundles), and
  accepts those signed as required whose in-toto statement has the predicate type --type and names the image
  digest as its subject. Prints each verified envelope as a JSON line on stdout (as cosign does) and the verified
  statements on stderr; --output json gives the decoded statements. Exits 1 unless every image has one.
${SIGNER_USAGE}
  --type TYPE                         ${TYPES} (default custom, as cosign)
  --platform os/arch[/variant]        for a multi-arch index, verify the platform instance a runtime there pulls
  -r, --recursive                     for a multi-arch index, verify the index and every platform instance
  --new-bundle-format                 look only for sigstore bundles (referrers)
  -o, --output json                   one JSON document with a result per image, failures included
  --allow-http-registry, --allow-insecure-registry, --registry-cacert FILE, --timeout 30s`,
  options: {
    ...SIGNER_OPTIONS,
    type: { type: "string" },
    "new-bundle-format": { type: "boolean" },
    platform: { type: "string" },
    recursive: { type: "boolean", short: "r" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const format = outputFormat(context);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "verify-attestation needs at least one IMAGE");
    const predicateType = resolvePredicateType(stringOption(context, "type") ?? "custom");
    const setup = await signerSetupFrom(context);
    const multiArch = multiArchOptions(context);
    const { verifyImageAttestations } = await import("../../signatures/attestation/verify-image-attestations.js");
    const access = new ImageAccess(registryOptions(context));
    try {
      type Outcome = { image: string; verified: VerifiedImageAttestations } | { image: string; error: SignetError };
      const outcomes = await mapConcurrently(images, 16, async (image): Promise<Outcome> => {
        try {
          return { image, verified: await verifyImageAttestations(access, image, { signer: setup.requirement, predicateType, formats: context.values["new-bundle-format"] === true ? "bundle" : "auto", ...multiArch }) };
        } catch (error) {
          return { image, error: toSignetError(error) };
        }
      });
      const failed = outcomes.filter((o) => "error" in o).length;
      if (format === "json") {
        writeJson(context.io, {
          verified: failed === 0,
          predicateType,
          signer: setup.description,
          images: outcomes.map((o) => ("error" in o ? { image: o.image, verified: false, error: o.error.toJSON() } : attestationsJson(o.image, o.verified))),
        });
      } else {
        for (const outcome of outcomes) {
          if ("error" in outcome) {
            context.io.stderr.write(`Verification of the attestations of ${outcome.image} failed.\n`);
            printError(context.io, outcome.error, false);
            continue;
          }
          const verified = outcome.verified;
          context.io.stderr.write(`\nVerification for ${outcome.image} --\n`);
          if (verified.image.resolvedTag !== undefined) context.io.stderr.write(`(tag ${verified.image.resolvedTag} resolved to ${verified.digest})\n`);
          context.io.stderr.write(`The following checks were performed on each of these attestations:\n  - The in-toto statement is of type ${predicateType} and names ${verified.digest}\n  - The signatures were verified (${setup.description})\n`);
          for (const a of verified.attestations) {
            context.io.stderr.write(`  ${a.format === "cosign-legacy" ? "legacy .att layer" : "sigstore bundle"} ${a.source}: ${describeSigner(a.signer)}\n    statement: ${a.statementBytes.toString("utf8").slice(0, 2000)}\n`);
            context.io.stdout.write(`${JSON.stringify(a.envelope)}\n`);
          }
          context.io.stderr.write(`${verified.attestations.length} attestation(s) verified${verified.rejected.length > 0 ? `; ${verified.rejected.length} other(s) were not accepted` : ""}.\n`);
        }
      }
      return failed === 0 ? 0 : 1;
    } finally {
      await access.close();
    }
  },
};

function attestationsJson(image: string, verified: VerifiedImageAttestations): Record<string, unknown> {
  return {
    image,
    verified: true,
    digest: verified.digest,
    ...(verified.index !== undefined ? { index: verified.index } : {}),
    resolvedTag: verified.image.resolvedTag ?? null,
    searched: verified.searched,
    ...(verified.instances.length > 0 ? { instances: verified.instances.map((i) => ({ digest: i.digest, platform: i.platform, attestations: i.attestations.length })) } : {}),
    attestations: verified.attestations.map((a) => ({
      format: a.format,
      source: a.source,
      statement: a.statement,
      signer: signerToJson(a.signer),
    })),
    rejected: verified.rejected,
  };
}

function readPredicate(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read the predicate ${path}: ${code ?? (error as Error).message}`);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
