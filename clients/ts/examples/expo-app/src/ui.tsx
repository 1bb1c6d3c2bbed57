import { useEffect, useState } from "react";
import { Image, Platform, Pressable, StyleSheet, Text, View, type ImageStyle, type StyleProp } from "react-native";
import { useReelq } from "@reelq/client/react";

export const colors = { bg: "#f6f7f9", card: "#fff", text: "#1d2433", muted: "#667085", accent: "#3056d3", ok: "#1a7f37", bad: "#b42318" };

export const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.bg, padding: 16, gap: 12 },
  card: { backgroundColor: colors.card, borderRadius: 10, padding: 14, gap: 8, borderWidth: 1, borderColor: "#e4e7ec" },
  h1: { fontSize: 20, fontWeight: "700", color: colors.text },
  label: { fontSize: 13, color: colors.muted },
  text: { fontSize: 15, color: colors.text },
  input: { borderWidth: 1, borderColor: "#d0d5dd", borderRadius: 8, padding: 8, fontSize: 14, backgroundColor: "#fff" },
  button: { backgroundColor: colors.accent, borderRadius: 8, paddingVertical: 10, paddingHorizontal: 14, alignItems: "center" },
  buttonText: { color: "#fff", fontWeight: "600" },
  row: { flexDirection: "row", gap: 8, alignItems: "center", flexWrap: "wrap" },
  barOuter: { height: 10, borderRadius: 5, backgroundColor: "#e4e7ec", overflow: "hidden" },
  barInner: { height: 10, backgroundColor: colors.accent },
});

export function Button({ title, onPress, testID, disabled, danger }: { title: string; onPress: () => void; testID?: string; disabled?: boolean; danger?: boolean }) {
  return (
    <Pressable
      accessibilityRole="button"
      testID={testID}
      onPress={onPress}
      disabled={disabled}
      style={[styles.button, danger && { backgroundColor: colors.bad }, disabled && { opacity: 0.5 }]}
    >
      <Text style={styles.buttonText}>{title}</Text>
    </Pressable>
  );
}

export function ProgressBar({ value, testID }: { value: number; testID?: string }) {
  const pct = Math.max(0, Math.min(1, value)) * 100;
  return (
    <View style={styles.barOuter} accessibilityRole="progressbar" aria-valuenow={Math.round(pct)} testID={testID}>
      <View style={[styles.barInner, { width: `${pct}%` }]} />
    </View>
  );
}

export function StatusText({ status }: { status: string }) {
  const color = status === "completed" ? colors.ok : status === "failed" ? colors.bad : colors.muted;
  return <Text style={[styles.text, { color, fontWeight: "600" }]}>{status}</Text>;
}

/**
 * An artifact (thumbnail). Signed URLs load as they are; otherwise the bearer token is needed: native
 * Image sends headers, the web fetches the bytes and shows them from an object URL.
 */
export function ArtifactImage({ path, style, testID }: { path: string; style?: StyleProp<ImageStyle>; testID?: string }) {
  const { client } = useReelq();
  const [uri, setUri] = useState<string | null>(null);
  const [native, setNative] = useState<{ uri: string; headers: Record<string, string> } | null>(null);
  const signed = client.artifacts.isSigned(path);
  useEffect(() => {
    if (signed) return;
    if (Platform.OS !== "web") {
      void client.artifacts.source(path).then((src) => setNative(src));
      return;
    }
    let url: string | null = null;
    const ac = new AbortController();
    client.artifacts
      .fetch(path, { signal: ac.signal })
      .then((r) => r.blob())
      .then((b) => {
        url = URL.createObjectURL(b);
        setUri(url);
      })
      .catch(() => undefined);
    return () => {
      ac.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, path, signed]);
  if (signed) return <Image testID={testID} source={{ uri: client.artifacts.url(path) }} style={style} />;
  if (native) return <Image testID={testID} source={native} style={style} />;
  return uri ? <Image testID={testID} source={{ uri }} style={style} /> : <View style={[style as object, { backgroundColor: "#e4e7ec" }]} />;
}

export function describeError(err: unknown): string {
  const e = err as { code?: string; status?: number; message?: string };
  const words: Record<string, string> = {
    unauthorized: "The token was refused. Check it in Settings.",
    upload_too_large: "This video is larger than the server accepts.",
    unsupported_media: "This file is not a video the server can read.",
    insufficient_storage: "The server is out of space. Try later.",
    too_many_incomplete_uploads: "Too many unfinished uploads. Finish or cancel some first.",
  };
  const reasons: Record<string, string> = {
    denied: "Not allowed. Allow it in the system settings.",
    "not-device": "Push needs a real device.",
    "no-project-id": "Push needs extra.eas.projectId in app.json (a development build).",
    unsupported: "Not available here.",
    "not-installed": "This build does not include that picker.",
  };
  const reason = (err as { reason?: string })?.reason;
  if (reason && reasons[reason]) return reasons[reason]!;
  if (e?.code && words[e.code]) return words[e.code]!;
  if (e?.code) return `${e.code}${e.status ? ` (${e.status})` : ""}`;
  return e?.message ?? String(err);
}
