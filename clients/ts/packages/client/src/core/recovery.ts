/**
 * On app start: settle everything the store remembers. An upload is HEADed (the server may have finished
 * it, or kept more bytes than we knew), continued if the file can be opened again, or dropped if the server
 * no longer has it; a job is looked up. Nothing is uploaded twice and no job is lost.
 */

import { NotFoundError, GoneError, ApiError } from "./errors.js";
import type { Http } from "./http.js";
import { errorFrom } from "./http.js";
import type { Jobs } from "./jobs.js";
import type { UploadSource } from "./source.js";
import type { PendingUpload, UploadStore } from "./store.js";
import { TUS_VERSION, type Uploads } from "./uploads.js";
import { isTerminal, type Job } from "./types.js";

export interface RecoveredItem {
  fingerprint: string;
  /** `job`: the job is known (see `job`); `gone`: the server no longer has it (record dropped);
   *  `needs-file`: an unfinished upload whose file this device cannot open again (record kept). */
  outcome: "job" | "gone" | "needs-file";
  jobId?: string;
  job?: Job;
  record: PendingUpload;
}

export interface RecoverOptions {
  signal?: AbortSignal;
  /** Opens the file of an unfinished upload again (the Expo adapter does this from `fileUri`). */
  openSource?: (record: PendingUpload) => Promise<UploadSource | undefined> | UploadSource | undefined;
  onProgress?: (record: PendingUpload, sent: number, total: number) => void;
}

export async function recoverPending(
  deps: { http: Http; store: UploadStore; jobs: Jobs; uploads: Uploads; openSource?: RecoverOptions["openSource"] },
  o: RecoverOptions = {},
): Promise<RecoveredItem[]> {
  const { http, store, jobs, uploads } = deps;
  const open = o.openSource ?? deps.openSource;
  const out: RecoveredItem[] = [];
  for (const record of await store.list()) {
    let jobId = record.jobId;
    try {
      if (!jobId && record.uploadUrl) {
        const res = await http.once(record.uploadUrl, {
          method: "HEAD",
          headers: { ...(await http.authHeaders()), "Tus-Resumable": TUS_VERSION },
          signal: o.signal,
        });
        if (res.status === 404 || res.status === 410) {
          await store.remove(record.fingerprint);
          out.push({ fingerprint: record.fingerprint, outcome: "gone", record });
          continue;
        }
        if (!res.ok) throw await errorFrom(res);
        jobId = res.headers.get("upload-job-id") ?? undefined;
        const offset = Number(res.headers.get("upload-offset") ?? record.offset);
        if (jobId) await store.set({ ...record, offset, jobId });
        else await store.set({ ...record, offset });
      }
      if (!jobId) {
        const source = open ? await open(record) : undefined;
        if (!source || source.size !== record.size) {
          if (!record.uploadUrl && !record.idempotencyKey) await store.remove(record.fingerprint);
          out.push({ fingerprint: record.fingerprint, outcome: source || record.uploadUrl || record.idempotencyKey ? "needs-file" : "gone", record });
          continue;
        }
        const handle = uploads.continue(record, { ...source, fingerprint: record.fingerprint }, {
          signal: o.signal,
          onProgress: (p) => o.onProgress?.(record, p.sent, p.total),
        });
        jobId = (await handle.done).jobId;
      }
      const job = await jobs.get(jobId, { signal: o.signal });
      if (isTerminal(job.status)) await store.remove(record.fingerprint);
      out.push({ fingerprint: record.fingerprint, outcome: "job", jobId, job, record });
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof GoneError) {
        await store.remove(record.fingerprint);
        out.push({ fingerprint: record.fingerprint, outcome: "gone", jobId, record });
        continue;
      }
      if (err instanceof ApiError || (err as Error)?.name === "AbortError") throw err;
      throw err;
    }
  }
  return out;
}
