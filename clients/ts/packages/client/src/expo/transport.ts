/**
 * tus PATCHes from a native file: each chunk is cut into a cache file (FileHandle.readBytes, one chunk in
 * memory, never the whole video) and sent by expo-file-system's upload task — `File.createUploadTask`
 * on SDK 56+ (progress, AbortSignal, iOS background session), the legacy `createUploadTask` before.
 * A watchdog aborts a task that moves no byte for `stallTimeoutMs` (an iOS background session keeps
 * retrying offline without a word); the upload then asks the server for its offset and goes on.
 * The multipart fallback goes through the same upload task (`MULTIPART`): expo/fetch cannot send
 * React Native's `{uri}` FormData parts.
 */

import { File, Paths, UploadType } from "expo-file-system";
import { AbortError, NetworkError, TimeoutError } from "../core/errors.js";
import type { MultipartRequest, PatchRequest, PatchResponse, UploadTransport } from "../core/transport.js";
import { linkedController } from "../core/util.js";

type Headers = Record<string, string>;

function headerGetter(headers: Headers | undefined): (name: string) => string | null {
  const lower: Headers = {};
  for (const [k, v] of Object.entries(headers ?? {})) lower[k.toLowerCase()] = v;
  return (name) => lower[name.toLowerCase()] ?? null;
}

/** Writes bytes [start, end) of `uri` to a cache file; the whole file when the range covers it. */
export function chunkFile(uri: string, start: number, end: number, size: number): { file: File; temporary: boolean } {
  const source = new File(uri);
  if (start === 0 && end >= size) return { file: source, temporary: false };
  const handle = source.open();
  try {
    handle.offset = start;
    const bytes = handle.readBytes(end - start);
    const chunk = new File(Paths.cache, `reelq-chunk-${Date.now()}-${Math.random().toString(36).slice(2)}.bin`);
    chunk.create({ overwrite: true });
    chunk.write(bytes);
    return { file: chunk, temporary: true };
  } finally {
    handle.close();
  }
}

export interface ExpoTransportOptions {
  /** iOS: let the system finish a chunk while the app is suspended (default true). */
  background?: boolean;
}

type TaskResult = { status: number; headers?: Headers; body?: string };

/** What one native task needs: where, how, the file, and the signal the watchdog can also fire. */
interface TaskRequest {
  url: string;
  headers: Headers;
  signal: AbortSignal;
  onProgress?: (sent: number) => void;
  multipart?: { fieldName: string; mimeType?: string; parameters: Record<string, string> };
}

/**
 * Runs `send` with a signal that also aborts when no progress came for `stallMs` (or `timeoutMs` passed
 * in all); such an abort is a TimeoutError (retryable), not the caller's abort. Native chunks use only the
 * stall limit: a slow link that keeps moving bytes is never cut.
 */
export async function withWatchdog<T>(
  signal: AbortSignal,
  limits: { stallMs?: number; timeoutMs?: number },
  send: (signal: AbortSignal, progressed: () => void) => Promise<T>,
): Promise<T> {
  const { controller, dispose } = linkedController(signal);
  let reason: string | undefined;
  let stall: ReturnType<typeof setTimeout> | undefined;
  const fire = (why: string): void => {
    reason = why;
    controller.abort();
  };
  const arm = (): void => {
    if (stall) clearTimeout(stall);
    if (limits.stallMs && limits.stallMs > 0) stall = setTimeout(() => fire(`no progress for ${limits.stallMs} ms`), limits.stallMs);
  };
  const total = limits.timeoutMs && limits.timeoutMs > 0 ? setTimeout(() => fire(`no answer within ${limits.timeoutMs} ms`), limits.timeoutMs) : undefined;
  arm();
  try {
    return await send(controller.signal, arm);
  } catch (err) {
    if (reason && !signal.aborted) throw new TimeoutError(reason);
    throw err;
  } finally {
    if (stall) clearTimeout(stall);
    if (total) clearTimeout(total);
    dispose();
  }
}

async function runTask(file: File, req: TaskRequest, o: ExpoTransportOptions): Promise<TaskResult> {
  const canTask = typeof (file as { createUploadTask?: unknown }).createUploadTask === "function";
  return canTask ? modernUpload(file, req, o) : legacyUpload(file.uri, req, o);
}

function sendError(url: string, err: unknown, signal: AbortSignal): unknown {
  if (err instanceof TimeoutError) return err;
  if (signal.aborted || (err as Error)?.name === "AbortError") return new AbortError();
  return new NetworkError(`${url} failed: ${(err as Error)?.message ?? err}`, err);
}

export function expoTransport(o: ExpoTransportOptions = {}): UploadTransport {
  return {
    async patch(req: PatchRequest): Promise<PatchResponse> {
      if (!req.source.uri) throw new TypeError("expoTransport needs a file URI source");
      if (req.signal.aborted) throw new AbortError();
      const { file, temporary } = chunkFile(req.source.uri, req.start, req.end, req.source.size);
      try {
        const result = await withWatchdog(req.signal, { stallMs: req.stallTimeoutMs }, (signal, progressed) =>
          runTask(file, { url: req.url, headers: req.headers, signal, onProgress: (n) => (progressed(), req.onProgress?.(n)) }, o),
        );
        return { status: result.status, header: headerGetter(result.headers), body: result.body };
      } catch (err) {
        throw sendError(`PATCH ${req.url}`, err, req.signal);
      } finally {
        if (temporary) {
          try {
            file.delete();
          } catch {
            // already gone
          }
        }
      }
    },

    async multipart(req: MultipartRequest): Promise<PatchResponse> {
      if (!req.source.uri) throw new TypeError("expoTransport needs a file URI source");
      if (req.signal.aborted) throw new AbortError();
      const file = new File(req.source.uri);
      try {
        const result = await withWatchdog(req.signal, { stallMs: req.stallTimeoutMs }, (signal, progressed) =>
          runTask(
            file,
            {
              url: req.url,
              headers: req.headers,
              signal,
              onProgress: (n) => (progressed(), req.onProgress?.(n)),
              multipart: { fieldName: req.fieldName, mimeType: req.source.type ?? "video/mp4", parameters: req.fields },
            },
            o,
          ),
        );
        return { status: result.status, header: headerGetter(result.headers), body: result.body };
      } catch (err) {
        throw sendError(`POST ${req.url}`, err, req.signal);
      }
    },
  };
}

async function modernUpload(file: File, req: TaskRequest, o: ExpoTransportOptions): Promise<TaskResult> {
  const task = file.createUploadTask(req.url, {
    httpMethod: req.multipart ? "POST" : "PATCH",
    headers: req.headers,
    onProgress: (p) => req.onProgress?.(p.bytesSent),
    signal: req.signal,
    ...(req.multipart
      ? { uploadType: UploadType.MULTIPART, fieldName: req.multipart.fieldName, mimeType: req.multipart.mimeType, parameters: req.multipart.parameters }
      : {}),
    ...(o.background === false ? { sessionType: "foreground" } : {}),
  } as Parameters<File["createUploadTask"]>[1]);
  return task.uploadAsync();
}

async function legacyUpload(uri: string, req: TaskRequest, o: ExpoTransportOptions): Promise<TaskResult> {
  // SDK 54–55: the new File API has no upload progress; the legacy task has.
  const legacy = require("expo-file-system/legacy") as typeof import("expo-file-system/legacy");
  const task = legacy.createUploadTask(
    req.url,
    uri,
    {
      httpMethod: req.multipart ? "POST" : "PATCH",
      headers: req.headers,
      ...(req.multipart
        ? { uploadType: legacy.FileSystemUploadType.MULTIPART, fieldName: req.multipart.fieldName, mimeType: req.multipart.mimeType, parameters: req.multipart.parameters }
        : { uploadType: legacy.FileSystemUploadType.BINARY_CONTENT }),
      sessionType: o.background === false ? legacy.FileSystemSessionType.FOREGROUND : legacy.FileSystemSessionType.BACKGROUND,
    },
    (p) => req.onProgress?.(p.totalBytesSent),
  );
  const onAbort = (): void => void task.cancelAsync();
  req.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const r = await task.uploadAsync();
    if (!r) throw new AbortError();
    return { status: r.status, headers: r.headers, body: r.body };
  } finally {
    req.signal.removeEventListener("abort", onAbort);
  }
}
