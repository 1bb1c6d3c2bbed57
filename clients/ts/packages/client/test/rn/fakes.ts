// A fake reelq behind a `fetch` function and a fake expo-file-system, for tests of the React Native side.
// (The real server is exercised by the Node tests; jest-expo swaps networking out, so none is reachable here.)

export interface FakeJob {
  job_id: string;
  status: string;
  progress: number;
  etag: number;
}

export class FakeReelq {
  requests: { method: string; path: string; at: number }[] = [];
  jobs = new Map<string, FakeJob>();
  uploads = new Map<string, { length: number; offset: number; jobId?: string }>();
  devices: unknown[] = [];
  holdMs = 100;
  jobCount = 0;

  job(id: string, status = "processing"): FakeJob {
    const j = { job_id: id, status, progress: 0, etag: 1 };
    this.jobs.set(id, j);
    return j;
  }

  set(id: string, status: string): void {
    const j = this.jobs.get(id)!;
    j.status = status;
    j.etag++;
  }

  countOf(prefix: string): number {
    return this.requests.filter((r) => r.path.startsWith(prefix)).length;
  }

  /** The tus PATCH as the native upload task would send it. */
  patch(url: string, headers: Record<string, string>, bytes: number): { status: number; headers: Record<string, string>; body: string } {
    const id = url.split("/").pop()!;
    const up = this.uploads.get(id);
    this.requests.push({ method: "PATCH", path: new URL(url).pathname, at: Date.now() });
    if (!up) return { status: 404, headers: {}, body: "" };
    if (Number(headers["Upload-Offset"]) !== up.offset) return { status: 409, headers: {}, body: '{"code":"offset_mismatch"}' };
    up.offset += bytes;
    const out: Record<string, string> = { "Upload-Offset": String(up.offset) };
    if (up.offset >= up.length) {
      if (!up.jobId) {
        up.jobId = `job-${++this.jobCount}`;
        this.job(up.jobId, "queued");
      }
      out["Upload-Job-Id"] = up.jobId;
    }
    return { status: 204, headers: out, body: "" };
  }

  fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input);
    const method = (init.method ?? "GET").toUpperCase();
    this.requests.push({ method, path: url.pathname, at: Date.now() });
    const headers = (init.headers ?? {}) as Record<string, string>;
    const json = (status: number, body: unknown, h: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...h } });
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/results\/job\/([^/]+)$/.exec(url.pathname))) {
      const job = this.jobs.get(m[1]!);
      if (!job) return json(404, { code: "job_not_found", status: 404, title: "Job not found" });
      const wait = Number(url.searchParams.get("wait") ?? 0);
      const tag = () => `"${job.etag}"`;
      if (wait && headers["If-None-Match"] === tag()) {
        // long poll: hold until the job changes, the hold ends, or the caller aborts
        const until = Date.now() + this.holdMs;
        while (Date.now() < until && headers["If-None-Match"] === tag()) {
          if (init.signal?.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      if (init.signal?.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
      if (headers["If-None-Match"] === tag()) return new Response(null, { status: 304, headers: { etag: tag() } });
      return json(200, { ...job, file: { name: "a.mp4" }, metadata: {}, result: null, error: null }, { etag: tag(), "retry-after": "1" });
    }
    if ((m = /^\/api\/uploads\/([^/]+)$/.exec(url.pathname)) && method === "HEAD") {
      const up = this.uploads.get(m[1]!);
      if (!up) return new Response(null, { status: 404 });
      const h: Record<string, string> = { "Upload-Offset": String(up.offset), "Upload-Length": String(up.length) };
      if (up.jobId) h["Upload-Job-Id"] = up.jobId;
      return new Response(null, { status: 200, headers: h });
    }
    if (url.pathname === "/api/uploads/" && method === "POST") {
      const id = `u${this.uploads.size + 1}`;
      this.uploads.set(id, { length: Number(headers["Upload-Length"]), offset: 0 });
      return new Response(null, { status: 201, headers: { Location: `/api/uploads/${id}` } });
    }
    if (url.pathname === "/api/devices" && method === "POST") {
      this.devices.push(JSON.parse(String(init.body)));
      return json(201, { device_id: "d1", ...JSON.parse(String(init.body)) });
    }
    return json(404, { code: "not_found" });
  };
}
