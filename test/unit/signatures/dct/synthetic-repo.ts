// Notary-format trust data made in-process with keys of the test's own (for the cases notary's client cannot be
// made to produce: thresholds above 1, RSA keys, DER ECDSA signatures, forged rollbacks). Signatures are over the
// canonical JSON that canonical-json.test.ts pins to docker/go's, and the format is that of the real fixture.
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { notaryCanonicalJson } from "../../../../src/signatures/dct/canonical-json.js";
import { notaryKeyId } from "../../../../src/signatures/dct/keys.js";
import { createCertificate, toPem } from "../../../../src/trust/certificate-writer.js";

export interface TestKey {
  readonly id: string;
  readonly json: { keytype: string; keyval: { private: null; public: string } };
  readonly privateKey: KeyObject;
  readonly method: string;
}

function keyOf(keytype: string, publicBytes: Buffer, privateKey: KeyObject, method: string): TestKey {
  return { id: notaryKeyId(keytype, publicBytes), json: { keytype, keyval: { private: null, public: publicBytes.toString("base64") } }, privateKey, method };
}

export function ecdsaKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return keyOf("ecdsa", publicKey.export({ format: "der", type: "spki" }), privateKey, "ecdsa");
}

export function ed25519Key(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return keyOf("ed25519", Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url"), privateKey, "eddsa");
}

export function rsaKey(method: "rsapss" | "rsapkcs1v15", bits = 2048): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return keyOf("rsa", publicKey.export({ format: "der", type: "spki" }), privateKey, method);
}

/** A root key as Notary makes one: an ecdsa-x509 certificate whose CN is the GUN. */
export function rootKey(gun: string, validity: { notBefore?: Date; notAfter?: Date } = {}): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const name = { commonName: gun };
  const der = createCertificate(
    { subject: name, subjectPublicKey: publicKey, notBefore: validity.notBefore ?? new Date(Date.now() - 86_400_000), notAfter: validity.notAfter ?? new Date(Date.now() + 365 * 86_400_000), kind: "code-signing" },
    { name, privateKey, publicKey },
  );
  return keyOf("ecdsa-x509", Buffer.from(toPem(der)), privateKey, "ecdsa");
}

export interface SignOptions {
  /** ECDSA as DER instead of Notary's raw r||s. */
  readonly der?: boolean;
}

export function signMetadata(signed: Record<string, unknown>, keys: readonly TestKey[], options: SignOptions = {}): Buffer {
  const message = notaryCanonicalJson(signed);
  const signatures = keys.map((key) => {
    let sig: Buffer;
    if (key.method === "eddsa") sig = sign(null, message, key.privateKey);
    else if (key.method === "ecdsa") sig = sign("sha256", message, { key: key.privateKey, dsaEncoding: options.der === true ? "der" : "ieee-p1363" });
    else sig = sign("sha256", message, { key: key.privateKey, padding: key.method === "rsapss" ? 6 : 1, saltLength: 32 });
    return { keyid: key.id, method: key.method, sig: sig.toString("base64") };
  });
  return Buffer.from(JSON.stringify({ signed, signatures }));
}

export function fileMeta(bytes: Buffer): { hashes: { sha256: string; sha512: string }; length: number } {
  return { hashes: { sha256: createHash("sha256").update(bytes).digest("base64"), sha512: createHash("sha512").update(bytes).digest("base64") }, length: bytes.length };
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

export interface RoleSpec {
  readonly keys: readonly TestKey[];
  readonly threshold?: number;
}

/** A whole repository: root, targets (+ optional targets/releases), snapshot, timestamp; each field overridable. */
export class SyntheticRepo {
  root: Buffer = Buffer.alloc(0);
  targets: Buffer = Buffer.alloc(0);
  releases: Buffer | undefined;
  snapshot: Buffer = Buffer.alloc(0);
  timestamp: Buffer = Buffer.alloc(0);
  readonly roles: Record<"root" | "targets" | "snapshot" | "timestamp", RoleSpec>;

  constructor(readonly gun: string, roles: Partial<Record<"root" | "targets" | "snapshot" | "timestamp", RoleSpec>> = {}) {
    this.roles = {
      root: roles.root ?? { keys: [rootKey(gun)] },
      targets: roles.targets ?? { keys: [ecdsaKey()] },
      snapshot: roles.snapshot ?? { keys: [ecdsaKey()] },
      timestamp: roles.timestamp ?? { keys: [ed25519Key()] },
    };
  }

  makeRoot(version: number, signers: readonly TestKey[] = this.roles.root.keys, expires = inDays(3650)): Buffer {
    const keys: Record<string, unknown> = {};
    const roles: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(this.roles)) {
      for (const key of spec.keys) keys[key.id] = key.json;
      roles[name] = { keyids: spec.keys.map((key) => key.id), threshold: spec.threshold ?? 1 };
    }
    this.root = signMetadata({ _type: "Root", consistent_snapshot: false, expires, keys, roles, version }, signers);
    return this.root;
  }

  makeTargets(version: number, targets: Record<string, Buffer>, options: { signers?: readonly TestKey[]; releases?: { keys: readonly TestKey[]; paths: string[]; threshold?: number }; expires?: string; sign?: SignOptions } = {}): Buffer {
    const delegations = options.releases === undefined
      ? { keys: {}, roles: [] }
      : { keys: Object.fromEntries(options.releases.keys.map((key) => [key.id, key.json])), roles: [{ keyids: options.releases.keys.map((key) => key.id), name: "targets/releases", paths: options.releases.paths, threshold: options.releases.threshold ?? 1 }] };
    this.targets = signMetadata({ _type: "Targets", delegations, expires: options.expires ?? inDays(90), targets: targetEntries(targets), version }, options.signers ?? this.roles.targets.keys, options.sign);
    return this.targets;
  }

  makeReleases(version: number, targets: Record<string, Buffer>, signers: readonly TestKey[]): Buffer {
    this.releases = signMetadata({ _type: "Targets", delegations: { keys: {}, roles: [] }, expires: inDays(90), targets: targetEntries(targets), version }, signers);
    return this.releases;
  }

  makeSnapshot(version: number, signers: readonly TestKey[] = this.roles.snapshot.keys): Buffer {
    const meta: Record<string, unknown> = { root: fileMeta(this.root), targets: fileMeta(this.targets) };
    if (this.releases !== undefined) meta["targets/releases"] = fileMeta(this.releases);
    this.snapshot = signMetadata({ _type: "Snapshot", expires: inDays(365), meta, version }, signers);
    return this.snapshot;
  }

  makeTimestamp(version: number, options: { expires?: string; signers?: readonly TestKey[] } = {}): Buffer {
    this.timestamp = signMetadata({ _type: "Timestamp", expires: options.expires ?? inDays(14), meta: { snapshot: fileMeta(this.snapshot) }, version }, options.signers ?? this.roles.timestamp.keys);
    return this.timestamp;
  }

  /** Everything at version 1 (targets at `targets`). */
  static complete(gun: string, targets: Record<string, Buffer>, roles?: ConstructorParameters<typeof SyntheticRepo>[1]): SyntheticRepo {
    const repo = new SyntheticRepo(gun, roles);
    repo.makeRoot(1);
    repo.makeTargets(1, targets);
    repo.makeSnapshot(1);
    repo.makeTimestamp(1);
    return repo;
  }

  /** A fetch serving the current files as notary-server does (and `extra` names such as "1.root.json"). */
  fetch(extra: Record<string, Buffer> = {}): (name: string) => Promise<Buffer> {
    return (name) => {
      const files: Record<string, Buffer | undefined> = { root: this.root, targets: this.targets, snapshot: this.snapshot, timestamp: this.timestamp, "targets/releases": this.releases };
      if (extra[name] !== undefined) return Promise.resolve(extra[name]);
      const role = name.replace(/\.[0-9a-f]{64}\.json$|\.json$/, "");
      const bytes = files[role];
      return bytes === undefined ? Promise.reject(new Error(`no ${name}`)) : Promise.resolve(bytes);
    };
  }
}

function targetEntries(targets: Record<string, Buffer>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(targets).map(([tag, manifest]) => [tag, { hashes: { sha256: createHash("sha256").update(manifest).digest("base64") }, length: manifest.length }]));
}
