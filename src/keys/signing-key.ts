import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { keyAlgorithmOf, type KeyAlgorithm } from "./key-algorithm.js";
import { signWithKey } from "./sign-verify.js";
import type { Signer } from "./signer.js";

/** A private key in memory, ready to sign, with its public half and algorithm worked out once: a Signer. */
export interface SigningKey extends Signer {
  readonly privateKey: KeyObject;
}

export type RsaModulusBits = 2048 | 3072 | 4096;

export interface GenerateSigningKeyOptions {
  /** Only for "rsa"; cosign's choices are 2048, 3072 and 4096. Default 3072. */
  rsaModulusBits?: RsaModulusBits;
}

/** Wraps a private KeyObject; KEY_UNSUPPORTED for algorithms cosign does not sign with. */
export function createSigningKey(privateKey: KeyObject, description = "in-memory key"): SigningKey {
  if (privateKey.type !== "private") {
    throw new SignetError("KEY_INVALID", `a ${privateKey.type} key was given where a private key is needed`);
  }
  const algorithm = keyAlgorithmOf(privateKey);
  const key: SigningKey = {
    privateKey,
    publicKey: createPublicKey(privateKey),
    algorithm,
    description,
    sign: async (message) => signWithKey(key, message),
  };
  return key;
}

/**
 * A new random key; the default, ECDSA P-256, is what `cosign generate-key-pair` makes. Synchronous: instant for
 * ECDSA and Ed25519, up to a second or two for RSA 4096.
 */
export function generateSigningKey(algorithm: KeyAlgorithm = "ecdsa-p256", options: GenerateSigningKeyOptions = {}): SigningKey {
  return createSigningKey(generate(algorithm, options).privateKey);
}

function generate(algorithm: KeyAlgorithm, options: GenerateSigningKeyOptions): { privateKey: KeyObject } {
  switch (algorithm) {
    case "ecdsa-p256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" });
    case "ecdsa-p384":
      return generateKeyPairSync("ec", { namedCurve: "P-384" });
    case "ecdsa-p521":
      return generateKeyPairSync("ec", { namedCurve: "P-521" });
    case "ed25519":
      return generateKeyPairSync("ed25519");
    case "rsa-pss":
      return generateKeyPairSync("rsa-pss", { modulusLength: options.rsaModulusBits ?? 3072, publicExponent: 65537 });
    case "sm2":
      // Node's own SM2 keys sign without the distinguishing ID; a PKCS#8 round trip gives a plain SM2 key.
      return { privateKey: createPrivateKey({ key: generateKeyPairSync("ec", { namedCurve: "SM2" }).privateKey.export({ type: "pkcs8", format: "der" }), format: "der", type: "pkcs8" }) };
    case "rsa": {
      const modulusLength = options.rsaModulusBits ?? 3072;
      if (![2048, 3072, 4096].includes(modulusLength)) {
        throw new SignetError("KEY_UNSUPPORTED", `RSA keys are generated with 2048, 3072 or 4096 bits, not ${String(modulusLength)}`);
      }
      return generateKeyPairSync("rsa", { modulusLength, publicExponent: 65537 });
    }
    default:
      throw new SignetError("KEY_UNSUPPORTED", `unknown key algorithm ${JSON.stringify(algorithm)}`);
  }
}
