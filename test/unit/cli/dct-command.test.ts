import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCliInProcess } from "../../helpers/cli.js";

const codeOf = (stdout: string) => (JSON.parse(stdout) as { error: { code: string } }).error.code;

describe("signet dct (command line)", () => {
  for (const [args, env, why] of [
    [["dct", "verify", "registry.example/app:v1"], {}, "no --server and no DOCKER_CONTENT_TRUST_SERVER"],
    [["dct", "verify", "registry.example/app:v1", "--server", "http://notary.example"], {}, "plain http to a server off loopback"],
    [["dct", "verify", "registry.example/app:v1"], { DOCKER_CONTENT_TRUST_SERVER: "https://user:pw@notary.example" }, "credentials in the URL"],
    [["dct", "verify", "oci:./layout:v1", "--server", "https://notary.example"], {}, "an OCI layout"],
    [["dct", "sign", "registry.example/app:v1"], {}, "an unknown subcommand"],
    [["dct", "verify", "a:1", "b:1", "--server", "https://notary.example"], {}, "two images"],
  ] as const) {
    test(`usage error: ${why}`, async () => {
      const result = await runCliInProcess([...args, "--output-format", "json"], { HOME: "/nonexistent", ...env });
      assert.equal(result.status, 2, result.stdout + result.stderr);
      assert.equal(codeOf(result.stdout), "USAGE");
    });
  }
});
