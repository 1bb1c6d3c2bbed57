/**
 * Push setup and notification taps with expo-notifications, absorbing its known traps: the Android channel
 * must exist before the token is asked for; `getExpoPushTokenAsync` needs the EAS `projectId`; emulators
 * and Expo Go on Android get no push; a tap that launched a killed app arrives before any listener, so
 * `getLastNotificationResponse()` is read once and cleared; a tap is handled once, never twice.
 */

import * as Notifications from "expo-notifications";
import { Platform } from "react-native";
import { PushSetupError } from "../core/errors.js";

type NotificationsModule = typeof Notifications;

export interface RegisterOptions {
  /** The EAS project id; default from app config (`extra.eas.projectId`) via expo-constants. */
  projectId?: string;
  /** Android channel; reelq's push messages use `default`. */
  channelId?: string;
  channelName?: string;
  /** Injected for tests. */
  notifications?: NotificationsModule;
  isDevice?: boolean;
}

function constantsProjectId(): string | undefined {
  try {
    const Constants = require("expo-constants").default as {
      expoConfig?: { extra?: { eas?: { projectId?: string } } };
      easConfig?: { projectId?: string };
    };
    return Constants?.expoConfig?.extra?.eas?.projectId ?? Constants?.easConfig?.projectId;
  } catch {
    return undefined;
  }
}

function deviceIsReal(): boolean {
  try {
    return (require("expo-device") as { isDevice: boolean }).isDevice;
  } catch {
    return true;
  }
}

/**
 * Asks permission and returns this device's Expo push token. Throws PushSetupError with a `reason`
 * (`not-device`, `unsupported`, `denied`, `no-project-id`, `token-failed`).
 */
export async function getPushToken(o: RegisterOptions = {}): Promise<string> {
  const N = o.notifications ?? Notifications;
  if (Platform.OS === "web") throw new PushSetupError("unsupported", "Expo push tokens need a native app");
  if (!(o.isDevice ?? deviceIsReal())) throw new PushSetupError("not-device", "push needs a real device, not a simulator");
  if (Platform.OS === "android") {
    await N.setNotificationChannelAsync(o.channelId ?? "default", {
      name: o.channelName ?? "Analysis results",
      importance: N.AndroidImportance.HIGH,
    });
  }
  let perm = await N.getPermissionsAsync();
  if (!perm.granted && perm.canAskAgain !== false) perm = await N.requestPermissionsAsync();
  const iosOk = perm.ios?.status === N.IosAuthorizationStatus?.PROVISIONAL;
  if (!perm.granted && !iosOk) throw new PushSetupError("denied", "notifications are not allowed");
  const projectId = o.projectId ?? constantsProjectId();
  if (!projectId) throw new PushSetupError("no-project-id", "no EAS projectId: set extra.eas.projectId in app config");
  try {
    return (await N.getExpoPushTokenAsync({ projectId })).data;
  } catch (err) {
    throw new PushSetupError("token-failed", `could not get a push token: ${(err as Error)?.message ?? err}`, err);
  }
}

/** What the push helpers need of a client: `devices.register` and `devices.remove`. */
export interface DevicesClient {
  devices: {
    register(b: { push_token: string; platform: "ios" | "android" | "web" }): Promise<{ id?: string } | unknown>;
    remove(id: string): Promise<unknown>;
  };
}

/** Push token, registered with reelq (`POST /api/devices`). Returns the token. */
export async function registerForPush(client: { devices: Pick<DevicesClient["devices"], "register"> }, o: RegisterOptions = {}): Promise<string> {
  const token = await getPushToken(o);
  await client.devices.register({ push_token: token, platform: platformName() });
  return token;
}

function platformName(): "ios" | "android" {
  return Platform.OS === "ios" ? "ios" : "android";
}

/** This device as reelq knows it: the Expo push token and the server's device id (for sign-out). */
export interface PushRegistration {
  token: string;
  deviceId: string | null;
}

export interface KeepRegisteredOptions extends RegisterOptions {
  /** Ask for permission when it was never asked (default true); false registers only if already allowed. */
  ask?: boolean;
  /** Where the registration is kept across launches (so sign-out can remove it); AsyncStorage-like. */
  storage?: { getItem(k: string): Promise<string | null>; setItem(k: string, v: string): Promise<void>; removeItem(k: string): Promise<void> };
  /** Storage key; one per server and account, e.g. `reelq:push:${baseUrl}:${user}`. */
  key?: string;
  /** Every new registration (launch, rotation) and `null` after `unregister()`. */
  onChange?: (reg: PushRegistration | null) => void;
  onError?: (err: unknown) => void;
}

export interface PushKeeper {
  /** The first registration of this launch (null when push is unavailable or not allowed: see onError). */
  ready: Promise<PushRegistration | null>;
  current(): PushRegistration | null;
  /** Stops following token changes (the device stays registered). */
  stop(): void;
  /** Sign-out: stops, removes this device from reelq (no more pushes for this account), forgets it. */
  unregister(): Promise<void>;
}

function deviceIdOf(answer: unknown): string | null {
  const a = answer as { id?: unknown; device_id?: unknown } | null;
  const id = a?.id ?? a?.device_id;
  return typeof id === "string" ? id : null;
}

/**
 * Keeps this device registered for reelq's pushes: at launch (permission, channel, token, `POST
 * /api/devices`), again whenever Expo rotates the token (`addPushTokenListener`; the old device is removed),
 * and `unregister()` on sign-out (`DELETE /api/devices/{id}`, also for a registration of an earlier launch).
 */
export function keepPushRegistered(client: DevicesClient, o: KeepRegisteredOptions = {}): PushKeeper {
  const N = o.notifications ?? Notifications;
  const key = o.key ?? "reelq:push";
  let current: PushRegistration | null = null;
  let stopped = false;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f, f);
    chain = p.catch(() => undefined);
    return p;
  };
  const saved = async (): Promise<PushRegistration | null> => {
    if (current) return current;
    const raw = await o.storage?.getItem(key).catch(() => null);
    try {
      return raw ? (JSON.parse(raw) as PushRegistration) : null;
    } catch {
      return null;
    }
  };
  const register = (token: string) =>
    serial(async () => {
      if (stopped) return current;
      const before = await saved();
      if (before?.token === token && before.deviceId) {
        current = before;
      } else {
        const answer = await client.devices.register({ push_token: token, platform: platformName() });
        current = { token, deviceId: deviceIdOf(answer) };
        if (before?.deviceId && before.deviceId !== current.deviceId) await client.devices.remove(before.deviceId).catch(() => undefined);
        await o.storage?.setItem(key, JSON.stringify(current));
      }
      o.onChange?.(current);
      return current;
    });
  const fail = (err: unknown): null => {
    o.onError?.(err);
    return null;
  };
  const first = async (): Promise<PushRegistration | null> => {
    if (o.ask === false) {
      const perm = await N.getPermissionsAsync();
      if (!perm.granted) return null;
    }
    return register(await getPushToken(o));
  };
  const ready = first().catch(fail);
  // Expo rotates the native token now and then (reinstall, restore, FCM refresh): get the Expo token again.
  const sub = N.addPushTokenListener?.(() => {
    if (stopped) return;
    getPushToken({ ...o, notifications: N }).then(register).catch(fail);
  });
  const stop = (): void => {
    stopped = true;
    sub?.remove();
  };
  return {
    ready,
    current: () => current,
    stop,
    unregister: async () => {
      stop();
      await chain;
      const reg = await saved();
      current = null;
      if (reg?.deviceId) await client.devices.remove(reg.deviceId);
      await o.storage?.removeItem(key);
      o.onChange?.(null);
    },
  };
}

/** Show reelq's messages while the app is open (both the SDK 53+ keys and the older one). */
export function showNotificationsInForeground(N: NotificationsModule = Notifications): void {
  N.setNotificationHandler({
    handleNotification: async () =>
      ({ shouldShowBanner: true, shouldShowList: true, shouldShowAlert: true, shouldPlaySound: true, shouldSetBadge: false }) as never,
  });
}

export interface NotificationJob {
  jobId: string;
  /** The deep link from the push (`data.url`), e.g. `reelq://results/<id>`. */
  url?: string;
  status?: string;
}

/** The job id of a reelq push (`data.jobId`, older `job_id`, or the last part of `data.url`). */
export function jobOfNotification(response: Notifications.NotificationResponse | null | undefined): NotificationJob | undefined {
  const data = response?.notification?.request?.content?.data as Record<string, unknown> | undefined;
  if (!data) return undefined;
  const url = typeof data.url === "string" ? data.url : undefined;
  const jobId =
    (typeof data.jobId === "string" && data.jobId) ||
    (typeof data.job_id === "string" && data.job_id) ||
    (url ? /results\/([^/?#]+)/.exec(url)?.[1] : undefined);
  return jobId ? { jobId, url, status: typeof data.status === "string" ? data.status : undefined } : undefined;
}

const handled = new Set<string>();

/**
 * Calls `onJob` once per tapped reelq notification: the tap that launched the app (cold start) and every
 * later tap. Returns the unsubscribe function. Register it at the root of the app.
 */
export function onNotificationJob(onJob: (job: NotificationJob) => void, N: NotificationsModule = Notifications): () => void {
  const deliver = (response: Notifications.NotificationResponse | null | undefined): void => {
    const job = jobOfNotification(response);
    if (!job || !response) return;
    const key = response.notification.request.identifier || `${job.jobId}:${response.notification.date}`;
    if (handled.has(key)) return;
    handled.add(key);
    onJob(job);
  };
  const sub = N.addNotificationResponseReceivedListener(deliver);
  try {
    // Cold start: the tap that opened the app. Missing in Expo Go on some platforms, so guarded.
    const last = typeof N.getLastNotificationResponse === "function" ? N.getLastNotificationResponse() : null;
    if (last) {
      deliver(last);
      N.clearLastNotificationResponse?.();
    }
  } catch {
    // web: UnavailabilityError
  }
  return () => sub.remove();
}

/** For tests: forget which taps were handled. */
export function resetHandledNotifications(): void {
  handled.clear();
}
