import { generateSigningKey, publicKeyToPem, type SigningKey } from "../../../../src/keys/index.js";

export interface PolicyOptions {
  name?: string;
  globs?: string[];
  mode?: "enforce" | "warn";
  authorities?: unknown[];
  match?: unknown[];
}

/** A ClusterImagePolicy document as YAML-free JSON, for tests. */
export function clusterImagePolicy(options: PolicyOptions = {}): Record<string, unknown> {
  return {
    apiVersion: "policy.sigstore.dev/v1beta1",
    kind: "ClusterImagePolicy",
    metadata: { name: options.name ?? "test-policy" },
    spec: {
      images: (options.globs ?? ["**"]).map((glob) => ({ glob })),
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      authorities: options.authorities ?? [{ static: { action: "pass" } }],
      ...(options.match === undefined ? {} : { match: options.match }),
    },
  };
}

export function keyAuthority(key: SigningKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { key: { data: publicKeyToPem(key.publicKey) }, ...extra };
}

export function newKey(): SigningKey {
  return generateSigningKey("ecdsa-p256");
}
