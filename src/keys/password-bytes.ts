/** A password as the bytes scrypt sees: strings are UTF-8, like Go's []byte(string). Empty is a valid password. */
export function toPasswordBytes(password: Uint8Array | string): Buffer {
  if (typeof password === "string") return Buffer.from(password, "utf8");
  return Buffer.from(password.buffer, password.byteOffset, password.byteLength);
}
