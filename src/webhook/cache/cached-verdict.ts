import { z } from "zod";
import { isErrorCode, type ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { AuthorityVerdict, ImageVerdict, PolicyVerdict } from "../evaluate/types.js";

/**
 * The part of an image verdict that belongs to the image (digest, policies, outcome), without the part that
 * belongs to one container (its field, its name, its spelling of the image). A cached verdict is always
 * re-bound to the container asking (security case B.19: each decision and patch uses only its own
 * container's data).
 */
export type CachedVerdict = Omit<ImageVerdict, "image" | "field" | "containerName" | "kind" | "pinnedImage" | "cacheable" | "digest"> & { digest: Digest };

const DIGEST = /^sha(256:[a-f0-9]{64}|384:[a-f0-9]{96}|512:[a-f0-9]{128})$/;
const TEXT_MAX = 16 * 1024;
const text = z.string().max(TEXT_MAX);
const errorCode = z.string().refine((value) => isErrorCode(value)) as unknown as z.ZodType<ErrorCode>;
const signature = z.object({ source: text, allowed: z.boolean(), reason: text }).strict();
/** Every kind a verdict names; a kind added to AuthorityVerdict and not here fails to compile (else every such verdict would be a cache miss). */
const AUTHORITY_TYPES = ["key", "keyless", "static", "unavailable", "notation", "policy.json", "signers"] as const satisfies readonly AuthorityVerdict["type"][];
const everyAuthorityType: [Exclude<AuthorityVerdict["type"], (typeof AUTHORITY_TYPES)[number]>] extends [never] ? true : never = true;
void everyAuthorityType;
const authority = z
  .object({
    name: text,
    type: z.enum(AUTHORITY_TYPES),
    allowed: z.boolean(),
    reason: text,
    hint: text.optional(),
    code: errorCode.optional(),
    error: z.boolean().optional(),
    signatures: z.array(signature).max(200),
    signerIdentities: z.array(text).max(200).optional(),
  })
  .strict();
const policy = z
  .object({
    name: text,
    mode: z.enum(["enforce", "warn"]),
    allowed: z.boolean(),
    reason: text,
    authorities: z.array(authority).max(100),
    error: z.boolean().optional(),
  })
  .strict();
const cachedVerdictSchema = z
  .object({
    digest: z.string().regex(DIGEST),
    allowed: z.boolean(),
    mode: z.enum(["enforce", "warn"]),
    policies: z.array(policy).max(1000),
    reason: text,
    hint: text.optional(),
    code: errorCode.optional(),
    error: z.boolean().optional(),
    warnings: z.array(text).max(100),
    checkedAt: z.number().int().nonnegative(),
  })
  .strict();

/** The verdict as stored: what belongs to the image only, with no undefined fields (JSON drops them anyway). */
export function toCachedVerdict(verdict: ImageVerdict & { digest: Digest }): CachedVerdict {
  const cached: CachedVerdict = {
    digest: verdict.digest,
    allowed: verdict.allowed,
    mode: verdict.mode,
    policies: verdict.policies,
    reason: verdict.reason,
    warnings: verdict.warnings,
    checkedAt: verdict.checkedAt,
  };
  if (verdict.hint !== undefined) cached.hint = verdict.hint;
  if (verdict.code !== undefined) cached.code = verdict.code;
  if (verdict.error !== undefined) cached.error = verdict.error;
  return JSON.parse(JSON.stringify(cached)) as CachedVerdict;
}

/** A cached verdict read back from a store, checked; undefined when it is not one (a miss). */
export function parseCachedVerdict(untrusted: unknown): CachedVerdict | undefined {
  const result = cachedVerdictSchema.safeParse(untrusted);
  if (!result.success) return undefined;
  const value = result.data;
  // A cached verdict never says both "allowed" and "could not evaluate".
  if (value.allowed && value.error === true) return undefined;
  return value as CachedVerdict;
}

export type { PolicyVerdict };
