// Upload: pick a video, watch the progress bar, pause/resume; the job appears as soon as the upload ends.
import { useState } from "react";
import { Platform, Pressable, ScrollView, Text, TextInput, View } from "react-native";
import { Link } from "expo-router";
import * as DocumentPicker from "expo-document-picker";
import { useJob, useReelq, useUpload } from "@reelq/client/react";
import { registerForPush } from "@reelq/client/expo";
import { useApp } from "./_layout";
import { ProgressBar, StatusText, describeError, styles } from "../src/ui";

// 8 MiB PATCHes by default; the browser test builds with smaller ones so the bar moves on a short clip.
const CHUNK_BYTES = Number(process.env.EXPO_PUBLIC_REELQ_CHUNK_BYTES) || 8 * 1024 * 1024;

function Button({ title, onPress, testID, disabled }: { title: string; onPress: () => void; testID?: string; disabled?: boolean }) {
  return (
    <Pressable accessibilityRole="button" testID={testID} onPress={onPress} disabled={disabled} style={[styles.button, disabled && { opacity: 0.5 }]}>
      <Text style={styles.buttonText}>{title}</Text>
    </Pressable>
  );
}

function SettingsCard() {
  const { settings, setSettings, pushToken, setPushToken } = useApp();
  const { client } = useReelq();
  const [baseUrl, setBaseUrl] = useState(settings.baseUrl);
  const [token, setToken] = useState(settings.token);
  const [pushError, setPushError] = useState<string | null>(null);
  return (
    <View style={styles.card}>
      <Text style={styles.label}>Server</Text>
      <TextInput testID="server-url" style={styles.input} value={baseUrl} onChangeText={setBaseUrl} autoCapitalize="none" placeholder="https://reelq.example.com" />
      <Text style={styles.label}>Token</Text>
      <TextInput testID="token" style={styles.input} value={token} onChangeText={setToken} autoCapitalize="none" secureTextEntry placeholder="rq_…" />
      <View style={styles.row}>
        <Button testID="save-settings" title="Save" onPress={() => void setSettings({ baseUrl: baseUrl.trim(), token: token.trim() })} />
        {Platform.OS !== "web" && (
          <Button
            title={pushToken ? "Notifications on" : "Enable notifications"}
            onPress={() =>
              registerForPush(client).then(
                (t) => (setPushToken(t), setPushError(null)),
                (e: unknown) => setPushError(describeError(e)),
              )
            }
          />
        )}
      </View>
      {pushError && <Text style={styles.label}>{pushError}</Text>}
    </View>
  );
}

function NewJob({ id }: { id: string }) {
  const { job } = useJob(id);
  return (
    <View style={styles.card} testID="new-job">
      <Text style={styles.label}>Job</Text>
      <Text style={styles.text} selectable testID="job-id">
        {id}
      </Text>
      <View style={styles.row}>
        <StatusText status={job?.status ?? "queued"} />
        {job && job.status === "processing" && <Text style={styles.label}>{Math.round(job.progress * 100)} %</Text>}
      </View>
      <Link href={`/results/${id}`} testID="open-results" style={[styles.text, { color: "#3056d3", fontWeight: "600" }]}>
        Open results →
      </Link>
    </View>
  );
}

export default function UploadScreen() {
  const { settings, pushToken, recovered } = useApp();
  const upload = useUpload();
  const [name, setName] = useState<string | null>(null);
  const pick = async () => {
    const res = await DocumentPicker.getDocumentAsync({ type: "video/*", copyToCacheDirectory: true });
    if (res.canceled || !res.assets?.[0]) return;
    const asset = res.assets[0];
    setName(asset.name);
    upload.start(asset, { filename: asset.name, pushToken: pushToken ?? undefined, chunkSize: CHUNK_BYTES });
  };
  const p = upload.progress;
  const busy = upload.state === "uploading" || upload.state === "paused";
  return (
    <ScrollView contentContainerStyle={styles.screen}>
      {(!settings.token || !settings.baseUrl) && <Text style={styles.text}>Enter the server address and your token first.</Text>}
      <SettingsCard />
      <View style={styles.card}>
        <Text style={styles.h1}>Upload a video</Text>
        <Button testID="pick" title="Pick a video" onPress={() => void pick()} disabled={busy || !settings.token} />
        {name && <Text style={styles.text}>{name}</Text>}
        {p && (
          <>
            <ProgressBar testID="upload-progress" value={p.total ? p.sent / p.total : 0} />
            <Text style={styles.label} testID="upload-bytes">
              {Math.round(p.sent / 1024)} / {Math.round(p.total / 1024)} KiB · {upload.state}
            </Text>
          </>
        )}
        {busy && (
          <View style={styles.row}>
            {upload.state === "uploading" ? <Button title="Pause" onPress={upload.pause} /> : <Button title="Resume" onPress={upload.resume} />}
            <Button title="Cancel" onPress={() => void upload.cancel()} />
          </View>
        )}
        {upload.error != null && (
          <Text style={[styles.text, { color: "#b42318" }]} testID="upload-error">
            {describeError(upload.error)}
          </Text>
        )}
      </View>
      {upload.jobId && <NewJob id={upload.jobId} />}
      {recovered.filter((r) => r.jobId).length > 0 && (
        <View style={styles.card}>
          <Text style={styles.label}>Recovered after the last launch</Text>
          {recovered.map((r) =>
            r.jobId ? (
              <Link key={r.fingerprint} href={`/results/${r.jobId}`} style={styles.text}>
                {r.record.filename ?? r.jobId} · {r.job?.status}
              </Link>
            ) : null,
          )}
        </View>
      )}
      <Link href="/jobs" testID="jobs-link" style={[styles.text, { color: "#3056d3", fontWeight: "600" }]}>
        All jobs →
      </Link>
    </ScrollView>
  );
}
