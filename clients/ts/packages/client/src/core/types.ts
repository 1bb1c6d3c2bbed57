/** Public shapes. They come from the server's OpenAPI document (openapi.gen.ts, generated, checked for drift). */

import type { components } from "./openapi.gen.js";

type Schemas = components["schemas"];

export type JobStatus = "queued" | "processing" | "completed" | "failed" | "cancelled";
export const TERMINAL_STATUSES: readonly JobStatus[] = ["completed", "failed", "cancelled"];

/** A job as `GET /api/results/job/{id}` answers it. */
export type Job = Omit<Schemas["JobOut"], "status"> & { status: JobStatus };
export type JobList = { jobs: Job[]; next_cursor: string | null };
export type UploadAccepted = Schemas["UploadAccepted"];
export type FileInfo = Schemas["FileInfo"];
export type JobErrorInfo = Schemas["ErrorInfo"];
/** A device registered for push (`POST /api/devices`, `GET /api/devices`). */
export type Device = Schemas["DeviceOut"];
export type DeviceList = Schemas["DeviceList"];
/** The answer to cancel and retry: the job's status now. */
export type JobAction = Schemas["JobAction"];

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** A thumbnail entry of the default `video` analysis (`result.thumbnails.poster`, `result.scenes[i].thumbnail`). */
export interface Thumbnail {
  name: string;
  url: string;
  time?: number;
  width?: number;
  height?: number;
}
