/**
 * tus PATCHes from a native file: each chunk is cut into a cache file (FileHandle.readBytes, one chunk in
 * memory, never the whole video) and sent by expo-file-system's upload task — `File.createUploadTask`
 * on SDK 56+ (progress, AbortSignal, iOS background session), the legacy `createUploadTask` before.
 */

import { File, Paths } from "expo-file-system";
import { AbortError, NetworkError } from "../core/errors.js";
import type { PatchRequest, PatchResponse, UploadTransport } from "../core/transport.js";

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

export function expoTransport(o: ExpoTransportOptions = {}): UploadTransport {
  return {
    async patch(req: PatchRequest): Promise<PatchResponse> {
      if (!req.source.uri) throw new TypeError("expoTransport needs a file URI source");
      if (req.signal.aborted) throw new AbortError();
      const { file, temporary } = chunkFile(req.source.uri, req.start, req.end, req.source.size);
      try {
        const canTask = typeof (file as { createUploadTask?: unknown }).createUploadTask === "function";
        const result = canTask ? await modernUpload(file, req, o) : await legacyUpload(file.uri, req, o);
        return { status: result.status, header: headerGetter(result.headers), body: result.body };
      } catch (err) {
        if (req.signal.aborted || (err as Error)?.name === "AbortError") throw new AbortError();
        throw new NetworkError(`PATCH ${req.url} failed: ${(err as Error)?.message ?? err}`, err);
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
  };
}

async function modernUpload(file: File, req: PatchRequest, o: ExpoTransportOptions): Promise<{ status: number; headers?: Headers; body?: string }> {
  const task = file.createUploadTask(req.url, {
    httpMethod: "PATCH",
    headers: req.headers,
    onProgress: (p) => req.onProgress?.(p.bytesSent),
    signal: req.signal,
    ...(o.background === false ? { sessionType: "foreground" } : {}),
  } as Parameters<File["createUploadTask"]>[1]);
  return task.uploadAsync();
}

async function legacyUpload(uri: string, req: PatchRequest, o: ExpoTransportOptions): Promise<{ status: number; headers?: Headers; body?: string }> {
  // SDK 54–55: the new File API has no upload progress; the legacy task has.
  const legacy = require("expo-file-system/legacy") as typeof import("expo-file-system/legacy");
  const task = legacy.createUploadTask(
    req.url,
    uri,
    {
      httpMethod: "PATCH",
      headers: req.headers,
      uploadType: legacy.FileSystemUploadType.BINARY_CONTENT,
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
