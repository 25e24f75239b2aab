import { readFileSync } from "node:fs";
import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import { ImageAccess } from "../../oci/image-access.js";
import { resolvePredicateType } from "../../signatures/attestation/predicate-types.js";
import type { VerifiedImageAttestations } from "../../signatures/attestation/verify-image-attestations.js";
import { signerToJson } from "../signer-json.js";
import type { Command, CommandContext, OptionSpec } from "../command.js";
import type { PolicyStruct, checkPredicatePolicy } from "../../signatures/attestation/predicate-policy.js";
import { COSIGN_VERIFY_OUTPUT_OPTIONS, OUTPUT_OPTION, REGISTRY_OPTIONS, cosignOutput, maxWorkers, outputFormat, readFileBounded, registryOptions, requireString, stringOption, signatureRepositoryFrom } from "../options.js";
import { createProgress, exitCodeOf, printError, progress, writeJson } from "../output.js";
import { SIGNER_OPTIONS, SIGNER_USAGE, signerSetupFrom, warnIfTlogIgnored } from "../signer-options.js";
import { explainAnchoring } from "./trust.js";
import { describeSigner, multiArchOptions, openLocalImages } from "./verify.js";
import { SIGN_TIMESTAMP_OPTIONS, SIGSTORE_SIGN_OPTIONS, SIGSTORE_SIGN_USAGE, sigstoreSignerFrom, timestampSignature } from "./sign-sigstore.js";

export const TYPES = "slsaprovenance|slsaprovenance02|slsaprovenance1|link|spdx|spdxjson|cyclonedx|vuln|openvex|custom or a URI";

/** The signer and the predicate: attest and attest-blob. */
export const ATTEST_INPUT_OPTIONS: OptionSpec = {
  key: { type: "string", value: "PATH", description: "cosign encrypted key or PEM private key; without it, keyless signing" },
  "password-file": { type: "string", value: "FILE", description: "read the key's password from FILE (else COSIGN_PASSWORD, else a prompt)" },
  predicate: { type: "string", value: "FILE", description: "the predicate (JSON; text for spdx and custom)" },
  type: { type: "string", value: "TYPE", default: "custom", description: "the predicate type: a name or a URI" },
};

export const attestCommand: Command = {
  name: "attest",
  summary: "Attest to images: a signed in-toto statement (DSSE), in the .att tag or as a sigstore bundle",
  usage: `signet attest --key cosign.key --predicate FILE --type TYPE IMAGE...
       signet attest --identity-token T --fulcio-url URL --rekor-url URL --predicate FILE --type TYPE IMAGE...

  Wraps the predicate FILE in an in-toto statement whose subject is the image digest, signs it as a DSSE envelope
  and stores it as cosign does: a layer of REPO:sha256-<hex>.att, or with --new-bundle-format a sigstore bundle
  attached as an OCI referrer.
  TYPE is ${TYPES}.
${SIGSTORE_SIGN_USAGE}`,
  options: {
    ...ATTEST_INPUT_OPTIONS,
    recursive: { type: "boolean", short: "r", description: "for a multi-arch index, also attest every platform manifest" },
    ...SIGSTORE_SIGN_OPTIONS,
    ...SIGN_TIMESTAMP_OPTIONS,
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
      const signatureRepository = await signatureRepositoryFrom(context, access);
      if (signatureRepository !== undefined && context.values["new-bundle-format"] === true) {
        throw new SignetError("OPTION_CONFLICT", "COSIGN_REPOSITORY applies to .att attestations: a sigstore bundle is stored as a referrer of the image in its own repository", { hint: "Unset COSIGN_REPOSITORY, or attest without --new-bundle-format." });
      }
      progress(context.io, `Attesting ${images.length} image(s) as ${signer.who}…`);
      const results = await attestImages(access, images, {
        ...(signatureRepository === undefined ? {} : { signatureRepository }),
        signer: { key: signer.key, ...optional("certificatePem", signer.certificatePem), ...optional("chainPem", signer.chainPem), ...optional("rekorUrl", signer.rekorUrl),
          ...(signer.timestampUrl === undefined ? {} : { timestamp: (bytes: Buffer) => timestampSignature(signer, signer.timestampUrl!, bytes) }),
        },
        type,
        predicate,
        bundleFormat: context.values["new-bundle-format"] === true,
        recursive: context.values["recursive"] === true,
      });
      const errors: SignetError[] = [];
      const report = results.map((result, index) => {
        const image = images[index]!;
        if (SignetError.is(result)) {
          errors.push(result);
          if (format === "text") printError(context.io, result, false);
          return { image, error: result.toJSON() };
        }
        if (format === "text") {
          if (result.image.resolvedTag !== undefined) context.io.stderr.write(`Resolved ${image} to digest ${result.image.digest}: attesting the digest, not the tag.\n`);
          for (const a of result.attested) {
            const where = a.referrer !== undefined ? `bundle stored as referrer ${a.referrer.descriptor.digest}` : `stored in ${(signatureRepository ?? result.image.repository).displayName}:${a.tag}`;
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
      return exitCodeOf(errors);
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
  digest as its subject. As cosign, prints each verified envelope as a JSON line on stdout (-o text: the statement)
  and the verified statements on stderr; --output-format json prints signet's report (the decoded statements,
  failures with their error code) instead. Fails unless every image has one (exit codes: docs/errors.md).
${SIGNER_USAGE}
  TYPE is ${TYPES}.`,
  options: {
    ...SIGNER_OPTIONS,
    type: { type: "string", value: "TYPE", default: "custom", description: "the predicate type required" },
    "new-bundle-format": { type: "boolean", description: "look only for sigstore bundles (OCI referrers)" },
    platform: { type: "string", value: "os/arch[/variant]", description: "for a multi-arch index, verify the platform instance a runtime there pulls" },
    recursive: { type: "boolean", short: "r", description: "for a multi-arch index, verify the index and every platform instance" },
    "max-workers": { type: "string", value: "N", default: "16", description: "images verified at once (cosign: 10)" },
    "local-image": { type: "boolean", description: "IMAGE is a directory written by `save` (cosign's layout): verify the attestations saved there" },
    policy: { type: "string", value: "FILE.cue", description: "every verified statement must satisfy this CUE policy (a subset: concrete fields only, see docs/compatibility.md; no Rego)" },
    ...REGISTRY_OPTIONS,
    ...COSIGN_VERIFY_OUTPUT_OPTIONS,
  },
  async run(context) {
    const format = outputFormat(context);
    const payloadFormat = cosignOutput(context);
    const workers = maxWorkers(context, 16);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "verify-attestation needs at least one IMAGE");
    const predicateType = resolvePredicateType(stringOption(context, "type") ?? "custom");
    const setup = await signerSetupFrom(context);
    warnIfTlogIgnored(context, setup);
    const multiArch = multiArchOptions(context);
    const policy = await predicatePolicyFrom(context);
    const { verifyImageAttestations } = await import("../../signatures/attestation/verify-image-attestations.js");
    const access = new ImageAccess(registryOptions(context));
    try {
      const local = context.values["local-image"] === true ? await openLocalImages(images) : undefined;
      const signatureRepository = local === undefined ? await signatureRepositoryFrom(context, access) : undefined;
      type Outcome = { image: string; verified: VerifiedImageAttestations } | { image: string; error: SignetError };
      const tally = createProgress(context.io, "Verifying attestations", images.length);
      const outcomes = await mapConcurrently(images, workers, async (image): Promise<Outcome> => {
        try {
          const verified = await verifyImageAttestations(access, local?.get(image)?.location ?? image, { signer: setup.requirement, predicateType, formats: context.values["new-bundle-format"] === true ? "bundle" : "auto", ...multiArch, ...(signatureRepository === undefined ? {} : { signatureRepository }), ...local?.get(image)?.options });
          if (policy !== undefined) checkPolicy(policy, verified);
          tally.done();
          return { image, verified };
        } catch (error) {
          const failure = await explainAnchoring(toSignetError(error), context);
          tally.done(failure);
          return { image, error: failure };
        }
      });
      tally.finish();
      const failed = outcomes.filter((o) => "error" in o).length;
      const exitCode = exitCodeOf(outcomes.flatMap((o) => ("error" in o ? [o.error] : [])));
      if (format === "json") {
        writeJson(context.io, {
          verified: failed === 0,
          exitCode,
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
            // cosign's -o: json prints the DSSE envelope, text the in-toto statement it carries.
            context.io.stdout.write(payloadFormat === "text" ? `${a.statementBytes.toString("utf8")}\n` : `${JSON.stringify(a.envelope)}\n`);
          }
          context.io.stderr.write(`${verified.attestations.length} attestation(s) verified${verified.rejected.length > 0 ? `; ${verified.rejected.length} other(s) were not accepted` : ""}.\n`);
        }
      }
      return exitCode;
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

/** `--policy FILE.cue`: read and parsed once, before any image is fetched. */
async function predicatePolicyFrom(context: CommandContext): Promise<{ source: string; policy: PolicyStruct; check: typeof checkPredicatePolicy } | undefined> {
  const path = stringOption(context, "policy");
  if (path === undefined) return undefined;
  if (path.endsWith(".rego")) throw new SignetError("POLICY_CONFIG_INVALID", `${path}: Rego policies are not supported (no maintained pure-JavaScript Rego evaluator)`, { hint: "Write the policy in the CUE subset signet reads (docs/compatibility.md)." });
  const { parsePredicatePolicy, checkPredicatePolicy } = await import("../../signatures/attestation/predicate-policy.js");
  return { source: path, policy: parsePredicatePolicy(readFileBounded(path, "the policy", 1024 * 1024).toString("utf8"), path), check: checkPredicatePolicy };
}

/** As cosign: every verified attestation must satisfy the policy; the image fails with each problem listed. */
function checkPolicy(policy: NonNullable<Awaited<ReturnType<typeof predicatePolicyFrom>>>, verified: VerifiedImageAttestations): void {
  const problems = verified.attestations.flatMap((a) => policy.check(policy.policy, a.statement).map((problem) => `${a.source}: ${problem}`));
  if (problems.length > 0) {
    throw new SignetError("POLICY_DENIED", `${problems.length} policy validation error(s) against ${policy.source}: ${problems.slice(0, 5).join("; ")}`, { details: { policy: policy.source, problems } });
  }
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
