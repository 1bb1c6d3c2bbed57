/**
 * Uploads over reelq's tus endpoint, with a resume store: the same file continues from the server's
 * committed offset after a dropped connection, a pause, or an app kill (a new client reading the same
 * store). The job id comes from `Upload-Job-Id`; one upload makes exactly one job. Where tus cannot be
 * used, `POST /api/upload` with an `Idempotency-Key` (kept in the store) and the seed's 3-minute timeout.
 */

import { isDirectAddress, uploadDirect } from "./direct.js";
import { AbortError, ApiError, ReelqError, UploadError, isAbort, isTransient } from "./errors.js";
import { MULTIPART_TIMEOUT_MS, sendMultipart } from "./multipart.js";
import { waitOnline, type NetworkSource } from "./network.js";
import type { Http } from "./http.js";
import { errorFrom } from "./http.js";
import { toSource, type UploadInput, type UploadSource } from "./source.js";
import { belongsTo, recordJob, uploadKey, type PendingUpload, type RecordOwner, type UploadStore } from "./store.js";
import { responseError, type UploadTransport } from "./transport.js";
import { backoffMs, base64Utf8, joinUrl, linkedController, randomId, sleep } from "./util.js";

export const TUS_VERSION = "1.0.0";
export { MULTIPART_TIMEOUT_MS };

export interface UploadProgress {
  sent: number;
  total: number;
}

export interface StartOptions {
  filename?: string;
  pushToken?: string;
  analyzer?: string;
  metadata?: Record<string, unknown>;
  onProgress?: (p: UploadProgress) => void;
  signal?: AbortSignal;
  /** `auto` (tus, multipart when the server has no tus), `tus`, or `multipart`. */
  method?: "auto" | "tus" | "multipart";
  /** Bytes per PATCH; default 8 MiB. */
  chunkSize?: number;
  /** Failed attempts in a row (no byte moved) before `done` rejects; default 5. Time offline does not count. */
  retries?: number;
  /**
   * Continue a stored, unfinished upload of the same file with the same analyzer and metadata (default
   * true). `false`: always a new upload and a new job.
   */
  reuse?: boolean;
  /**
   * Keep the file's record once the job exists, so the same file with the same options returns this job
   * instead of making a new one (tus-js-client's `removeFingerprintOnSuccess: false`). Default false: the
   * record is kept only as a job to follow (`recoverPending`) until its end is seen.
   */
  keepRecord?: boolean;
  /** Native transports: a chunk with no progress for this long is aborted and the offset asked again. Default 60 s. */
  stallTimeoutMs?: number;
  /** Every change of `state` (`uploading`, `paused`, …), e.g. to re-render. */
  onStateChange?: (state: UploadState) => void;
}

export type UploadState = "uploading" | "paused" | "done" | "failed" | "cancelled";

export interface UploadHandle {
  readonly state: UploadState;
  /** True while the upload is paused because the platform said offline (it goes on when online). */
  readonly offline: boolean;
  /**
   * Resolves with the job id; rejects with a ReelqError (AbortError after `cancel()`). After `resume()` of
   * a failed upload this is a new promise.
   */
  readonly done: Promise<{ jobId: string }>;
  /** The store key of this upload (available once the file was read). */
  fingerprint(): Promise<string>;
  pause(): void;
  /** Goes on after `pause()`, and starts a failed upload again from the server's offset. */
  resume(): void;
  cancel(): Promise<void>;
}

export interface UploadDeps {
  http: Http;
  store: UploadStore;
  transport: UploadTransport;
  /** The platform's online/offline signal (uploads pause while offline). */
  network?: NetworkSource;
  /** Turns inputs that are not Blobs (file URIs) into sources; set by platform adapters. */
  resolveSource?: (input: unknown, o: { filename?: string; scope: string }) => Promise<UploadSource | undefined>;
}

class PausedSignal extends AbortError {}

function tusHeaders(auth: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  return { ...auth, "Tus-Resumable": TUS_VERSION, ...extra };
}

function metadataHeader(source: UploadSource, o: PendingUpload): string {
  const pairs: [string, string | undefined][] = [
    ["filename", o.filename ?? source.name],
    ["filetype", source.type],
    ["push_token", o.pushToken],
    ["analyzer", o.analyzer],
    ["metadata", o.metadata ? JSON.stringify(o.metadata) : undefined],
  ];
  return pairs
    .filter((p): p is [string, string] => !!p[1])
    .map(([k, v]) => `${k} ${base64Utf8(v)}`)
    .join(",");
}

export class Uploads {
  constructor(private readonly deps: UploadDeps) {}

  /** Starts (or continues, if the store knows this file with these options) an upload. */
  start(file: UploadInput | string | object, o: StartOptions = {}): UploadHandle {
    return new Upload(this.deps, file, o);
  }

  /** Whose records this client handles: its server's origin and its account. */
  async owner(): Promise<RecordOwner> {
    return { origin: this.deps.http.origin, account: await this.deps.http.account() };
  }

  /** This server's and account's stored records: uploads in flight and jobs not yet seen finished. */
  async pending(): Promise<PendingUpload[]> {
    const owner = await this.owner();
    return (await this.deps.store.list()).filter((r) => belongsTo(r, owner));
  }

  /** Forgets the record of a job (done once the app has seen it finish). */
  async forgetJob(jobId: string): Promise<void> {
    for (const r of await this.pending()) if (r.jobId === jobId) await this.deps.store.remove(r.fingerprint);
  }

  /** Continues a stored upload whose file can be opened again (under the record's key and options). */
  continue(record: PendingUpload, source: UploadSource, o: Pick<StartOptions, "signal" | "onProgress" | "onStateChange" | "chunkSize" | "retries" | "stallTimeoutMs"> = {}): UploadHandle {
    return new Upload(this.deps, source, {
      ...o,
      metadata: record.metadata,
      pushToken: record.pushToken,
      filename: record.filename,
      analyzer: record.analyzer,
      keepRecord: record.keep,
    }, record.fingerprint);
  }
}

interface Target {
  source: UploadSource;
  owner: RecordOwner;
  key: string;
}

class Upload implements UploadHandle {
  state: UploadState = "uploading";
  offline = false;
  done!: Promise<{ jobId: string }>;
  private resolve!: (v: { jobId: string }) => void;
  private reject!: (e: unknown) => void;
  private controller: AbortController | undefined;
  private readonly targetP: Promise<Target>;
  private running = false;
  /** The controller of the run that pause() stopped (its AbortError is not a failure). */
  private pausedController: AbortController | undefined;
  private unsubscribeNetwork: () => void = () => undefined;

  constructor(
    private readonly deps: UploadDeps,
    input: unknown,
    private readonly o: StartOptions,
    storeKey?: string,
  ) {
    this.newDone();
    const scope = deps.http.baseUrl;
    this.targetP = (async () => {
      const ready = typeof (input as UploadSource)?.fingerprint === "string";
      const viaAdapter = deps.resolveSource && !ready ? await deps.resolveSource(input, { filename: o.filename, scope }) : undefined;
      const source = viaAdapter ?? (await toSource(input as UploadInput, { filename: o.filename, scope }));
      const owner: RecordOwner = { origin: deps.http.origin, account: await deps.http.account() };
      let key = storeKey ?? uploadKey(source.fingerprint, owner, o);
      if (!storeKey && o.reuse === false) key += `|new=${randomId()}`;
      return { source, owner, key };
    })();
    this.targetP.catch(() => undefined);
    o.signal?.addEventListener("abort", () => void this.cancel(), { once: true });
    const network = deps.network;
    if (network) {
      this.unsubscribeNetwork = network.subscribe((online) => (online ? this.wentOnline() : this.wentOffline()));
      if (!network.isOnline()) {
        this.offline = true;
        this.setState("paused");
        return;
      }
    }
    void this.run();
  }

  private newDone(): void {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.done.catch(() => undefined); // unhandled only if the app ignores it: then it's the app's choice
  }

  private setState(state: UploadState): void {
    if (this.state === state) return;
    this.state = state;
    if (state === "done" || state === "cancelled") this.unsubscribeNetwork();
    this.o.onStateChange?.(state);
  }

  async fingerprint(): Promise<string> {
    return (await this.targetP).key;
  }

  pause(): void {
    this.offline = false; // a pause by the app is not undone by the network coming back
    this.halt();
  }

  private halt(): void {
    if (this.state !== "uploading") return;
    this.setState("paused");
    this.pausedController = this.controller;
    this.controller?.abort();
  }

  resume(): void {
    this.offline = false;
    if (this.state === "failed") this.newDone();
    else if (this.state !== "paused") return;
    this.setState("uploading");
    if (!this.running) void this.run();
  }

  private wentOffline(): void {
    if (this.state !== "uploading") return;
    this.halt();
    this.offline = true;
  }

  private wentOnline(): void {
    // paused by the network, or failed on it: go on from the server's offset
    if ((this.state === "paused" && this.offline) || (this.state === "failed" && this.failedRetryable)) this.resume();
  }

  private failedRetryable = false;

  async cancel(): Promise<void> {
    if (this.state === "done" || this.state === "cancelled") return;
    const wasFailed = this.state === "failed";
    this.setState("cancelled");
    this.controller?.abort();
    if (!wasFailed) this.reject(new AbortError("upload cancelled"));
    const target = await this.targetP.catch(() => undefined);
    if (!target) return;
    const record = await this.deps.store.get(target.key);
    if (record?.uploadUrl && !record.jobId) {
      // tus termination: the server frees the partial file at once (best effort)
      await this.deps.http
        .once(record.uploadUrl, { method: "DELETE", headers: tusHeaders(await this.deps.http.authHeaders(record.uploadUrl)) })
        .catch(() => undefined);
    }
    if (record && !record.jobId) await this.deps.store.remove(target.key);
  }

  private async run(): Promise<void> {
    this.running = true;
    const { controller, dispose } = linkedController(this.o.signal);
    this.controller = controller;
    try {
      if (this.state === "paused") throw new PausedSignal();
      const target = await this.targetP;
      const jobId = await this.upload(target, controller.signal);
      this.setState("done");
      this.resolve({ jobId });
    } catch (err) {
      if (isAbort(err) && this.pausedController === controller) return; // paused: resume() runs again
      if (this.state === "cancelled") return;
      this.failedRetryable = isTransient(err);
      this.setState("failed");
      this.reject(err instanceof ReelqError || err instanceof TypeError ? err : new UploadError(String(err), { cause: err }));
    } finally {
      dispose();
      this.running = false;
      // resume() came while the paused run was still unwinding
      if (this.pausedController === controller && this.state === "uploading") void this.run();
    }
  }

  private async upload(target: Target, signal: AbortSignal): Promise<string> {
    const { store } = this.deps;
    let existing = await store.get(target.key);
    if (existing?.jobId) {
      this.progress(existing.size, existing.size);
      return existing.jobId;
    }
    const method = this.o.method ?? "auto";
    if (method === "multipart" || existing?.idempotencyKey) return this.multipart(target, signal, existing);
    if (method === "auto" && (!existing?.uploadUrl || isDirectAddress(existing.uploadUrl))) {
      // straight to the server's bucket when it offers that (direct.ts); else tus
      const { source } = target;
      const fresh = (extra: Partial<PendingUpload>) => this.newRecord(target, extra);
      const jobId = await uploadDirect(this.deps, source, this.o, existing, signal, (sent) => this.progress(sent, source.size), fresh);
      if (jobId) return this.finish(target, existing ?? fresh({}), jobId);
      existing = undefined;
    }
    try {
      return await this.tus(target, signal, existing);
    } catch (err) {
      if (method === "auto" && err instanceof ApiError && (err.status === 404 || err.status === 405) && !existing?.uploadUrl)
        return this.multipart(target, signal, existing);
      throw err;
    }
  }

  private progress(sent: number, total: number): void {
    this.o.onProgress?.({ sent: Math.min(sent, total), total });
  }

  private newRecord(target: Target, extra: Partial<PendingUpload> = {}): PendingUpload {
    const { source, owner, key } = target;
    return {
      fingerprint: key,
      origin: owner.origin,
      account: owner.account,
      offset: 0,
      size: source.size,
      filename: this.o.filename ?? source.name,
      fileUri: source.uri,
      pushToken: this.o.pushToken,
      analyzer: this.o.analyzer,
      metadata: this.o.metadata,
      keep: this.o.keepRecord || undefined,
      updatedAt: Date.now(),
      ...extra,
    };
  }

  /** Backs off after a retryable failure; holds (without counting) while the platform says offline. */
  private async backoff(err: unknown, failures: number, signal: AbortSignal): Promise<void> {
    const network = this.deps.network;
    if (network && !network.isOnline()) return waitOnline(network, signal);
    await sleep((err instanceof ApiError ? err.retryAfterMs : undefined) ?? backoffMs(failures - 1, this.deps.http.random), signal);
  }

  private offlineNow(): boolean {
    return !!this.deps.network && !this.deps.network.isOnline();
  }

  private async tus(target: Target, signal: AbortSignal, existing: PendingUpload | undefined): Promise<string> {
    const { http, store, transport } = this.deps;
    const { source } = target;
    const chunkSize = Math.max(1, this.o.chunkSize ?? 8 * 1024 * 1024);
    const maxFailures = this.o.retries ?? 5;
    let record: PendingUpload = existing ?? this.newRecord(target);
    let failures = 0;
    let needHead = !!record.uploadUrl;
    let restarted = false;

    const fail = async (err: unknown): Promise<void> => {
      // Connection trouble: back off, then ask the server what it kept (partial PATCHes count).
      if (!isTransient(err)) throw err;
      if (!this.offlineNow() && ++failures > maxFailures) throw err;
      await this.backoff(err, failures, signal);
      needHead = !!record.uploadUrl;
    };

    for (;;) {
      if (signal.aborted) throw new AbortError();
      try {
        if (!record.uploadUrl) {
          const res = await http.once(http.url("/api/uploads/"), {
            method: "POST",
            headers: tusHeaders(await http.authHeaders(), {
              "Upload-Length": String(source.size),
              "Upload-Metadata": metadataHeader(source, record),
            }),
            signal,
          });
          if (res.status !== 201) throw await errorFrom(res);
          const location = res.headers.get("location");
          if (!location) throw new UploadError("the server sent no Location for the new upload");
          record = { ...record, uploadUrl: joinUrl(http.baseUrl, location), offset: 0 };
          await store.set(record);
          needHead = false;
        }
        const uploadUrl = record.uploadUrl!;
        if (needHead) {
          const res = await http.once(uploadUrl, { method: "HEAD", headers: tusHeaders(await http.authHeaders(uploadUrl)), signal });
          if (res.status === 404 || res.status === 410) {
            // The server no longer has it (expired, swept): start over, once.
            if (restarted) throw new UploadError(`upload ${uploadUrl} is gone`, { cause: await errorFrom(res) });
            restarted = true;
            record = { ...record, uploadUrl: undefined, offset: 0 };
            await store.set(record);
            continue;
          }
          if (!res.ok) throw await errorFrom(res);
          const jobId = res.headers.get("upload-job-id");
          record = { ...record, offset: Number(res.headers.get("upload-offset") ?? record.offset) };
          if (jobId) return await this.finish(target, record, jobId);
          await store.set(record);
          needHead = false;
        }
        this.progress(record.offset, source.size);
        const start = record.offset;
        const end = Math.min(start + chunkSize, source.size);
        const r = await transport.patch({
          url: uploadUrl,
          headers: tusHeaders(await http.authHeaders(uploadUrl), {
            "Upload-Offset": String(start),
            "Content-Type": "application/offset+octet-stream",
          }),
          source,
          start,
          end,
          signal,
          timeoutMs: Math.max(http.timeoutMs, 120_000),
          stallTimeoutMs: this.o.stallTimeoutMs ?? 60_000,
          onProgress: (sent) => this.progress(start + sent, source.size),
        });
        if (r.status === 204 || r.status === 200) {
          const offset = Number(r.header("upload-offset") ?? end);
          if (offset > start) failures = 0;
          record = { ...record, offset };
          const jobId = r.header("upload-job-id");
          if (jobId) return await this.finish(target, record, jobId);
          await store.set(record);
          this.progress(offset, source.size);
          if (offset >= source.size) needHead = true; // the job id comes with HEAD
          continue;
        }
        if (r.status === 409 || r.status === 460) {
          needHead = true; // offset mismatch / checksum: learn the committed offset
          if (++failures > maxFailures) throw responseError(r);
          continue;
        }
        const err = responseError(r);
        if (err.status === 410 && (err.code === "upload_expired" || err.code === "upload_terminated") && !restarted) {
          restarted = true;
          record = { ...record, uploadUrl: undefined, offset: 0 };
          continue;
        }
        if (!err.retryable) {
          await store.remove(record.fingerprint);
          throw err;
        }
        await fail(err);
      } catch (err) {
        if (isAbort(err) || signal.aborted) throw new AbortError();
        if (err instanceof ApiError && !err.retryable) {
          if (err.status !== 401 && err.status !== 403) await store.remove(record.fingerprint);
          throw err;
        }
        await fail(err);
      }
    }
  }

  private async finish(target: Target, record: PendingUpload, jobId: string): Promise<string> {
    await recordJob(this.deps.store, target.owner, record, jobId);
    this.progress(record.size, record.size);
    return jobId;
  }

  private async multipart(target: Target, signal: AbortSignal, existing: PendingUpload | undefined): Promise<string> {
    const { store } = this.deps;
    const record: PendingUpload = existing ?? this.newRecord(target, { idempotencyKey: randomId() });
    if (!record.idempotencyKey) record.idempotencyKey = randomId();
    await store.set(record);
    this.progress(0, target.source.size);
    try {
      const body = await sendMultipart(this.deps, record, target.source, {
        signal,
        retries: this.o.retries ?? 5,
        stallTimeoutMs: this.o.stallTimeoutMs ?? 60_000,
        onProgress: (sent) => this.progress(sent, target.source.size),
        offline: () => this.offlineNow(),
        backoff: (err, failures) => this.backoff(err, failures, signal),
      });
      return await this.finish(target, record, body.job_id);
    } catch (err) {
      if (err instanceof ApiError && !err.retryable) await store.remove(record.fingerprint);
      throw err;
    }
  }
}
