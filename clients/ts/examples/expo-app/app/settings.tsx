// Settings: the server and the token (kept in AsyncStorage, localStorage on the web), push status, sign-out.
import { useState } from "react";
import { Platform, ScrollView, Text, TextInput, View } from "react-native";
import { useRouter } from "expo-router";
import { useApp } from "./_layout";
import { Button, describeError, styles } from "../src/ui";

export default function SettingsScreen() {
  const { settings, setSettings, signOut, pushToken, pushError } = useApp();
  const router = useRouter();
  const [baseUrl, setBaseUrl] = useState(settings.baseUrl);
  const [token, setToken] = useState(settings.token);
  return (
    <ScrollView contentContainerStyle={styles.screen}>
      <View style={styles.card}>
        <Text style={styles.label}>Server</Text>
        <TextInput testID="server-url" style={styles.input} value={baseUrl} onChangeText={setBaseUrl} autoCapitalize="none" placeholder="https://reelq.example.com" />
        <Text style={styles.label}>Token</Text>
        <TextInput testID="token" style={styles.input} value={token} onChangeText={setToken} autoCapitalize="none" secureTextEntry placeholder="rq_…" />
        <View style={styles.row}>
          <Button
            testID="save-settings"
            title="Save"
            onPress={() => void setSettings({ baseUrl: baseUrl.trim(), token: token.trim() }).then(() => router.back())}
          />
          {settings.token ? <Button testID="sign-out" title="Sign out" danger onPress={() => void signOut().then(() => setToken(""))} /> : null}
        </View>
      </View>
      {Platform.OS !== "web" && (
        <View style={styles.card}>
          <Text style={styles.label}>Notifications</Text>
          <Text style={styles.text} testID="push-status">
            {pushToken ? "On: this device gets a push when an analysis is ready." : pushError ? describeError(pushError) : "Not registered."}
          </Text>
        </View>
      )}
    </ScrollView>
  );
}
