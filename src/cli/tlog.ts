import { SignetError } from "../errors/index.js";

/** A failed upload names the log and the flag that signs without one. */
export function tlogUploadFailed(rekorUrl: string, error: unknown): SignetError {
  const cause = SignetError.is(error) ? error.message : (error as Error).message;
  return new SignetError("REKOR_ERROR", `could not upload the signature to the transparency log ${rekorUrl}: ${cause}`, {
    hint: `Check --rekor-url and the network, or add --tlog-upload=false to sign without a transparency log entry (verifiers then need --insecure-ignore-tlog).`,
    details: { rekorUrl },
    cause: error,
  });
}
