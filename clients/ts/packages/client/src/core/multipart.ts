/**
 * The multipart fallback, `POST /api/upload` with an `Idempotency-Key` (the same key returns the same job)
 * and the seed's 3-minute timeout. A Blob goes as FormData through fetch; a native file URI goes through
 * the transport's upload task (expo/fetch cannot send React Native's `{uri}` FormData parts).
 */

import { AbortError, isAbort, isTransient } from "./errors.js";
import type { Http } from "./http.js";
import type { UploadSource } from "./source.js";
import type { PendingUpload } from "./store.js";
import { responseError, type UploadTransport } from "./transport.js";
import type { UploadAccepted } from "./types.js";

export const MULTIPART_TIMEOUT_MS = 180_000;

export interface MultipartOptions {
  signal: AbortSignal;
  /** Failed attempts in a row before giving up (time offline does not count). */
  retries: number;
  stallTimeoutMs?: number;
  onProgress?: (sent: number) => void;
  offline: () => boolean;
  /** Waits before the next attempt (backoff, or until online). */
  backoff: (err: unknown, failures: number) => Promise<void>;
}

/** The form fields beside the file, from the stored record (so a replay sends the same). */
function formFields(record: PendingUpload): Record<string, string> {
  const fields: Record<string, string> = {};
  if (record.pushToken) fields.push_token = record.pushToken;
  if (record.analyzer) fields.analyzer = record.analyzer;
  if (record.metadata) fields.metadata = JSON.stringify(record.metadata);
  return fields;
}

export async function sendMultipart(
  deps: { http: Http; transport: UploadTransport },
  record: PendingUpload,
  source: UploadSource,
  o: MultipartOptions,
): Promise<UploadAccepted> {
  const { http, transport } = deps;
  const filename = record.filename ?? source.name;
  const fields = formFields(record);
  if (source.slice) {
    const form = new FormData();
    form.append("video", source.slice(0, source.size), filename);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return http.json<UploadAccepted>("/api/upload", {
      method: "POST",
      body: form,
      headers: { "Idempotency-Key": record.idempotencyKey! },
      idempotent: true,
      timeoutMs: MULTIPART_TIMEOUT_MS,
      signal: o.signal,
    });
  }
  if (!transport.multipart) throw new TypeError("source has no slice() and the transport cannot send a file URI as multipart");
  const url = http.url("/api/upload");
  for (let failures = 0; ; ) {
    try {
      const r = await transport.multipart({
        url,
        headers: { ...(await http.authHeaders(url)), "Idempotency-Key": record.idempotencyKey! },
        source: { ...source, name: filename },
        fieldName: "video",
        fields,
        signal: o.signal,
        timeoutMs: MULTIPART_TIMEOUT_MS,
        stallTimeoutMs: o.stallTimeoutMs,
        onProgress: o.onProgress,
      });
      if (r.status >= 200 && r.status < 300) return JSON.parse(r.body ?? "{}") as UploadAccepted;
      throw responseError(r);
    } catch (err) {
      if (isAbort(err) || o.signal.aborted) throw new AbortError();
      if (!isTransient(err) || (!o.offline() && ++failures > o.retries)) throw err;
      await o.backoff(err, failures);
    }
  }
}
