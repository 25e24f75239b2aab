/**
 * Keeps an up-to-date copy of a collection of Kubernetes objects, as client-go's reflector does: LIST (in
 * pages) to get every object and the collection's resourceVersion, then WATCH from that resourceVersion and
 * apply ADDED / MODIFIED / DELETED events (BOOKMARK events only move the resourceVersion forward). When the
 * server says the resourceVersion is too old (410 Gone, as an HTTP status or an ERROR event), it lists again.
 * Any other failure is retried with exponential backoff (and jitter), watching again from the last version
 * seen. Sizes and counts are bounded: an API server (or whoever can create objects) cannot exhaust memory.
 */
import { SignetError, toSignetError } from "../../errors/index.js";
import type { KubeClient } from "./kube-client.js";
import { kubeApiError } from "./kube-client.js";

export interface ListWatchOptions {
  readonly client: KubeClient;
  /** The collection, e.g. `/apis/policy.sigstore.dev/v1beta1/clusterimagepolicies`. */
  readonly path: string;
  /** Filled into list items that lack them (the API server omits them in lists of built-in kinds). */
  readonly apiVersion: string;
  readonly kind: string;
  /** More objects than this fail the list (and keep the previous copy). */
  readonly maxObjects: number;
  /** One object, one watch event, at most this many bytes. */
  readonly maxObjectBytes: number;
  /** Narrows the collection (`metadata.name=cosign-key`): sent with every list and watch. */
  readonly fieldSelector?: string;
  /** Items per LIST page. Default 250. */
  readonly pageSize?: number;
  /** One LIST page (an answer) at most this many bytes. Default 32 MiB. */
  readonly maxPageBytes?: number;
  /** Asked of the server for each watch (it then ends the watch, and the client watches again). Default 300. */
  readonly watchTimeoutSeconds?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Called after the first complete list and after every change, with every object now known. */
  readonly onChange: (objects: readonly Record<string, unknown>[]) => void;
  /** Called for every failed list or watch, before the backoff; `retryInMs` is 0 for a re-list after 410. */
  readonly onError: (error: SignetError, retryInMs: number) => void;
}

export interface ListWatch {
  /** Resolves after the first complete list; rejects if closed before. */
  readonly synced: Promise<void>;
  /** The objects now known (sorted by name). */
  objects(): readonly Record<string, unknown>[];
  /** The resourceVersion the copy is at. */
  readonly resourceVersion: string | undefined;
  close(): void;
}

class Gone extends Error {}

export function startListWatch(options: ListWatchOptions): ListWatch {
  const pageSize = options.pageSize ?? 250;
  const maxPageBytes = options.maxPageBytes ?? 32 * 1024 * 1024;
  const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
  const stop = new AbortController();
  let store = new Map<string, Record<string, unknown>>();
  let resourceVersion: string | undefined;
  let resolveSynced!: () => void;
  let rejectSynced!: (error: Error) => void;
  const synced = new Promise<void>((resolve, reject) => {
    resolveSynced = resolve;
    rejectSynced = reject;
  });
  synced.catch(() => undefined);

  const sorted = () => [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, object]) => object);

  const list = async (): Promise<void> => {
    const next = new Map<string, Record<string, unknown>>();
    let continueToken: string | undefined;
    let listVersion: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(pageSize) });
      if (continueToken !== undefined) query.set("continue", continueToken);
      if (options.fieldSelector !== undefined) query.set("fieldSelector", options.fieldSelector);
      const response = await options.client.send({ method: "GET", path: `${options.path}?${query}`, maxBytes: maxPageBytes, what: `list ${options.path}` });
      // An expired continue token (410) means the snapshot is gone: start the list again.
      if (response.status === 410) throw new Gone();
      if (response.status !== 200) throw kubeApiError(`list ${options.path}`, response.status, response.body);
      const body = asRecord(response.body);
      const metadata = asRecord(body?.["metadata"]);
      const items = body?.["items"];
      if (body === undefined || !Array.isArray(items)) throw malformed(`list ${options.path}`, "the answer is not a list");
      for (const item of items) {
        const object = normalise(item);
        next.set(keyOf(object), object);
        if (next.size > options.maxObjects) throw malformed(`list ${options.path}`, `more than ${options.maxObjects} objects`);
      }
      listVersion = typeof metadata?.["resourceVersion"] === "string" ? metadata["resourceVersion"] : undefined;
      const token = metadata?.["continue"];
      continueToken = typeof token === "string" && token !== "" ? token : undefined;
    } while (continueToken !== undefined && !stop.signal.aborted);
    if (listVersion === undefined) throw malformed(`list ${options.path}`, "the list has no resourceVersion");
    store = next;
    resourceVersion = listVersion;
    options.onChange(sorted());
    resolveSynced();
  };

  const watch = async (): Promise<void> => {
    const query = new URLSearchParams({ watch: "true", allowWatchBookmarks: "true", resourceVersion: resourceVersion!, timeoutSeconds: String(watchTimeoutSeconds) });
    if (options.fieldSelector !== undefined) query.set("fieldSelector", options.fieldSelector);
    let gone = false;
    let failure: SignetError | undefined;
    try {
      await options.client.watch({
        path: `${options.path}?${query}`,
        maxEventBytes: options.maxObjectBytes + 4096,
        idleTimeoutMs: watchTimeoutSeconds * 1000 + 30_000,
        signal: stop.signal,
        what: `watch ${options.path}`,
        onEvent(untrusted) {
          if (gone || failure !== undefined) return;
          const event = asRecord(untrusted);
          const type = event?.["type"];
          if (type === "ERROR") {
            const status = asRecord(event?.["object"]);
            if (status?.["code"] === 410) gone = true;
            else failure = kubeApiError(`watch ${options.path}`, typeof status?.["code"] === "number" ? status["code"] : 0, status);
            return;
          }
          const object = normalise(event?.["object"]);
          const version = asRecord(object["metadata"])?.["resourceVersion"];
          switch (type) {
            case "BOOKMARK":
              break;
            case "ADDED":
            case "MODIFIED":
              if (!store.has(keyOf(object)) && store.size >= options.maxObjects) {
                failure = malformed(`watch ${options.path}`, `more than ${options.maxObjects} objects`);
                return;
              }
              store.set(keyOf(object), object);
              break;
            case "DELETED":
              store.delete(keyOf(object));
              break;
            default:
              failure = malformed(`watch ${options.path}`, `an event of unknown type ${JSON.stringify(type)}`);
              return;
          }
          if (typeof version === "string" && version !== "") resourceVersion = version;
          if (type !== "BOOKMARK") options.onChange(sorted());
        },
      });
    } catch (error) {
      const signetError = toSignetError(error);
      if (signetError.details["status"] === 410) throw new Gone();
      throw signetError;
    }
    if (gone) throw new Gone();
    if (failure !== undefined) throw failure;
  };

  void (async () => {
    let needList = true;
    let delay = backoff.initialMs;
    let goneInARow = 0;
    while (!stop.signal.aborted) {
      const started = Date.now();
      try {
        if (needList) {
          await list();
          needList = false;
          delay = backoff.initialMs;
        }
        await watch();
        goneInARow = 0;
        // The server ended the watch (timeoutSeconds): watch again at once, unless it ends them immediately.
        if (Date.now() - started < 1_000) await sleep(Math.min(delay, 1_000), stop.signal);
        else delay = backoff.initialMs;
      } catch (error) {
        if (stop.signal.aborted) break;
        if (error instanceof Gone) {
          needList = true;
          goneInARow += 1;
          // Once is normal (a long disconnection); again right after a fresh list, the server is confused: back off.
          const wait = goneInARow > 1 ? Math.round(delay * (0.8 + Math.random() * 0.4)) : 0;
          options.onError(new SignetError("KUBE_API_FAILED", `Kubernetes API: watch ${options.path}: resourceVersion ${resourceVersion ?? "?"} is too old (410 Gone); listing again`, { details: { status: 410 } }), wait);
          if (wait > 0) {
            await sleep(wait, stop.signal);
            delay = Math.min(delay * 2, backoff.maxMs);
          }
          continue;
        }
        const wait = Math.round(delay * (0.8 + Math.random() * 0.4));
        options.onError(toSignetError(error), wait);
        await sleep(wait, stop.signal);
        delay = Math.min(delay * 2, backoff.maxMs);
      }
    }
  })();

  return {
    synced,
    objects: sorted,
    get resourceVersion() {
      return resourceVersion;
    },
    close() {
      stop.abort();
      rejectSynced(new SignetError("KUBE_API_FAILED", `Kubernetes API: list ${options.path}: closed before the first list completed`));
    },
  };

  function normalise(untrusted: unknown): Record<string, unknown> {
    const object = asRecord(untrusted);
    const metadata = asRecord(object?.["metadata"]);
    const name = metadata?.["name"];
    if (object === undefined || typeof name !== "string" || name === "") throw malformed(`${options.path}`, "an object without metadata.name");
    return { apiVersion: options.apiVersion, kind: options.kind, ...object };
  }
}

function keyOf(object: Record<string, unknown>): string {
  const metadata = object["metadata"] as Record<string, unknown>;
  return `${typeof metadata["namespace"] === "string" ? metadata["namespace"] : ""}/${metadata["name"] as string}`;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}


function malformed(what: string, problem: string): SignetError {
  return new SignetError("KUBE_API_FAILED", `Kubernetes API: ${what}: ${problem}`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
