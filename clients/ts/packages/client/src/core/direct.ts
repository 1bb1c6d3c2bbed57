/**
 * Uploads straight to the server's bucket, when it offers them (`POST /api/uploads/direct`): the server
 * answers presigned part URLs, the parts are PUT to the bucket without the API token (the signed URL is
 * the credential), and `complete` makes the job. The upload's address is kept in the resume store, so a
 * later run asks the server which parts the bucket already has and sends only the others. A server that
 * keeps uploads on its own disk answers 404 `direct_uploads_unavailable`: the caller falls back to tus.
 */

import { AbortError, NetworkError, TimeoutError, UploadError } from "./errors.js";
import type { Http } from "./http.js";
import { errorFrom } from "./http.js";
import type { UploadSource } from "./source.js";
import type { PendingUpload, UploadStore } from "./store.js";
import { backoffMs, sleep } from "./util.js";

export const DIRECT_PATH = "/api/uploads/direct";

interface DirectPart {
  number: number;
  size: number;
  url: string | null;
}

interface DirectAnswer {
  upload_id: string;
  size: number;
  part_size: number;
  job_id: string | null;
  parts: DirectPart[];
}

export interface DirectOptions {
  filename?: string;
  pushToken?: string;
  analyzer?: string;
  metadata?: Record<string, unknown>;
  retries?: number;
}

/** Whether a stored upload address is a direct upload's (else it is a tus upload URL). */
export function isDirectAddress(url: string | undefined): boolean {
  return !!url && url.includes(`${DIRECT_PATH}/`);
}

/**
 * The job id, or `undefined` when the server takes no direct uploads (nothing was stored then).
 * `progress(sent)` is called as parts finish.
 */
export async function uploadDirect(
  deps: { http: Http; store: UploadStore },
  source: UploadSource,
  o: DirectOptions,
  existing: PendingUpload | undefined,
  signal: AbortSignal,
  progress: (sent: number) => void,
  fresh: (extra: Partial<PendingUpload>) => PendingUpload,
): Promise<string | undefined> {
  const { http, store } = deps;
  if (!source.slice) return undefined; // native file URIs go through the platform's tus transport
  let answer: DirectAnswer | undefined;
  if (existing?.uploadUrl && isDirectAddress(existing.uploadUrl)) {
    const res = await http.once(existing.uploadUrl, { method: "GET", headers: await http.authHeaders(), signal });
    if (res.ok) answer = (await res.json()) as DirectAnswer;
    else if (res.status !== 404 && res.status !== 410) throw await errorFrom(res);
  }
  if (!answer) {
    const body: Record<string, unknown> = { size: source.size, filename: o.filename ?? source.name };
    if (o.analyzer) body.analyzer = o.analyzer;
    if (o.pushToken) body.push_token = o.pushToken;
    if (o.metadata) body.metadata = JSON.stringify(o.metadata);
    let res: Response;
    try {
      res = await http.once(http.url(DIRECT_PATH), {
        method: "POST",
        headers: { ...(await http.authHeaders()), "Content-Type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      // no answer: tus, which retries and resumes, takes it from here
      if (err instanceof NetworkError || err instanceof TimeoutError) return undefined;
      throw err;
    }
    // busy or unwell (429, 5xx): tus, which backs off and resumes, takes it from here
    if (res.status === 429 || res.status >= 500) return undefined;
    if (res.status === 404 || res.status === 405) {
      const err = await errorFrom(res);
      if (res.status === 405 || err.code === "direct_uploads_unavailable" || err.code === "not_found") return undefined;
      throw err;
    }
    if (res.status !== 201) throw await errorFrom(res);
    answer = (await res.json()) as DirectAnswer;
    await store.set(
      fresh({
        uploadUrl: http.url(`${DIRECT_PATH}/${answer.upload_id}`),
        pushToken: o.pushToken,
        metadata: o.metadata,
      }),
    );
  }
  const address = http.url(`${DIRECT_PATH}/${answer.upload_id}`);
  if (answer.job_id) return answer.job_id;
  await sendParts(http, source, answer, o.retries ?? 5, signal, progress);
  let res = await http.once(`${address}/complete`, { method: "POST", headers: await http.authHeaders(), signal });
  if (res.status === 409) {
    // a part did not arrive: ask the bucket's own list once more
    const again = await http.once(address, { method: "GET", headers: await http.authHeaders(), signal });
    if (!again.ok) throw await errorFrom(again);
    await sendParts(http, source, (await again.json()) as DirectAnswer, o.retries ?? 5, signal, progress);
    res = await http.once(`${address}/complete`, { method: "POST", headers: await http.authHeaders(), signal });
  }
  if (res.status !== 200 && res.status !== 202) {
    const err = await errorFrom(res);
    if (!err.retryable) await store.remove(fresh({}).fingerprint);
    throw err;
  }
  const { job_id: jobId } = (await res.json()) as { job_id: string };
  return jobId;
}

async function sendParts(
  http: Http,
  source: UploadSource,
  answer: DirectAnswer,
  retries: number,
  signal: AbortSignal,
  progress: (sent: number) => void,
): Promise<void> {
  let sent = answer.parts.filter((p) => p.url === null).reduce((n, p) => n + p.size, 0);
  progress(sent);
  for (const part of answer.parts) {
    if (part.url === null) continue;
    const start = (part.number - 1) * answer.part_size;
    const body = source.slice!(start, start + part.size);
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new AbortError();
      let res: Response | undefined;
      try {
        res = await http.once(part.url, { method: "PUT", body, signal, timeoutMs: Math.max(http.timeoutMs, 120_000) });
      } catch (err) {
        if (signal.aborted) throw new AbortError();
        if (!(err instanceof NetworkError || err instanceof TimeoutError) || attempt >= retries) throw err;
      }
      if (res?.ok) break;
      if (res && (res.status < 500 || attempt >= retries))
        throw new UploadError(`the bucket refused part ${part.number} (HTTP ${res.status})`);
      await sleep(backoffMs(attempt, http.random), signal);
    }
    sent += part.size;
    progress(sent);
  }
}
