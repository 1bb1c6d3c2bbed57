/**
 * Typed errors. Every failure the client reports is a `ReelqError`; answers of the server are `ApiError`s
 * built from its `application/problem+json` body, so apps branch on `code` (stable) rather than on text.
 */

export class ReelqError extends Error {
  /** True when the same request may succeed later (network trouble, 429, 5xx, a busy upload). */
  readonly retryable: boolean;
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  [key: string]: unknown;
}

const RETRYABLE_STATUS = new Set([408, 423, 425, 429, 500, 502, 503, 504]);

/** An HTTP answer that is not a success. */
export class ApiError extends ReelqError {
  readonly status: number;
  /** Stable snake_case code from the problem body (`upload_too_large`, `job_not_found`, …). */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly problem: Problem;
  /** Milliseconds from `Retry-After`, when the server sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, problem: Problem, retryAfterMs?: number) {
    const code = typeof problem.code === "string" ? problem.code : `http_${status}`;
    const title = typeof problem.title === "string" ? problem.title : `HTTP ${status}`;
    const detail = typeof problem.detail === "string" ? problem.detail : title;
    super(`${status} ${code}: ${detail}`, { retryable: RETRYABLE_STATUS.has(status) });
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }
}

export class AuthenticationError extends ApiError {}
export class NotFoundError extends ApiError {}
export class ConflictError extends ApiError {}
export class GoneError extends ApiError {}
export class PayloadTooLargeError extends ApiError {}
export class UnsupportedMediaError extends ApiError {}
export class RateLimitError extends ApiError {}
export class ServerError extends ApiError {}

/** The right `ApiError` subclass for a status. */
export function apiError(status: number, problem: Problem, retryAfterMs?: number): ApiError {
  const Cls =
    status === 401 || status === 403
      ? AuthenticationError
      : status === 404
        ? NotFoundError
        : status === 409
          ? ConflictError
          : status === 410
            ? GoneError
            : status === 413
              ? PayloadTooLargeError
              : status === 415
                ? UnsupportedMediaError
                : status === 429
                  ? RateLimitError
                  : status >= 500
                    ? ServerError
                    : ApiError;
  return new Cls(status, problem, retryAfterMs);
}

/** The request never got an answer (DNS, refused, reset, offline). */
export class NetworkError extends ReelqError {
  constructor(message: string, cause?: unknown) {
    super(message, { retryable: true, cause });
  }
}

/** No answer within the client's timeout. */
export class TimeoutError extends ReelqError {
  constructor(message = "request timed out") {
    super(message, { retryable: true });
  }
}

/** The caller aborted (its `AbortSignal`, `cancel()`, or `pause()`). `name` is `AbortError` like DOM's. */
export class AbortError extends ReelqError {
  constructor(message = "aborted") {
    super(message);
    this.name = "AbortError";
  }
}

/** An upload could not finish: the server lost it, or it was refused. `cause` holds the ApiError if any. */
export class UploadError extends ReelqError {}

/** Push notifications could not be set up on this device; `reason` says why. */
export class PushSetupError extends ReelqError {
  readonly reason: "denied" | "not-device" | "no-project-id" | "unsupported" | "token-failed";
  constructor(reason: PushSetupError["reason"], message: string, cause?: unknown) {
    super(message, { cause });
    this.reason = reason;
  }
}

export function isAbort(err: unknown): boolean {
  return (
    err instanceof AbortError ||
    (typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError")
  );
}

/** Failures worth trying again: the connection, a timeout, 5xx, 429, 408. */
export function isTransient(err: unknown): boolean {
  return err instanceof NetworkError || err instanceof TimeoutError || (err instanceof ApiError && err.retryable);
}
