import React from "react";
import { AppState, Text } from "react-native";
import { act, render, screen } from "@testing-library/react-native";
import AsyncStorage from "@react-native-async-storage/async-storage";
import { FakeReelq } from "./fakes";

// --- native modules -------------------------------------------------------------------------------
const mockFiles = new Map<string, number>(); // uri → size
const mockServer: { current: FakeReelq | null } = { current: null };
jest.mock("@react-native-async-storage/async-storage", () => require("@react-native-async-storage/async-storage/jest/async-storage-mock"));
// createExpoReelqClient reads the network from NetInfo; its own jest mock says online
jest.mock("@react-native-community/netinfo", () => require("@react-native-community/netinfo/jest/netinfo-mock.js"));
jest.mock("expo-file-system", () => {
  class File {
    uri: string;
    constructor(...parts: (string | { uri: string })[]) {
      this.uri = parts.map((p) => (typeof p === "string" ? p : p.uri)).join("/");
    }
    info() {
      const size = mockFiles.get(this.uri);
      return size === undefined ? { exists: false } : { exists: true, size, modificationTime: 1 };
    }
    open() {
      const uri = this.uri;
      return { offset: 0, readBytes: (n: number) => new Uint8Array(Math.min(n, (mockFiles.get(uri) ?? 0) - 0)), close() {} };
    }
    create() {}
    write(bytes: Uint8Array) {
      mockFiles.set(this.uri, bytes.length);
    }
    delete() {
      mockFiles.delete(this.uri);
    }
    createUploadTask(url: string, o: { headers: Record<string, string>; onProgress?: (p: { bytesSent: number }) => void }) {
      const size = mockFiles.get(this.uri) ?? 0;
      return {
        uploadAsync: async () => {
          o.onProgress?.({ bytesSent: size });
          return mockServer.current!.patch(url, o.headers, size);
        },
      };
    }
  }
  return { File, Paths: { cache: { uri: "file:///cache" } } };
});
const mockLegacy = { calls: [] as { url: string; uri: string; method: string; uploadType: number }[] };
jest.mock("expo-file-system/legacy", () => ({
  FileSystemUploadType: { BINARY_CONTENT: 0, MULTIPART: 1 },
  FileSystemSessionType: { BACKGROUND: 0, FOREGROUND: 1 },
  createUploadTask: (url: string, uri: string, o: { httpMethod: string; headers: Record<string, string>; uploadType: number }, cb: (p: { totalBytesSent: number }) => void) => ({
    uploadAsync: async () => {
      mockLegacy.calls.push({ url, uri, method: o.httpMethod, uploadType: o.uploadType });
      const size = mockFiles.get(uri) ?? 0;
      cb({ totalBytesSent: size });
      return mockServer.current!.patch(url, o.headers, size);
    },
    cancelAsync: async () => undefined,
  }),
}));
const mockNotifications = {
  listeners: [] as ((r: unknown) => void)[],
  last: null as unknown,
  calls: [] as string[],
};
jest.mock("expo-notifications", () => ({
  AndroidImportance: { HIGH: 4 },
  IosAuthorizationStatus: { PROVISIONAL: 3 },
  addNotificationResponseReceivedListener: (f: (r: unknown) => void) => {
    mockNotifications.listeners.push(f);
    return { remove: () => (mockNotifications.listeners = mockNotifications.listeners.filter((x) => x !== f)) };
  },
  getLastNotificationResponse: () => mockNotifications.last,
  clearLastNotificationResponse: () => {
    mockNotifications.calls.push("clear");
    mockNotifications.last = null;
  },
  setNotificationChannelAsync: async (id: string) => void mockNotifications.calls.push(`channel:${id}`),
  getPermissionsAsync: async () => (mockNotifications.calls.push("getPermissions"), { granted: false, canAskAgain: true }),
  requestPermissionsAsync: async () => (mockNotifications.calls.push("requestPermissions"), { granted: true }),
  getExpoPushTokenAsync: async (o: { projectId: string }) => (mockNotifications.calls.push(`token:${o.projectId}`), { data: "ExponentPushToken[abc]" }),
  setNotificationHandler: () => undefined,
}));

import { createExpoReelqClient, appStateActivity } from "../../src/expo";
import { getPushToken, onNotificationJob, registerForPush, resetHandledNotifications } from "../../src/expo/notifications";
import { ReelqProvider, useJob, useNotificationJob, useUpload } from "../../src/react";

// --- AppState --------------------------------------------------------------------------------------
let appState = "active";
let appStateListeners: ((s: string) => void)[] = [];
beforeEach(async () => {
  await AsyncStorage.clear();
  appState = "active";
  appStateListeners = [];
  Object.defineProperty(AppState, "currentState", { get: () => appState, configurable: true });
  jest.spyOn(AppState, "addEventListener").mockImplementation(((_: string, f: (s: string) => void) => {
    appStateListeners.push(f);
    return { remove: () => (appStateListeners = appStateListeners.filter((x) => x !== f)) };
  }) as never);
  mockServer.current = new FakeReelq();
  mockNotifications.listeners = [];
  mockNotifications.last = null;
  mockNotifications.calls = [];
  resetHandledNotifications();
  mockFiles.clear();
});
afterEach(() => jest.restoreAllMocks());
const setAppState = (s: string) => {
  appState = s;
  appStateListeners.forEach((f) => f(s));
};
const sleep = (ms: number) => act(() => new Promise((r) => setTimeout(r, ms)));

function makeClient() {
  return createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: mockServer.current!.fetch as never });
}

function JobStatus({ id }: { id: string }) {
  const { job } = useJob(id, { waitSeconds: 1 });
  return <Text testID="status">{job?.status ?? "loading"}</Text>;
}

test("useJob polls while active, stops in the background, catches up at once when active again", async () => {
  const server = mockServer.current!;
  server.job("j1", "processing");
  const client = makeClient();
  render(
    <ReelqProvider client={client} activity={appStateActivity}>
      <JobStatus id="j1" />
    </ReelqProvider>,
  );
  await sleep(400);
  expect(screen.getByTestId("status").props.children).toBe("processing");
  const whileActive = server.countOf("/api/results/job/j1");
  expect(whileActive).toBeGreaterThanOrEqual(2); // first answer, then held long polls

  await act(async () => setAppState("background"));
  await sleep(50);
  const atBackground = server.countOf("/api/results/job/j1");
  server.set("j1", "completed");
  await sleep(800);
  expect(server.countOf("/api/results/job/j1")).toBe(atBackground); // not one request in the background
  expect(screen.getByTestId("status").props.children).toBe("processing");

  await act(async () => setAppState("active"));
  await sleep(100);
  expect(screen.getByTestId("status").props.children).toBe("completed"); // at once, no poll interval
  expect(server.countOf("/api/results/job/j1")).toBe(atBackground + 1);
  const done = server.countOf("/api/results/job/j1");
  await sleep(300);
  expect(server.countOf("/api/results/job/j1")).toBe(done); // finished: nothing more
});

function tap(id: string, jobId: string) {
  return { notification: { date: 1, request: { identifier: id, content: { data: { jobId, status: "completed", url: `reelq://results/${jobId}` } } } } };
}

function Root({ navigate }: { navigate: (path: string) => void }) {
  useNotificationJob((job) => navigate(`/results/${job.jobId}`));
  return <Text>root</Text>;
}

test("a notification tap opens Results exactly once, also the tap that launched the app", async () => {
  const navigate = jest.fn();
  mockNotifications.last = tap("n-cold", "job-cold"); // the app was killed; this tap launched it
  const client = makeClient();
  const ui = (
    <ReelqProvider client={client} notifications={onNotificationJob}>
      <Root navigate={navigate} />
    </ReelqProvider>
  );
  const r = render(ui);
  expect(navigate.mock.calls).toEqual([["/results/job-cold"]]);
  expect(mockNotifications.calls).toContain("clear");
  // the root re-mounts (fast refresh, a new navigator): no second navigation
  r.unmount();
  mockNotifications.last = tap("n-cold", "job-cold"); // even if the OS still reports it
  render(ui);
  expect(navigate).toHaveBeenCalledTimes(1);
  // a tap while running, delivered twice by the OS (a known expo-notifications quirk): once
  await act(async () => mockNotifications.listeners.forEach((f) => f(tap("n2", "job-2"))));
  await act(async () => mockNotifications.listeners.forEach((f) => f(tap("n2", "job-2"))));
  expect(navigate.mock.calls).toEqual([["/results/job-cold"], ["/results/job-2"]]);
});

test("recoverPending after a crash finishes the stored upload from its offset and finds the job", async () => {
  const server = mockServer.current!;
  // before the crash: 3 of 10 chunks were committed; the store remembers the upload
  const size = 10 * 1024;
  mockFiles.set("file:///videos/swing.mp4", size);
  server.uploads.set("u1", { length: size, offset: 3 * 1024 });
  const fingerprint = "reelq:http://reelq.test:file:///videos/swing.mp4:10240:1";
  const owner = await makeClient().uploads.owner(); // records carry the server and account they belong to
  await AsyncStorage.setItem(
    "reelq:uploads",
    JSON.stringify({
      [fingerprint]: { fingerprint, ...owner, uploadUrl: "http://reelq.test/api/uploads/u1", offset: 1024, size, filename: "swing.mp4", fileUri: "file:///videos/swing.mp4", updatedAt: 1 },
      gone: { fingerprint: "gone", ...owner, uploadUrl: "http://reelq.test/api/uploads/nope", offset: 0, size: 5, updatedAt: 1 },
    }),
  );
  const client = makeClient(); // the relaunched app
  const items = await client.recoverPending();
  const mine = items.find((i) => i.fingerprint === fingerprint)!;
  expect(mine.outcome).toBe("job");
  expect(mine.jobId).toBe("job-1");
  expect(mine.job?.status).toBe("queued");
  expect(items.find((i) => i.fingerprint === "gone")!.outcome).toBe("gone");
  expect(server.jobCount).toBe(1);
  expect(server.uploads.get("u1")!.offset).toBe(size);
  // it continued from the server's offset (HEAD), not from the stale stored one nor from 0
  const patches = server.requests.filter((r) => r.method === "PATCH").length;
  expect(patches).toBe(1); // the remaining 7 KiB in one 8 MiB chunk
  // the job is remembered (as a job to follow) until it is seen finished; the dead upload is forgotten
  const stored = JSON.parse((await AsyncStorage.getItem("reelq:uploads"))!);
  const [key] = Object.keys(stored);
  expect(Object.keys(stored)).toHaveLength(1);
  expect(key).toMatch(/^job\|/);
  expect(stored[key!].jobId).toBe("job-1");
  // a second launch does not upload again and does not make a second job
  const again = await makeClient().recoverPending();
  expect(again[0]!.jobId).toBe("job-1");
  expect(server.jobCount).toBe(1);
  expect(server.requests.filter((r) => r.method === "PATCH").length).toBe(1);
});

test("push setup: Android channel before the token, projectId passed, device registered", async () => {
  const { Platform } = require("react-native");
  const os = Platform.OS;
  Platform.OS = "android";
  try {
    const client = makeClient();
    const token = await registerForPush(client, { projectId: "proj-1", isDevice: true });
    expect(token).toBe("ExponentPushToken[abc]");
    expect(mockNotifications.calls).toEqual(["channel:default", "getPermissions", "requestPermissions", "token:proj-1"]);
    expect(mockServer.current!.devices).toEqual([{ push_token: "ExponentPushToken[abc]", platform: "android" }]);
    await expect(getPushToken({ isDevice: false })).rejects.toMatchObject({ reason: "not-device" });
    await expect(getPushToken({ isDevice: true })).rejects.toMatchObject({ reason: "no-project-id" });
  } finally {
    Platform.OS = os;
  }
});

function Uploader({ uri }: { uri: string }) {
  const u = useUpload();
  React.useEffect(() => void u.start(uri, { filename: "clip.mp4", chunkSize: 4096 }), []);
  return (
    <Text testID="upload">
      {u.state}:{u.progress ? `${u.progress.sent}/${u.progress.total}` : "-"}:{u.jobId ?? "-"}
    </Text>
  );
}

test("useUpload sends a file URI in chunks through the native upload task and yields the job id", async () => {
  const server = mockServer.current!;
  mockFiles.set("file:///videos/clip.mp4", 10_000);
  render(
    <ReelqProvider client={makeClient()}>
      <Uploader uri="file:///videos/clip.mp4" />
    </ReelqProvider>,
  );
  await sleep(300);
  expect(screen.getByTestId("upload").props.children.join("")).toBe("done:10000/10000:job-1");
  expect(server.requests.filter((r) => r.method === "PATCH").length).toBe(3); // 4096 + 4096 + 1808
  expect(server.jobCount).toBe(1);
  expect([...mockFiles.keys()]).toEqual(["file:///videos/clip.mp4"]); // chunk files were deleted
  const stored = JSON.parse((await AsyncStorage.getItem("reelq:uploads"))!);
  expect(Object.values(stored)).toMatchObject([{ jobId: "job-1", fileUri: "file:///videos/clip.mp4" }]);
});

test("SDK 54–55: without File.createUploadTask the legacy upload task sends the chunks", async () => {
  const { File } = require("expo-file-system");
  const modern = File.prototype.createUploadTask;
  File.prototype.createUploadTask = undefined;
  try {
    mockFiles.set("file:///videos/old.mp4", 6000);
    const client = makeClient();
    const { jobId } = await client.uploads.start("file:///videos/old.mp4", { chunkSize: 4096 }).done;
    expect(jobId).toBe("job-1");
    expect(mockLegacy.calls.map((c) => [c.method, c.uploadType])).toEqual([["PATCH", 0], ["PATCH", 0]]);
    expect(mockServer.current!.uploads.get("u1")!.offset).toBe(6000);
  } finally {
    File.prototype.createUploadTask = modern;
  }
});
