/**
 * Jobs: read with ETag/304, wait without busy polling (long-poll `?wait=` or server-sent events), list,
 * cancel, retry, delete.
 */

import { AbortError, NotFoundError, ReelqError, isAbort, isTransient } from "./errors.js";
import type { Http } from "./http.js";
import { waitOnline, type NetworkSource } from "./network.js";
import { parseSse } from "./sse.js";
import { isTerminal, type Job, type JobAction, type JobList, type JobStatus } from "./types.js";
import { outageBackoffMs, parseRetryAfter, sleep } from "./util.js";

export interface WaitOptions {
  signal?: AbortSignal;
  /** Seconds the server may hold each request (`?wait=`, ≤ 60). Default 25. */
  waitSeconds?: number;
  /** Follow `GET /api/jobs/{id}/events` instead of long polls; falls back to long polls if streaming fails. */
  useSse?: boolean;
  /** Every new state of the job, including the first and the last. */
  onUpdate?: (job: Job) => void;
  /** `done`: the server may hold each request until the job ends (`until=done`; fewer requests, no
   *  progress in between); `change`: every change. Default `change` with `onUpdate`, else `done`. */
  until?: "change" | "done";
  /**
   * Called before each wait after a failure that is retried (network error, timeout, 5xx, 429): the wait
   * rides out outages until `signal` aborts, backing off up to `maxBackoffMs`.
   */
  onRetry?: (err: unknown, failures: number) => void;
  /** The longest pause between two tries during an outage; default 10 s. */
  maxBackoffMs?: number;
}

export interface JobsOptions {
  /** While the platform says offline, waits hold instead of trying. */
  network?: NetworkSource;
  /** Called once `waitFor` has seen a job end (the client forgets its stored record then). */
  onTerminal?: (job: Job) => Promise<void> | void;
}


export interface ListOptions {
  status?: JobStatus | JobStatus[];
  cursor?: string | null;
  limit?: number;
  signal?: AbortSignal;
}

export class Jobs {
  private readonly cache = new Map<string, { etag: string; job: Job }>();
  constructor(
    private readonly http: Http,
    private readonly options: JobsOptions = {},
  ) {}

  /** The job; sends `If-None-Match` and returns the cached copy on 304. */
  async get(id: string, o: { signal?: AbortSignal } = {}): Promise<Job> {
    return (await this.fetchState(id, { signal: o.signal })).job;
  }

  /** The last state this client saw, if any (no request). */
  cached(id: string): Job | undefined {
    return this.cache.get(id)?.job;
  }

  /** One (long) poll. `wait` > 0 lets the server hold the answer until the job changes. */
  async fetchState(
    id: string,
    o: { signal?: AbortSignal; wait?: number; untilDone?: boolean; maxRetries?: number },
  ): Promise<{ job: Job; changed: boolean; retryAfterMs?: number }> {
    const known = this.cache.get(id);
    const wait = o.wait ?? 0;
    const res = await this.http.request(`/api/results/job/${encodeURIComponent(id)}`, {
      // until=done: servers that know it hold the request until the job ends; others ignore it.
      query: wait > 0 ? { wait, until: o.untilDone ? "done" : undefined } : undefined,
      headers: known ? { "If-None-Match": known.etag } : {},
      signal: o.signal,
      timeoutMs: this.http.timeoutMs + wait * 1000,
      maxRetries: o.maxRetries,
      accept: [304],
    });
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    if (res.status === 304 && known) return { job: known.job, changed: false, retryAfterMs };
    const job = (await res.json()) as Job;
    const etag = res.headers.get("etag");
    if (etag) this.cache.set(id, { etag, job });
    return { job, changed: true, retryAfterMs };
  }

  /**
   * Resolves with the job once it is completed, failed or cancelled. Never polls faster than the server
   * asks. Outages (network errors, timeouts, 5xx, 429) are ridden out with capped, jittered backoff until
   * `signal` aborts; the count of failures starts again after every answer.
   */
  async waitFor(id: string, o: WaitOptions = {}): Promise<Job> {
    const job = await this.follow(id, o);
    await this.options.onTerminal?.(job);
    return job;
  }

  private async follow(id: string, o: WaitOptions): Promise<Job> {
    if (o.useSse) {
      try {
        return await this.waitSse(id, o);
      } catch (err) {
        if (err instanceof AbortError || err instanceof NotFoundError) throw err;
        // streaming unsupported here (React Native fetch) or cut: long polls finish the job
      }
    }
    const wait = Math.max(1, Math.min(o.waitSeconds ?? 25, 60));
    const untilDone = (o.until ?? (o.onUpdate ? "change" : "done")) === "done";
    let first = true;
    let failures = 0;
    for (;;) {
      const started = Date.now();
      let state: Awaited<ReturnType<Jobs["fetchState"]>>;
      try {
        state = await this.fetchState(id, { signal: o.signal, wait: first ? 0 : wait, untilDone, maxRetries: 0 });
      } catch (err) {
        if (isAbort(err) || o.signal?.aborted) throw new AbortError();
        if (!isTransient(err)) throw err;
        o.onRetry?.(err, ++failures);
        const network = this.options.network;
        if (network && !network.isOnline()) await waitOnline(network, o.signal);
        else await sleep((err as { retryAfterMs?: number }).retryAfterMs ?? outageBackoffMs(failures - 1, o.maxBackoffMs ?? 10_000, this.http.random), o.signal);
        first = true; // ask for the current state at once: it may have moved on while we were away
        continue;
      }
      failures = 0;
      const { job, changed, retryAfterMs } = state;
      if (changed || first) o.onUpdate?.(job);
      if (isTerminal(job.status)) return job;
      if (first) {
        first = false;
        continue;
      }
      const elapsed = Date.now() - started;
      // A server that does not hold requests answers at once: then wait what it asks (Retry-After) instead
      // of hammering it. News is followed up almost at once (the next request is held by the server).
      if (!changed && elapsed < 1000) await sleep(Math.max(retryAfterMs ?? 1000, 1000) - elapsed, o.signal);
      else if (changed && elapsed < 250) await sleep(250 - elapsed, o.signal);
    }
  }

  private async waitSse(id: string, o: WaitOptions): Promise<Job> {
    const res = await this.http.request(`/api/jobs/${encodeURIComponent(id)}/events`, {
      headers: { Accept: "text/event-stream" },
      signal: o.signal,
      timeoutMs: 0,
    });
    if (!res.body || typeof res.body.getReader !== "function") throw new ReelqError("no streaming body");
    for await (const ev of parseSse(res.body, o.signal)) {
      if (ev.event === "end" || ev.event === "status") {
        const data = JSON.parse(ev.data) as Partial<Job>;
        if (data.status === ("deleted" as string)) throw new NotFoundError(404, { code: "job_not_found" });
        if (ev.event === "end") {
          const job = await this.get(id, { signal: o.signal });
          o.onUpdate?.(job);
          if (isTerminal(job.status)) return job;
        } else {
          const prev = this.cache.get(id)?.job;
          o.onUpdate?.({ ...(prev ?? {}), ...data } as Job);
        }
      }
    }
    throw new ReelqError("event stream ended early", { retryable: true });
  }

  async list(o: ListOptions = {}): Promise<JobList> {
    return this.http.json<JobList>("/api/jobs", {
      query: { status: o.status as string[] | string | undefined, cursor: o.cursor, limit: o.limit },
      signal: o.signal,
    });
  }

  /** Cancels the job; answers its status now (`cancelled`, or the end it had already reached). */
  async cancel(id: string, o: { signal?: AbortSignal } = {}): Promise<JobAction> {
    this.cache.delete(id);
    return this.http.json<JobAction>(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST", signal: o.signal, idempotent: true });
  }

  /** Runs a failed or cancelled job again; answers its status now (`queued`). */
  async retry(id: string, o: { signal?: AbortSignal } = {}): Promise<JobAction> {
    this.cache.delete(id);
    return this.http.json<JobAction>(`/api/jobs/${encodeURIComponent(id)}/retry`, { method: "POST", signal: o.signal });
  }

  async delete(id: string, o: { signal?: AbortSignal } = {}): Promise<void> {
    this.cache.delete(id);
    await this.http.request(`/api/jobs/${encodeURIComponent(id)}`, { method: "DELETE", signal: o.signal });
  }
}
