// OpenPGP.js's type declarations import their stream types from its optional peer `@openpgp/web-stream-tools`,
// which signet does not install (its own peers would pull TypeScript into every install). This global
// declaration stands in for it, so that a consumer's type check with `skipLibCheck: false` finds the module;
// TypeScript resolves a real installed copy first when there is one. signet's declarations that name OpenPGP.js
// types reference this file.
declare module "@openpgp/web-stream-tools" {
  import type { ReadableStream } from "node:stream/web";
  /** A WHATWG ReadableStream, as web-stream-tools defines it. */
  export type WebStream<T> = ReadableStream<T>;
  /** Node's WHATWG ReadableStream. */
  export type NodeWebStream<T> = ReadableStream<T>;
}
