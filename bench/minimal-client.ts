// The floor for `npm run bench`: the least a Node client can do to verify cosign key signatures of images given
// by digest, over plain HTTP on loopback. Per image: GET the `.sig` manifest (hashed, size-capped), rebuild the
// standard payload and, only when its sha256 differs from the layer digest, GET the layer (hashed); then one
// ECDSA verify. No signet code, no auth, no retries: nothing a real client could do without.
// Usage: node dist/bench/minimal-client.js [--fetch-blob] KEY.pub HOST/REPO@sha256:HEX...
import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";

const args = process.argv.slice(2);
const alwaysFetch = args[0] === "--fetch-blob";
if (alwaysFetch) args.shift();
const [keyFile, ...images] = args;
const key = createPublicKey(readFileSync(keyFile!));
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const LIMIT = 4 * 1024 * 1024;

function get(host: string, path: string, accept?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const [hostname, port] = host.split(":");
    const req = request({ host: hostname, port: Number(port), path, agent, headers: accept ? { accept } : {} }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > LIMIT) req.destroy(new Error("too large"));
        else chunks.push(chunk);
      });
      res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end();
  });
}

const sha256 = (bytes: Buffer | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

async function verifyOne(image: string): Promise<void> {
  const at = image.indexOf("@");
  const slash = image.indexOf("/");
  const host = image.slice(0, slash);
  const repo = image.slice(slash + 1, at);
  const digest = image.slice(at + 1);
  const manifestBytes = await get(host, `/v2/${repo}/manifests/${digest.replace(":", "-")}.sig`, "application/vnd.oci.image.manifest.v1+json");
  sha256(manifestBytes); // a client names what it read by its digest
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as { layers: { digest: string; annotations: Record<string, string> }[] };
  const layer = manifest.layers[0]!;
  const expected = JSON.stringify({ critical: { identity: { "docker-reference": `${host}/${repo}` }, image: { "docker-manifest-digest": digest }, type: "cosign container image signature" }, optional: null });
  let payload: Buffer = Buffer.from(expected);
  if (alwaysFetch || sha256(payload) !== layer.digest) {
    payload = await get(host, `/v2/${repo}/blobs/${layer.digest}`);
    if (sha256(payload) !== layer.digest) throw new Error(`${image}: the layer does not match its digest`);
  }
  const signature = Buffer.from(layer.annotations["dev.cosignproject.cosign/signature"]!, "base64");
  if (!verify("sha256", payload, key, signature)) throw new Error(`${image}: the signature does not verify`);
  const claims = JSON.parse(payload.toString("utf8")) as { critical: { image: { "docker-manifest-digest": string } } };
  if (claims.critical.image["docker-manifest-digest"] !== digest) throw new Error(`${image}: the payload names another digest`);
}

let next = 0;
await Promise.all(
  Array.from({ length: Math.min(64, images.length) }, async () => {
    while (next < images.length) await verifyOne(images[next++]!);
  }),
);
agent.destroy();
