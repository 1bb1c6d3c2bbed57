// The native upload transport: a chunk whose task makes no progress is aborted by the watchdog and the
// upload asks the server for its offset and goes on; the multipart fallback of a file URI goes through the
// native upload task (MULTIPART), not through fetch with React Native's `{uri}` FormData parts.
import { FakeReelq } from "./fakes";

const mockFiles = new Map<string, number>();
const mockTasks: { url: string; options: Record<string, unknown>; stalled: boolean }[] = [];
const mockState = { server: null as FakeReelq | null, stallNext: 0 };
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
      return { offset: 0, readBytes: (n: number) => new Uint8Array(Math.min(n, mockFiles.get(uri) ?? 0)), close() {} };
    }
    create() {}
    write(bytes: Uint8Array) {
      mockFiles.set(this.uri, bytes.length);
    }
    delete() {
      mockFiles.delete(this.uri);
    }
    createUploadTask(url: string, o: Record<string, unknown> & { headers: Record<string, string>; signal: AbortSignal; onProgress?: (p: { bytesSent: number }) => void }) {
      const size = mockFiles.get(this.uri) ?? 0;
      const stalled = mockState.stallNext > 0 && mockState.stallNext-- > 0;
      mockTasks.push({ url, options: o, stalled });
      return {
        uploadAsync: () =>
          new Promise((resolve, reject) => {
            // a stalled task (an iOS background session retrying offline) says nothing until aborted
            o.signal.addEventListener("abort", () => reject(Object.assign(new Error("cancelled"), { name: "AbortError" })));
            if (stalled) return;
            o.onProgress?.({ bytesSent: size });
            if (o.uploadType === 1) resolve({ status: 202, headers: {}, body: JSON.stringify({ job_id: "job-multipart" }) });
            else resolve(mockState.server!.patch(url, o.headers, size));
          }),
      };
    }
  }
  return { File, Paths: { cache: { uri: "file:///cache" } }, UploadType: { BINARY_CONTENT: 0, MULTIPART: 1 } };
});
jest.mock("@react-native-async-storage/async-storage", () => require("@react-native-async-storage/async-storage/jest/async-storage-mock"));

import { createReelqClient, memoryStorage } from "../../src/index";
import { expoTransport } from "../../src/expo/transport";
import { resolveExpoSource } from "../../src/expo/source";

beforeEach(() => {
  mockState.server = new FakeReelq();
  mockState.stallNext = 0;
  mockTasks.length = 0;
  mockFiles.clear();
});

function client() {
  return createReelqClient({
    baseUrl: "http://reelq.test",
    token: "t",
    store: memoryStorage(),
    fetch: mockState.server!.fetch as never,
    transport: expoTransport(),
    resolveSource: resolveExpoSource,
  });
}

test("a chunk that makes no progress is aborted by the watchdog, the offset asked again, and the upload goes on", async () => {
  mockFiles.set("file:///videos/a.mp4", 3 * 1024);
  mockState.stallNext = 1;
  const c = client();
  const t0 = Date.now();
  const { jobId } = await c.uploads.start("file:///videos/a.mp4", { chunkSize: 1024, stallTimeoutMs: 300 }).done;
  expect(jobId).toBe("job-1");
  expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  expect(mockTasks[0]!.stalled).toBe(true);
  const methods = mockState.server!.requests.map((r) => r.method);
  // POST, the stalled PATCH is not seen by the server, then HEAD and the three chunks
  expect(methods.filter((m) => m === "HEAD")).toHaveLength(1);
  expect(methods.filter((m) => m === "PATCH")).toHaveLength(3);
  expect(mockState.server!.jobCount).toBe(1);
});

test("the multipart fallback of a file URI goes through the native upload task", async () => {
  mockFiles.set("file:///videos/b.mp4", 2048);
  const c = client();
  const { jobId } = await c.uploads.start("file:///videos/b.mp4", { method: "multipart", analyzer: "video", pushToken: "ExponentPushToken[x]" }).done;
  expect(jobId).toBe("job-multipart");
  const task = mockTasks.at(-1)!;
  expect(task.url).toBe("http://reelq.test/api/upload");
  expect(task.options).toMatchObject({
    httpMethod: "POST",
    uploadType: 1,
    fieldName: "video",
    parameters: { analyzer: "video", push_token: "ExponentPushToken[x]" },
  });
  expect((task.options.headers as Record<string, string>)["Idempotency-Key"]).toBeTruthy();
  expect((task.options.headers as Record<string, string>).Authorization).toBe("Bearer t");
  // nothing went through fetch for the upload itself
  expect(mockState.server!.requests.filter((r) => r.path === "/api/upload")).toHaveLength(0);
});
