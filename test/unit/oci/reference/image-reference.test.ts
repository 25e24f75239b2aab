import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  familiarName,
  formatImageReference,
  isNameOnly,
  isValidTag,
  parseImageReference,
  parseNormalizedName,
  registryHost,
  repositoryName,
  withDigest,
  withTag,
} from "../../../../src/oci/reference/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const HEX = "0123456789abcdef".repeat(4);
const DIGEST = `sha256:${HEX}`;

describe("parseImageReference normalises like docker's ParseNormalizedNamed + TagNameOnly", () => {
  // input, full form, familiar form (docker's FamiliarString)
  const table: Array<[string, string, string]> = [
    ["nginx", "docker.io/library/nginx:latest", "nginx:latest"],
    ["nginx:1.25", "docker.io/library/nginx:1.25", "nginx:1.25"],
    ["docker.io/nginx", "docker.io/library/nginx:latest", "nginx:latest"],
    ["index.docker.io/nginx", "docker.io/library/nginx:latest", "nginx:latest"],
    ["index.docker.io/library/nginx:1", "docker.io/library/nginx:1", "nginx:1"],
    ["docker.io/library/nginx", "docker.io/library/nginx:latest", "nginx:latest"],
    ["library/nginx", "docker.io/library/nginx:latest", "nginx:latest"],
    ["user/app", "docker.io/user/app:latest", "user/app:latest"],
    ["docker.io/user/app:v2", "docker.io/user/app:v2", "user/app:v2"],
    ["docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"],
    ["localhost/app", "localhost/app:latest", "localhost/app:latest"],
    ["localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app:latest"],
    ["127.0.0.1:5000/app", "127.0.0.1:5000/app:latest", "127.0.0.1:5000/app:latest"],
    ["[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest"],
    ["[2001:db8::1]/app:1", "[2001:db8::1]/app:1", "[2001:db8::1]/app:1"],
    ["ghcr.io/o/a", "ghcr.io/o/a:latest", "ghcr.io/o/a:latest"],
    ["Example.COM/app", "Example.COM/app:latest", "Example.COM/app:latest"],
    [`nginx@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`, `nginx@${DIGEST}`],
    [`app:1@${DIGEST}`, `docker.io/library/app:1@${DIGEST}`, `app:1@${DIGEST}`],
    [`reg.example:5000/repo:tag@${DIGEST}`, `reg.example:5000/repo:tag@${DIGEST}`, `reg.example:5000/repo:tag@${DIGEST}`],
    // Without a "/" the first component is the repository, whatever it looks like (docker's reference_test.go).
    ["test.com:5000", "docker.io/library/test.com:5000", "test.com:5000"],
    ["localhost:5000", "docker.io/library/localhost:5000", "localhost:5000"],
    ["foo_bar.com:8080", "docker.io/library/foo_bar.com:8080", "foo_bar.com:8080"],
    ["test_com", "docker.io/library/test_com:latest", "test_com:latest"],
    ["lowercase:Uppercase", "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"],
    ["foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080"],
    ["sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux:some-long-tag"],
    ["b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app:test.example.com"],
    ["xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"],
    [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${"f".repeat(128)}`, `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${"f".repeat(128)}`, `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${"f".repeat(128)}`],
    ["docker---rules/doc__ker", "docker.io/docker---rules/doc__ker:latest", "docker---rules/doc__ker:latest"],
    // A 64-hex name is fine once a registry removes the ambiguity with an image ID.
    [`docker.io/${HEX}`, `docker.io/library/${HEX}:latest`, `${HEX}:latest`],
  ];
  for (const [input, full, familiar] of table) {
    test(input, () => {
      const reference = parseImageReference(input);
      assert.equal(formatImageReference(reference), full);
      assert.equal(familiarName(reference), familiar);
      // The full form is canonical: parsing it again gives the same reference.
      assert.deepEqual(parseImageReference(full), reference);
    });
  }

  test("splits into registry, repository, tag and digest", () => {
    assert.deepEqual({ ...parseImageReference("nginx") }, { registry: "docker.io", repository: "library/nginx", tag: "latest" });
    assert.deepEqual({ ...parseImageReference(`localhost:5000/a/b@${DIGEST}`) }, { registry: "localhost:5000", repository: "a/b", digest: DIGEST });
    assert.deepEqual({ ...parseImageReference(`app:1@${DIGEST}`) }, { registry: "docker.io", repository: "library/app", tag: "1", digest: DIGEST });
  });

  test("adds latest only when there is neither tag nor digest", () => {
    assert.equal(parseImageReference(`nginx@${DIGEST}`).tag, undefined);
    assert.equal(parseImageReference("nginx:1").tag, "1");
    assert.equal(parseNormalizedName("nginx").tag, undefined);
    assert.equal(isNameOnly(parseNormalizedName("nginx")), true);
    assert.equal(isNameOnly(parseNormalizedName("nginx:latest")), false);
    assert.equal(formatImageReference(parseNormalizedName("nginx")), "docker.io/library/nginx");
  });

  test("returns frozen objects", () => {
    const reference = parseImageReference("nginx");
    assert.ok(Object.isFrozen(reference));
    assert.throws(() => {
      (reference as { tag?: string }).tag = "x";
    }, TypeError);
  });
});

describe("docker's own valid and invalid names (docker/reference normalize_test.go)", () => {
  const valid = [
    "docker/docker",
    "library/debian",
    "debian",
    "docker.io/docker/docker",
    "docker.io/library/debian",
    "docker.io/debian",
    "index.docker.io/docker/docker",
    "index.docker.io/library/debian",
    "index.docker.io/debian",
    "127.0.0.1:5000/docker/docker",
    "127.0.0.1:5000/library/debian",
    "127.0.0.1:5000/debian",
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    "docker-rules/docker",
    "docker---rules/docker",
    "doc/docker",
    "d/docker",
    "jess/t",
    "dock__er/docker",
  ];
  const invalid = [
    "https://github.com/docker/docker",
    "docker/Docker",
    "-docker",
    "-docker/docker",
    "-docker.io/docker/docker",
    "docker///docker",
    "docker.io/docker/Docker",
    "docker.io/docker///docker",
    "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
    "docker-/docker",
    "-docker-/docker",
    "____/____",
    "_docker/_docker",
    "dock..er/docker",
    "dock_.er/docker",
    "dock-.er/docker",
    "docker/",
    `${"this_is_not_a_valid_namespace_because_its_length_is_greater_than_255_".repeat(4)}/docker`,
    "",
    ":justtag",
    `@sha256:${"f".repeat(64)}`,
    "Uppercase:tag",
    "test:5000/Uppercase/lowercase:tag",
    `${"a/".repeat(128)}a:tag`,
    "aa/asdf$$^/aa",
  ];
  for (const name of valid) {
    test(`accepts ${JSON.stringify(name)}`, () => {
      assert.doesNotThrow(() => parseImageReference(name));
    });
  }
  for (const name of invalid) {
    test(`rejects ${JSON.stringify(name.slice(0, 80))}`, async () => {
      await assertRejectsWithCode(() => parseImageReference(name), "REF_INVALID");
    });
  }
});

describe("each malformed kind has its own message", () => {
  const cases: Array<[string, "REF_INVALID" | "DIGEST_INVALID", RegExp]> = [
    ["", "REF_INVALID", /is empty/],
    ["docker/Docker", "REF_INVALID", /"docker\/Docker" must be lower-case/],
    ["Uppercase:tag", "REF_INVALID", /"Uppercase" must be lower-case/],
    ["app:-bad", "REF_INVALID", /tag "-bad" is not valid/],
    ["app:.bad", "REF_INVALID", /tag "\.bad" is not valid/],
    [`app:${"a".repeat(129)}`, "REF_INVALID", /tag "a+.*" is not valid/],
    ["app:", "REF_INVALID", /ends with ":" but no tag follows/],
    ["localhost:5000/app:", "REF_INVALID", /ends with ":" but no tag follows/],
    [HEX, "REF_INVALID", /a 64-hex-character string cannot be used as a repository name/],
    ["host:abc/app", "REF_INVALID", /registry port "abc" is not a number/],
    ["host:/app", "REF_INVALID", /registry port "" is not a number/],
    ["host:0/app", "REF_INVALID", /registry port "0"/],
    ["host:65536/app", "REF_INVALID", /registry port "65536"/],
    ["[::1]x/app", "REF_INVALID", /registry "\[::1\]x" is not a valid host/],
    ["-bad.example/app", "REF_INVALID", /registry host "-bad\.example" is not a valid host name/],
    ["bad_host.example/app", "REF_INVALID", /registry host "bad_host\.example"/],
    ["a//b", "REF_INVALID", /empty path component/],
    ["ghcr.io/", "REF_INVALID", /empty path component/],
    ["ghcr.io/-app", "REF_INVALID", /path component "-app" is not valid/],
    ["my app", "REF_INVALID", /path component "my app" is not valid/],
    [":tag", "REF_INVALID", /repository name is missing/],
    [`ghcr.io/${"a".repeat(248)}`, "REF_INVALID", /is 256 characters long; the limit is 255/],
    [`${"x".repeat(2000)}`, "REF_INVALID", /no image reference is longer than/],
    ["app@", "DIGEST_INVALID", /nothing follows "@"/],
    ["app@latest", "DIGEST_INVALID", /"latest" after "@" is not a digest/],
    ["app@sha256:abc", "DIGEST_INVALID", /digest "sha256:abc" is not valid/],
  ];
  for (const [input, code, message] of cases) {
    test(`${JSON.stringify(input.slice(0, 60))} -> ${code} ${message}`, async () => {
      const error = await assertRejectsWithCode(() => parseImageReference(input), code);
      assert.match(error.message, message);
      assert.ok(!error.message.includes("\n"), "one line");
    });
  }

  test("the name length limit of 255 counts the registry, like docker", async () => {
    const atLimit = `ghcr.io/${"a".repeat(255 - "ghcr.io/".length)}`;
    assert.equal(repositoryName(parseImageReference(atLimit)).length, 255);
    await assertRejectsWithCode(() => parseImageReference(`${atLimit}b`), "REF_INVALID");
    // 10 + 245: "docker.io/" is counted even when the text omits it.
    const hub = `ab/${"c".repeat(242)}`;
    assert.equal(repositoryName(parseImageReference(hub)).length, 255);
    await assertRejectsWithCode(() => parseImageReference(`${hub}c`), "REF_INVALID");
  });

  test("64 hex characters are fine as a tag", () => {
    assert.equal(parseImageReference(`app:${"a".repeat(64)}`).tag, "a".repeat(64));
  });
});

describe("digests are checked before use", () => {
  const bad = [
    "sha256:../../x",
    `sha256:../../${"a".repeat(58)}`,
    `sha256:${HEX.toUpperCase()}`,
    `sha256:${HEX.slice(0, 63)}`,
    `sha256:${HEX}0`,
    `md5:${"a".repeat(32)}`,
    `sha1:${"a".repeat(40)}`,
    `SHA256:${HEX}`,
    `sha256:${HEX.slice(0, 63)}g`,
    `sha256:${HEX}/../x`,
    `sha256:${HEX}@sha256:${HEX}`,
  ];
  for (const digest of bad) {
    test(`rejects app@${digest.slice(0, 40)}`, async () => {
      await assertRejectsWithCode(() => parseImageReference(`app@${digest}`), "DIGEST_INVALID");
      await assertRejectsWithCode(() => parseImageReference(`ghcr.io/o/app:1@${digest}`), "DIGEST_INVALID");
      await assertRejectsWithCode(() => withDigest(parseImageReference("app"), digest), "DIGEST_INVALID");
    });
  }

  test("accepts sha384 and sha512 with their lengths", () => {
    assert.equal(parseImageReference(`app@sha384:${"a".repeat(96)}`).digest, `sha384:${"a".repeat(96)}`);
    assert.equal(parseImageReference(`app@sha512:${"b".repeat(128)}`).digest, `sha512:${"b".repeat(128)}`);
  });
});

describe("tags are checked before use", () => {
  for (const tag of ["", ".x", "-x", "a/b", "a:b", "a@b", "a b", "ä", "a".repeat(129), "../x"]) {
    test(`isValidTag(${JSON.stringify(tag.slice(0, 20))}) is false and withTag refuses it`, async () => {
      assert.equal(isValidTag(tag), false);
      await assertRejectsWithCode(() => withTag(parseImageReference("app"), tag), "REF_INVALID");
    });
  }
  for (const tag of ["latest", "_x", "1.0", "v1.0-rc.1", "A_b.C-d", "a".repeat(128), `sha256-${HEX}.sig`]) {
    test(`isValidTag(${JSON.stringify(tag.slice(0, 20))}) is true`, () => {
      assert.equal(isValidTag(tag), true);
    });
  }
});

describe("helpers", () => {
  const tagged = parseImageReference(`ghcr.io/org/app:1@${DIGEST}`);

  test("repositoryName drops tag and digest", () => {
    assert.equal(repositoryName(tagged), "ghcr.io/org/app");
    assert.equal(repositoryName(parseImageReference("nginx")), "docker.io/library/nginx");
  });

  test("withDigest drops the tag, withTag drops the digest", () => {
    const other = `sha256:${"b".repeat(64)}`;
    assert.equal(formatImageReference(withDigest(tagged, other)), `ghcr.io/org/app@${other}`);
    assert.equal(formatImageReference(withTag(tagged, `sha256-${HEX}.sig`)), `ghcr.io/org/app:sha256-${HEX}.sig`);
  });

  test("registryHost maps docker.io to the host docker talks to", () => {
    assert.equal(registryHost(parseImageReference("nginx")), "registry-1.docker.io");
    assert.equal(registryHost(parseImageReference("index.docker.io/user/app")), "registry-1.docker.io");
    assert.equal(registryHost(parseImageReference("localhost:5000/app")), "localhost:5000");
    assert.equal(registryHost(parseImageReference("[::1]:5000/app")), "[::1]:5000");
  });

  test("familiarName keeps library/ when the path is longer than two components", () => {
    assert.equal(familiarName(parseImageReference("docker.io/library/a/b:1")), "library/a/b:1");
    assert.equal(familiarName(parseImageReference("quay.io/library/x:1")), "quay.io/library/x:1");
  });
});
