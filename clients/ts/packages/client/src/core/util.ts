/** Small platform-free helpers (React Native lacks AbortSignal.any/timeout and crypto.randomUUID). */

import { AbortError } from "./errors.js";

/** Resolves after `ms`, or rejects with AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    const t = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(t);
      reject(new AbortError());
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A controller that aborts when any of `signals` aborts; `dispose()` detaches the listeners. */
export function linkedController(...signals: (AbortSignal | undefined)[]): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      controller.abort();
      break;
    }
    const f = (): void => controller.abort();
    s.addEventListener("abort", f, { once: true });
    cleanups.push(() => s.removeEventListener("abort", f));
  }
  return { controller, dispose: () => cleanups.forEach((c) => c()) };
}

/** Random id (RFC 4122 v4 shape) without relying on crypto.randomUUID. */
export function randomId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 of a string's UTF-8 bytes (tus Upload-Metadata values). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += B64[a >> 2]! + B64[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? "=" : B64[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? "=" : B64[c & 63]!;
  }
  return out;
}

/** `Retry-After` (seconds or HTTP date) in milliseconds, capped; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, capMs = 60_000): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  let ms: number;
  if (Number.isFinite(secs)) ms = secs * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - Date.now();
  }
  return Math.max(0, Math.min(ms, capMs));
}

/** Exponential backoff 0.5 s → 8 s with up to 25 % jitter downwards (so clients do not retry in step). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(500 * 2 ** attempt, 8000);
  return Math.round(base * (1 - 0.25 * random()));
}

/** Capped exponential backoff with full-range jitter for waits that retry until aborted (0.5 s → `capMs`). */
export function outageBackoffMs(failures: number, capMs = 10_000, random: () => number = Math.random): number {
  const base = Math.min(500 * 2 ** Math.min(failures, 20), capMs);
  return Math.round(base * (0.5 + 0.5 * random()));
}

/**
 * `scheme://host[:port]` of an absolute URL, lower-cased, default ports dropped; undefined for a relative
 * one. By hand: React Native's URL polyfill has no `origin`.
 */
export function originOf(url: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  let host = m[2]!.toLowerCase().replace(/^[^@]*@/, "");
  if ((scheme === "http" && host.endsWith(":80")) || (scheme === "https" && host.endsWith(":443"))) host = host.replace(/:\d+$/, "");
  return `${scheme}://${host}`;
}

/** Tiny FNV-1a hash (no crypto.subtle in React Native's Hermes). */
export function fnv1a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A 64-bit FNV-1a hex digest of a string: a short, stable tag (not a secret). */
export function hashText(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return fnv1a(bytes).toString(16).padStart(8, "0") + fnv1a(bytes, 0x01000193 ^ 0x5bd1e995).toString(16).padStart(8, "0");
}

export function joinUrl(base: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return path;
  return base.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`);
}
