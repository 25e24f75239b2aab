// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- kept in the emitted .d.ts (preserve="true"): see that file
/// <reference path="../../../types/openpgp-web-stream-tools.d.ts" preserve="true" />
import type * as OpenPGP from "openpgp";
import { SignetError } from "../../errors/index.js";
import { toNodePublicKey, UnsupportedAlgorithmError, type NodePublicKey } from "./openpgp-crypto.js";
import { appendAll } from "../../internal/arrays.js";

export type OpenPgpModule = typeof OpenPGP;

/** OpenPGP.js is large: it is loaded on first use, never at import time. */
export async function loadOpenPgp(): Promise<OpenPgpModule> {
  return import("openpgp");
}

/**
 * The OpenPGP.js settings for judging keys (self-signatures, subkey bindings, revocations, expiry), spelled
 * out so a change of the library's defaults cannot loosen them. Nothing weaker than GnuPG accepts is allowed.
 */
export function createKeyConfig(openpgp: OpenPgpModule): OpenPGP.Config {
  const { enums } = openpgp;
  return {
    ...openpgp.config,
    rejectHashAlgorithms: new Set([enums.hash.md5, enums.hash.ripemd]),
    rejectMessageHashAlgorithms: new Set([enums.hash.md5, enums.hash.ripemd]),
    rejectPublicKeyAlgorithms: new Set([enums.publicKey.elgamal, enums.publicKey.dsa]),
    rejectCurves: new Set([enums.curve.secp256k1]),
    minRSABits: 2047,
    allowMissingKeyFlags: false,
    allowInsecureVerificationWithReformattedKeys: false,
    enableParsingV5Entities: false,
    ignoreMalformedPackets: false,
  };
}

/** One key of a keyring that may have made a signature: a primary key or one of its subkeys. */
export interface KeyCandidate {
  readonly primary: OpenPGP.Key;
  readonly key: OpenPGP.Key | OpenPGP.Subkey;
  /** Upper-case hex. */
  readonly fingerprint: string;
}

/**
 * Parsed OpenPGP public keys, reusable across verifications (parsing and the first check of each key's
 * self-signatures are the expensive part; later verifications reuse both).
 */
export class GpgKeyring {
  /** Fingerprints of the primary keys, upper-case hex, as containers/image reports key identities. */
  readonly fingerprints: readonly string[];
  /** @internal */
  readonly openpgp: OpenPgpModule;
  /** @internal */
  readonly config: OpenPGP.Config;
  readonly #keys: readonly OpenPGP.Key[];
  readonly #byKeyId = new Map<string, KeyCandidate[]>();
  readonly #nodeKeys = new Map<string, NodePublicKey | UnsupportedAlgorithmError>();

  /** @internal Use parseGpgKeyring. */
  constructor(openpgp: OpenPgpModule, config: OpenPGP.Config, keys: readonly OpenPGP.Key[]) {
    this.openpgp = openpgp;
    this.config = config;
    const unique = new Map<string, OpenPGP.Key>();
    for (const key of keys) {
      const fingerprint = key.getFingerprint().toUpperCase();
      if (!unique.has(fingerprint)) unique.set(fingerprint, key);
    }
    this.#keys = [...unique.values()];
    this.fingerprints = [...unique.keys()];
    for (const primary of this.#keys) {
      for (const key of primary.getKeys()) {
        const keyId = key.getKeyID().toHex().toLowerCase();
        const list = this.#byKeyId.get(keyId) ?? [];
        list.push({ primary, key, fingerprint: key.getFingerprint().toUpperCase() });
        this.#byKeyId.set(keyId, list);
      }
    }
  }

  /** The keys (primary keys as OpenPGP.js objects), e.g. to show user IDs. */
  get keys(): readonly OpenPGP.Key[] {
    return this.#keys;
  }

  /** A keyring holding the keys of all the given ones (a policy's `keyPaths`). */
  static combine(keyrings: readonly GpgKeyring[]): GpgKeyring {
    const first = keyrings[0];
    if (first === undefined) throw new SignetError("KEY_INVALID", "no GPG keyrings to combine", { hint: KEYRING_HINT });
    return new GpgKeyring(first.openpgp, first.config, keyrings.flatMap((k) => k.keys));
  }

  /**
   * Keys whose 64-bit key ID is `keyId` (and whose fingerprint is `fingerprint`, when the signature names
   * one). More than one can match; the caller keeps the one the signature verifies with.
   * @internal
   */
  candidatesFor(keyId: string, fingerprint: string | undefined): readonly KeyCandidate[] {
    const all = this.#byKeyId.get(keyId.toLowerCase()) ?? [];
    return fingerprint === undefined ? all : all.filter((c) => c.fingerprint === fingerprint.toUpperCase());
  }

  /** @internal The key in Node's form; throws UnsupportedAlgorithmError for keys that cannot verify here. */
  nodeKeyFor(candidate: KeyCandidate): NodePublicKey {
    let entry = this.#nodeKeys.get(candidate.fingerprint);
    if (entry === undefined) {
      const packet = candidate.key.keyPacket;
      try {
        entry = toNodePublicKey(packet.algorithm as number, packet.publicParams as Record<string, unknown>);
      } catch (error) {
        entry = error instanceof UnsupportedAlgorithmError ? error : new UnsupportedAlgorithmError((error as Error).message);
      }
      this.#nodeKeys.set(candidate.fingerprint, entry);
    }
    if (entry instanceof UnsupportedAlgorithmError) throw entry;
    return entry;
  }
}

const KEYRING_HINT = "Give an OpenPGP public keyring: `gpg --export KEY > key.gpg` (binary) or `gpg --export --armor KEY` (ASCII-armored).";
const ARMORED_KEY_BLOCK = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g;

/**
 * Parses OpenPGP public keys as `gpg --export` writes them (binary, one or many keys) or ASCII-armored
 * (one or more armor blocks). Secret keys are accepted and reduced to their public part.
 */
export async function parseGpgKeyring(bytes: Uint8Array): Promise<GpgKeyring> {
  const openpgp = await loadOpenPgp();
  const config = createKeyConfig(openpgp);
  const text = Buffer.from(bytes.subarray(0, 64)).toString("latin1").trimStart();
  let keys: OpenPGP.Key[];
  try {
    if (text.startsWith("-----BEGIN PGP")) {
      const blocks = Buffer.from(bytes).toString("utf8").match(ARMORED_KEY_BLOCK) ?? [];
      if (blocks.length === 0) throw new Error("no PGP PUBLIC KEY BLOCK in the armored text");
      keys = [];
      for (const block of blocks) appendAll(keys, await openpgp.readKeys({ armoredKeys: block, config }));
    } else {
      keys = await openpgp.readKeys({ binaryKeys: bytes, config });
    }
  } catch (error) {
    throw new SignetError("KEY_INVALID", `not an OpenPGP keyring: ${(error as Error).message}`, { hint: KEYRING_HINT, cause: error });
  }
  if (keys.length === 0) throw new SignetError("KEY_INVALID", "the OpenPGP keyring holds no keys", { hint: KEYRING_HINT });
  return new GpgKeyring(openpgp, config, keys.map((key) => (key.isPrivate() ? key.toPublic() : key)));
}
