/**
 * `@reelq/client/expo`: the client wired for Expo — native file uploads with expo-file-system, the
 * resume store in AsyncStorage, an AppState-aware job watcher.
 */

import AsyncStorage from "@react-native-async-storage/async-storage";
import { AppState, Platform } from "react-native";
import type { ActivitySource, WatchOptions } from "../core/activity.js";
import { watchJob as watchCore } from "../core/activity.js";
import { createReelqClient, type ReelqClient, type ReelqClientOptions } from "../core/client.js";
import { netInfoNetwork, type NetInfoLike, type NetworkSource } from "../core/network.js";
import { createUploadStore, type UploadStore } from "../core/store.js";
import { xhrTransport } from "../core/transport.js";
import { openStoredSource, resolveExpoSource } from "./source.js";
import { expoTransport } from "./transport.js";

// Push (`@reelq/client/expo/notifications`) and pickers (`/expo/picker`) are entry points of their own: an
// app installs expo-notifications, expo-image-picker … only if it uses them. NetInfo is loaded only when
// installed (below).
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

let deviceNetwork: NetworkSource | null | undefined;

/**
 * The phone's network state from @react-native-community/netinfo, when the app installed it (one NetInfo
 * listener for the whole app); undefined without it, and on the web (where the client's default,
 * `navigator.onLine` with the `online`/`offline` events, applies). `netinfo` is injected by tests.
 */
export function nativeNetwork(netinfo?: NetInfoLike): NetworkSource | undefined {
  if (netinfo) return netInfoNetwork(netinfo);
  if (Platform.OS === "web") return undefined;
  if (deviceNetwork === undefined) {
    try {
      // optional peer: a require inside try, so Metro bundles an app that does not install it
      const m = require("@react-native-community/netinfo") as NetInfoLike & { default?: NetInfoLike };
      deviceNetwork = netInfoNetwork(m.default ?? m);
    } catch {
      deviceNetwork = null;
    }
  }
  return deviceNetwork ?? undefined;
}

/**
 * createReelqClient with Expo defaults: AsyncStorage store, native upload tasks (XHR on the web), and the
 * network from NetInfo when installed — uploads pause while offline and go on when online.
 */
export function createExpoReelqClient(options: ReelqClientOptions): ReelqClient {
  return createReelqClient({
    store: asyncStorageStore(),
    transport: Platform.OS === "web" ? xhrTransport() : expoTransport(),
    resolveSource: resolveExpoSource,
    openSource: openStoredSource,
    ...options,
    network: options.network ?? nativeNetwork(),
  });
}
