/**
 * Whether the platform says it is online. Uploads pause when it says offline and go on when it says
 * online; waits and retries hold while it is offline. Browsers: `navigator.onLine` and the `online` /
 * `offline` events. React Native: `createExpoReelqClient` passes NetInfo
 * (`netInfoNetwork`) when @react-native-community/netinfo is installed; else drive a `settableNetwork()`. The signal is a hint: a request that fails while "online" is still retried.
 */

import { AbortError } from "./errors.js";

export interface NetworkSource {
  isOnline(): boolean;
  /** Calls `listener` with the new state on every change; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

type EventTargetish = { addEventListener?: (t: string, f: () => void) => void; removeEventListener?: (t: string, f: () => void) => void };

/** `navigator.onLine` with the window's `online`/`offline` events; always online where there are none (Node). */
export const browserNetwork: NetworkSource = {
  isOnline: () => (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false,
  subscribe(listener) {
    const target = globalThis as EventTargetish;
    if (typeof target.addEventListener !== "function" || typeof target.removeEventListener !== "function") return () => undefined;
    const on = (): void => listener(true);
    const off = (): void => listener(false);
    target.addEventListener("online", on);
    target.addEventListener("offline", off);
    return () => {
      target.removeEventListener?.("online", on);
      target.removeEventListener?.("offline", off);
    };
  },
};

/** A network state the app sets itself (`set(false)` when NetInfo says disconnected). */
export function settableNetwork(initial = true): NetworkSource & { set(online: boolean): void } {
  let online = initial;
  const listeners = new Set<(online: boolean) => void>();
  return {
    isOnline: () => online,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    set(next) {
      if (next === online) return;
      online = next;
      for (const l of [...listeners]) l(next);
    },
  };
}

/** The shape of `@react-native-community/netinfo`'s default export that is used here. */
export interface NetInfoLike {
  addEventListener(listener: (state: { isConnected: boolean | null; isInternetReachable?: boolean | null }) => void): () => void;
}

/** Offline only when NetInfo is sure: `isConnected === false` or `isInternetReachable === false`. */
export function netInfoOnline(state: { isConnected: boolean | null; isInternetReachable?: boolean | null } | null | undefined): boolean {
  if (!state) return true;
  return state.isConnected !== false && state.isInternetReachable !== false;
}

/**
 * A NetworkSource from NetInfo (passed in, so the package does not depend on it). Offline only when NetInfo
 * says so for sure (`isConnected === false` or `isInternetReachable === false`); unknown counts as online.
 */
export function netInfoNetwork(netinfo: NetInfoLike): NetworkSource & { dispose(): void } {
  const state = settableNetwork(true);
  const dispose = netinfo.addEventListener((s) => state.set(netInfoOnline(s)));
  return { isOnline: state.isOnline, subscribe: state.subscribe, dispose };
}

/** Resolves when `network` says online (at once if it does); rejects with AbortError on `signal`. */
export function waitOnline(network: NetworkSource, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    if (network.isOnline()) return resolve();
    const onAbort = (): void => {
      unsubscribe();
      reject(new AbortError());
    };
    const unsubscribe = network.subscribe((online) => {
      if (!online) return;
      unsubscribe();
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
