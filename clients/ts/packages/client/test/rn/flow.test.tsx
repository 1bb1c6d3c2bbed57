// The app-side flow helpers: push registration kept current (launch, token rotation, sign-out), uploads that
// pause offline and resume online (NetInfo, read by createExpoReelqClient as the client's network), the
// picker hook with its permission handling, a failed upload resumed, and the pending list after a relaunch
// (this server's and account's records only). Native modules are mocked; the server is the fake reelq.
import React from "react";
import { Text } from "react-native";
import { act, render, screen } from "@testing-library/react-native";
import AsyncStorage from "@react-native-async-storage/async-storage";
import { FakeReelq } from "./fakes";

const mockFiles = new Map<string, number>();
const mockServer: { current: FakeReelq | null } = { current: null };
// each chunk takes `chunkMs`, so the network can drop in the middle of an upload
const mockTiming = { chunkMs: 0 };
jest.mock("@react-native-async-storage/async-storage", () => require("@react-native-async-storage/async-storage/jest/async-storage-mock"));
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
      const h = { offset: 0, readBytes: (n: number) => new Uint8Array(Math.max(0, Math.min(n, (mockFiles.get(uri) ?? 0) - h.offset))), close() {} };
      return h;
    }
    create() {}
    write(bytes: Uint8Array) {
      mockFiles.set(this.uri, bytes.length);
    }
    delete() {
      mockFiles.delete(this.uri);
    }
    createUploadTask(url: string, o: { headers: Record<string, string>; signal?: AbortSignal; onProgress?: (p: { bytesSent: number }) => void }) {
      const size = mockFiles.get(this.uri) ?? 0;
      return {
        uploadAsync: async () => {
          await new Promise((r) => setTimeout(r, mockTiming.chunkMs));
          if (o.signal?.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
          o.onProgress?.({ bytesSent: size });
          return mockServer.current!.patch(url, o.headers, size);
        },
      };
    }
  }
  return { File, Paths: { cache: { uri: "file:///cache" } } };
});
// @react-native-community/netinfo as createExpoReelqClient loads it (one listener for the whole app)
type MockNetState = { isConnected: boolean | null; isInternetReachable: boolean | null };
const mockNet = {
  state: { isConnected: true, isInternetReachable: null } as MockNetState,
  listeners: new Set<(s: MockNetState) => void>(),
  set(online: boolean) {
    mockNet.state = { isConnected: online, isInternetReachable: online ? true : false };
    for (const l of [...mockNet.listeners]) l(mockNet.state);
  },
};
jest.mock("@react-native-community/netinfo", () => ({
  __esModule: true,
  default: {
    addEventListener: (f: (s: MockNetState) => void) => {
      mockNet.listeners.add(f);
      f(mockNet.state);
      return () => mockNet.listeners.delete(f);
    },
  },
}));
const mockPush = {
  token: "ExponentPushToken[first]",
  rotate: null as null | ((t: unknown) => void),
  granted: true,
};
jest.mock("expo-notifications", () => ({
  AndroidImportance: { HIGH: 4 },
  IosAuthorizationStatus: { PROVISIONAL: 3 },
  setNotificationChannelAsync: async () => undefined,
  getPermissionsAsync: async () => ({ granted: mockPush.granted, canAskAgain: true }),
  requestPermissionsAsync: async () => ({ granted: mockPush.granted }),
  getExpoPushTokenAsync: async () => ({ data: mockPush.token }),
  addPushTokenListener: (f: (t: unknown) => void) => {
    mockPush.rotate = f;
    return { remove: () => (mockPush.rotate = null) };
  },
  addNotificationResponseReceivedListener: () => ({ remove: () => undefined }),
}));

import { createExpoReelqClient } from "../../src/expo";
import { keepPushRegistered } from "../../src/expo/notifications";
import { PickerError, useVideoUpload } from "../../src/expo/picker";
import { ReelqProvider, usePendingUploads, useUpload } from "../../src/react";
import { createUploadStore } from "../../src/core/store";

// The fake server's devices: POST answers the device with an id; DELETE forgets it.
function withDevices(server: FakeReelq) {
  const devices = new Map<string, string>(); // id → token
  const calls: string[] = [];
  const inner = server.fetch;
  const fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input);
    const method = (init.method ?? "GET").toUpperCase();
    if (url.pathname === "/api/devices" && method === "POST") {
      const body = JSON.parse(String(init.body)) as { push_token: string; platform: string };
      const id = `dev-${body.push_token}`;
      devices.set(id, body.push_token);
      calls.push(`register ${body.push_token}`);
      return new Response(JSON.stringify({ id, push_token: body.push_token, platform: body.platform, active: true }), { status: 201, headers: { "content-type": "application/json" } });
    }
    const m = /^\/api\/devices\/(.+)$/.exec(url.pathname);
    if (m && method === "DELETE") {
      calls.push(`remove ${decodeURIComponent(m[1]!)}`);
      devices.delete(decodeURIComponent(m[1]!));
      return new Response(null, { status: 204 });
    }
    return inner(input, init);
  };
  return { fetch, devices, calls };
}

const sleep = (ms: number) => act(() => new Promise((r) => setTimeout(r, ms)));

beforeEach(async () => {
  await AsyncStorage.clear();
  mockServer.current = new FakeReelq();
  mockFiles.clear();
  mockTiming.chunkMs = 0;
  mockPush.token = "ExponentPushToken[first]";
  mockPush.granted = true;
  mockPush.rotate = null;
  mockNet.set(true);
});

test("push: registered at launch, registered again when Expo rotates the token, removed on sign-out", async () => {
  const d = withDevices(mockServer.current!);
  const client = createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: d.fetch as never });
  const seen: unknown[] = [];
  const o = { projectId: "p", isDevice: true, storage: AsyncStorage, key: "reelq:push:test", onChange: (r: unknown) => seen.push(r) };
  const keeper = keepPushRegistered(client, o);
  expect(await keeper.ready).toEqual({ token: "ExponentPushToken[first]", deviceId: "dev-ExponentPushToken[first]" });
  expect(d.calls).toEqual(["register ExponentPushToken[first]"]);

  // the next launch: the same token is not registered again
  keeper.stop();
  const relaunched = keepPushRegistered(client, o);
  await relaunched.ready;
  expect(d.calls).toEqual(["register ExponentPushToken[first]"]);

  // Expo rotates the token: the new one is registered, the old device removed
  mockPush.token = "ExponentPushToken[second]";
  await act(async () => mockPush.rotate!({ type: "ios", data: "native-2" }));
  await sleep(20);
  expect(d.calls).toEqual(["register ExponentPushToken[first]", "register ExponentPushToken[second]", "remove dev-ExponentPushToken[first]"]);
  expect([...d.devices.values()]).toEqual(["ExponentPushToken[second]"]);
  expect(relaunched.current()?.token).toBe("ExponentPushToken[second]");

  // sign-out (also after a relaunch: the device id is stored)
  relaunched.stop();
  const third = keepPushRegistered(client, { ...o, ask: false });
  await third.ready;
  await third.unregister();
  expect(d.devices.size).toBe(0);
  expect(await AsyncStorage.getItem("reelq:push:test")).toBeNull();
  expect(mockPush.rotate).toBeNull(); // no longer following rotations
  expect(seen.at(-1)).toBeNull();
});

test("push: refused permission is an error, not a registration", async () => {
  mockPush.granted = false;
  const d = withDevices(mockServer.current!);
  const client = createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: d.fetch as never });
  const errors: unknown[] = [];
  const keeper = keepPushRegistered(client, { projectId: "p", isDevice: true, onError: (e) => errors.push(e) });
  expect(await keeper.ready).toBeNull();
  expect(errors).toMatchObject([{ reason: "denied" }]);
  expect(d.calls).toEqual([]);
});

function Uploader({ uri }: { uri: string }) {
  const u = useUpload();
  React.useEffect(() => void u.start(uri, { filename: "clip.mp4", chunkSize: 1000 }), []);
  return (
    <Text testID="upload">
      {u.state}:{u.progress ? u.progress.sent : 0}:{u.jobId ?? "-"}
    </Text>
  );
}

test("offline → the upload pauses; online → it resumes and finishes (NetInfo through the client's network)", async () => {
  const server = mockServer.current!;
  mockFiles.set("file:///videos/long.mp4", 10_000);
  mockTiming.chunkMs = 30;
  const net = mockNet;
  const client = createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: server.fetch as never });
  expect(client.network.isOnline()).toBe(true);
  render(
    <ReelqProvider client={client}>
      <Uploader uri="file:///videos/long.mp4" />
    </ReelqProvider>,
  );
  await sleep(100);
  expect(screen.getByTestId("upload").props.children[0]).toBe("uploading");
  await act(async () => net.set(false));
  await sleep(50);
  expect(screen.getByTestId("upload").props.children[0]).toBe("paused");
  expect(client.network.isOnline()).toBe(false);
  const patches = server.requests.filter((r) => r.method === "PATCH").length;
  await sleep(300);
  expect(server.requests.filter((r) => r.method === "PATCH").length).toBe(patches); // nothing sent while offline
  expect(server.uploads.get("u1")!.offset).toBeLessThan(10_000);

  await act(async () => net.set(true));
  await sleep(600);
  expect(screen.getByTestId("upload").props.children.join("")).toBe("done:10000:job-1");
  expect(server.uploads.get("u1")!.offset).toBe(10_000);
  expect(server.jobCount).toBe(1);
});

function Picker({ picker, onError }: { picker: object; onError?: (e: unknown) => void }) {
  const v = useVideoUpload({ chunkSize: 4096, pushToken: "ExponentPushToken[x]" }, { imagePicker: picker as never });
  React.useEffect(() => {
    if (v.pickError) onError?.(v.pickError);
  }, [v.pickError]);
  return (
    <Text testID="picker" onPress={() => void v.pickFromLibrary()}>
      {v.state}:{v.asset?.name ?? "-"}:{v.jobId ?? "-"}
    </Text>
  );
}

test("useVideoUpload: asks for the photo library, picks a video, uploads it", async () => {
  mockFiles.set("file:///cache/ImagePicker/ABC.mov", 6000);
  const calls: string[] = [];
  const picker = {
    getMediaLibraryPermissionsAsync: async () => (calls.push("get"), { granted: false, canAskAgain: true }),
    requestMediaLibraryPermissionsAsync: async () => (calls.push("request"), { granted: true }),
    launchImageLibraryAsync: async (o: { mediaTypes: string[] }) => (
      calls.push(`launch ${o.mediaTypes}`),
      { canceled: false, assets: [{ uri: "file:///cache/ImagePicker/ABC.mov", fileName: "holiday.mov", fileSize: 6000, mimeType: "video/quicktime", type: "video" }] }
    ),
  };
  render(
    <ReelqProvider client={createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: mockServer.current!.fetch as never })}>
      <Picker picker={picker} />
    </ReelqProvider>,
  );
  await act(async () => screen.getByTestId("picker").props.onPress());
  await sleep(200);
  expect(calls).toEqual(["get", "request", "launch videos"]);
  expect(screen.getByTestId("picker").props.children.join("")).toBe("done:holiday.mov:job-1");
});

test("useVideoUpload: a refused permission is a PickerError and nothing is uploaded", async () => {
  const picker = {
    getMediaLibraryPermissionsAsync: async () => ({ granted: false, canAskAgain: false }),
    requestMediaLibraryPermissionsAsync: async () => ({ granted: false }),
    launchImageLibraryAsync: jest.fn(),
  };
  const errors: unknown[] = [];
  render(
    <ReelqProvider client={createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: mockServer.current!.fetch as never })}>
      <Picker picker={picker} onError={(e) => errors.push(e)} />
    </ReelqProvider>,
  );
  await act(async () => screen.getByTestId("picker").props.onPress());
  await sleep(50);
  expect(errors[0]).toBeInstanceOf(PickerError);
  expect(errors[0]).toMatchObject({ reason: "denied" });
  expect(picker.launchImageLibraryAsync).not.toHaveBeenCalled();
  expect(screen.getByTestId("picker").props.children.join("")).toBe("idle:-:-");
  expect(mockServer.current!.requests).toEqual([]);
});

function Pending() {
  const p = usePendingUploads();
  return (
    <Text testID="pending">
      {p.recovering ? "recovering" : "settled"}|{p.stored.map((s) => s.filename).join(",")}|
      {p.items.map((i) => `${i.record.filename}=${i.outcome}${i.job ? `:${i.job.status}` : ""}`).join(",")}
    </Text>
  );
}

test("after a relaunch the pending uploads and jobs are listed, and the ones whose file is gone say so", async () => {
  const server = mockServer.current!;
  mockFiles.set("file:///videos/done.mp4", 3000);
  mockFiles.set("file:///videos/lost.mp4", 8000);
  // the last launch: one upload finished (its job still runs), one was cut off and its file is gone since
  const before = createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: server.fetch as never });
  const { jobId } = await before.uploads.start("file:///videos/done.mp4", { filename: "done.mp4" }).done;
  server.set(jobId, "processing");
  mockTiming.chunkMs = 30;
  const cut = before.uploads.start("file:///videos/lost.mp4", { filename: "lost.mp4", chunkSize: 1000 });
  await sleep(100);
  cut.pause();
  cut.done.catch(() => undefined);
  expect(server.uploads.get("u2")!.offset).toBeGreaterThan(0);
  mockFiles.delete("file:///videos/lost.mp4");

  const relaunched = createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: server.fetch as never });
  render(
    <ReelqProvider client={relaunched}>
      <Pending />
    </ReelqProvider>,
  );
  await sleep(300);
  const text = (screen.getByTestId("pending").props.children as unknown[]).join("");
  expect(text).toContain("settled|");
  expect(text).toContain(`done.mp4=job:processing`);
  expect(text).toContain("lost.mp4=needs-file");
  expect(text.split("|")[1]!.split(",").sort()).toEqual(["done.mp4", "lost.mp4"]);
  expect(server.jobCount).toBe(1);
});

function Resumable({ uri, onHandle }: { uri: string; onHandle: (u: ReturnType<typeof useUpload>) => void }) {
  const u = useUpload();
  onHandle(u);
  React.useEffect(() => void u.start(uri, { filename: "clip.mp4", chunkSize: 1000, retries: 0 }), []);
  return (
    <Text testID="resumable">
      {u.state}:{u.jobId ?? "-"}:{u.error ? "error" : "-"}
    </Text>
  );
}

test("useUpload: resume() of a failed upload follows its new done to the job id", async () => {
  const server = mockServer.current!;
  mockFiles.set("file:///videos/flaky.mp4", 5000);
  const patch = server.patch.bind(server);
  let failing = false;
  server.patch = (url, headers, bytes) => {
    if (failing) return { status: 500, headers: {}, body: '{"code":"internal"}' };
    const r = patch(url, headers, bytes);
    if (server.uploads.get("u1")!.offset >= 2000) failing = true; // the server breaks after two chunks
    return r;
  };
  let u!: ReturnType<typeof useUpload>;
  render(
    <ReelqProvider client={createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", fetch: server.fetch as never })}>
      <Resumable uri="file:///videos/flaky.mp4" onHandle={(x) => (u = x)} />
    </ReelqProvider>,
  );
  await sleep(300);
  expect((screen.getByTestId("resumable").props.children as unknown[]).join("")).toBe("failed:-:error");
  failing = false;
  server.patch = patch;
  await act(async () => u.resume());
  await sleep(300);
  expect((screen.getByTestId("resumable").props.children as unknown[]).join("")).toBe("done:job-1:-");
  expect(server.uploads.get("u1")!.offset).toBe(5000);
  expect(server.jobCount).toBe(1);
});

test("usePendingUploads lists only this client's server and account, as recoverPending settles them", async () => {
  const server = mockServer.current!;
  mockFiles.set("file:///videos/mine.mp4", 3000);
  const mine = createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", account: "alice", fetch: server.fetch as never });
  const { jobId } = await mine.uploads.start("file:///videos/mine.mp4", { filename: "mine.mp4" }).done;
  server.set(jobId, "processing");
  // the same store holds another account's job on this server and a job on another server
  const store = createUploadStore(AsyncStorage);
  const [own] = await store.list();
  await store.set({ ...own!, fingerprint: `job|http://reelq.test|account=bob|job-9`, account: "bob", filename: "bobs.mp4", jobId: "job-9" });
  await store.set({ ...own!, fingerprint: `job|http://other.test|account=alice|job-8`, origin: "http://other.test", filename: "elsewhere.mp4", jobId: "job-8" });
  expect((await store.list()).length).toBe(3);

  render(
    <ReelqProvider client={createExpoReelqClient({ baseUrl: "http://reelq.test", token: "t", account: "alice", fetch: server.fetch as never })}>
      <Pending />
    </ReelqProvider>,
  );
  await sleep(300);
  const text = (screen.getByTestId("pending").props.children as unknown[]).join("");
  expect(text.split("|")[1]).toBe("mine.mp4");
  expect(text).toContain("mine.mp4=job:processing");
  expect(text).not.toContain("bobs.mp4");
  expect(text).not.toContain("elsewhere.mp4");
  expect((await store.list()).length).toBe(3); // the others' records are left alone
});
