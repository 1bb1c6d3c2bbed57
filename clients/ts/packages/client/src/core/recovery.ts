/**
 * On app start: settle what the store remembers for this client's server and account. An upload is HEADed
 * (the server may have finished it, or kept more bytes than we knew), continued if the file can be opened
 * again, or dropped if the server no longer has it; a job is looked up. Nothing is uploaded twice and no
 * job is lost. Records of another server or account are neither sent anywhere nor changed, and one
 * record's failure is reported for it while the others are still settled.
 */

import { AbortError, GoneError, NotFoundError, isAbort } from "./errors.js";
import type { Http } from "./http.js";
import { errorFrom } from "./http.js";
import type { Jobs } from "./jobs.js";
import type { UploadSource } from "./source.js";
import { belongsTo, recordJob, type PendingUpload, type RecordOwner, type UploadStore } from "./store.js";
import { TUS_VERSION, type Uploads } from "./uploads.js";
import { isTerminal, type Job } from "./types.js";
import { ReelqError } from "./errors.js";

export interface RecoveredItem {
  fingerprint: string;
  /** `job`: the job is known (see `job`); `gone`: the server no longer has it (record dropped);
   *  `needs-file`: an unfinished upload whose file this device cannot open again (record kept);
   *  `error`: it could not be settled now (see `error`; record kept, tried again next time). */
  outcome: "job" | "gone" | "needs-file" | "error";
  jobId?: string;
  job?: Job;
  error?: unknown;
  record: PendingUpload;
}

export interface RecoverOptions {
  signal?: AbortSignal;
  /** Opens the file of an unfinished upload again (the Expo adapter does this from `fileUri`). */
  openSource?: (record: PendingUpload) => Promise<UploadSource | undefined> | UploadSource | undefined;
  onProgress?: (record: PendingUpload, sent: number, total: number) => void;
  /** For the uploads it continues: bytes per PATCH, failures in a row, the native stall limit (see StartOptions). */
  chunkSize?: number;
  retries?: number;
  stallTimeoutMs?: number;
}

type Deps = { http: Http; store: UploadStore; jobs: Jobs; uploads: Uploads; openSource?: RecoverOptions["openSource"] };

export async function recoverPending(deps: Deps, o: RecoverOptions = {}): Promise<RecoveredItem[]> {
  const owner = await deps.uploads.owner();
  const out: RecoveredItem[] = [];
  for (const record of await deps.store.list()) {
    if (!belongsTo(record, owner)) continue;
    try {
      out.push(await settle(deps, record, o, owner));
    } catch (err) {
      if (isAbort(err) || o.signal?.aborted) throw new AbortError();
      if (err instanceof NotFoundError || err instanceof GoneError) {
        await deps.store.remove(record.fingerprint);
        out.push({ fingerprint: record.fingerprint, outcome: "gone", jobId: record.jobId, record });
      } else out.push({ fingerprint: record.fingerprint, outcome: "error", jobId: record.jobId, error: err, record });
    }
  }
  return out;
}

async function settle(deps: Deps, record: PendingUpload, o: RecoverOptions, owner: RecordOwner): Promise<RecoveredItem> {
  const { http, store, jobs, uploads } = deps;
  const open = o.openSource ?? deps.openSource;
  let jobId = record.jobId;
  if (!jobId && record.uploadUrl) {
    // The upload URL came from this server; one on any other origin is not followed.
    if (!http.isOwnOrigin(record.uploadUrl)) throw new ReelqError(`upload URL ${record.uploadUrl} is not on ${http.origin}`);
    const res = await http.once(record.uploadUrl, {
      method: "HEAD",
      headers: { ...(await http.authHeaders(record.uploadUrl)), "Tus-Resumable": TUS_VERSION },
      signal: o.signal,
    });
    if (res.status === 404 || res.status === 410) {
      await store.remove(record.fingerprint);
      return { fingerprint: record.fingerprint, outcome: "gone", record };
    }
    if (!res.ok) throw await errorFrom(res);
    jobId = res.headers.get("upload-job-id") ?? undefined;
    const offset = Number(res.headers.get("upload-offset") ?? record.offset);
    if (jobId) await recordJob(store, owner, { ...record, offset }, jobId);
    else await store.set({ ...record, offset });
  }
  if (!jobId) {
    const source = open ? await open(record) : undefined;
    if (!source || source.size !== record.size) {
      const resumable = !!(record.uploadUrl || record.idempotencyKey);
      if (!resumable) await store.remove(record.fingerprint);
      return { fingerprint: record.fingerprint, outcome: resumable ? "needs-file" : "gone", record };
    }
    const handle = uploads.continue(record, { ...source, fingerprint: record.fingerprint }, {
      signal: o.signal,
      onProgress: (p) => o.onProgress?.(record, p.sent, p.total),
      chunkSize: o.chunkSize,
      retries: o.retries,
      stallTimeoutMs: o.stallTimeoutMs,
    });
    jobId = (await handle.done).jobId;
  }
  const job = await jobs.get(jobId, { signal: o.signal });
  if (isTerminal(job.status)) await uploads.forgetJob(jobId);
  return { fingerprint: record.fingerprint, outcome: "job", jobId, job, record };
}
