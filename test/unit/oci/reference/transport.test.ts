import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatImageLocation, formatImageReference, parseImageLocation, type ImageLocation } from "../../../../src/oci/reference/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

function docker(text: string): string {
  const location = parseImageLocation(text);
  assert.equal(location.transport, "docker", text);
  return formatImageReference((location as Extract<ImageLocation, { transport: "docker" }>).reference);
}

describe("parseImageLocation: docker", () => {
  const table: Array<[string, string]> = [
    ["nginx", "docker.io/library/nginx:latest"],
    ["docker://nginx", "docker.io/library/nginx:latest"],
    ["docker://ghcr.io/o/a:1", "ghcr.io/o/a:1"],
    [`docker://localhost:5000/app@${DIGEST}`, `localhost:5000/app@${DIGEST}`],
    // A registry with a port is not a transport.
    ["localhost:5000/app", "localhost:5000/app:latest"],
    ["host:5000/app", "host:5000/app:latest"],
    ["127.0.0.1:5000/app:v1", "127.0.0.1:5000/app:v1"],
    ["[::1]:5000/app", "[::1]:5000/app:latest"],
    // "docker:TAG" without "//" is the official docker image, as docker reads it.
    ["docker:24-dind", "docker.io/library/docker:24-dind"],
    ["nginx:1.25", "docker.io/library/nginx:1.25"],
  ];
  for (const [input, expected] of table) {
    test(input, () => {
      assert.equal(docker(input), expected);
      assert.equal(formatImageLocation(parseImageLocation(input)), `docker://${expected}`);
    });
  }

  test("errors of the reference come through", async () => {
    await assertRejectsWithCode(() => parseImageLocation("docker://"), "REF_INVALID");
    await assertRejectsWithCode(() => parseImageLocation("docker://Nginx"), "REF_INVALID");
    await assertRejectsWithCode(() => parseImageLocation("nginx@sha256:../../etc"), "DIGEST_INVALID");
    await assertRejectsWithCode(() => parseImageLocation("host:99999/app"), "REF_INVALID");
  });
});

describe("parseImageLocation: oci", () => {
  const table: Array<[string, { path: string; tag?: string; digest?: string }]> = [
    ["oci:./layout", { path: "./layout" }],
    ["oci:/tmp/layout:v1", { path: "/tmp/layout", tag: "v1" }],
    ["oci:layout:1.0-rc.1", { path: "layout", tag: "1.0-rc.1" }],
    [`oci:./layout@${DIGEST}`, { path: "./layout", digest: DIGEST }],
    [`oci:./layout:v1@${DIGEST}`, { path: "./layout", tag: "v1", digest: DIGEST }],
    // What follows the last ":" is not a tag when it names a directory or is not a valid tag.
    ["oci:/a/b:c/d", { path: "/a/b:c/d" }],
    ["oci:/a/b:bad tag", { path: "/a/b:bad tag" }],
    ["oci:/a:b/c:t", { path: "/a:b/c", tag: "t" }],
  ];
  for (const [input, expected] of table) {
    test(input, () => {
      const location = parseImageLocation(input);
      assert.deepEqual({ ...location }, { transport: "oci", ...expected });
      assert.equal(formatImageLocation(location), input);
    });
  }

  test("formatImageLocation round-trips", () => {
    const location: ImageLocation = { transport: "oci", path: "/x/y", tag: "t", digest: DIGEST as never };
    assert.deepEqual({ ...parseImageLocation(formatImageLocation(location)) }, location);
  });

  const rejected: Array<[string, "REF_INVALID" | "DIGEST_INVALID"]> = [
    ["oci:", "REF_INVALID"],
    ["oci::v1", "REF_INVALID"],
    ["oci:./layout:", "REF_INVALID"],
    ["oci:./layout@sha256:../../../etc/passwd", "DIGEST_INVALID"],
    [`oci:./layout@sha256:${"AB".repeat(32)}`, "DIGEST_INVALID"],
    [`oci:./layout@sha256:${"ab".repeat(31)}`, "DIGEST_INVALID"],
    [`oci:./layout@md5:${"ab".repeat(16)}`, "DIGEST_INVALID"],
  ];
  for (const [input, code] of rejected) {
    test(`rejects ${input.slice(0, 60)}`, async () => {
      await assertRejectsWithCode(() => parseImageLocation(input), code);
    });
  }
});

describe("parseImageLocation: unknown transports", () => {
  for (const [input, transport] of [
    ["dir:/tmp/image", "dir:"],
    ["docker-archive:image.tar", "docker-archive:"],
    ["docker-archive:image.tar:app:1", "docker-archive:"],
    ["oci-archive:image.tar", "oci-archive:"],
    ["docker-daemon:nginx:latest", "docker-daemon:"],
    ["containers-storage:nginx", "containers-storage:"],
    ["https://ghcr.io/o/a", "https://"],
    ["xyz:some/path", "xyz:"],
  ] as const) {
    test(`${input} names ${transport}`, async () => {
      const error = await assertRejectsWithCode(() => parseImageLocation(input), "REF_TRANSPORT_UNKNOWN");
      assert.ok(error.message.includes(JSON.stringify(transport)), error.message);
    });
  }
});
