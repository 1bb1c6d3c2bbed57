/**
 * `@reelq/client/react`: hooks over a client given once by `<ReelqProvider>`. Platform-free: pass the
 * Expo pieces (`appStateActivity`, `onNotificationJob`) to the provider on React Native.
 */

import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { documentActivity, watchJob, type ActivitySource } from "../core/activity.js";
import type { ReelqClient } from "../core/client.js";
import type { RecoveredItem } from "../core/recovery.js";
import type { PendingUpload } from "../core/store.js";
import type { StartOptions, UploadHandle, UploadProgress, UploadState } from "../core/uploads.js";
import type { Job } from "../core/types.js";

export interface NotificationJobLike {
  jobId: string;
  url?: string;
}
export type NotificationSubscribe = (onJob: (job: NotificationJobLike) => void) => () => void;

interface ReelqContextValue {
  client: ReelqClient;
  activity: ActivitySource;
  notifications?: NotificationSubscribe;
}

const Ctx = createContext<ReelqContextValue | null>(null);

export function ReelqProvider(props: {
  client: ReelqClient;
  activity?: ActivitySource;
  notifications?: NotificationSubscribe;
  children?: ReactNode;
}) {
  const { client, activity, notifications } = props;
  const value = useMemo(() => ({ client, activity: activity ?? documentActivity, notifications }), [client, activity, notifications]);
  return createElement(Ctx.Provider, { value }, props.children);
}

export function useReelq(): ReelqContextValue {
  const v = useContext(Ctx);
  if (!v) throw new Error("wrap the app in <ReelqProvider client={…}>");
  return v;
}

export interface UseUpload {
  start: (file: unknown, o?: Omit<StartOptions, "onProgress">) => UploadHandle;
  /** The current upload's handle (null before the first start). */
  handle: UploadHandle | null;
  pause: () => void;
  resume: () => void;
  cancel: () => Promise<void>;
  state: UploadState | "idle";
  progress: UploadProgress | null;
  jobId: string | null;
  error: unknown;
}

/**
 * One upload at a time with its progress, state, job id and error as React state. The state follows the
 * upload (`onStateChange`): paused while the client's `network` says offline, uploading again when online;
 * after `resume()` of a failed upload (by the app or by the network coming back) its new `done` is followed.
 */
export function useUpload(): UseUpload {
  const { client } = useReelq();
  const handle = useRef<UploadHandle | null>(null);
  const [current, setCurrent] = useState<UploadHandle | null>(null);
  const [state, setState] = useState<UploadState | "idle">("idle");
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mounted = useRef(true);
  const followed = useRef<Promise<unknown> | null>(null);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const live = (h: UploadHandle): boolean => mounted.current && handle.current === h;
  // `done` of this run of the upload (a new promise after resume() of a failed one)
  const follow = useCallback((h: UploadHandle) => {
    const done = h.done;
    if (followed.current === done) return;
    followed.current = done;
    done.then(
      ({ jobId: id }) => {
        if (!live(h) || followed.current !== done) return;
        setJobId(id);
        setState("done");
      },
      (err: unknown) => {
        if (!live(h) || followed.current !== done) return;
        setError(h.state === "cancelled" ? null : err);
        setState(h.state);
      },
    );
  }, []);

  const start = useCallback(
    (file: unknown, o: Omit<StartOptions, "onProgress"> = {}) => {
      setError(null);
      setJobId(null);
      setProgress(null);
      const h: UploadHandle = client.uploads.start(file as Blob, {
        ...o,
        onProgress: (p) => {
          if (live(h)) setProgress(p);
        },
        onStateChange: (s) => {
          o.onStateChange?.(s);
          if (!live(h)) return;
          if (s === "uploading") {
            setError(null);
            follow(h);
          }
          if (s !== "done") setState(s); // "done" once the job id is known
        },
      });
      handle.current = h;
      setCurrent(h);
      setState(h.state === "done" ? "uploading" : h.state);
      follow(h);
      return h;
    },
    [client, follow],
  );
  const pause = useCallback(() => handle.current?.pause(), []);
  const resume = useCallback(() => {
    const h = handle.current;
    if (!h) return;
    h.resume();
    follow(h);
  }, [follow]);
  const cancel = useCallback(async () => {
    await handle.current?.cancel();
    setState(handle.current?.state ?? "idle");
  }, []);
  return { start, handle: current, pause, resume, cancel, state, progress, jobId, error };
}

export interface UseJob {
  job: Job | null;
  error: unknown;
  /** True until the first answer. */
  loading: boolean;
  /** Follow the job again (after Retry/Cancel: a finished job's watcher has stopped). */
  refresh: () => void;
}

export interface UseJobOptions {
  waitSeconds?: number;
  /** Called once when the job is seen finished (completed, failed, cancelled) — only while the app is active. */
  onDone?: (job: Job) => void;
}

/** A job, kept current while the app is active (long polls stop in the background). */
export function useJob(id: string | null | undefined, o: UseJobOptions = {}): UseJob {
  const { client, activity } = useReelq();
  const [job, setJob] = useState<Job | null>(() => (id ? (client.jobs.cached(id) ?? null) : null));
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  const onDone = useRef(o.onDone);
  onDone.current = o.onDone;
  useEffect(() => {
    if (!id) return;
    setJob(client.jobs.cached(id) ?? null);
    setError(null);
    return watchJob(client.jobs, id, {
      activity,
      waitSeconds: o.waitSeconds,
      onUpdate: (j) => {
        setJob(j);
        setError(null);
      },
      onDone: (j) => {
        setJob(j);
        onDone.current?.(j);
      },
      onError: setError,
    });
  }, [client, activity, id, o.waitSeconds, round]);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  return { job, error, loading: !job && !error, refresh };
}

export interface UsePendingUploads {
  /** What the store remembered at launch for this client's server and account (shown at once, before
   *  recovery has asked the server); another server's or account's records are not listed. */
  stored: PendingUpload[];
  /** What `recoverPending()` settled: jobs (with their state), `needs-file` uploads, dropped ones. */
  items: RecoveredItem[];
  /** Bytes of each upload recovery continues, by fingerprint. */
  progress: Record<string, UploadProgress>;
  /** True while recovery runs. */
  recovering: boolean;
  error: unknown;
  /** Run recovery again (after the user picked a file again, or a failure). */
  rerun: () => void;
}

/**
 * Recovery at launch as React state: runs `client.recoverPending()` once per client and lists what it found
 * (unfinished uploads continued with their progress, jobs, uploads whose file must be picked again).
 */
export function usePendingUploads(o: { enabled?: boolean } = {}): UsePendingUploads {
  const { client } = useReelq();
  const enabled = o.enabled ?? true;
  const [stored, setStored] = useState<PendingUpload[]>([]);
  const [items, setItems] = useState<RecoveredItem[]>([]);
  const [progress, setProgress] = useState<Record<string, UploadProgress>>({});
  const [recovering, setRecovering] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    const controller = new AbortController();
    setRecovering(true);
    setError(null);
    // this server's and this account's records only, as recoverPending() settles them
    client.uploads.pending().then((s) => live && setStored(s), () => undefined);
    client
      .recoverPending({
        signal: controller.signal,
        onProgress: (record, sent, total) => live && setProgress((p) => ({ ...p, [record.fingerprint]: { sent, total } })),
      })
      .then(
        (found) => live && setItems(found),
        (err: unknown) => live && setError(err),
      )
      .finally(() => live && setRecovering(false));
    return () => {
      live = false;
      controller.abort();
    };
  }, [client, enabled, round]);
  const rerun = useCallback(() => setRound((r) => r + 1), []);
  return { stored, items, progress, recovering, error, rerun };
}

/**
 * The job of a tapped notification — also the tap that launched the app — once per tap. `onJob` runs
 * for each tap (navigate there); the return value is the last tapped job id.
 */
export function useNotificationJob(onJob?: (job: NotificationJobLike) => void): string | null {
  const { notifications } = useReelq();
  const [jobId, setJobId] = useState<string | null>(null);
  const cb = useRef(onJob);
  cb.current = onJob;
  useEffect(() => {
    if (!notifications) return;
    return notifications((job) => {
      setJobId(job.jobId);
      cb.current?.(job);
    });
  }, [notifications]);
  return jobId;
}
