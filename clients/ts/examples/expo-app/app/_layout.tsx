// Root: the client, push registration (at launch, again when Expo rotates the token), notification taps →
// Results (also the tap that launched a killed app). Uploads pause offline through the client's network
// (createExpoReelqClient reads NetInfo).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { Platform, Text, View } from "react-native";
import { Stack, useRouter } from "expo-router";
import { ReelqProvider, useNotificationJob } from "@reelq/client/react";
import { appStateActivity } from "@reelq/client/expo";
import { clearSettings, loadSettings, makeClient, saveSettings, type Settings } from "../src/reelq";
import { push } from "../src/push";
import { useOpenResults } from "../src/navigation";
import { styles } from "../src/ui";

interface AppCtx {
  settings: Settings;
  setSettings: (s: Settings) => Promise<void>;
  /** Sign-out: this device gets no more pushes for the account; the token is forgotten. */
  signOut: () => Promise<void>;
  pushToken: string | null;
  pushError: unknown;
}
const Ctx = createContext<AppCtx | null>(null);
export const useApp = (): AppCtx => useContext(Ctx)!;

push.showInForeground();

function NotificationRouter() {
  const open = useOpenResults();
  // The push carries data.jobId and data.url (reelq://results/<id>); open Results for it, once per tap.
  useNotificationJob((job) => open(job.jobId));
  return null;
}

export default function RootLayout() {
  const [settings, setState] = useState<Settings | null>(null);
  const [pushToken, setPushToken] = useState<string | null>(null);
  const [pushError, setPushError] = useState<unknown>(null);
  const keeper = useRef<ReturnType<typeof push.keepRegistered>>(null);
  useEffect(() => {
    void loadSettings().then(setState);
  }, []);
  const client = useMemo(() => (settings ? makeClient(settings) : null), [settings]);
  useEffect(() => {
    // At launch (and after sign-in): permission, token, POST /api/devices; again when Expo rotates the token.
    if (!client || !settings?.token) return;
    const k = push.keepRegistered(client, settings, { onChange: (r) => setPushToken(r?.token ?? null), onError: setPushError });
    keeper.current = k;
    return () => k?.stop();
  }, [client, settings]);
  const setSettings = useCallback(async (s: Settings) => {
    await saveSettings(s);
    setState(s);
  }, []);
  const signOut = useCallback(async () => {
    await keeper.current?.unregister().catch(() => undefined);
    keeper.current = null;
    setPushToken(null);
    setState(await clearSettings());
  }, []);
  if (!settings || !client) {
    return (
      <View style={styles.screen}>
        <Text style={styles.text}>Loading…</Text>
      </View>
    );
  }
  return (
    <Ctx.Provider value={{ settings, setSettings, signOut, pushToken, pushError }}>
      <ReelqProvider client={client} activity={appStateActivity} notifications={push.onTap}>
        <NotificationRouter />
        <Stack>
          <Stack.Screen name="index" options={{ title: "Upload" }} />
          <Stack.Screen name="jobs" options={{ title: "Jobs" }} />
          <Stack.Screen name="settings" options={{ title: "Settings" }} />
          <Stack.Screen name="results/[id]" options={{ title: "Results" }} />
        </Stack>
      </ReelqProvider>
    </Ctx.Provider>
  );
}
