// The seed's flow in the example app, through its real screens and router: the push token is registered at
// launch and again when Expo rotates it; a job that completes while the app is active opens Results by
// itself (and not while the app is in the background); a relaunch lists what the last launch left.
import { AppState } from "react-native";
import AsyncStorage from "@react-native-async-storage/async-storage";
import { act, fireEvent, renderRouter, screen } from "expo-router/testing-library";
import { FakeReelq } from "../../../packages/client/test/rn/fakes";

const mockFiles = new Map<string, number>();
const mockServer: { current: FakeReelq | null } = { current: null };
const mockPush = { token: "ExponentPushToken[one]", rotate: null as null | ((t: unknown) => void) };
jest.mock("@react-native-async-storage/async-storage", () => require("@react-native-async-storage/async-storage/jest/async-storage-mock"));
jest.mock("@react-native-community/netinfo", () => require("@react-native-community/netinfo/jest/netinfo-mock.js"));
jest.mock("expo-device", () => ({ isDevice: true }));
jest.mock("expo-constants", () => {
  const actual = jest.requireActual("expo-constants");
  const c = { ...actual.default, expoConfig: { ...actual.default.expoConfig, extra: { eas: { projectId: "test-project" } } } };
  return { ...actual, __esModule: true, default: c };
});
jest.mock("expo-notifications", () => ({
  AndroidImportance: { HIGH: 4 },
  IosAuthorizationStatus: { PROVISIONAL: 3 },
  setNotificationHandler: () => undefined,
  setNotificationChannelAsync: async () => undefined,
  getPermissionsAsync: async () => ({ granted: true }),
  requestPermissionsAsync: async () => ({ granted: true }),
  getExpoPushTokenAsync: async () => ({ data: mockPush.token }),
  addPushTokenListener: (f: (t: unknown) => void) => {
    mockPush.rotate = f;
    return { remove: () => (mockPush.rotate = null) };
  },
  addNotificationResponseReceivedListener: () => ({ remove: () => undefined }),
  getLastNotificationResponse: () => null,
  clearLastNotificationResponse: () => undefined,
}));
jest.mock("expo-document-picker", () => ({
  getDocumentAsync: async () => ({ canceled: false, assets: [{ uri: "file:///cache/DocumentPicker/run.mp4", name: "run.mp4", size: 5000, mimeType: "video/mp4" }] }),
}));
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
    createUploadTask(url: string, o: { headers: Record<string, string> }) {
      const size = mockFiles.get(this.uri) ?? 0;
      // a chunk takes 20 ms, so an upload can be cut off in the middle
      return { uploadAsync: async () => (await new Promise((r) => setTimeout(r, 20)), mockServer.current!.patch(url, o.headers, size)) };
    }
  }
  return { File, Paths: { cache: { uri: "file:///cache" } } };
});

// the routes, as expo-router finds them in app/
const routes = {
  _layout: require("../app/_layout"),
  index: require("../app/index"),
  jobs: require("../app/jobs"),
  settings: require("../app/settings"),
  "results/[id]": require("../app/results/[id]"),
};
const { makeClient } = require("../src/reelq") as typeof import("../src/reelq");
const { resetOpened } = require("../src/navigation") as typeof import("../src/navigation");

let appState = "active";
let appStateListeners: ((s: string) => void)[] = [];
const setAppState = (s: string) => {
  appState = s;
  appStateListeners.forEach((f) => f(s));
};
const devices: string[] = [];
const actions: string[] = [];

beforeEach(async () => {
  jest.useRealTimers();
  await AsyncStorage.clear();
  await AsyncStorage.setItem("reelq:settings", JSON.stringify({ baseUrl: "http://reelq.test", token: "t" }));
  mockFiles.clear();
  mockPush.token = "ExponentPushToken[one]";
  devices.length = 0;
  actions.length = 0;
  resetOpened();
  const server = (mockServer.current = new FakeReelq());
  // the app's client takes the global fetch when it is made (after the routes were loaded)
  globalThis.fetch = (async (input: string, init: RequestInit = {}) => {
    if (new URL(input).pathname === "/api/devices" && init.method === "POST") {
      const body = JSON.parse(String(init.body));
      devices.push(body.push_token);
      return new Response(JSON.stringify({ id: `dev-${devices.length}`, ...body, active: true }), { status: 201, headers: { "content-type": "application/json" } });
    }
    if (/^\/api\/devices\//.test(new URL(input).pathname)) return new Response(null, { status: 204 });
    const action = /^\/api\/jobs\/([^/]+)(\/retry|\/cancel)?$/.exec(new URL(input).pathname);
    if (action && init.method && init.method !== "GET") {
      actions.push(`${init.method} ${new URL(input).pathname}`);
      if (action[2] === "/retry") {
        server.set(action[1]!, "queued");
        return new Response(JSON.stringify({ job_id: action[1], status: "queued" }), { status: 202, headers: { "content-type": "application/json" } });
      }
    }
    return server.fetch(input, init);
  }) as typeof fetch;
  appState = "active";
  appStateListeners = [];
  Object.defineProperty(AppState, "currentState", { get: () => appState, configurable: true });
  jest.spyOn(AppState, "addEventListener").mockImplementation(((_: string, f: (s: string) => void) => {
    appStateListeners.push(f);
    return { remove: () => (appStateListeners = appStateListeners.filter((x) => x !== f)) };
  }) as never);
});
afterEach(() => jest.restoreAllMocks());

async function launch(initialUrl = "/") {
  const r = renderRouter(routes, { initialUrl });
  jest.useRealTimers(); // renderRouter turns fake timers on; the fake server and the watchers need real ones
  await settle(300);
  return r;
}
const settle = (ms: number) => act(() => new Promise<void>((r) => setTimeout(r, ms)));

test("launch registers the push token; a token rotation registers the new one", async () => {
  await launch();
  expect(devices).toEqual(["ExponentPushToken[one]"]);
  mockPush.token = "ExponentPushToken[two]";
  await act(async () => mockPush.rotate!({ type: "ios", data: "native" }));
  await settle(100);
  expect(devices).toEqual(["ExponentPushToken[one]", "ExponentPushToken[two]"]);
});

test("a job that completes while the app is active opens Results by itself; in the background it waits", async () => {
  mockFiles.set("file:///cache/DocumentPicker/run.mp4", 5000);
  const r = await launch();
  await act(async () => fireEvent.press(screen.getByTestId("pick")));
  await settle(300);
  expect(screen.getByTestId("job-id").props.children).toBe("job-1");
  expect(r.getPathname()).toBe("/");

  // the app goes to the background; the job completes there: no navigation (no requests either)
  await act(async () => setAppState("background"));
  mockServer.current!.set("job-1", "completed");
  await settle(400);
  expect(r.getPathname()).toBe("/");

  // back in the foreground: the app asks at once, sees "completed" and opens Results
  await act(async () => setAppState("active"));
  await settle(400);
  expect(r.getPathname()).toBe("/results/job-1");
  expect(await screen.findByTestId("results-job-id")).toBeTruthy();
});

test("after a relaunch the pending uploads and jobs are listed; a lost file asks to be picked again", async () => {
  const server = mockServer.current!;
  mockFiles.set("file:///cache/running.mp4", 3000);
  mockFiles.set("file:///cache/lost.mp4", 8000);
  // the last launch, through the app's own client: one upload made its job (still running), one was cut
  // off after its first chunk, and the file it came from is gone since (the cache was cleared)
  const before = makeClient({ baseUrl: "http://reelq.test", token: "t" });
  const { jobId } = await before.uploads.start("file:///cache/running.mp4", { filename: "running.mp4" }).done;
  server.set(jobId, "processing");
  const cut = before.uploads.start("file:///cache/lost.mp4", { filename: "lost.mp4", chunkSize: 2000 });
  cut.done.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 30));
  cut.pause();
  await new Promise((r) => setTimeout(r, 50));
  expect(cut.state).toBe("paused");
  mockFiles.delete("file:///cache/lost.mp4");

  await launch();
  await settle(200);
  expect(screen.getAllByTestId("pending-item")).toHaveLength(2);
  expect(screen.getByText("running.mp4")).toBeTruthy();
  expect(screen.getByText("lost.mp4")).toBeTruthy();
  expect(screen.getByTestId("needs-file").props.children.join("")).toContain("pick the file again to continue");
  expect(screen.getByText("processing")).toBeTruthy();
  expect(server.jobCount).toBe(1);
});

test("Retry shows the job running again at once; Delete asks first", async () => {
  mockServer.current!.job("job-5", "cancelled");
  await launch("/results/job-5");
  expect(await screen.findByText("This job was cancelled.")).toBeTruthy();
  await act(async () => fireEvent.press(screen.getByTestId("retry-job")));
  await settle(300);
  expect(actions).toEqual(["POST /api/jobs/job-5/retry"]);
  expect(screen.getByText("queued")).toBeTruthy(); // followed again after the answer, not left at "cancelled"
  expect(screen.queryByText("This job was cancelled.")).toBeNull();

  mockServer.current!.set("job-5", "failed");
  await settle(1500); // the fake server answers long polls after 100 ms and asks for 1 s between them
  await act(async () => fireEvent.press(screen.getByTestId("delete-job")));
  expect(screen.getByTestId("confirm-delete")).toBeTruthy();
  expect(actions).toEqual(["POST /api/jobs/job-5/retry"]); // nothing deleted yet
  await act(async () => fireEvent.press(screen.getByTestId("delete-no")));
  expect(screen.queryByTestId("confirm-delete")).toBeNull();
  await act(async () => fireEvent.press(screen.getByTestId("delete-job")));
  await act(async () => fireEvent.press(screen.getByTestId("delete-yes")));
  await settle(200);
  expect(actions).toEqual(["POST /api/jobs/job-5/retry", "DELETE /api/jobs/job-5"]);
});
