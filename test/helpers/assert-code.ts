import assert from "node:assert/strict";
import { SignetError, type ErrorCode } from "../../src/errors/index.js";

/** Asserts that `action` throws (or rejects with) a SignetError carrying `code`. Returns the error. */
export async function assertRejectsWithCode(action: () => unknown, code: ErrorCode): Promise<SignetError> {
  try {
    await action();
  } catch (error) {
    assert.ok(SignetError.is(error), `expected a SignetError with code ${code}, got ${String(error)}`);
    assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`);
    return error;
  }
  assert.fail(`expected a SignetError with code ${code}, but nothing was thrown`);
}
