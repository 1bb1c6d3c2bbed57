// Push on native (expo-notifications); nothing on the web, where the same routes are plain links.
import AsyncStorage from "@react-native-async-storage/async-storage";
import { Platform } from "react-native";
import type { ReelqClient } from "@reelq/client";
import { keepPushRegistered, onNotificationJob, showNotificationsInForeground, type PushKeeper, type PushRegistration } from "@reelq/client/expo/notifications";
import type { Settings } from "./reelq";

const native = Platform.OS !== "web";

/** One registration per server and account; the key holds a hash of the token, never the token. */
function key(s: Settings): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.token.length; i++) h = Math.imul(h ^ s.token.charCodeAt(i), 0x01000193) >>> 0;
  return `reelq:push:${s.baseUrl}:${h.toString(36)}`;
}

export const push = {
  showInForeground: (): void => {
    if (native) showNotificationsInForeground();
  },
  /** Registered at launch and on every token rotation, per server and account (the key), until sign-out. */
  keepRegistered: (
    client: ReelqClient,
    s: Settings,
    o: { onChange: (r: PushRegistration | null) => void; onError: (e: unknown) => void },
  ): PushKeeper | null =>
    native ? keepPushRegistered(client, { storage: AsyncStorage, key: key(s), ...o }) : null,
  onTap: native ? onNotificationJob : undefined,
};
