/**
 * `@reelq/client/expo`: the client wired for Expo — native file uploads with expo-file-system, the
 * resume store in AsyncStorage, an AppState-aware job watcher.
 */

import AsyncStorage from "@react-native-async-storage/async-storage";
import { AppState, Platform } from "react-native";
import type { ActivitySource, WatchOptions } from "../core/activity.js";
import { watchJob as watchCore } from "../core/activity.js";
import { createReelqClient, type ReelqClient, type ReelqClientOptions } from "../core/client.js";
import { createUploadStore, type UploadStore } from "../core/store.js";
import { xhrTransport } from "../core/transport.js";
import { openStoredSource, resolveExpoSource } from "./source.js";
import { expoTransport } from "./transport.js";

// Push (`@reelq/client/expo/notifications`), pickers (`/expo/picker`) and NetInfo (`/expo/netinfo`) are
// entry points of their own: an app installs expo-notifications, expo-image-picker … only if it uses them.
export { expoTransport, chunkFile, type ExpoTransportOptions } from "./transport.js";
export { fileUriSource, resolveExpoSource, openStoredSource, type PickedAsset } from "./source.js";

/** The resume store in AsyncStorage (survives an app kill). */
export function asyncStorageStore(key = "reelq:uploads"): UploadStore {
  return createUploadStore(AsyncStorage, key);
}

/** React Native's AppState as an activity source: only `active` counts (not `inactive`/`background`). */
export const appStateActivity: ActivitySource = {
  isActive: () => AppState.currentState === "active" || AppState.currentState == null,
  subscribe(listener) {
    const sub = AppState.addEventListener("change", (s) => listener(s === "active"));
    return () => sub.remove();
  },
};

/** Follows a job only while the app is active; catches up at once when it becomes active. */
export function watchJob(client: Pick<ReelqClient, "jobs">, jobId: string, o: Omit<WatchOptions, "activity"> = {}): () => void {
  return watchCore(client.jobs, jobId, { ...o, activity: appStateActivity });
}

/** createReelqClient with Expo defaults: AsyncStorage store, native upload tasks (XHR on the web). */
export function createExpoReelqClient(options: ReelqClientOptions): ReelqClient {
  return createReelqClient({
    store: asyncStorageStore(),
    transport: Platform.OS === "web" ? xhrTransport() : expoTransport(),
    resolveSource: resolveExpoSource,
    openSource: openStoredSource,
    ...options,
  });
}
