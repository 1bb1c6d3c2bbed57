// Results: the analyzer's summary and findings as it wrote them (the same words as the console and
// `reelq results`), poster, scene thumbnails and key figures of the default `video` analysis.
import { useState } from "react";
import { ScrollView, Text, View } from "react-native";
import { useLocalSearchParams, useRouter } from "expo-router";
import { useJob, useReelq } from "@reelq/client/react";
import { isTerminal, type Thumbnail } from "@reelq/client";
import { ArtifactImage, Button, ProgressBar, StatusText, describeError, styles } from "../../src/ui";

type Finding = { code: string; level: "ok" | "info" | "warn"; text: string };
type VideoResult = {
  summary?: string;
  findings?: Finding[];
  metadata?: { duration?: number; video?: { codec?: string; display_width?: number; display_height?: number; frame_rate?: number } };
  scenes?: { index: number; start: number; end: number; thumbnail?: Thumbnail }[];
  thumbnails?: { poster?: Thumbnail };
};

const LEVEL_COLOUR: Record<string, string> = { ok: "#067647", info: "#344054", warn: "#b54708" };

function Figure({ label, value }: { label: string; value: string | number | undefined | null }) {
  if (value === undefined || value === null || value === "") return null;
  return (
    <View style={{ minWidth: 130 }}>
      <Text style={styles.label}>{label}</Text>
      <Text style={styles.text}>{value}</Text>
    </View>
  );
}

export default function ResultsScreen() {
  const { id } = useLocalSearchParams<{ id: string }>();
  const { client } = useReelq();
  const router = useRouter();
  const { job, error, refresh } = useJob(id);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  // Retry/Cancel answer the job's new status; follow the job again so the screen shows it.
  const act = (f: () => Promise<unknown>) => () =>
    void f().then(
      () => (setActionError(null), refresh()),
      (e: unknown) => setActionError(e),
    );
  if (error && !job) return <Text style={[styles.screen, styles.text]}>{describeError(error)}</Text>;
  if (!job) return <Text style={[styles.screen, styles.text]}>Loading…</Text>;
  const r = (job.result ?? {}) as VideoResult;
  const v = r.metadata?.video;
  const poster = r.thumbnails?.poster;
  return (
    <ScrollView contentContainerStyle={styles.screen} testID="results">
      <View style={styles.card}>
        <Text style={styles.h1}>{job.file.name}</Text>
        {typeof r.summary === "string" && (
          <Text style={styles.text} testID="results-summary">
            {r.summary}
          </Text>
        )}
        <View style={styles.row}>
          <StatusText status={job.status} />
          <Text style={styles.label} testID="results-job-id">
            {job.job_id}
          </Text>
        </View>
        {!isTerminal(job.status) && <ProgressBar value={job.progress} />}
        {job.status === "failed" && job.error && (
          <Text style={[styles.text, { color: "#b42318" }]}>
            The analysis failed: {job.error.message}
            {job.error.retryable ? " It can be retried." : ""}
          </Text>
        )}
        {job.status === "cancelled" && <Text style={styles.text}>This job was cancelled.</Text>}
        {confirmDelete ? (
          <View style={styles.row} testID="confirm-delete">
            <Text style={styles.text}>Delete this job and its results?</Text>
            <Button testID="delete-yes" title="Delete" danger onPress={act(() => client.jobs.delete(job.job_id).then(() => router.replace("/jobs")))} />
            <Button testID="delete-no" title="Keep" onPress={() => setConfirmDelete(false)} />
          </View>
        ) : (
          <View style={styles.row}>
            {!isTerminal(job.status) && <Button testID="cancel-job" title="Cancel" onPress={act(() => client.jobs.cancel(job.job_id))} />}
            {(job.status === "failed" || job.status === "cancelled") && <Button testID="retry-job" title="Retry" onPress={act(() => client.jobs.retry(job.job_id))} />}
            {isTerminal(job.status) && <Button testID="delete-job" title="Delete" danger onPress={() => setConfirmDelete(true)} />}
          </View>
        )}
        {actionError != null && <Text style={[styles.text, { color: "#b42318" }]}>{describeError(actionError)}</Text>}
      </View>
      {poster && (
        <View style={styles.card}>
          <ArtifactImage testID="poster" path={poster.url} style={{ width: "100%", aspectRatio: (poster.width ?? 16) / (poster.height ?? 9), borderRadius: 8 }} />
        </View>
      )}
      {Array.isArray(r.findings) && r.findings.length > 0 && (
        <View style={styles.card} testID="findings">
          {r.findings.map((f, i) => (
            // the analyzer's sentence as it is; the level only colours it
            <Text key={`${i}-${f.code}`} testID={`finding-${f.level}`} style={[styles.text, { color: LEVEL_COLOUR[f.level] ?? "#333" }]}>
              {f.text}
            </Text>
          ))}
        </View>
      )}
      {job.status === "completed" && (
        <View style={[styles.card, styles.row, { gap: 16 }]} testID="figures">
          <Figure label="Duration" value={r.metadata?.duration != null ? `${r.metadata.duration.toFixed(1)} s` : null} />
          <Figure label="Resolution" value={v?.display_width ? `${v.display_width}×${v.display_height}` : null} />
          <Figure label="Frame rate" value={v?.frame_rate ? `${v.frame_rate} fps` : null} />
          <Figure label="Codec" value={v?.codec} />
          <Figure label="Scenes" value={r.scenes?.length} />
        </View>
      )}
      {r.scenes && r.scenes.length > 0 && (
        <View style={[styles.card, styles.row]}>
          {r.scenes.map((s) =>
            s.thumbnail ? (
              <View key={s.index} style={{ gap: 4 }}>
                <ArtifactImage path={s.thumbnail.url} style={{ width: 120, height: 90, borderRadius: 6 }} />
                <Text style={styles.label}>
                  {s.start.toFixed(1)}–{s.end.toFixed(1)} s
                </Text>
              </View>
            ) : null,
          )}
        </View>
      )}
    </ScrollView>
  );
}
