/**
 * The test harness on a machine without the peers: a test that needs one fails at once with "install X",
 * never hangs and is never skipped (issue: `make test` on a fresh machine).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runProgram } from "../../helpers/cli.js";
import { cosignPath, isInstalled, missingPeerMessage, requirePeer } from "../../helpers/peers.js";
import { startRedis } from "../../helpers/redis.js";
import { startRegistry } from "../../helpers/registry.js";

describe("a missing peer fails the test at once, saying what to install", () => {
  const saved = { PATH: process.env["PATH"], SIGNET_TEST_COSIGN: process.env["SIGNET_TEST_COSIGN"] };
  before(() => {
    process.env["PATH"] = "/nonexistent-signet-test-bin";
    process.env["SIGNET_TEST_COSIGN"] = "/nonexistent-signet-test-bin/cosign";
  });
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  test("the message names the Debian package and the command", () => {
    assert.equal(missingPeerMessage("docker-registry"), "docker-registry is not installed: install docker-registry (as root: apt-get install -y docker-registry; `make test` run as root installs every test peer)");
    assert.match(missingPeerMessage("gpg"), /^gpg is not installed: install gnupg \(as root: apt-get install -y gnupg;/);
    assert.match(missingPeerMessage("/opt/x/umoci"), /^umoci is not installed at \/opt\/x\/umoci: install umoci/);
    assert.equal(isInstalled("skopeo"), false);
    assert.equal(isInstalled(process.execPath), true);
    assert.throws(() => requirePeer("skopeo"), { message: missingPeerMessage("skopeo") });
  });

  test("starting a registry or redis rejects with 'install …', and leaves no process behind", async () => {
    await assert.rejects(startRegistry(), { message: missingPeerMessage("docker-registry") });
    await assert.rejects(startRedis(), { message: missingPeerMessage("redis-server") });
  });

  test("running a missing program rejects with 'install …' (gpg, skopeo, podman, …)", async () => {
    await assert.rejects(runProgram("skopeo", ["--version"]), { message: missingPeerMessage("skopeo") });
  });

  test("cosign named by SIGNET_TEST_COSIGN but absent is an error, not a skip", () => {
    assert.throws(() => cosignPath(), /SIGNET_TEST_COSIGN=\/nonexistent-signet-test-bin\/cosign is not an executable; install cosign/);
  });
});
