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

/** Where "is the device online" comes from: NetInfo on React Native (`@reelq/client/expo/netinfo`), … */
export interface ConnectivitySource {
  isOnline(): boolean;
  /** Calls `listener` with the new state on every change; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

/**
 * Pauses `handle` when the device goes offline and resumes it when it is online again (only an upload this
 * function paused; a pause by the user stays). Returns the unsubscribe function.
 */
export function pauseWhileOffline(handle: Pick<UploadHandle, "state" | "pause" | "resume">, connectivity: ConnectivitySource): () => void {
  let pausedHere = false;
  const apply = (online: boolean): void => {
    if (!online && handle.state === "uploading") {
      handle.pause();
      pausedHere = true;
    } else if (online && pausedHere) {
      pausedHere = false;
      if (handle.state === "paused") handle.resume();
    }
  };
  const unsubscribe = connectivity.subscribe(apply);
  if (!connectivity.isOnline()) apply(false);
  return unsubscribe;
}

export interface NotificationJobLike {
  jobId: string;
  url?: string;
}
export type NotificationSubscribe = (onJob: (job: NotificationJobLike) => void) => () => void;

interface ReelqContextValue {
  client: ReelqClient;
  activity: ActivitySource;
  notifications?: NotificationSubscribe;
  connectivity?: ConnectivitySource;
}

const Ctx = createContext<ReelqContextValue | null>(null);

export function ReelqProvider(props: {
  client: ReelqClient;
  activity?: ActivitySource;
  notifications?: NotificationSubscribe;
  /** Uploads pause while offline and resume when online (`netInfoConnectivity` on React Native). */
  connectivity?: ConnectivitySource;
  children?: ReactNode;
}) {
  const { client, activity, notifications, connectivity } = props;
  const value = useMemo(
    () => ({ client, activity: activity ?? documentActivity, notifications, connectivity }),
    [client, activity, notifications, connectivity],
  );
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

/** One upload at a time with its progress, state, job id and error as React state. */
export function useUpload(): UseUpload {
  const { client, connectivity } = useReelq();
  const handle = useRef<UploadHandle | null>(null);
  const [current, setCurrent] = useState<UploadHandle | null>(null);
  const [state, setState] = useState<UploadState | "idle">("idle");
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const start = useCallback(
    (file: unknown, o: Omit<StartOptions, "onProgress"> = {}) => {
      setError(null);
      setJobId(null);
      setProgress(null);
      setState("uploading");
      const h = client.uploads.start(file as Blob, {
        ...o,
        onProgress: (p) => {
          if (!mounted.current) return;
          setProgress(p);
          if (handle.current === h) setState(h.state); // resumed by itself (back online)
        },
      });
      handle.current = h;
      setCurrent(h);
      h.done.then(
        ({ jobId: id }) => {
          if (!mounted.current || handle.current !== h) return;
          setJobId(id);
          setState("done");
        },
        (err: unknown) => {
          if (!mounted.current || handle.current !== h) return;
          setError(h.state === "cancelled" ? null : err);
          setState(h.state);
        },
      );
      return h;
    },
    [client],
  );
  const pause = useCallback(() => {
    handle.current?.pause();
    setState(handle.current?.state ?? "idle");
  }, []);
  const resume = useCallback(() => {
    handle.current?.resume();
    setState(handle.current?.state ?? "idle");
  }, []);
  const cancel = useCallback(async () => {
    await handle.current?.cancel();
    setState(handle.current?.state ?? "idle");
  }, []);
  // Offline → paused, online → resumed (the state follows at once).
  useEffect(() => {
    if (!current || !connectivity) return;
    const h = current;
    const unsubscribe = pauseWhileOffline(h, connectivity);
    const follow = connectivity.subscribe(() => mounted.current && handle.current === h && setState(h.state));
    if (!connectivity.isOnline()) setState(h.state);
    return () => {
      unsubscribe();
      follow();
    };
  }, [current, connectivity]);
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
  /** What the store remembered at launch (shown at once, before recovery has asked the server). */
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
    client.store.list().then((s) => live && setStored(s), () => undefined);
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
