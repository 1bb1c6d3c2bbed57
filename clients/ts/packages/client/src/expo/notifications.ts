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

/** Push token, registered with reelq (`POST /api/devices`). Returns the token. */
export async function registerForPush(
  client: { devices: { register(b: { push_token: string; platform: "ios" | "android" | "web" }): Promise<unknown> } },
  o: RegisterOptions = {},
): Promise<string> {
  const token = await getPushToken(o);
  await client.devices.register({ push_token: token, platform: Platform.OS === "ios" ? "ios" : "android" });
  return token;
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
