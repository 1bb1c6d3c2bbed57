// Opening Results for a job: from a notification tap and when a job the app is showing completes. Each job's
// Results open by themselves once per launch (a tap and the completion seen right after it are one event).
import { useCallback } from "react";
import { usePathname, useRouter } from "expo-router";

const opened = new Set<string>();

export function useOpenResults(): (jobId: string) => void {
  const router = useRouter();
  const pathname = usePathname();
  return useCallback(
    (jobId: string) => {
      if (opened.has(jobId) || pathname === `/results/${jobId}`) return;
      opened.add(jobId);
      router.push(`/results/${jobId}`);
    },
    [router, pathname],
  );
}

/** For tests. */
export function resetOpened(): void {
  opened.clear();
}
