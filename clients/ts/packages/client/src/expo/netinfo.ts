/**
 * `@reelq/client/expo/netinfo`: the network state from @react-native-community/netinfo as a
 * `ConnectivitySource`, for `<ReelqProvider connectivity={netInfoConnectivity}>`: an upload pauses when the
 * phone goes offline and resumes when it is back (instead of failing after its retries).
 */

import NetInfo, { type NetInfoState } from "@react-native-community/netinfo";
import type { ConnectivitySource } from "../react/index.js";

/** Offline only when NetInfo says so (not connected, or connected without internet); unknown counts as online. */
export function isOnline(state: Pick<NetInfoState, "isConnected" | "isInternetReachable"> | null | undefined): boolean {
  if (!state) return true;
  return state.isConnected !== false && state.isInternetReachable !== false;
}

/** A ConnectivitySource over NetInfo (pass another module in tests). */
export function netInfoSource(N: Pick<typeof NetInfo, "addEventListener"> = NetInfo): ConnectivitySource {
  let online = true;
  const listeners = new Set<(online: boolean) => void>();
  let unsubscribe: (() => void) | null = null;
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      // NetInfo calls a new listener with the current state at once, then on every change.
      unsubscribe ??= N.addEventListener((state) => {
        const now = isOnline(state);
        if (now === online) return;
        online = now;
        for (const l of [...listeners]) l(now);
      });
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && unsubscribe) {
          unsubscribe();
          unsubscribe = null;
        }
      };
    },
  };
}

/** The device's network state (one NetInfo listener however many uploads follow it). */
export const netInfoConnectivity: ConnectivitySource = netInfoSource();
