// Root: the client, recovery of pending uploads and jobs on launch, and notification taps → Results.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { Platform, Text, View } from "react-native";
import { Stack, useRouter } from "expo-router";
import { ReelqProvider, useNotificationJob } from "@reelq/client/react";
import { appStateActivity, onNotificationJob, showNotificationsInForeground } from "@reelq/client/expo";
import type { RecoveredItem } from "@reelq/client";
import { loadSettings, makeClient, saveSettings, type Settings } from "../src/reelq";
import { styles } from "../src/ui";

interface AppCtx {
  settings: Settings;
  setSettings: (s: Settings) => Promise<void>;
  recovered: RecoveredItem[];
  pushToken: string | null;
  setPushToken: (t: string | null) => void;
}
const Ctx = createContext<AppCtx | null>(null);
export const useApp = (): AppCtx => useContext(Ctx)!;

if (Platform.OS !== "web") showNotificationsInForeground();

function NotificationRouter() {
  const router = useRouter();
  // The push carries data.jobId and data.url (reelq://results/<id>); open Results for it, once per tap.
  useNotificationJob((job) => router.push(`/results/${job.jobId}`));
  return null;
}

export default function RootLayout() {
  const [settings, setState] = useState<Settings | null>(null);
  const [recovered, setRecovered] = useState<RecoveredItem[]>([]);
  const [pushToken, setPushToken] = useState<string | null>(null);
  useEffect(() => {
    void loadSettings().then(setState);
  }, []);
  const client = useMemo(() => (settings ? makeClient(settings) : null), [settings]);
  useEffect(() => {
    // After a crash or a kill: finish stored uploads, find their jobs, drop what the server no longer has.
    if (!client || !settings?.token) return;
    client.recoverPending().then(setRecovered, () => undefined);
  }, [client, settings?.token]);
  const setSettings = useCallback(async (s: Settings) => {
    await saveSettings(s);
    setState(s);
  }, []);
  if (!settings || !client) {
    return (
      <View style={styles.screen}>
        <Text style={styles.text}>Loading…</Text>
      </View>
    );
  }
  return (
    <Ctx.Provider value={{ settings, setSettings, recovered, pushToken, setPushToken }}>
      <ReelqProvider client={client} activity={appStateActivity} notifications={Platform.OS === "web" ? undefined : onNotificationJob}>
        <NotificationRouter />
        <Stack>
          <Stack.Screen name="index" options={{ title: "Upload" }} />
          <Stack.Screen name="jobs" options={{ title: "Jobs" }} />
          <Stack.Screen name="results/[id]" options={{ title: "Results" }} />
        </Stack>
      </ReelqProvider>
    </Ctx.Provider>
  );
}
