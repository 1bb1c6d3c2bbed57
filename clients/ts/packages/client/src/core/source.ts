/**
 * What an upload reads from. Core knows Blobs (browsers, Node ≥ 20 incl. `fs.openAsBlob`); the Expo adapter
 * adds file URIs. A source never loads a whole video into memory: transports read one chunk at a time.
 */

import { fnv1a } from "./util.js";

export { fnv1a };

export interface UploadSource {
  size: number;
  name: string;
  type?: string;
  /** Stable across app restarts for the same file (see `fingerprintOf`). */
  fingerprint: string;
  /** A Blob for bytes [start, end) (fetch/XHR transports). */
  slice?(start: number, end: number): Blob;
  /** A native file URI (Expo transport). */
  uri?: string;
}

/** Anything `uploads.start` accepts: a Blob/File, or an already made source. */
export type UploadInput = Blob | UploadSource;

function isSource(x: UploadInput): x is UploadSource {
  return typeof (x as UploadSource).fingerprint === "string" && typeof (x as UploadSource).size === "number";
}

/**
 * A Blob's fingerprint: its name, type, size and date plus a hash of its first and last 64 KiB, so two
 * different files of the same size and name (common for `video.mp4`) are not mistaken for each other.
 */
export async function blobSource(blob: Blob, o: { filename?: string; scope: string }): Promise<UploadSource> {
  const file = blob as Blob & { name?: string; lastModified?: number };
  const name = o.filename ?? file.name ?? "video";
  const head = new Uint8Array(await blob.slice(0, 65536).arrayBuffer());
  const tail = new Uint8Array(await blob.slice(Math.max(0, blob.size - 65536)).arrayBuffer());
  const h = fnv1a(tail, fnv1a(head)).toString(16);
  return {
    size: blob.size,
    name,
    type: blob.type || undefined,
    fingerprint: ["reelq", o.scope, name, blob.size, file.lastModified ?? "", h].join(":"),
    slice: (start, end) => blob.slice(start, end),
  };
}

export async function toSource(input: UploadInput, o: { filename?: string; scope: string }): Promise<UploadSource> {
  if (isSource(input)) return o.filename ? { ...input, name: o.filename } : input;
  if (typeof Blob !== "undefined" && input instanceof Blob) return blobSource(input, o);
  if (typeof (input as Blob).slice === "function" && typeof (input as Blob).size === "number")
    return blobSource(input as Blob, o);
  throw new TypeError("upload input must be a Blob/File or an UploadSource (use @reelq/client/expo for file URIs)");
}
