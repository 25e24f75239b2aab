/**
 * A TUF repository for tests, served on loopback: one Ed25519 key for every role, metadata signed over
 * canonical JSON as the TUF specification says, and a trusted_root.json target. Tests change what it serves
 * (an older timestamp, expired metadata, a swapped target) to show the client refusing.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Canonical JSON (keys sorted, no whitespace): for this metadata (ASCII strings, integers) JSON with sorted keys. */
function canonicalize(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalize((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

interface Versions {
  root: number;
  timestamp: number;
  snapshot: number;
  targets: number;
}

export class TufRepository {
  private readonly key: { publicKey: KeyObject; privateKey: KeyObject } = generateKeyPairSync("ed25519");
  private readonly keyId: string;
  private readonly files = new Map<string, Buffer>();
  private server: Server | undefined;
  url = "";

  constructor() {
    this.keyId = createHash("sha256").update(canonicalize(this.publicKeyJson())).digest("hex");
  }

  private publicKeyJson(): Record<string, unknown> {
    const raw = this.key.publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    return { keytype: "ed25519", scheme: "ed25519", keyval: { public: raw.toString("hex") } };
  }

  private signed(body: Record<string, unknown>): Buffer {
    const signature = sign(null, Buffer.from(canonicalize(body)), this.key.privateKey).toString("hex");
    return Buffer.from(JSON.stringify({ signatures: [{ keyid: this.keyId, sig: signature }], signed: body }));
  }

  rootJson(version = 1, expires = "2099-01-01T00:00:00Z"): Buffer {
    const role = { keyids: [this.keyId], threshold: 1 };
    return this.signed({
      _type: "root",
      spec_version: "1.0.31",
      version,
      expires,
      keys: { [this.keyId]: this.publicKeyJson() },
      roles: { root: role, snapshot: role, targets: role, timestamp: role },
      consistent_snapshot: false,
    });
  }

  /** Publishes `trustedRoot` as the trusted_root.json target, with metadata of the given versions. */
  publish(trustedRoot: Buffer, versions: Versions, options: { timestampExpires?: string; servedTarget?: Buffer } = {}): void {
    const targets = this.signed({
      _type: "targets",
      spec_version: "1.0.31",
      version: versions.targets,
      expires: "2099-01-01T00:00:00Z",
      targets: { "trusted_root.json": { length: trustedRoot.length, hashes: { sha256: createHash("sha256").update(trustedRoot).digest("hex") } } },
    });
    const snapshot = this.signed({ _type: "snapshot", spec_version: "1.0.31", version: versions.snapshot, expires: "2099-01-01T00:00:00Z", meta: { "targets.json": { version: versions.targets } } });
    const timestamp = this.signed({
      _type: "timestamp",
      spec_version: "1.0.31",
      version: versions.timestamp,
      expires: options.timestampExpires ?? "2099-01-01T00:00:00Z",
      meta: { "snapshot.json": { version: versions.snapshot } },
    });
    this.files.clear();
    this.files.set("/1.root.json", this.rootJson(versions.root));
    this.files.set("/timestamp.json", timestamp);
    this.files.set("/snapshot.json", snapshot);
    this.files.set("/targets.json", targets);
    this.files.set("/targets/trusted_root.json", options.servedTarget ?? trustedRoot);
  }

  /** A timestamp.json signed by this repository, for writing straight into a client cache. */
  timestampJson(version: number, snapshotVersion: number, expires: string): Buffer {
    return this.signed({ _type: "timestamp", spec_version: "1.0.31", version, expires, meta: { "snapshot.json": { version: snapshotVersion } } });
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const body = this.files.get(request.url ?? "");
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
