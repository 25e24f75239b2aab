// `tree` and `copy` see an image's OCI referrers (sigstore bundles, Notation signatures, SBOMs, and what refers to
// those) as well as cosign's tag schemes. Before, `tree` said "nothing attached" for an image signed with a bundle
// and `copy` dropped the bundle. Real registry (docker-registry 2.8: no referrers API, so the sha256-<hex> tag
// fallback is used at both ends), OCI layouts, and cosign checking the copied bundle.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Digest } from "../../src/internal/digest.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { pushReferrer } from "../../src/oci/referrers/index.js";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

interface TreeEntry {
  digest: string;
  artifactType: string | null;
  kind: string;
  referrers: TreeEntry[];
}
interface TreeJson {
  attachments: unknown[];
  referrers: { source: string; where: string; entries: TreeEntry[]; skipped: { digest: string; code: string }[] };
}

const NOTATION = "application/vnd.cncf.notary.signature";
const SPDX = "application/spdx+json";

describe("tree and copy see OCI referrers (real registry, OCI layouts, cosign)", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const tree = async (image: string): Promise<TreeJson> => {
    const result = await signet(["tree", "--output-format", "json", image]);
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout) as TreeJson;
  };
  /** kind@artifactType for each entry, nested ones as "parent > child", sorted. */
  const shape = (entries: TreeEntry[], prefix = ""): string[] =>
    entries.flatMap((e) => [`${prefix}${e.kind} ${e.artifactType}`, ...shape(e.referrers, `${prefix}${e.kind} > `)]).sort();

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-referrers-"));
    env = cosignEnv({ COSIGN_PASSWORD: "pw" });
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "k"])).status, 0);
    writeFileSync(join(dir, "empty-root.json"), JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }));
  });
  after(() => registry.stop());

  /** A Notation signature and an SBOM of the image, a Notation signature of the SBOM, and a transplant from another image. */
  async function attachArtifacts(repositoryName: string, digest: Digest, otherDigest: Digest): Promise<void> {
    const access = new ImageAccess();
    try {
      const repository = await access.repositoryByName(`${registry.host}/${repositoryName}`);
      const subjectOf = async (d: Digest) => {
        const manifest = await repository.getManifest(d);
        return { mediaType: manifest.mediaType, digest: d, size: manifest.bytes.length };
      };
      const subject = await subjectOf(digest);
      await pushReferrer(repository, { artifactType: NOTATION, subject, layers: [{ mediaType: "application/jose+json", bytes: Buffer.from('{"payload":"stand-in JWS"}') }] });
      const sbom = await pushReferrer(repository, {
        artifactType: SPDX,
        subject,
        layers: [{ mediaType: SPDX, bytes: Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", name: "app" })) }],
        annotations: { "org.opencontainers.image.created": "2026-01-01T00:00:00Z" },
      });
      await pushReferrer(repository, { artifactType: NOTATION, subject: await subjectOf(sbom.descriptor.digest), layers: [{ mediaType: "application/jose+json", bytes: Buffer.from('{"payload":"signs the SBOM"}') }] });
      // A referrer of another image, listed under this image's tag: transplanted, so neither shown nor copied.
      const transplanted = await pushReferrer(repository, { artifactType: NOTATION, subject: await subjectOf(otherDigest), layers: [{ mediaType: "application/jose+json", bytes: Buffer.from('{"payload":"other image"}') }] });
      const { listReferrer } = await import("../../src/oci/referrers/index.js");
      await listReferrer(repository, digest, transplanted.descriptor);
    } finally {
      await access.close();
    }
  }

  test("tree shows a bundle-signed image's referrers (not 'nothing attached'); copy carries them to a registry and a layout", async () => {
    const digest = await pushTestImage(registry.host, "refs/app", "v1", "referrers-app");
    const other = await pushTestImage(registry.host, "refs/app", "other", "referrers-other");
    const image = `${registry.host}/refs/app@${digest}`;
    assert.equal((await signet(["sign", "--key", "k.key", "--tlog-upload=false", "--new-bundle-format", "--tlog-upload=false", image])).status, 0);

    const signedOnly = await signet(["tree", image]);
    assert.doesNotMatch(signedOnly.stdout, /nothing attached/);
    assert.match(signedOnly.stdout, /Referrers: the referrers tag .*sha256-[0-9a-f]{64}/);
    assert.match(signedOnly.stdout, /application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json \(sigstore bundle\)/);

    await attachArtifacts("refs/app", digest, other);
    const expected = [
      "Notation signature application/vnd.cncf.notary.signature",
      "SBOM > Notation signature application/vnd.cncf.notary.signature",
      "SBOM application/spdx+json",
      "sigstore bundle application/vnd.dev.sigstore.bundle.v0.3+json",
    ];
    const source = await tree(image);
    assert.equal(source.referrers.source, "tag-schema");
    assert.deepEqual(shape(source.referrers.entries), expected);
    assert.deepEqual(source.referrers.skipped.map((s) => s.code), ["REFERRERS_INVALID"], "the transplanted referrer");

    // Registry to registry: the destination lists them under its own sha256-<hex> tag.
    const copied = await signet(["copy", "--output-format", "json", `${registry.host}/refs/app:v1`, `${registry.host}/refs/copy`]);
    assert.equal(copied.status, 0, copied.stderr);
    const result = JSON.parse(copied.stdout) as { referrers: { subject: string; listedBy: string }[] };
    assert.equal(result.referrers.length, 4);
    assert.ok(result.referrers.every((r) => r.listedBy === "tag-schema"));
    const destination = `${registry.host}/refs/copy@${digest}`;
    assert.deepEqual(shape((await tree(destination)).referrers.entries), expected);
    assert.deepEqual((await tree(destination)).referrers.skipped, [], "the transplant was not copied");

    // The copied bundle still verifies, with signet and with cosign (as the DSSE attestation it is).
    const verified = await signet(["verify", "--key", "k.pub", "--insecure-ignore-tlog", "--new-bundle-format", destination]);
    assert.equal(verified.status, 0, verified.stderr);
    const byCosign = await runProgram(
      cosignPath(),
      ["verify-attestation", "--key", "k.pub", "--new-bundle-format", "--trusted-root", "empty-root.json", "--insecure-ignore-tlog", "--allow-http-registry", "--type", "https://sigstore.dev/cosign/sign/v1", destination],
      { env, cwd: dir },
    );
    assert.equal(byCosign.status, 0, byCosign.stderr);

    // Registry to an OCI layout and back: the layout keeps the tag schema's index in index.json.
    const layout = `oci:${join(dir, "layout")}:v1`;
    assert.equal((await signet(["copy", `${registry.host}/refs/app:v1`, layout])).status, 0);
    assert.deepEqual(shape((await tree(layout)).referrers.entries), expected);
    assert.equal((await signet(["verify", "--key", "k.pub", "--insecure-ignore-tlog", "--new-bundle-format", layout])).status, 0);
    assert.equal((await signet(["copy", layout, `${registry.host}/refs/back:v1`])).status, 0);
    assert.deepEqual(shape((await tree(`${registry.host}/refs/back:v1`)).referrers.entries), expected);

    // --only without referrers leaves them behind, as asked.
    // As cosign, --only copies only the attachments named, not the image: look them up by digest.
    assert.equal((await signet(["copy", "--only", "sig", `${registry.host}/refs/app:v1`, `${registry.host}/refs/sig-only:v1`])).status, 0);
    assert.deepEqual((await tree(`${registry.host}/refs/sig-only@${digest}`)).referrers.entries, []);
  });
});
