/**
 * The resume store: what must survive an app kill so an upload continues where it stopped and its job is
 * found again. It sits on any async key-value storage (AsyncStorage, localStorage, a file, memory).
 */

import { hashText } from "./util.js";

export interface KeyValueStorage {
  getItem(key: string): Promise<string | null> | string | null;
  setItem(key: string, value: string): Promise<void> | void;
  removeItem(key: string): Promise<void> | void;
}

/** One upload in flight, or one job not yet seen finished. */
export interface PendingUpload {
  /**
   * The record's key in the store: the file's fingerprint (name, size, date, a hash of its first and last
   * bytes), the server, the account and the analysis options; `job:…` once the upload made its job.
   */
  fingerprint: string;
  /** The server (`scheme://host[:port]` of the client's `baseUrl`) the upload and job live on. */
  origin?: string;
  /** The account on that server (see `ClientOptions.account`). Records without both are never touched. */
  account?: string;
  /** The analyzer asked for (with `metadata`, part of what makes the same file a new job). */
  analyzer?: string;
  /** Keep the record under the file's key once the job exists (`keepRecord`): the same file returns this job. */
  keep?: boolean;
  /** The tus upload URL once created. */
  uploadUrl?: string;
  /** Bytes the server confirmed. */
  offset: number;
  size: number;
  filename?: string;
  /** A path or URI the app can open again after a restart (native files); absent for browser Files. */
  fileUri?: string;
  /** Set once the server created the job. */
  jobId?: string;
  /** For the multipart fallback: the same key returns the same job. */
  idempotencyKey?: string;
  /** Options of the upload, to resume it with the same metadata. */
  pushToken?: string;
  metadata?: Record<string, unknown>;
  updatedAt: number;
}

export interface UploadStore {
  get(fingerprint: string): Promise<PendingUpload | undefined>;
  set(record: PendingUpload): Promise<void>;
  remove(fingerprint: string): Promise<void>;
  list(): Promise<PendingUpload[]>;
  /** Removes `fingerprint` and stores `record` in one write (optional; else `set` then `remove`). */
  replace?(fingerprint: string, record: PendingUpload): Promise<void>;
}

/** Who a client is: records of any other server or account are not its business. */
export interface RecordOwner {
  origin: string;
  account: string;
}

export function belongsTo(record: PendingUpload, owner: RecordOwner): boolean {
  return record.origin === owner.origin && record.account === owner.account;
}

/** Storage in memory (a `Map`): tests, or a process that never restarts. */
export function memoryStorage(initial?: Map<string, string>): KeyValueStorage & { data: Map<string, string> } {
  const data = initial ?? new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

/** `window.localStorage` when there is one (browsers), else memory. */
export function browserStorage(): KeyValueStorage {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  return ls ?? memoryStorage();
}

/**
 * An UploadStore that keeps all records as one JSON value under `key`. Writes of one store object are
 * serialised so two uploads finishing at once do not lose each other's record.
 */
export function createUploadStore(storage: KeyValueStorage, key = "reelq:uploads"): UploadStore {
  let chain: Promise<unknown> = Promise.resolve();
  const read = async (): Promise<Record<string, PendingUpload>> => {
    const raw = await storage.getItem(key);
    if (!raw) return {};
    try {
      const parsed: unknown = JSON.parse(raw);
      return parsed && typeof parsed === "object" ? (parsed as Record<string, PendingUpload>) : {};
    } catch {
      return {};
    }
  };
  const update = <T>(fn: (all: Record<string, PendingUpload>) => T): Promise<T> => {
    const next = chain.then(async () => {
      const all = await read();
      const out = fn(all);
      if (Object.keys(all).length) await storage.setItem(key, JSON.stringify(all));
      else await storage.removeItem(key);
      return out;
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    get: async (fp) => {
      await chain;
      return (await read())[fp];
    },
    set: (record) => update((all) => void (all[record.fingerprint] = { ...record, updatedAt: Date.now() })),
    remove: (fp) => update((all) => void delete all[fp]),
    replace: (fp, record) =>
      update((all) => {
        delete all[fp];
        all[record.fingerprint] = { ...record, updatedAt: Date.now() };
      }),
    list: async () => {
      await chain;
      return Object.values(await read());
    },
  };
}

/** JSON with sorted keys, so the same metadata always gives the same record key. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value ?? null);
}

/**
 * The store key of an upload: the file, the server (in the file's fingerprint), the account, and the
 * analysis asked for. The same file with another analyzer or metadata is another upload and another job.
 */
export function uploadKey(fileFingerprint: string, owner: RecordOwner, o: { analyzer?: string; metadata?: Record<string, unknown> }): string {
  return [fileFingerprint, `account=${owner.account}`, `analysis=${hashText(stableJson([o.analyzer ?? null, o.metadata ?? null]))}`].join("|");
}

/** The key a record moves to once its job exists: it is then a job to follow, not a file to reuse. */
export function jobKey(owner: RecordOwner, jobId: string): string {
  return `job|${owner.origin}|account=${owner.account}|${jobId}`;
}

/**
 * The job of an upload exists: its record becomes a job to follow (under `job|…`), so the same file makes a
 * new job next time, unless the record asked to be kept (`keepRecord`) under the file's key.
 */
export async function recordJob(store: UploadStore, owner: RecordOwner, record: PendingUpload, jobId: string): Promise<void> {
  const done = { ...record, offset: record.size, jobId };
  if (record.keep) return store.set(done);
  const moved = { ...done, fingerprint: jobKey(owner, jobId) };
  if (store.replace) return store.replace(record.fingerprint, moved);
  await store.set(moved);
  await store.remove(record.fingerprint);
}
