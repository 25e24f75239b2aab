// registries.d (containers-registries.d(5)): strict parsing, merging a directory as containers/image does
// (one file per scope), and the lookaside lookup order. image-rs's sigstore_config vectors are walked.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseImageReference, parseNormalizedName } from "../../../../src/oci/reference/index.js";
import {
  builtinDefaultLookaside,
  dockerReferenceIdentity,
  dockerReferenceNamespaces,
  loadRegistriesD,
  lookasideFor,
  mergeRegistriesDFiles,
  parseRegistriesDFile,
  type RegistriesDConfig,
  type RegistryNamespace,
} from "../../../../src/signatures/registries-d/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { VECTORS } from "../../../helpers/peers.js";

const IMAGE_RS = join(VECTORS, "confidential-containers__guest-components", "image-rs", "test_data");
const SIGSTORE_CONFIG = join(IMAGE_RS, "signature", "sigstore_config");

function config(docker: Record<string, RegistryNamespace>, defaultDocker?: RegistryNamespace): RegistriesDConfig {
  return { docker: new Map(Object.entries(docker)), origins: new Map(), ...(defaultDocker ? { defaultDocker } : {}) };
}

function plain(value: RegistriesDConfig): { defaultDocker: RegistryNamespace | undefined; docker: Record<string, RegistryNamespace> } {
  return { defaultDocker: value.defaultDocker, docker: Object.fromEntries(value.docker) };
}

describe("image-rs sigstore_config merge vectors", { skip: !existsSync(SIGSTORE_CONFIG) && `no vectors at ${SIGSTORE_CONFIG}` }, () => {
  /**
   * image-rs merges files whose duplicated scopes are identical (test_case_1, test_case_2); containers/image,
   * which signet follows, refuses any scope configured in two files. test_case_3 merges the same in both.
   */
  const EXPECTED: Record<string, { merged: string } | { conflict: RegExp }> = {
    test_case_1: { conflict: /"default-docker" is defined both in .*1\.yaml and in .*2\.yaml/ },
    test_case_2: { conflict: /"docker" namespace "example\.com" is defined both in .*1\.yaml and in .*2\.yaml/ },
    test_case_3: { merged: "res3.yaml" },
  };

  test("every test_case_* directory has an expectation (a new one must get one)", () => {
    const cases = readdirSync(SIGSTORE_CONFIG).filter((name) => name.startsWith("test_case_"));
    assert.ok(cases.length >= 3);
    assert.deepEqual(cases.filter((name) => !(name in EXPECTED)), []);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(`${name}: ${"merged" in expected ? `merges to ${expected.merged}` : "refused: a scope in two files"}`, async () => {
      const directory = join(SIGSTORE_CONFIG, name);
      // Each file is valid on its own.
      for (const file of readdirSync(directory)) await parseRegistriesDFile(readFileSync(join(directory, file), "utf8"), file);
      if ("conflict" in expected) {
        const error = await assertRejectsWithCode(() => loadRegistriesD(directory), "POLICY_CONFIG_INVALID");
        assert.match(error.message, expected.conflict);
        return;
      }
      const merged = await loadRegistriesD(directory);
      const result = mergeRegistriesDFiles([await parseRegistriesDFile(readFileSync(join(SIGSTORE_CONFIG, "merged_result", expected.merged), "utf8"), expected.merged)]);
      assert.deepEqual(plain(merged), plain(result));
      assert.equal(merged.origins.get("example1.com"), join(directory, "1.yaml"));
      assert.equal(merged.origins.get("default-docker"), join(directory, "2.yaml"));
    });
  }

  test("merged_result files all parse", async () => {
    for (const file of readdirSync(join(SIGSTORE_CONFIG, "merged_result"))) {
      const parsed = await parseRegistriesDFile(readFileSync(join(SIGSTORE_CONFIG, "merged_result", file), "utf8"), file);
      assert.ok(parsed.defaultDocker?.sigstore?.startsWith("file:///"), file);
    }
  });

  test("get_base_url: a registry's own section, else the default (image-rs test_get_sigstore_base_url)", async () => {
    const loaded = await loadRegistriesD(join(SIGSTORE_CONFIG, "get_base_url"));
    assert.equal(lookasideFor(loaded, parseImageReference("example1.com/mylib/busybox:latest")).lookaside, "file:///var/lib/containers/sigstore");
    assert.equal(lookasideFor(loaded, parseImageReference("example3.com/mylib/busybox:latest")).lookaside, "file:///default/sigstore");
  });

  test("simple-signing-scheme/sigstore_config.yaml: the older sigstore / sigstore-staging keys", async () => {
    const text = readFileSync(join(IMAGE_RS, "simple-signing-scheme", "sigstore_config.yaml"), "utf8");
    const loaded = mergeRegistriesDFiles([await parseRegistriesDFile(text, "sigstore_config.yaml")]);
    const location = lookasideFor(loaded, parseImageReference("quay.io/kata-containers/confidential-containers:signed"));
    assert.deepEqual(location, {
      lookaside: "file:///etc/containers/quay_verification/signatures",
      lookasideStaging: "file:///etc/containers/quay_verification/signatures",
      useSigstoreAttachments: false,
    });
    assert.deepEqual(lookasideFor(loaded, parseImageReference("quay.io/other/image:1")), { useSigstoreAttachments: false });
  });
});

describe("loadRegistriesD", () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "signet-registries-d-"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  function directory(files: Record<string, string>): string {
    const dir = mkdtempSync(join(root, "d-"));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  }

  test("a missing directory is an empty configuration; an empty one too", async () => {
    assert.deepEqual(plain(await loadRegistriesD(join(root, "does-not-exist"))), { defaultDocker: undefined, docker: {} });
    assert.deepEqual(plain(await loadRegistriesD(directory({}))), { defaultDocker: undefined, docker: {} });
  });

  test("merges every *.yaml file, ignores other files, accepts {} and empty files", async () => {
    const dir = directory({
      "a.yaml": "docker:\n  example.com:\n    lookaside: https://lookaside.example.com\n  registry.test.example.com:8888:\n    lookaside: http://r.example:8889/l\n    lookaside-staging: file:///srv/staging\n",
      "b.yaml": "default-docker:\n  lookaside: file:///mnt/signatures\ndocker:\n  docker.io/centos:\n    sigstore: https://lookaside.centos.example/\n    use-sigstore-attachments: true\n",
      "empty.yaml": "",
      "braces.yaml": "{}",
      "notes.txt": "this: [is not: yaml",
      "invalid-but.notyaml": "}",
    });
    const loaded = await loadRegistriesD(dir);
    assert.deepEqual(plain(loaded), {
      defaultDocker: { lookaside: "file:///mnt/signatures" },
      docker: {
        "example.com": { lookaside: "https://lookaside.example.com" },
        "registry.test.example.com:8888": { lookaside: "http://r.example:8889/l", lookasideStaging: "file:///srv/staging" },
        "docker.io/centos": { sigstore: "https://lookaside.centos.example/", useSigstoreAttachments: true },
      },
    });
    assert.equal(loaded.origins.get("docker.io/centos"), join(dir, "b.yaml"));
  });

  test("a scope in two files is refused, naming both files (even when both say the same)", async () => {
    const same = "default-docker:\n  lookaside: file:///tmp/same\n";
    const error = await assertRejectsWithCode(() => loadRegistriesD(directory({ "0.yaml": same, "1.yaml": same })), "POLICY_CONFIG_INVALID");
    assert.match(error.message, /0\.yaml/);
    assert.match(error.message, /1\.yaml/);
    const ns = (url: string) => `docker:\n  example.com:\n    lookaside: ${url}\n`;
    const nsError = await assertRejectsWithCode(() => loadRegistriesD(directory({ "0.yaml": ns("file:///a"), "1.yaml": ns("file:///b") })), "POLICY_CONFIG_INVALID");
    assert.match(nsError.message, /"example\.com" is defined both in .*0\.yaml and in .*1\.yaml/);
  });

  const invalid: [string, string][] = [
    ["broken YAML", "}"],
    ["a key repeated in one file", "docker:\n  example.com:\n    lookaside: file:///a\n  example.com:\n    lookaside: file:///b\n"],
    ["an unknown top-level key", "default-docker:\n  lookaside: file:///a\nprivileged: true\n"],
    ["an unknown section key", "docker:\n  example.com:\n    lookaside: file:///a\n    look-aside: file:///typo\n"],
    ["the old use-cosign-attachments key", "default-docker:\n  use-cosign-attachments: true\n"],
    ["a URL that is not a string", "default-docker:\n  lookaside: [file:///a]\n"],
    ["a number for a URL", "default-docker:\n  lookaside: 12\n"],
    ["a string for use-sigstore-attachments", "default-docker:\n  use-sigstore-attachments: 'yes'\n"],
    ["a list at the top", "- default-docker\n"],
    ["a scalar docker section", "docker: example.com\n"],
    ["a scalar namespace section", "docker:\n  example.com: file:///a\n"],
  ];
  for (const [name, text] of invalid) {
    test(`refuses ${name}`, async () => {
      const error = await assertRejectsWithCode(() => loadRegistriesD(directory({ "bad.yaml": text })), "POLICY_CONFIG_INVALID");
      assert.match(error.message, /bad\.yaml/);
    });
  }

  test("an unreadable directory (a file) is IO_ERROR, not an empty configuration", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    await assertRejectsWithCode(() => loadRegistriesD(file), "IO_ERROR");
  });

  test("a *.yaml directory entry that is not a file fails closed", async () => {
    const dir = directory({});
    mkdirSync(join(dir, "sub.yaml"));
    await assertRejectsWithCode(() => loadRegistriesD(dir), "IO_ERROR");
  });
});

describe("lookasideFor", () => {
  // The lookup order of containers/image's TestRegistryConfigurationSignatureTopLevel, restated.
  const scopes = ["localhost", "localhost:5000", "example.com", "example.com/ns1", "example.com/ns1/ns2", "example.com/ns1/ns2/repo", "example.com/ns1/ns2/repo:notlatest"];
  const ordered = config(
    Object.fromEntries(scopes.map((s) => [s, { lookaside: s, lookasideStaging: `${s}+w` }])),
    { lookaside: "=default", lookasideStaging: "=default+w" },
  );
  const cases: [string, string][] = [
    ["example.com/ns1/ns2/repo:notlatest", "example.com/ns1/ns2/repo:notlatest"],
    ["example.com/ns1/ns2/repo:unmatched", "example.com/ns1/ns2/repo"],
    ["example.com/ns1/ns2/notrepo:notlatest", "example.com/ns1/ns2"],
    ["example.com/ns1/notns2/repo:notlatest", "example.com/ns1"],
    ["example.com/notns1/ns2/repo:notlatest", "example.com"],
    ["unknown.example.com/busybox", "=default"],
    ["localhost:5000/busybox", "localhost:5000"],
    ["localhost/busybox", "localhost"],
    ["localhost:9999/busybox", "=default"],
  ];
  for (const [reference, expected] of cases) {
    test(`${reference} → ${expected}`, () => {
      const location = lookasideFor(ordered, parseImageReference(reference));
      assert.equal(location.lookaside, expected);
      assert.equal(location.lookasideStaging, `${expected}+w`);
    });
  }

  test("nothing configured → nothing (the caller decides on the built-in default)", () => {
    const only = config({ unmatched: { lookaside: "a", lookasideStaging: "b" } });
    assert.deepEqual(lookasideFor(only, parseImageReference("thisisnotmatched")), { useSigstoreAttachments: false });
  });

  // registryNamespace.signatureTopLevel's precedence (TestRegistryNamespaceSignatureTopLevel), as [section, read, write].
  const precedence: [RegistryNamespace, string | undefined, string | undefined][] = [
    [{ lookasideStaging: "a", lookaside: "b" }, "b", "a"],
    [{ lookaside: "b" }, "b", "b"],
    [{ lookasideStaging: "a" }, undefined, "a"],
    [{}, undefined, undefined],
    [{ lookasideStaging: "a", lookaside: "b", sigstoreStaging: "c", sigstore: "d" }, "b", "a"],
    [{ lookaside: "b", sigstoreStaging: "c", sigstore: "d" }, "b", "c"],
    [{ lookaside: "b", sigstore: "d" }, "b", "b"],
    [{ sigstore: "d" }, "d", "d"],
    [{ lookaside: "", sigstore: "d" }, "d", "d"],
  ];
  for (const [section, read, write] of precedence) {
    test(`section ${JSON.stringify(section)} reads ${read}, writes ${write}`, () => {
      const location = lookasideFor(config({}, section), parseImageReference("example.com/a:1"));
      assert.equal(location.lookaside, read);
      assert.equal(location.lookasideStaging, write);
    });
  }

  test("a matching section without a URL falls through to its parents and the default", () => {
    const cfg = config(
      { "example.com/team/app": { useSigstoreAttachments: true }, "example.com/team": { lookasideStaging: "file:///staging" } },
      { lookaside: "file:///default" },
    );
    assert.deepEqual(lookasideFor(cfg, parseImageReference("example.com/team/app:1")), {
      lookaside: "file:///default",
      lookasideStaging: "file:///staging",
      useSigstoreAttachments: true,
    });
  });

  test("use-sigstore-attachments: the most specific setting wins, false included", () => {
    const cfg = config({ "example.com/quiet": { useSigstoreAttachments: false } }, { useSigstoreAttachments: true });
    assert.equal(lookasideFor(cfg, parseImageReference("example.com/quiet:1")).useSigstoreAttachments, false);
    assert.equal(lookasideFor(cfg, parseImageReference("example.com/loud:1")).useSigstoreAttachments, true);
  });

  test("namespaces match on path components, not string prefixes", () => {
    const cfg = config({ "example.com/foo": { lookaside: "file:///foo" } });
    assert.equal(lookasideFor(cfg, parseImageReference("example.com/foobar:1")).lookaside, undefined);
    assert.equal(lookasideFor(cfg, parseImageReference("example.com/foo/bar:1")).lookaside, "file:///foo");
  });

  test("*.domain wildcards match sub-domains of the host (without its port), after every path namespace", () => {
    const cfg = config({ "*.example.com": { lookaside: "file:///wild" }, "*.com": { lookaside: "file:///com" }, "registry.example.com:5000": { lookaside: "file:///exact" } });
    assert.equal(lookasideFor(cfg, parseImageReference("registry.example.com:5000/a:1")).lookaside, "file:///exact");
    assert.equal(lookasideFor(cfg, parseImageReference("registry.example.com:6000/a:1")).lookaside, "file:///wild");
    assert.equal(lookasideFor(cfg, parseImageReference("evil-example.com/a:1")).lookaside, "file:///com");
    assert.equal(lookasideFor(cfg, parseImageReference("example.org/a:1")).lookaside, undefined);
  });

  test("docker.io references are looked up fully expanded", () => {
    const cfg = config({ "docker.io/library": { lookaside: "file:///library" } });
    assert.equal(lookasideFor(cfg, parseImageReference("busybox")).lookaside, "file:///library");
  });

  test("identities: tag, digest, both (looked up by digest), none", () => {
    const digest = `sha256:${"e".repeat(64)}`;
    assert.equal(dockerReferenceIdentity(parseImageReference("example.com/a/b:1")), "example.com/a/b:1");
    assert.equal(dockerReferenceIdentity(parseImageReference(`example.com/a/b@${digest}`)), `example.com/a/b@${digest}`);
    assert.equal(dockerReferenceIdentity(parseImageReference(`example.com/a/b:1@${digest}`)), `example.com/a/b@${digest}`);
    assert.equal(dockerReferenceIdentity(parseNormalizedName("example.com/a/b")), "example.com/a/b");
    const cfg = config({ [`example.com/a/b@${digest}`]: { lookaside: "file:///pinned" }, "example.com/a/b:1": { lookaside: "file:///tagged" } });
    assert.equal(lookasideFor(cfg, parseImageReference(`example.com/a/b:1@${digest}`)).lookaside, "file:///pinned");
  });

  test("namespaces as containers/image lists them", () => {
    assert.deepEqual(dockerReferenceNamespaces(parseImageReference("example.com:8443/ns/repo:1")), [
      "example.com:8443/ns/repo",
      "example.com:8443/ns",
      "example.com:8443",
      "*.com",
    ]);
    assert.deepEqual(dockerReferenceNamespaces(parseImageReference("a.b.example.com/r:1")), ["a.b.example.com/r", "a.b.example.com", "*.b.example.com", "*.example.com", "*.com"]);
    assert.deepEqual(dockerReferenceNamespaces(parseImageReference("[::1]:5000/r:1")), ["[::1]:5000/r", "[::1]:5000"]);
    assert.deepEqual(dockerReferenceNamespaces(parseNormalizedName("localhost/r")), ["localhost"]);
  });

  test("the built-in default lookaside: /var/lib for root, under $HOME otherwise", () => {
    assert.equal(builtinDefaultLookaside({ euid: 0 }), "file:///var/lib/containers/sigstore");
    assert.equal(builtinDefaultLookaside({ euid: 1000, home: "/home/user" }), "file:///home/user/.local/share/containers/sigstore");
  });
});
