/**
 * `@reelq/client/react`: hooks over a client given once by `<ReelqProvider>`. Platform-free: pass the
 * Expo pieces (`appStateActivity`, `onNotificationJob`) to the provider on React Native.
 */

import { createContext, createElement, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { documentActivity, watchJob, type ActivitySource } from "../core/activity.js";
import type { ReelqClient } from "../core/client.js";
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
  const value = useRef<ReelqContextValue | null>(null);
  if (!value.current || value.current.client !== client)
    value.current = { client, activity: activity ?? documentActivity, notifications };
  return createElement(Ctx.Provider, { value: value.current }, props.children);
}

export function useReelq(): ReelqContextValue {
  const v = useContext(Ctx);
  if (!v) throw new Error("wrap the app in <ReelqProvider client={…}>");
  return v;
}

export interface UseUpload {
  start: (file: unknown, o?: Omit<StartOptions, "onProgress">) => UploadHandle;
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
  const { client } = useReelq();
  const handle = useRef<UploadHandle | null>(null);
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
      const h = client.uploads.start(file as Blob, { ...o, onProgress: (p) => mounted.current && setProgress(p) });
      handle.current = h;
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
  return { start, pause, resume, cancel, state, progress, jobId, error };
}

export interface UseJob {
  job: Job | null;
  error: unknown;
  /** True until the first answer. */
  loading: boolean;
}

/** A job, kept current while the app is active (long polls stop in the background). */
export function useJob(id: string | null | undefined, o: { waitSeconds?: number } = {}): UseJob {
  const { client, activity } = useReelq();
  const [job, setJob] = useState<Job | null>(() => (id ? (client.jobs.cached(id) ?? null) : null));
  const [error, setError] = useState<unknown>(null);
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
      onDone: setJob,
      onError: setError,
    });
  }, [client, activity, id, o.waitSeconds]);
  return { job, error, loading: !job && !error };
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
