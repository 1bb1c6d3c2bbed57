/**
 * Following a job only while the app is in the foreground. A background app gets no CPU for polling
 * (and must not spend the battery), so the watcher stops there; when the app is active again it asks
 * at once (the first request of `waitFor` is answered immediately) and long-polls from there.
 */

import { isAbort } from "./errors.js";
import type { Jobs } from "./jobs.js";
import type { Job } from "./types.js";

/** Where "is the app in the foreground" comes from: React Native's AppState, the page's visibility, … */
export interface ActivitySource {
  isActive(): boolean;
  /** Calls `listener` with the new state on every change; returns the unsubscribe function. */
  subscribe(listener: (active: boolean) => void): () => void;
}

/** The page's visibility (browsers); always active where there is no `document` (Node). */
export const documentActivity: ActivitySource = {
  isActive: () => typeof document === "undefined" || document.visibilityState !== "hidden",
  subscribe(listener) {
    if (typeof document === "undefined") return () => undefined;
    const f = (): void => listener(document.visibilityState !== "hidden");
    document.addEventListener("visibilitychange", f);
    return () => document.removeEventListener("visibilitychange", f);
  },
};

export interface WatchOptions {
  activity?: ActivitySource;
  onUpdate?: (job: Job) => void;
  onDone?: (job: Job) => void;
  onError?: (err: unknown) => void;
  waitSeconds?: number;
  useSse?: boolean;
}

/** Follows `jobId` while the app is active; returns `stop()`. */
export function watchJob(jobs: Pick<Jobs, "waitFor">, jobId: string, o: WatchOptions = {}): () => void {
  const activity = o.activity ?? documentActivity;
  let controller: AbortController | undefined;
  let stopped = false;
  let failures = 0;

  const start = (): void => {
    if (stopped || controller) return;
    const c = (controller = new AbortController());
    jobs
      .waitFor(jobId, {
        signal: c.signal,
        // an answer ends a run of failures: the next one is retried quickly again
        onUpdate: (job) => ((failures = 0), o.onUpdate?.(job)),
        onRetry: (err) => o.onError?.(err),
        waitSeconds: o.waitSeconds,
        useSse: o.useSse,
      })
      .then((job) => {
        stopped = true;
        unsubscribe();
        o.onDone?.(job);
      })
      .catch((err: unknown) => {
        if (controller === c) controller = undefined;
        if (isAbort(err) || stopped) return;
        o.onError?.(err);
        // not an outage (waitFor rides those out): try again later, slower each time, while still active
        const delay = Math.min(1000 * 2 ** failures++, 30_000);
        setTimeout(() => activity.isActive() && start(), delay);
      });
  };
  const halt = (): void => {
    const c = controller;
    controller = undefined;
    c?.abort();
  };
  const unsubscribe = activity.subscribe((active) => (active ? start() : halt()));
  if (activity.isActive()) start();
  return () => {
    stopped = true;
    unsubscribe();
    halt();
  };
}
