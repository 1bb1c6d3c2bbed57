export * from "./core/errors.js";
export { Http, errorFrom, type ClientOptions, type FetchLike, type RequestOptions } from "./core/http.js";
export { Jobs, type WaitOptions, type ListOptions, type JobsOptions } from "./core/jobs.js";
export { browserNetwork, settableNetwork, netInfoNetwork, waitOnline, type NetworkSource, type NetInfoLike } from "./core/network.js";
export { parseSse, type SseEvent } from "./core/sse.js";
export * from "./core/store.js";
export * from "./core/source.js";
export * from "./core/transport.js";
export * from "./core/types.js";
export {
  Uploads,
  TUS_VERSION,
  MULTIPART_TIMEOUT_MS,
  type StartOptions,
  type UploadHandle,
  type UploadProgress,
  type UploadState,
} from "./core/uploads.js";
export { type RecoveredItem, type RecoverOptions } from "./core/recovery.js";
export { originOf, hashText } from "./core/util.js";
export { createReelqClient, type ReelqClient, type ReelqClientOptions } from "./core/client.js";
export type { paths, components } from "./core/openapi.gen.js";
export { watchJob, documentActivity, type ActivitySource, type WatchOptions } from "./core/activity.js";
