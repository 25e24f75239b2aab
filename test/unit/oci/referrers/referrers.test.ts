import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sha256Digest, type Digest } from "../../../../src/internal/digest.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { parseManifest } from "../../../../src/oci/manifest/parse.js";
import { copyReferrers } from "../../../../src/oci/copy.js";
import { buildReferrersIndex, listReferrers, MAX_REFERRERS, parseReferrersIndex, pushReferrer, readReferrerTree, referrersTag, type ReferrersApiAnswer } from "../../../../src/oci/referrers/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { MemoryRepository } from "../../../helpers/memory-repository.js";

const subjectBytes = Buffer.from('{"schemaVersion":2}');
const subject = { mediaType: MediaType.OciManifest, digest: sha256Digest(subjectBytes), size: subjectBytes.length };
const artifact = (text: string) => ({ artifactType: "application/x-test", subject, layers: [{ bytes: Buffer.from(text), mediaType: "application/x-test" }], annotations: { note: text } });

/** A memory repository whose registry offers the referrers API: it lists manifests by their subject. */
class ApiRepository extends MemoryRepository {
  apiCalls = 0;
  async fetchReferrers(digest: Digest): Promise<ReferrersApiAnswer> {
    this.apiCalls++;
    const descriptors = [...this.manifests.entries()].flatMap(([manifestDigest, { bytes, mediaType }]) => {
      if (mediaType !== MediaType.OciManifest) return [];
      const manifest = parseManifest(bytes, mediaType);
      return manifest.kind === "image" && manifest.subject?.digest === digest ? [{ mediaType, digest: manifestDigest as Digest, size: bytes.length, artifactType: manifest.artifactType! }] : [];
    });
    return { supported: true, descriptors, where: "api" };
  }
}

describe("referrers", () => {
  test("the tag schema's tag is <alg>-<hex>", () => {
    assert.equal(referrersTag(subject.digest), `sha256-${subject.digest.slice(7)}`);
  });

  test("without the API, pushing updates the sha256-<hex> index and listing reads it back", async () => {
    const repo = new MemoryRepository();
    const first = await pushReferrer(repo, artifact("one"));
    const second = await pushReferrer(repo, artifact("two"));
    assert.equal(first.listedBy, "tag-schema");
    assert.equal(first.tag, referrersTag(subject.digest));
    const listing = await listReferrers(repo, subject.digest);
    assert.equal(listing.source, "tag-schema");
    assert.deepEqual(listing.descriptors.map((d) => d.digest), [first.descriptor.digest, second.descriptor.digest]);
    assert.equal(listing.descriptors[0]!.artifactType, "application/x-test");
    // Pushing the same artifact again lists it once.
    await pushReferrer(repo, artifact("one"));
    assert.equal((await listReferrers(repo, subject.digest)).descriptors.length, 2);
    // The artifact manifest is OCI 1.1: empty config, subject, artifactType.
    const manifest = parseManifest((await repo.getManifest(first.descriptor.digest)).bytes, MediaType.OciManifest);
    assert.ok(manifest.kind === "image");
    assert.equal(manifest.config.mediaType, MediaType.OciEmpty);
    assert.equal(manifest.config.digest, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert.equal(manifest.subject?.digest, subject.digest);
    assert.equal(manifest.artifactType, "application/x-test");
  });

  test("with a config and no artifact type, the manifest names none and the listing takes the config's media type", async () => {
    const repo = new MemoryRepository();
    const config = Buffer.from('{"config":{}}');
    const pushed = await pushReferrer(repo, { config: { mediaType: "application/x-config", bytes: config }, subject, layers: [{ bytes: Buffer.from("x"), mediaType: "application/x-test" }] });
    const bytes = (await repo.getManifest(pushed.descriptor.digest)).bytes;
    assert.ok(!("artifactType" in (JSON.parse(bytes.toString("utf8")) as object)));
    const manifest = parseManifest(bytes, MediaType.OciManifest);
    assert.ok(manifest.kind === "image");
    assert.deepEqual(manifest.config, { mediaType: "application/x-config", size: config.length, digest: sha256Digest(config) });
    assert.ok((await repo.getBlob(sha256Digest(config))).equals(config));
    const listing = await listReferrers(repo, subject.digest);
    assert.equal(listing.descriptors[0]!.artifactType, "application/x-config");
  });

  test("with the API, pushing leaves no tag and listing asks the API", async () => {
    const repo = new ApiRepository();
    const pushed = await pushReferrer(repo, artifact("one"));
    assert.equal(pushed.listedBy, "referrers-api");
    assert.equal(repo.tags.size, 0);
    const listing = await listReferrers(repo, subject.digest, { artifactType: "application/x-test" });
    assert.equal(listing.source, "referrers-api");
    assert.deepEqual(listing.descriptors.map((d) => d.digest), [pushed.descriptor.digest]);
    assert.equal((await listReferrers(repo, subject.digest, { artifactType: "application/other" })).descriptors.length, 0);
  });

  test("an API that answers 'unsupported' falls back to the tag", async () => {
    const repo = new MemoryRepository() as MemoryRepository & { fetchReferrers?: () => Promise<ReferrersApiAnswer> };
    repo.fetchReferrers = async () => ({ supported: false, reason: "404 page not found" });
    await pushReferrer(repo, artifact("one"));
    const listing = await listReferrers(repo, subject.digest);
    assert.equal(listing.source, "tag-schema");
    assert.equal(listing.apiUnavailable, "404 page not found");
    assert.equal(listing.descriptors.length, 1);
  });

  test("filtering keeps entries of the type and entries whose type the index cannot tell (go-containerregistry's empty type)", async () => {
    const index = buildReferrersIndex([
      { mediaType: MediaType.OciManifest, digest: sha256Digest(Buffer.from("a")), size: 1, artifactType: "application/x-test" },
      { mediaType: MediaType.OciManifest, digest: sha256Digest(Buffer.from("b")), size: 1, artifactType: MediaType.OciEmpty },
      { mediaType: MediaType.OciManifest, digest: sha256Digest(Buffer.from("c")), size: 1 },
      { mediaType: MediaType.OciManifest, digest: sha256Digest(Buffer.from("d")), size: 1, artifactType: "application/other" },
    ]);
    const repo = new MemoryRepository();
    await repo.putManifest(index, MediaType.OciIndex, referrersTag(subject.digest));
    assert.equal((await listReferrers(repo, subject.digest, { artifactType: "application/x-test" })).descriptors.length, 3);
  });

  const hostile: [string, string, "REFERRERS_INVALID" | "COUNT_LIMIT_EXCEEDED"][] = [
    ["not JSON", "404 page not found", "REFERRERS_INVALID"],
    ["a manifest, not an index", JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, manifests: [] }), "REFERRERS_INVALID"],
    ["a bad descriptor", JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "x", digest: "sha256:../../x", size: 1 }] }), "REFERRERS_INVALID"],
    ["too many referrers (E.30)", JSON.stringify({ schemaVersion: 2, manifests: Array.from({ length: MAX_REFERRERS + 1 }, (_, i) => ({ mediaType: "x", digest: sha256Digest(Buffer.from(String(i))), size: 1 })) }), "COUNT_LIMIT_EXCEEDED"],
  ];
  for (const [name, text, code] of hostile) {
    test(`a referrers index that is ${name}: ${code}`, async () => {
      await assertRejectsWithCode(() => parseReferrersIndex(Buffer.from(text), "test"), code);
    });
  }

  test("an empty API answer with null manifests is an empty list", () => {
    assert.deepEqual(parseReferrersIndex(Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}'), "test"), []);
  });

  test("copyReferrers: API source to a tag-schema destination and back, referrers of referrers included, transplants left out", async () => {
    const source = new ApiRepository();
    const sbom = await pushReferrer(source, { ...artifact("sbom"), artifactType: "application/spdx+json" });
    const signature = await pushReferrer(source, { ...artifact("sig"), artifactType: "application/vnd.cncf.notary.signature" });
    const ofSbom = await pushReferrer(source, { ...artifact("signs the sbom"), subject: sbom.descriptor });
    const tagged = new MemoryRepository();
    const copied = await copyReferrers(source, tagged, subject.digest);
    assert.deepEqual(copied.map((c) => [c.subject, c.digest, c.listedBy]).sort(), [
      [subject.digest, sbom.descriptor.digest, "tag-schema"],
      [subject.digest, signature.descriptor.digest, "tag-schema"],
      [sbom.descriptor.digest, ofSbom.descriptor.digest, "tag-schema"],
    ].sort());
    const tree = await readReferrerTree(tagged, subject.digest);
    assert.equal(tree.listing.source, "tag-schema");
    assert.deepEqual(tree.referrers.map((r) => r.descriptor.artifactType).sort(), ["application/spdx+json", "application/vnd.cncf.notary.signature"]);
    assert.deepEqual(tree.referrers.find((r) => r.descriptor.digest === sbom.descriptor.digest)!.referrers.map((r) => r.descriptor.digest), [ofSbom.descriptor.digest]);
    for (const layer of ["sbom", "sig", "signs the sbom"]) assert.ok(tagged.blobs.has(sha256Digest(Buffer.from(layer))), `layer ${layer} copied`);

    // A referrer of another subject listed under this one (a transplant) is read, refused and not copied.
    const otherBytes = Buffer.from('{"schemaVersion":2,"other":true}');
    const other = await pushReferrer(tagged, { ...artifact("other"), subject: { mediaType: MediaType.OciManifest, digest: sha256Digest(otherBytes), size: otherBytes.length } });
    const { listReferrer } = await import("../../../../src/oci/referrers/index.js");
    await listReferrer(tagged, subject.digest, other.descriptor);
    const withTransplant = await readReferrerTree(tagged, subject.digest);
    assert.deepEqual(withTransplant.skipped.map((s) => [s.digest, s.code]), [[other.descriptor.digest, "REFERRERS_INVALID"]]);
    const back = new ApiRepository();
    const again = await copyReferrers(tagged, back, subject.digest);
    assert.equal(again.length, 3);
    assert.ok(again.every((c) => c.listedBy === "referrers-api"));
    assert.ok(!back.manifests.has(other.descriptor.digest), "the transplant was not copied");
    assert.equal(back.tags.size, 0, "an API registry needs no referrers tag");
  });
});
