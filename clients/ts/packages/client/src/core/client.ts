/** `createReelqClient`: one object with `uploads`, `jobs`, `devices`, `artifacts` and `recoverPending`. */

import { Http, type ClientOptions } from "./http.js";
import { Jobs } from "./jobs.js";
import { browserNetwork, type NetworkSource } from "./network.js";
import { recoverPending, type RecoverOptions, type RecoveredItem } from "./recovery.js";
import type { UploadSource } from "./source.js";
import { browserStorage, createUploadStore, type KeyValueStorage, type PendingUpload, type UploadStore } from "./store.js";
import { fetchTransport, type UploadTransport } from "./transport.js";
import { isTerminal, type Device, type DeviceList, type Job } from "./types.js";
import { Uploads } from "./uploads.js";

export interface ReelqClientOptions extends ClientOptions {
  /** Where pending uploads and jobs are remembered: an UploadStore or any key-value storage
   *  (AsyncStorage, localStorage). Default: localStorage in browsers, else memory. */
  store?: UploadStore | KeyValueStorage;
  /** How chunks are sent (default: fetch). */
  transport?: UploadTransport;
  /** Platform adapters: turn a non-Blob input (a file URI) into a source. */
  resolveSource?: (input: unknown, o: { filename?: string; scope: string }) => Promise<UploadSource | undefined>;
  /** Platform adapters: open a stored upload's file again after a restart. */
  openSource?: (record: PendingUpload) => Promise<UploadSource | undefined>;
  /**
   * Whether the platform is online: uploads pause while offline and go on when online; waits hold.
   * Default: the browser's `online`/`offline` events (always online in Node). React Native: a
   * `settableNetwork()` set from NetInfo, or `netInfoNetwork(NetInfo)`.
   */
  network?: NetworkSource;
}

function isUploadStore(s: UploadStore | KeyValueStorage): s is UploadStore {
  return typeof (s as UploadStore).list === "function";
}

export function createReelqClient(options: ReelqClientOptions) {
  const http = new Http(options);
  const store = options.store ? (isUploadStore(options.store) ? options.store : createUploadStore(options.store)) : createUploadStore(browserStorage());
  const network = options.network ?? browserNetwork;
  const uploads = new Uploads({
    http,
    store,
    network,
    transport: options.transport ?? fetchTransport(http),
    resolveSource: options.resolveSource,
  });
  // A job whose end the app has seen is no longer remembered.
  const jobs = new Jobs(http, { network, onTerminal: (job) => uploads.forgetJob(job.job_id) });

  return {
    http,
    store,
    network,
    uploads,
    jobs,
    devices: {
      /** Registers this device's Expo push token (idempotent on the server). */
      register: (body: { push_token: string; platform: "ios" | "android" | "web" }, o: { signal?: AbortSignal } = {}) =>
        http.json<Device>("/api/devices", { method: "POST", json: body, idempotent: true, signal: o.signal }),
      list: (o: { signal?: AbortSignal } = {}) => http.json<DeviceList>("/api/devices", o),
      remove: async (id: string, o: { signal?: AbortSignal } = {}) => {
        await http.request(`/api/devices/${encodeURIComponent(id)}`, { method: "DELETE", signal: o.signal });
      },
    },
    artifacts: {
      /** Absolute URL of an artifact path from a result (`/api/jobs/…/artifacts/poster.jpg`). */
      url: (path: string) => http.url(path),
      /** True when the URL carries its own signature (`?sig=`), so an `<img>` can load it without a header. */
      isSigned: (path: string) => /[?&]sig=/.test(path),
      /** `{uri, headers}` for React Native's `<Image source>` (the header is not needed for signed URLs). */
      source: async (path: string) => ({ uri: http.url(path), headers: /[?&]sig=/.test(path) ? {} : await http.authHeaders(http.url(path)) }),
      /** The artifact's bytes (sends the bearer token). */
      fetch: (path: string, o: { signal?: AbortSignal } = {}) => http.request(path, { signal: o.signal }),
    },
    /** Settles every stored upload and unfinished job; call once when the app starts. */
    recoverPending: (o: RecoverOptions = {}): Promise<RecoveredItem[]> =>
      recoverPending({ http, store, jobs, uploads, openSource: options.openSource }, o),
  };
}

export type ReelqClient = ReturnType<typeof createReelqClient>;
