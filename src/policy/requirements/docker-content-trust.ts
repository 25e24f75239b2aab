/**
 * signetDockerContentTrust: the image's tag is signed in a Notary v1 server's trust data (Docker Content Trust,
 * docs/dct.md) and the registry serves the signed digest; the digest this policy evaluation checks must be that
 * digest or its platform instance. The trust data's rejection keeps its code (DCT_…), ranked with every other
 * requirement's by the catalog's one list.
 */
import { SignetError, toSignetError } from "../../errors/index.js";
import type { DockerContentTrustConfig } from "../config/policy-config.js";
import type { RequirementOutcome } from "../decision.js";
import { fetchFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";

export function compileDockerContentTrust(config: DockerContentTrustConfig): CompiledRequirement {
  const summary = `signetDockerContentTrust, server ${config.server}${config.trustDir === undefined ? "" : `, trustDir ${JSON.stringify(config.trustDir)}`}`;
  return {
    config,
    summary,
    async evaluate(context): Promise<RequirementOutcome> {
      if (context.image.transport !== "docker") {
        return { allowed: false, reason: `Docker Content Trust applies to images in a registry; ${context.imageName} is an OCI layout`, hint: "Use another requirement for OCI layouts.", code: "POLICY_UNSUPPORTED", signatures: [] };
      }
      if (context.dockerContentTrust === undefined) {
        return { allowed: false, reason: "this evaluation cannot ask a Notary server (no Docker Content Trust fetcher)", hint: "Evaluate the policy with signet's fetchers (signet policy verify, the webhook's --policy-json).", code: "POLICY_UNSUPPORTED", signatures: [] };
      }
      let imageDigest;
      try {
        imageDigest = await context.digest();
      } catch (error) {
        return fetchFailureOutcome(error, `the manifest digest of ${context.imageName}`);
      }
      const source = `${config.server} (Notary trust data)`;
      try {
        const { verification, pulledDigest } = await context.dockerContentTrust({ server: config.server, trustDir: config.trustDir });
        const { target } = verification;
        const signer = `${target.role} key(s) ${target.signers.map((id) => id.slice(0, 12)).join(", ")} of ${verification.gun}`;
        if (pulledDigest !== imageDigest) {
          const reason = `the trust data signs ${target.tag} as ${target.digest}, whose pulled manifest is ${pulledDigest}, but the image evaluated is ${imageDigest} (the tag moved while it was checked)`;
          throw new SignetError("DCT_DIGEST_MISMATCH", reason, { details: { signedDigest: target.digest, pulledDigest, imageDigest } });
        }
        const reason = `${target.tag} is signed as ${target.digest} in ${target.role} of ${verification.gun} (root version ${verification.rootVersion}, ${verification.root})`;
        return { allowed: true, reason, signatures: [{ source, allowed: true, reason, signer, signedDigest: target.digest }] };
      } catch (error) {
        const signetError = SignetError.is(error) ? error : toSignetError(error);
        const reason = `Docker Content Trust: ${signetError.message}`;
        const verdict = { source, allowed: false, reason, code: signetError.code, hint: signetError.hint };
        return { allowed: false, reason, hint: signetError.hint, code: signetError.code, signatures: signetError.category === "rejected" ? [verdict] : [] };
      }
    },
  };
}
