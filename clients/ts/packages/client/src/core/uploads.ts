/**
 * Uploads over reelq's tus endpoint, with a resume store: the same file continues from the server's
 * committed offset after a dropped connection, a pause, or an app kill (a new client reading the same
 * store). The job id comes from `Upload-Job-Id`; one upload makes exactly one job. Where tus cannot be
 * used, `POST /api/upload` with an `Idempotency-Key` (kept in the store) and the seed's 3-minute timeout.
 */

import { isDirectAddress, uploadDirect } from "./direct.js";
import { AbortError, ApiError, NetworkError, ReelqError, TimeoutError, UploadError, apiError, isAbort } from "./errors.js";
import type { Http } from "./http.js";
import { errorFrom } from "./http.js";
import { toSource, type UploadInput, type UploadSource } from "./source.js";
import type { PendingUpload, UploadStore } from "./store.js";
import type { PatchResponse, UploadTransport } from "./transport.js";
import type { UploadAccepted } from "./types.js";
import { backoffMs, base64Utf8, joinUrl, linkedController, parseRetryAfter, randomId, sleep } from "./util.js";

export const TUS_VERSION = "1.0.0";
export const MULTIPART_TIMEOUT_MS = 180_000;

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
  /** Failed attempts in a row (no byte moved) before `done` rejects; default 5. */
  retries?: number;
}

export type UploadState = "uploading" | "paused" | "done" | "failed" | "cancelled";

export interface UploadHandle {
  readonly state: UploadState;
  /** Resolves with the job id; rejects with a ReelqError (AbortError after `cancel()`). */
  readonly done: Promise<{ jobId: string }>;
  /** The store key of this upload (available once the file was read). */
  fingerprint(): Promise<string>;
  pause(): void;
  resume(): void;
  cancel(): Promise<void>;
}

export interface UploadDeps {
  http: Http;
  store: UploadStore;
  transport: UploadTransport;
  /** Turns inputs that are not Blobs (file URIs) into sources; set by platform adapters. */
  resolveSource?: (input: unknown, o: { filename?: string; scope: string }) => Promise<UploadSource | undefined>;
}

class PausedSignal extends AbortError {}

function tusHeaders(auth: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
  return { ...auth, "Tus-Resumable": TUS_VERSION, ...extra };
}

function metadataHeader(source: UploadSource, o: StartOptions | PendingUpload): string {
  const pairs: [string, string | undefined][] = [
    ["filename", source.name],
    ["filetype", source.type],
    ["push_token", o.pushToken],
    ["analyzer", (o as StartOptions).analyzer],
    ["metadata", o.metadata ? JSON.stringify(o.metadata) : undefined],
  ];
  return pairs
    .filter((p): p is [string, string] => !!p[1])
    .map(([k, v]) => `${k} ${base64Utf8(v)}`)
    .join(",");
}

function responseError(r: PatchResponse): ApiError {
  let problem = {};
  try {
    problem = r.body ? (JSON.parse(r.body) as object) : {};
  } catch {
    // not JSON
  }
  return apiError(r.status, problem, parseRetryAfter(r.header("retry-after")));
}

export class Uploads {
  constructor(private readonly deps: UploadDeps) {}

  /** Starts (or continues, if the store knows this file) an upload. */
  start(file: UploadInput | string | object, o: StartOptions = {}): UploadHandle {
    return new Upload(this.deps, file, o);
  }

  /** The stored records: uploads in flight and jobs not yet seen finished. */
  pending(): Promise<PendingUpload[]> {
    return this.deps.store.list();
  }

  /** Forgets the record of a job (done once the app has seen it finish). */
  async forgetJob(jobId: string): Promise<void> {
    for (const r of await this.deps.store.list()) if (r.jobId === jobId) await this.deps.store.remove(r.fingerprint);
  }

  /** Continues a stored upload whose file can be opened again. */
  continue(record: PendingUpload, source: UploadSource, o: Omit<StartOptions, "filename" | "metadata" | "pushToken"> = {}): UploadHandle {
    return new Upload(this.deps, source, { ...o, metadata: record.metadata, pushToken: record.pushToken, filename: record.filename });
  }
}

class Upload implements UploadHandle {
  state: UploadState = "uploading";
  readonly done: Promise<{ jobId: string }>;
  private resolve!: (v: { jobId: string }) => void;
  private reject!: (e: unknown) => void;
  private controller: AbortController | undefined;
  private sourceP: Promise<UploadSource>;
  private running = false;
  /** The controller of the run that pause() stopped (its AbortError is not a failure). */
  private pausedController: AbortController | undefined;

  constructor(
    private readonly deps: UploadDeps,
    input: unknown,
    private readonly o: StartOptions,
  ) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.done.catch(() => undefined); // unhandled only if the app ignores it: then it's the app's choice
    const scope = deps.http.baseUrl;
    this.sourceP = (async () => {
      const ready = typeof (input as UploadSource)?.fingerprint === "string";
      const viaAdapter = deps.resolveSource && !ready ? await deps.resolveSource(input, { filename: o.filename, scope }) : undefined;
      return viaAdapter ?? toSource(input as UploadInput, { filename: o.filename, scope });
    })();
    this.sourceP.catch(() => undefined);
    o.signal?.addEventListener("abort", () => void this.cancel(), { once: true });
    void this.run();
  }

  async fingerprint(): Promise<string> {
    return (await this.sourceP).fingerprint;
  }

  pause(): void {
    if (this.state !== "uploading") return;
    this.state = "paused";
    this.pausedController = this.controller;
    this.controller?.abort();
  }

  resume(): void {
    if (this.state !== "paused") return;
    this.state = "uploading";
    if (!this.running) void this.run();
  }

  async cancel(): Promise<void> {
    if (this.state === "done" || this.state === "failed" || this.state === "cancelled") return;
    this.state = "cancelled";
    this.controller?.abort();
    this.reject(new AbortError("upload cancelled"));
    const source = await this.sourceP.catch(() => undefined);
    if (!source) return;
    const record = await this.deps.store.get(source.fingerprint);
    if (record?.uploadUrl && !record.jobId) {
      // tus termination: the server frees the partial file at once (best effort)
      await this.deps.http
        .once(record.uploadUrl, { method: "DELETE", headers: tusHeaders(await this.deps.http.authHeaders()) })
        .catch(() => undefined);
    }
    if (record && !record.jobId) await this.deps.store.remove(source.fingerprint);
  }

  private async run(): Promise<void> {
    this.running = true;
    const { controller, dispose } = linkedController(this.o.signal);
    this.controller = controller;
    try {
      if (this.state === "paused") throw new PausedSignal();
      const source = await this.sourceP;
      const jobId = await this.upload(source, controller.signal);
      this.state = "done";
      this.resolve({ jobId });
    } catch (err) {
      if (isAbort(err) && this.pausedController === controller) return; // paused: resume() runs again
      if (this.state === "cancelled") return;
      this.state = "failed";
      this.reject(err instanceof ReelqError || err instanceof TypeError ? err : new UploadError(String(err), { cause: err }));
    } finally {
      dispose();
      this.running = false;
      // resume() came while the paused run was still unwinding
      if (this.pausedController === controller && this.state === "uploading") void this.run();
    }
  }

  private async upload(source: UploadSource, signal: AbortSignal): Promise<string> {
    const { store } = this.deps;
    let existing = await store.get(source.fingerprint);
    if (existing?.jobId) {
      this.progress(existing.size, existing.size);
      return existing.jobId;
    }
    const method = this.o.method ?? "auto";
    if (method === "multipart" || existing?.idempotencyKey) return this.multipart(source, signal, existing);
    if (method === "auto" && (!existing?.uploadUrl || isDirectAddress(existing.uploadUrl))) {
      // straight to the server's bucket when it offers that (direct.ts); else tus
      const jobId = await uploadDirect(this.deps, source, this.o, existing, signal, (sent) => this.progress(sent, source.size));
      if (jobId) return this.finish({ ...(existing ?? { fingerprint: source.fingerprint, offset: 0, size: source.size, updatedAt: Date.now() }) }, jobId);
      existing = undefined;
    }
    try {
      return await this.tus(source, signal, existing);
    } catch (err) {
      if (method === "auto" && err instanceof ApiError && (err.status === 404 || err.status === 405) && !existing?.uploadUrl)
        return this.multipart(source, signal, existing);
      throw err;
    }
  }

  private progress(sent: number, total: number): void {
    this.o.onProgress?.({ sent: Math.min(sent, total), total });
  }

  private async tus(source: UploadSource, signal: AbortSignal, existing: PendingUpload | undefined): Promise<string> {
    const { http, store, transport } = this.deps;
    const chunkSize = Math.max(1, this.o.chunkSize ?? 8 * 1024 * 1024);
    const maxFailures = this.o.retries ?? 5;
    let record: PendingUpload = existing ?? {
      fingerprint: source.fingerprint,
      offset: 0,
      size: source.size,
      filename: source.name,
      fileUri: source.uri,
      pushToken: this.o.pushToken,
      metadata: this.o.metadata,
      updatedAt: Date.now(),
    };
    let failures = 0;
    let needHead = !!record.uploadUrl;
    let restarted = false;

    const fail = async (err: unknown): Promise<void> => {
      // Connection trouble: back off, then ask the server what it kept (partial PATCHes count).
      if (!(err instanceof NetworkError || err instanceof TimeoutError || (err instanceof ApiError && err.retryable))) throw err;
      if (++failures > maxFailures) throw err;
      await sleep((err instanceof ApiError ? err.retryAfterMs : undefined) ?? backoffMs(failures - 1, http.random), signal);
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
              "Upload-Metadata": metadataHeader(source, record.filename ? { ...this.o, ...record } : this.o),
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
        if (needHead) {
          const res = await http.once(record.uploadUrl!, { method: "HEAD", headers: tusHeaders(await http.authHeaders()), signal });
          if (res.status === 404 || res.status === 410) {
            // The server no longer has it (expired, swept): start over, once.
            if (restarted) throw new UploadError(`upload ${record.uploadUrl} is gone`, { cause: await errorFrom(res) });
            restarted = true;
            record = { ...record, uploadUrl: undefined, offset: 0 };
            await store.set(record);
            continue;
          }
          if (!res.ok) throw await errorFrom(res);
          const jobId = res.headers.get("upload-job-id");
          record = { ...record, offset: Number(res.headers.get("upload-offset") ?? record.offset) };
          if (jobId) return await this.finish(record, jobId);
          await store.set(record);
          needHead = false;
        }
        this.progress(record.offset, source.size);
        const start = record.offset;
        const end = Math.min(start + chunkSize, source.size);
        const r = await transport.patch({
          url: record.uploadUrl!,
          headers: tusHeaders(await http.authHeaders(), {
            "Upload-Offset": String(start),
            "Content-Type": "application/offset+octet-stream",
          }),
          source,
          start,
          end,
          signal,
          timeoutMs: Math.max(http.timeoutMs, 120_000),
          onProgress: (sent) => this.progress(start + sent, source.size),
        });
        if (r.status === 204 || r.status === 200) {
          const offset = Number(r.header("upload-offset") ?? end);
          if (offset > start) failures = 0;
          record = { ...record, offset };
          const jobId = r.header("upload-job-id");
          if (jobId) return await this.finish(record, jobId);
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

  private async finish(record: PendingUpload, jobId: string): Promise<string> {
    await this.deps.store.set({ ...record, offset: record.size, jobId });
    this.progress(record.size, record.size);
    return jobId;
  }

  private async multipart(source: UploadSource, signal: AbortSignal, existing: PendingUpload | undefined): Promise<string> {
    const { http, store } = this.deps;
    const record: PendingUpload = existing ?? {
      fingerprint: source.fingerprint,
      offset: 0,
      size: source.size,
      filename: source.name,
      fileUri: source.uri,
      pushToken: this.o.pushToken,
      metadata: this.o.metadata,
      idempotencyKey: randomId(),
      updatedAt: Date.now(),
    };
    if (!record.idempotencyKey) record.idempotencyKey = randomId();
    await store.set(record);
    const form = new FormData();
    if (source.slice) {
      form.append("video", source.slice(0, source.size), source.name);
    } else if (source.uri) {
      // React Native's FormData streams a file from its URI (never read into JS memory).
      form.append("video", { uri: source.uri, name: source.name, type: source.type ?? "video/mp4" } as unknown as Blob);
    } else throw new TypeError("source has neither slice() nor uri");
    if (record.pushToken) form.append("push_token", record.pushToken);
    if (this.o.analyzer) form.append("analyzer", this.o.analyzer);
    if (record.metadata) form.append("metadata", JSON.stringify(record.metadata));
    this.progress(0, source.size);
    try {
      const body = await http.json<UploadAccepted>("/api/upload", {
        method: "POST",
        body: form,
        headers: { "Idempotency-Key": record.idempotencyKey },
        idempotent: true,
        timeoutMs: MULTIPART_TIMEOUT_MS,
        signal,
      });
      return await this.finish(record, body.job_id);
    } catch (err) {
      if (err instanceof ApiError && !err.retryable) await store.remove(record.fingerprint);
      throw err;
    }
  }
}
