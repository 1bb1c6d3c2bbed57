/**
 * `@reelq/client/expo/picker`: pick a video and upload it, permissions included — `useVideoUpload()`.
 * The photo library through expo-image-picker (videos only, with the media-library permission asked when
 * it was never asked, and a typed error when it is refused), files through expo-document-picker. Each picker
 * is an optional peer, loaded when first used: install the one(s) the app offers.
 */

import { useCallback, useRef, useState } from "react";
import { ReelqError } from "../core/errors.js";
import type { StartOptions, UploadHandle } from "../core/uploads.js";
import { useUpload, type UseUpload } from "../react/index.js";
import type { PickedAsset } from "./source.js";

type ImagePickerModule = typeof import("expo-image-picker");
type DocumentPickerModule = typeof import("expo-document-picker");

/** Why nothing was picked: the user refused access, or the picker module is not installed. */
export class PickerError extends ReelqError {
  readonly reason: "denied" | "not-installed";
  constructor(reason: PickerError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

function imagePicker(): ImagePickerModule {
  try {
    return require("expo-image-picker") as ImagePickerModule;
  } catch {
    throw new PickerError("not-installed", "picking from the photo library needs expo-image-picker (npx expo install expo-image-picker)");
  }
}

function documentPicker(): DocumentPickerModule {
  try {
    return require("expo-document-picker") as DocumentPickerModule;
  } catch {
    throw new PickerError("not-installed", "picking files needs expo-document-picker (npx expo install expo-document-picker)");
  }
}

export interface PickOptions {
  /** Injected for tests. */
  imagePicker?: Pick<ImagePickerModule, "getMediaLibraryPermissionsAsync" | "requestMediaLibraryPermissionsAsync" | "launchImageLibraryAsync">;
  documentPicker?: Pick<DocumentPickerModule, "getDocumentAsync">;
}

/**
 * One video from the photo library, or null when the user cancelled. Asks for the media-library permission
 * when it was never asked; "limited" access (iOS) is enough. Throws PickerError("denied") when refused.
 */
export async function pickVideoFromLibrary(o: PickOptions = {}): Promise<PickedAsset | null> {
  const IP = o.imagePicker ?? imagePicker();
  let perm = await IP.getMediaLibraryPermissionsAsync();
  if (!perm.granted && perm.canAskAgain !== false) perm = await IP.requestMediaLibraryPermissionsAsync();
  if (!perm.granted && perm.accessPrivileges !== "limited")
    throw new PickerError("denied", "the photo library is not allowed: allow it in the system settings");
  const res = await IP.launchImageLibraryAsync({ mediaTypes: ["videos"], allowsMultipleSelection: false, quality: 1 });
  const a = res.canceled ? undefined : res.assets?.[0];
  if (!a) return null;
  return { uri: a.uri, name: a.fileName ?? undefined, size: a.fileSize ?? undefined, mimeType: a.mimeType ?? undefined, file: (a as { file?: Blob }).file };
}

/** One video file (Files app, Drive, downloads …), or null when the user cancelled. */
export async function pickVideoFile(o: PickOptions = {}): Promise<PickedAsset | null> {
  const DP = o.documentPicker ?? documentPicker();
  const res = await DP.getDocumentAsync({ type: "video/*", copyToCacheDirectory: true, multiple: false });
  const a = res.canceled ? undefined : res.assets?.[0];
  if (!a) return null;
  return { uri: a.uri, name: a.name, size: a.size ?? undefined, mimeType: a.mimeType ?? undefined, file: a.file };
}

export interface UseVideoUpload extends UseUpload {
  /** Pick from the photo library and upload; resolves with the handle, or null when cancelled or refused. */
  pickFromLibrary: (o?: Omit<StartOptions, "onProgress">) => Promise<UploadHandle | null>;
  /** Pick a file and upload; resolves with the handle, or null when cancelled. */
  pickFile: (o?: Omit<StartOptions, "onProgress">) => Promise<UploadHandle | null>;
  /** What was picked last (its name for the screen). */
  asset: PickedAsset | null;
  /** Picking is in progress (the system picker is open). */
  picking: boolean;
  /** The picker's error (PickerError: `denied`, `not-installed`), apart from the upload's `error`. */
  pickError: unknown;
}

/**
 * Picker + upload in one hook (the shape of uploadthing's `useImageUploader`): `pickFromLibrary()` or
 * `pickFile()` opens the picker, asks permissions, starts the resumable upload with `defaults` (push token,
 * chunk size, analyzer …), and exposes the upload's state, progress, job id and controls.
 */
export function useVideoUpload(defaults: Omit<StartOptions, "onProgress"> = {}, o: PickOptions = {}): UseVideoUpload {
  const upload = useUpload();
  const [asset, setAsset] = useState<PickedAsset | null>(null);
  const [picking, setPicking] = useState(false);
  const [pickError, setPickError] = useState<unknown>(null);
  const { start } = upload;
  const latest = useRef({ defaults, o });
  latest.current = { defaults, o };
  const run = useCallback(
    async (pick: () => Promise<PickedAsset | null>, opts: Omit<StartOptions, "onProgress"> = {}) => {
      setPickError(null);
      setPicking(true);
      let a: PickedAsset | null;
      try {
        a = await pick();
      } catch (err) {
        setPickError(err);
        return null;
      } finally {
        setPicking(false);
      }
      if (!a) return null;
      setAsset(a);
      // the options of this render (push token, note …), not of the render that made the callback
      return start(a, { filename: a.name ?? a.fileName ?? undefined, ...latest.current.defaults, ...opts });
    },
    [start],
  );
  const pickFromLibrary = useCallback((opts?: Omit<StartOptions, "onProgress">) => run(() => pickVideoFromLibrary(latest.current.o), opts), [run]);
  const pickFile = useCallback((opts?: Omit<StartOptions, "onProgress">) => run(() => pickVideoFile(latest.current.o), opts), [run]);
  return { ...upload, pickFromLibrary, pickFile, asset, picking, pickError };
}
