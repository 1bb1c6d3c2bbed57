// The app's one client. Server URL and token come from the Settings form (kept in AsyncStorage, i.e.
// localStorage on the web), else from EXPO_PUBLIC_REELQ_URL / EXPO_PUBLIC_REELQ_TOKEN at build time.
import AsyncStorage from "@react-native-async-storage/async-storage";
import { Platform } from "react-native";
import { createExpoReelqClient } from "@reelq/client/expo";
import type { ReelqClient } from "@reelq/client";

export interface Settings {
  baseUrl: string;
  token: string;
}

const KEY = "reelq:settings";

export async function loadSettings(): Promise<Settings> {
  const raw = await AsyncStorage.getItem(KEY);
  const saved = raw ? (JSON.parse(raw) as Partial<Settings>) : {};
  const sameOrigin = Platform.OS === "web" && typeof window !== "undefined" ? window.location.origin : "";
  return {
    baseUrl: saved.baseUrl || process.env.EXPO_PUBLIC_REELQ_URL || sameOrigin,
    token: saved.token || process.env.EXPO_PUBLIC_REELQ_TOKEN || "",
  };
}

export async function saveSettings(s: Settings): Promise<void> {
  await AsyncStorage.setItem(KEY, JSON.stringify(s));
}

/** Sign-out: the token is forgotten; the server address stays. */
export async function clearSettings(): Promise<Settings> {
  const s = await loadSettings();
  const out = { baseUrl: s.baseUrl, token: "" };
  await saveSettings(out);
  return out;
}

export function makeClient(s: Settings): ReelqClient {
  return createExpoReelqClient({ baseUrl: s.baseUrl, token: s.token });
}
