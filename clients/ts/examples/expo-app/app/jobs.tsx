// Jobs: the history from GET /api/jobs; unfinished jobs stay live (long polls, only while the app is active).
import { useCallback, useEffect, useState } from "react";
import { Pressable, ScrollView, Text, View } from "react-native";
import { Link, useFocusEffect } from "expo-router";
import { useJob, useReelq } from "@reelq/client/react";
import { isTerminal, type Job } from "@reelq/client";
import { StatusText, describeError, styles } from "../src/ui";

function Row({ job, live }: { job: Job; live: boolean }) {
  const { job: current } = useJob(live ? job.job_id : null);
  const j = current ?? job;
  return (
    <Link href={`/results/${j.job_id}`} asChild>
      <Pressable style={styles.card} testID={`job-${j.job_id}`}>
        <Text style={styles.text}>{j.file.name}</Text>
        <View style={styles.row}>
          <StatusText status={j.status} />
          <Text style={styles.label}>{new Date(j.created_at).toLocaleString()}</Text>
        </View>
      </Pressable>
    </Link>
  );
}

export default function JobsScreen() {
  const { client } = useReelq();
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(
    (after: string | null = null) =>
      client.jobs.list({ limit: 20, cursor: after }).then(
        (page) => {
          setJobs((prev) => (after && prev ? [...prev, ...page.jobs] : page.jobs));
          setCursor(page.next_cursor);
          setError(null);
        },
        setError,
      ),
    [client],
  );
  useFocusEffect(
    useCallback(() => {
      void load();
    }, [load]),
  );
  useEffect(() => void load(), [load]);
  let live = 0;
  return (
    <ScrollView contentContainerStyle={styles.screen}>
      {error != null && <Text style={[styles.text, { color: "#b42318" }]}>{describeError(error)}</Text>}
      {jobs?.length === 0 && <Text style={styles.text}>No jobs yet.</Text>}
      {jobs?.map((j) => (
        <Row key={j.job_id} job={j} live={!isTerminal(j.status) && live++ < 3} />
      ))}
      {cursor && (
        <Pressable style={styles.button} onPress={() => void load(cursor)}>
          <Text style={styles.buttonText}>More</Text>
        </Pressable>
      )}
    </ScrollView>
  );
}
