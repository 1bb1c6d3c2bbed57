/** Upload sources for Expo: a file URI (native) or the picker's asset (its `file` on the web). */

import { File } from "expo-file-system";
import { blobSource, type UploadSource } from "../core/source.js";
import type { PendingUpload } from "../core/store.js";

/** What expo-document-picker / expo-image-picker give for a picked file. */
export interface PickedAsset {
  uri: string;
  name?: string | null;
  fileName?: string | null;
  size?: number | null;
  fileSize?: number | null;
  mimeType?: string | null;
  /** Web only: the browser File. */
  file?: Blob;
}

export function fileUriSource(uri: string, o: { filename?: string; type?: string; scope: string }): UploadSource {
  const file = new File(uri);
  const info = file.info();
  if (!info.exists || typeof info.size !== "number") throw new TypeError(`cannot read ${uri}`);
  const name = o.filename ?? decodeURIComponent(uri.split("/").pop() || "video");
  return {
    uri,
    name,
    type: o.type,
    size: info.size,
    // The URI of a picked file is stable while the file stays in the app's cache; size and date guard it.
    fingerprint: ["reelq", o.scope, uri, info.size, info.modificationTime ?? ""].join(":"),
  };
}

/** `resolveSource` for createReelqClient: strings and picker assets. */
export async function resolveExpoSource(input: unknown, o: { filename?: string; scope: string }): Promise<UploadSource | undefined> {
  if (typeof input === "string") return fileUriSource(input, o);
  if (input && typeof input === "object" && typeof (input as PickedAsset).uri === "string") {
    const a = input as PickedAsset;
    const filename = o.filename ?? a.name ?? a.fileName ?? undefined;
    if (a.file && typeof Blob !== "undefined" && a.file instanceof Blob) return blobSource(a.file, { filename, scope: o.scope });
    if (a.uri.startsWith("blob:") || a.uri.startsWith("data:")) {
      const blob = await (await fetch(a.uri)).blob(); // web only: the bytes are in the page already
      return blobSource(blob, { filename, scope: o.scope });
    }
    return fileUriSource(a.uri, { filename, type: a.mimeType ?? undefined, scope: o.scope });
  }
  return undefined;
}

/** `openSource` for recovery: the stored file URI, if the file is still there with the same size. */
export async function openStoredSource(record: PendingUpload): Promise<UploadSource | undefined> {
  if (!record.fileUri) return undefined;
  try {
    const file = new File(record.fileUri);
    const info = file.info();
    if (!info.exists || info.size !== record.size) return undefined;
    return { uri: record.fileUri, name: record.filename ?? "video", size: record.size, fingerprint: record.fingerprint };
  } catch {
    return undefined;
  }
}
