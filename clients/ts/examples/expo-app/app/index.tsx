// Upload: pick a video (photo library or files), watch the progress bar, pause/resume; the job appears as
// soon as the upload ends and Results open by themselves when it completes while the app is open. After a
// relaunch the pending uploads and jobs are listed (continued where the file is still there).
import { useState } from "react";
import { ScrollView, Text, TextInput, View } from "react-native";
import { Link } from "expo-router";
import { useJob, usePendingUploads } from "@reelq/client/react";
import { useVideoUpload } from "@reelq/client/expo/picker";
import { isTerminal } from "@reelq/client";
import { useApp } from "./_layout";
import { useOpenResults } from "../src/navigation";
import { Button, ProgressBar, StatusText, describeError, styles } from "../src/ui";

// 8 MiB PATCHes by default; the browser test builds with smaller ones so the bar moves on a short clip.
const CHUNK_BYTES = Number(process.env.EXPO_PUBLIC_REELQ_CHUNK_BYTES) || 8 * 1024 * 1024;

function NewJob({ id }: { id: string }) {
  const open = useOpenResults();
  // The seed's flow: the app follows the job (only while it is active) and opens Results when it is done.
  const { job } = useJob(id, { onDone: (j) => j.status !== "cancelled" && open(j.job_id) });
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

/** What the last launch left: uploads recovery continues, jobs still running, files to pick again. */
function Pending({ onPickAgain }: { onPickAgain: () => void }) {
  const { stored, items, progress, recovering, error } = usePendingUploads();
  const settled = new Map(items.map((i) => [i.fingerprint, i]));
  const rows = stored.filter((r) => {
    const s = settled.get(r.fingerprint);
    return !s || (s.outcome !== "gone" && !(s.job && isTerminal(s.job.status) && s.job.status !== "failed"));
  });
  if (!rows.length && error == null) return null;
  return (
    <View style={styles.card} testID="pending">
      <Text style={styles.label}>{recovering ? "Continuing what the last launch left…" : "From the last launch"}</Text>
      {rows.map((r) => {
        const s = settled.get(r.fingerprint);
        const p = progress[r.fingerprint];
        const jobId = s?.jobId ?? r.jobId;
        return (
          <View key={r.fingerprint} style={{ gap: 4 }} testID="pending-item">
            <Text style={styles.text}>{r.filename ?? "video"}</Text>
            {s?.outcome === "needs-file" ? (
              <View style={styles.row}>
                <Text style={styles.label} testID="needs-file">
                  Stopped at {Math.round((100 * r.offset) / Math.max(r.size, 1))} % — pick the file again to continue.
                </Text>
                <Button title="Pick again" onPress={onPickAgain} />
              </View>
            ) : jobId ? (
              <Link href={`/results/${jobId}`} style={styles.text}>
                <StatusText status={s?.job?.status ?? "queued"} /> · open →
              </Link>
            ) : p ? (
              <ProgressBar value={p.total ? p.sent / p.total : 0} />
            ) : (
              <Text style={styles.label}>{Math.round((100 * r.offset) / Math.max(r.size, 1))} % uploaded · checking…</Text>
            )}
          </View>
        );
      })}
      {error != null && <Text style={[styles.text, { color: "#b42318" }]}>{describeError(error)}</Text>}
    </View>
  );
}

export default function UploadScreen() {
  const { settings, pushToken, pushError } = useApp();
  // A note goes with the upload as metadata: the same video with another note is analysed again (a new job).
  const [note, setNote] = useState("");
  const upload = useVideoUpload({ pushToken: pushToken ?? undefined, chunkSize: CHUNK_BYTES, metadata: note.trim() ? { note: note.trim() } : undefined });
  const p = upload.progress;
  const busy = upload.state === "uploading" || upload.state === "paused" || upload.picking;
  const ready = Boolean(settings.token && settings.baseUrl);
  return (
    <ScrollView contentContainerStyle={styles.screen}>
      {!ready && (
        <Link href="/settings" style={styles.text} testID="needs-settings">
          Enter the server address and your token first →
        </Link>
      )}
      <View style={styles.card}>
        <Text style={styles.h1}>Upload a video</Text>
        <TextInput testID="note" style={styles.input} value={note} onChangeText={setNote} placeholder="Note (optional), sent with the video" />
        <View style={styles.row}>
          <Button testID="pick-library" title="From the library" onPress={() => void upload.pickFromLibrary()} disabled={busy || !ready} />
          <Button testID="pick" title="Pick a file" onPress={() => void upload.pickFile()} disabled={busy || !ready} />
        </View>
        {upload.asset && <Text style={styles.text}>{upload.asset.name ?? upload.asset.fileName ?? "video"}</Text>}
        {p && (
          <>
            <ProgressBar testID="upload-progress" value={p.total ? p.sent / p.total : 0} />
            <Text style={styles.label} testID="upload-bytes">
              {Math.round(p.sent / 1024)} / {Math.round(p.total / 1024)} KiB · {upload.state}
            </Text>
          </>
        )}
        {(upload.state === "uploading" || upload.state === "paused") && (
          <View style={styles.row}>
            {upload.state === "uploading" ? <Button title="Pause" onPress={upload.pause} /> : <Button title="Resume" onPress={upload.resume} />}
            <Button title="Cancel" onPress={() => void upload.cancel()} />
          </View>
        )}
        {upload.pickError != null && (
          <Text style={[styles.text, { color: "#b42318" }]} testID="pick-error">
            {describeError(upload.pickError)}
          </Text>
        )}
        {upload.error != null && (
          <Text style={[styles.text, { color: "#b42318" }]} testID="upload-error">
            {describeError(upload.error)}
          </Text>
        )}
        {pushError != null && <Text style={styles.label}>Notifications: {describeError(pushError)}</Text>}
      </View>
      {upload.jobId && <NewJob id={upload.jobId} />}
      {ready && <Pending onPickAgain={() => void upload.pickFile()} />}
      <View style={styles.row}>
        <Link href="/jobs" testID="jobs-link" style={[styles.text, { color: "#3056d3", fontWeight: "600" }]}>
          All jobs →
        </Link>
        <Link href="/settings" testID="settings-link" style={[styles.text, { color: "#3056d3", fontWeight: "600" }]}>
          Settings →
        </Link>
      </View>
    </ScrollView>
  );
}
