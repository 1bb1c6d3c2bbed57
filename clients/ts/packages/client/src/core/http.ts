/**
 * The transport every call goes through: base URL, bearer token, a timeout per attempt, retries with
 * jittered backoff that honour `Retry-After`, and an `AbortSignal`. `fetch` is injected because React
 * Native's global `fetch` changed under apps before (Expo SDK 56 swapped in `expo/fetch`).
 */

import { AbortError, NetworkError, TimeoutError, apiError, type ApiError, type Problem } from "./errors.js";
import { backoffMs, hashText, joinUrl, linkedController, originOf, parseRetryAfter, sleep } from "./util.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Where reelq answers, e.g. `https://reelq.example.com` (no trailing `/api`). */
  baseUrl: string;
  /** A fixed bearer token … */
  token?: string;
  /** … or a function asked before every request (refresh tokens here; they must outlive uploads). */
  getAuthToken?: () => string | null | undefined | Promise<string | null | undefined>;
  fetch?: FetchLike;
  /** Per attempt, default 30 s. Long polls add their wait on top. */
  timeoutMs?: number;
  /** Retries of a retryable failure, default 2. */
  maxRetries?: number;
  /**
   * Who the stored uploads and jobs belong to on this server (a user id or name). Recovery settles only
   * this account's records. Default: a hash of `token`; pass it when tokens are refreshed (`getAuthToken`),
   * or the records made under an old token are left alone.
   */
  account?: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | string[] | undefined | null>;
  body?: BodyInit | null;
  json?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Retries for this call; only idempotent requests are retried unless `idempotent` is set. */
  maxRetries?: number;
  idempotent?: boolean;
  /** Statuses returned as-is instead of thrown (e.g. 304). */
  accept?: number[];
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

export class Http {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /** `scheme://host[:port]` of `baseUrl`: the only origin that ever gets the bearer token. */
  readonly origin: string;
  private readonly fetchImpl: FetchLike;
  private readonly opts: ClientOptions;
  /** Overridable in tests to make jitter deterministic. */
  random: () => number = Math.random;

  constructor(opts: ClientOptions) {
    if (!opts.baseUrl) throw new TypeError("baseUrl is required");
    this.opts = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    // A path (`/` behind the page's own server) is on the page's origin.
    const origin = originOf(this.baseUrl) ?? originOf((globalThis as { location?: { origin?: string } }).location?.origin ?? "");
    if (!origin) throw new TypeError(`baseUrl must be an absolute URL: ${opts.baseUrl}`);
    this.origin = origin;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxRetries = opts.maxRetries ?? 2;
    const f = opts.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (!f) throw new TypeError("no fetch available: pass options.fetch");
    this.fetchImpl = (input, init) => f(input, init);
  }

  url(path: string, query?: RequestOptions["query"]): string {
    let url = joinUrl(this.baseUrl, path);
    if (query) {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined || v === null) continue;
        for (const item of Array.isArray(v) ? v : [v])
          parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`);
      }
      if (parts.length) url += (url.includes("?") ? "&" : "?") + parts.join("&");
    }
    return url;
  }

  private async token(): Promise<string | null | undefined> {
    return this.opts.getAuthToken ? await this.opts.getAuthToken() : this.opts.token;
  }

  /** True when `url` (absolute, or a path on `baseUrl`) is on `baseUrl`'s origin. */
  isOwnOrigin(url: string): boolean {
    const origin = originOf(url);
    return origin === undefined || origin === this.origin;
  }

  /** The bearer header for a request to `url` (default `baseUrl`); none for any other origin. */
  async authHeaders(url: string = this.baseUrl): Promise<Record<string, string>> {
    if (!this.isOwnOrigin(url)) return {};
    const token = await this.token();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /** The owner key stored with every record: the `account` option, else a hash of the token. */
  async account(): Promise<string> {
    if (this.opts.account) return this.opts.account;
    const token = await this.token();
    return token ? `token:${hashText(token)}` : "anonymous";
  }

  /** One attempt: fetch with the timeout; maps network failures to typed errors (never retries). */
  async once(url: string, init: RequestInit & { timeoutMs?: number }): Promise<Response> {
    const { controller, dispose } = linkedController(init.signal ?? undefined);
    let timedOut = false;
    const timeout = init.timeoutMs ?? this.timeoutMs;
    const timer = timeout > 0 ? setTimeout(() => ((timedOut = true), controller.abort()), timeout) : undefined;
    try {
      return await this.fetchImpl(url, { ...init, headers: ownOriginHeaders(this, url, init.headers), signal: controller.signal });
    } catch (err) {
      if (timedOut) throw new TimeoutError(`no answer from ${url} within ${timeout} ms`);
      if (init.signal?.aborted) throw new AbortError();
      throw new NetworkError(`request to ${url} failed: ${(err as Error)?.message ?? err}`, err);
    } finally {
      if (timer) clearTimeout(timer);
      dispose();
    }
  }

  /** A request with retries. Throws ApiError for non-2xx answers not listed in `accept`. */
  async request(path: string, o: RequestOptions = {}): Promise<Response> {
    const method = (o.method ?? "GET").toUpperCase();
    const retries = IDEMPOTENT.has(method) || o.idempotent ? (o.maxRetries ?? this.maxRetries) : 0;
    const url = this.url(path, o.query);
    for (let attempt = 0; ; attempt++) {
      if (o.signal?.aborted) throw new AbortError();
      const headers: Record<string, string> = { ...(await this.authHeaders(url)), ...o.headers };
      let body = o.body;
      if (o.json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(o.json);
      }
      let delay: number | undefined;
      try {
        const res = await this.once(url, { method, headers, body, signal: o.signal, timeoutMs: o.timeoutMs });
        if (res.ok || o.accept?.includes(res.status)) return res;
        const err = await errorFrom(res);
        if (!err.retryable || attempt >= retries) throw err;
        delay = err.retryAfterMs;
      } catch (err) {
        if (!(err instanceof NetworkError || err instanceof TimeoutError) || attempt >= retries) throw err;
      }
      await sleep(delay ?? backoffMs(attempt, this.random), o.signal);
    }
  }

  async json<T>(path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.request(path, o);
    return (await res.json()) as T;
  }
}

/** The headers of a request, without `Authorization` when it goes to another origin than `baseUrl`. */
function ownOriginHeaders(http: Http, url: string, headers: RequestInit["headers"]): RequestInit["headers"] {
  if (!headers || http.isOwnOrigin(url)) return headers;
  if (typeof Headers !== "undefined" && headers instanceof Headers) {
    const copy = new Headers(headers);
    copy.delete("authorization");
    return copy;
  }
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  return Object.fromEntries(entries.filter(([k]) => k?.toLowerCase() !== "authorization"));
}

/** Reads a problem+json (or any) error body into the matching ApiError. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let problem: Problem = {};
  try {
    const text = await res.text();
    if (text) {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object") problem = parsed as Problem;
    }
  } catch {
    // not JSON: keep the status alone (a proxy's HTML page, say)
  }
  return apiError(res.status, problem, parseRetryAfter(res.headers.get("retry-after")));
}
