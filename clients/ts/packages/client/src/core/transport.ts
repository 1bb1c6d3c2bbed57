/**
 * How one tus PATCH (one chunk) is sent. fetch in Node and browsers, XHR in browsers when byte-level
 * progress matters, native upload tasks on Expo (see `@reelq/client/expo`).
 */

import { AbortError, NetworkError, TimeoutError, apiError, type ApiError } from "./errors.js";
import type { Http } from "./http.js";
import type { UploadSource } from "./source.js";
import { parseRetryAfter } from "./util.js";

export interface PatchRequest {
  url: string;
  /** Including Authorization, Tus-Resumable, Upload-Offset and Content-Type. */
  headers: Record<string, string>;
  source: UploadSource;
  start: number;
  end: number;
  signal: AbortSignal;
  timeoutMs: number;
  /** Native transports: abort the chunk when no byte moved for this long (a stalled background task). */
  stallTimeoutMs?: number;
  /** Bytes of this chunk sent so far. */
  onProgress?: (sent: number) => void;
}

/** `POST /api/upload` as multipart/form-data, the file under `fieldName` and `fields` beside it. */
export interface MultipartRequest {
  url: string;
  /** Including Authorization and Idempotency-Key. */
  headers: Record<string, string>;
  source: UploadSource;
  fieldName: string;
  fields: Record<string, string>;
  signal: AbortSignal;
  timeoutMs: number;
  stallTimeoutMs?: number;
  onProgress?: (sent: number) => void;
}

export interface PatchResponse {
  status: number;
  header(name: string): string | null;
  body?: string;
}

export interface UploadTransport {
  patch(req: PatchRequest): Promise<PatchResponse>;
  /** Sends a multipart upload of a source without `slice()` (a native file URI). */
  multipart?(req: MultipartRequest): Promise<PatchResponse>;
}

/** The typed error of an answer a transport returned (problem+json body, `Retry-After`). */
export function responseError(r: PatchResponse): ApiError {
  let problem = {};
  try {
    problem = r.body ? (JSON.parse(r.body) as object) : {};
  } catch {
    // not JSON
  }
  return apiError(r.status, problem, parseRetryAfter(r.header("retry-after")));
}

/** PATCH with `fetch` and a Blob slice as body (progress per chunk). */
export function fetchTransport(http: Http): UploadTransport {
  return {
    async patch(req) {
      if (!req.source.slice) throw new TypeError("fetchTransport needs a Blob source");
      const res = await http.once(req.url, {
        method: "PATCH",
        headers: req.headers,
        body: req.source.slice(req.start, req.end),
        signal: req.signal,
        timeoutMs: req.timeoutMs,
      });
      const body = await res.text().catch(() => "");
      req.onProgress?.(res.ok ? req.end - req.start : 0);
      return { status: res.status, header: (n) => res.headers.get(n), body };
    },
  };
}

/** PATCH with XMLHttpRequest: progress while the bytes go out (browsers, React Native). */
export function xhrTransport(): UploadTransport {
  return {
    patch(req) {
      return new Promise<PatchResponse>((resolve, reject) => {
        if (!req.source.slice) return reject(new TypeError("xhrTransport needs a Blob source"));
        if (req.signal.aborted) return reject(new AbortError());
        const xhr = new XMLHttpRequest();
        xhr.open("PATCH", req.url);
        for (const [k, v] of Object.entries(req.headers)) xhr.setRequestHeader(k, v);
        xhr.timeout = req.timeoutMs;
        xhr.upload.onprogress = (e) => req.onProgress?.(e.loaded);
        const onAbort = (): void => xhr.abort();
        req.signal.addEventListener("abort", onAbort, { once: true });
        const settle = (fn: () => void): void => {
          req.signal.removeEventListener("abort", onAbort);
          fn();
        };
        xhr.onload = () =>
          settle(() => resolve({ status: xhr.status, header: (n) => xhr.getResponseHeader(n), body: xhr.responseText }));
        xhr.onerror = () => settle(() => reject(new NetworkError(`PATCH ${req.url} failed`)));
        xhr.ontimeout = () => settle(() => reject(new TimeoutError()));
        xhr.onabort = () => settle(() => reject(new AbortError()));
        xhr.send(req.source.slice(req.start, req.end));
      });
    },
  };
}
