import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { withLockFile } from "../../../../src/oci/layout/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "signet-lock-"));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("withLockFile", () => {
  test("holders never overlap, and the lock file is gone afterwards", async () => {
    const lock = join(dir, "overlap.lock");
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withLockFile(lock, async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(2);
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.equal(existsSync(lock), false);
  });

  test("the holder keeps its lock fresh while it works", async () => {
    const lock = join(dir, "fresh.lock");
    await withLockFile(
      lock,
      async () => {
        const old = new Date(Date.now() - 60_000);
        utimesSync(lock, old, old);
        await sleep(150);
        assert.ok(Date.now() - statSync(lock).mtimeMs < 1000, "mtime was refreshed");
      },
      { staleMs: 90 },
    );
  });

  test("a stale lock is broken; a fresh one is waited for until the timeout", async () => {
    const lock = join(dir, "stale.lock");
    writeFileSync(lock, "");
    const old = new Date(Date.now() - 10_000);
    utimesSync(lock, old, old);
    assert.equal(await withLockFile(lock, async () => "ran", { staleMs: 1000, timeoutMs: 5000 }), "ran");

    writeFileSync(lock, "");
    const error = await assertRejectsWithCode(() => withLockFile(lock, async () => "never", { staleMs: 60_000, timeoutMs: 100 }), "TIMEOUT");
    assert.match(error.message, /stale\.lock/);
    assert.ok(existsSync(lock));
  });

  test("a lock that another process took over is not deleted by the old holder", async () => {
    const lock = join(dir, "taken.lock");
    await withLockFile(lock, async () => {
      // Somebody judged us stale and replaced our lock with theirs (a new file, so a new inode).
      writeFileSync(`${lock}.theirs`, "other\n");
      renameSync(`${lock}.theirs`, lock);
    });
    assert.equal(readFileSync(lock, "utf8"), "other\n", "the other holder's lock survives our release");
  });
});
