/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
import type { components } from "../components.gen.js";
export interface Schemas1 {
        /** AnalyzerState */
        AnalyzerState: {
            /**
             * Queued
             * @description Jobs waiting on this analyzer's queue (null: the queue did not answer)
             */
            queued: number | null;
            /**
             * Workers
             * @description Live workers that run this analyzer
             */
            workers: string[];
        };
        /** AudioTrack */
        AudioTrack: {
            /** Bit Rate */
            bit_rate: number | null;
            /** Channels */
            channels: number;
            /** Codec */
            codec: string;
            /** Layout */
            layout: string | null;
            /** Sample Rate */
            sample_rate: number;
        };
        /** Compression */
        Compression: {
            /**
             * Bits Per Pixel
             * @description video packets' bits / (frames × coded pixels)
             */
            bits_per_pixel: number | null;
            /**
             * Blockiness
             * @description median edge energy on the 8×8 block grid over that inside blocks (1.0: no grid)
             */
            blockiness: number | null;
            /**
             * Level
             * @enum {string}
             */
            level: "ok" | "compressed" | "heavy";
        };
        /** ContainerInfo */
        ContainerInfo: {
            /**
             * Bit Rate
             * @description bit/s
             */
            bit_rate: number | null;
            /**
             * Brand
             * @description MP4/QuickTime major brand
             */
            brand: string | null;
            /**
             * Format
             * @description FFmpeg demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`
             */
            format: string;
            /** Size Bytes */
            size_bytes: number;
        };
        /** DeviceIn */
        DeviceIn: {
            /**
             * Platform
             * @description ios | android | web
             */
            platform?: ("ios" | "android" | "web") | null;
            /**
             * Push Token
             * @description ExponentPushToken[…] or ExpoPushToken[…]
             */
            push_token: string;
        };
        /** DeviceList */
        DeviceList: {
            /** Devices */
            devices: components["schemas"]["DeviceOut"][];
        };
        /** DeviceOut */
        DeviceOut: {
            /**
             * Active
             * @description false once Expo answered DeviceNotRegistered (until re-registered)
             */
            active: boolean;
            /** Created At */
            created_at: string;
            /** Disabled Reason */
            disabled_reason: string | null;
            /** Id */
            id: string;
            /** Last Seen At */
            last_seen_at: string;
            /** Platform */
            platform: string | null;
            /** Push Token */
            push_token: string;
        };
        /** DirectIn */
        DirectIn: {
            /** Analyzer */
            analyzer?: string | null;
            /** Filename */
            filename?: string | null;
            /**
             * Metadata
             * @description JSON object kept with the job
             */
            metadata?: string | null;
            /** Push Token */
            push_token?: string | null;
            /**
             * Sha256
             * @description Hex sha256 of the file; checked before the job is made
             */
            sha256?: string | null;
            /**
             * Size
             * @description The file's exact size in bytes
             */
            size: number;
        };
        /** DirectOut */
        DirectOut: {
            /** Expires At */
            expires_at: number;
            /** Job Id */
            job_id: string | null;
            /** Part Size */
            part_size: number;
            /** Parts */
            parts: components["schemas"]["DirectPartOut"][];
            /** Size */
            size: number;
            /** Upload Id */
            upload_id: string;
        };
        /** DirectPartOut */
        DirectPartOut: {
            /** Number */
            number: number;
            /** Size */
            size: number;
            /**
             * Url
             * @description Presigned PUT URL; null when the bucket already has the part
             */
            url: string | null;
        };
        /**
         * ErrorInfo
         * @description Why a job failed, written for people; exception text stays in the server log.
         */
        ErrorInfo: {
            /**
             * Code
             * @description Stable snake_case code, e.g. unreadable_media
             */
            code: string;
            /**
             * Message
             * @description A plain sentence that can be shown to the user
             */
            message: string;
            /**
             * Retryable
             * @description Whether POST /api/jobs/{job_id}/retry may succeed
             */
            retryable: boolean;
        };
        /** Exposure */
        Exposure: {
            /** Clipped Fraction */
            clipped_fraction: number | null;
            /** Clipped Highlights */
            clipped_highlights: boolean;
            /** Dark Fraction */
            dark_fraction: number | null;
            /** Mean Brightness */
            mean_brightness: number | null;
            /** Too Dark */
            too_dark: boolean;
        };
        /** FileInfo */
        FileInfo: {
            /**
             * Content Type
             * @description Judged from the bytes, e.g. video/mp4
             */
            content_type: string;
            /**
             * Name
             * @description The uploaded file's name, sanitized
             */
            name: string;
            /**
             * Sha256
             * @description Hex SHA-256 of the stored bytes
             */
            sha256: string;
            /**
             * Size
             * @description Bytes
             */
            size: number;
        };
        /**
         * Finding
         * @description One thing a person should know about the clip, in words, with its numbers.
         */
        Finding: {
            /**
             * Code
             * @description stable identifier, `topic.verdict`, e.g. `compression.heavy`
             */
            code: string;
            /**
             * Level
             * @enum {string}
             */
            level: "ok" | "info" | "warn";
            /**
             * Text
             * @description one sentence to show as it is
             */
            text: string;
        };
        /** Integrity */
        Integrity: {
            /** Audio Decode Errors */
            audio_decode_errors: number;
            /** Declared Duration */
            declared_duration: number | null;
            /** Decoded Duration */
            decoded_duration: number | null;
            /** Demux Error */
            demux_error: string | null;
            /** Error Times */
            error_times: number[];
            /** Frames Decoded */
            frames_decoded: number;
            /** Jump Times */
            jump_times: number[];
            /** Missing Seconds */
            missing_seconds: number;
            /**
             * Status
             * @enum {string}
             */
            status: "ok" | "partial" | "corrupt";
            /**
             * Timestamp Jumps
             * @description frames left out: their timestamp leapt by over an hour
             */
            timestamp_jumps: number;
            /** Truncated */
            truncated: boolean;
            /** Video Decode Errors */
            video_decode_errors: number;
        };
        /**
         * JobAction
         * @description The answer to cancel and retry: the job's status after the request.
         */
        JobAction: {
            /** Job Id */
            job_id: string;
            status: components["schemas"]["JobStatus"];
        };
        /** JobList */
        JobList: {
            /** Jobs */
            jobs: components["schemas"]["JobOut"][];
            /** Next Cursor */
            next_cursor: string | null;
        };
        /** JobOut */
        JobOut: {
            /** Analyzer */
            analyzer: string;
            /** Attempts */
            attempts: number;
            /**
             * Created At
             * @description RFC 3339 UTC
             */
            created_at: string;
            /** @description Set when status is failed, else null */
            error: components["schemas"]["ErrorInfo"] | null;
            file: components["schemas"]["FileInfo"];
            /**
             * Finished At
             * @description RFC 3339 UTC
             */
            finished_at: string | null;
            /** Job Id */
            job_id: string;
            /**
             * Metadata
             * @description The JSON object sent with the upload
             */
            metadata: {
                [key: string]: unknown;
            };
            /**
             * Progress
             * @description 0..1; 1 once completed
             */
            progress: number;
            /** Result */
            result?: components["schemas"]["VideoResult"] | components["schemas"]["ProbeResult"] | {
                [key: string]: unknown;
            } | null;
            /**
             * Started At
             * @description RFC 3339 UTC
             */
            started_at: string | null;
            status: components["schemas"]["JobStatus"];
            /**
             * Waiting For Worker
             * @description Present while the job is queued and no running worker runs its analyzer (this analyzer's name): it starts as soon as such a worker does
             */
            waiting_for_worker?: string | null;
        };
        /**
         * JobStatus
         * @enum {string}
         */
        JobStatus: "queued" | "processing" | "completed" | "failed" | "cancelled";
        /**
         * LimitsIn
         * @description Per-user overrides; ``null`` returns a limit to the server's setting, 0 means no limit. Unknown
         *     names and values that are not integers (``true``, ``"5"``) are refused, not ignored or coerced.
         */
        LimitsIn: {
            /** Concurrent Jobs */
            concurrent_jobs?: number | null;
            /** Jobs Per Day */
            jobs_per_day?: number | null;
            /** Requests Per Second */
            requests_per_second?: number | null;
            /** Storage Bytes */
            storage_bytes?: number | null;
            /** Uploads Per Minute */
            uploads_per_minute?: number | null;
        };
        /** Loudness */
        Loudness: {
            /** Integrated Lufs */
            integrated_lufs: number | null;
            /** Loudness Range Lu */
            loudness_range_lu: number | null;
            /** Peak Dbfs */
            peak_dbfs: number | null;
        };
        /**
         * MediaMetadata
         * @description What the file says about itself; the same object from `video` and `probe`.
         */
        MediaMetadata: {
            /** @description first audio track; null without one */
            audio: components["schemas"]["AudioTrack"] | null;
            container: components["schemas"]["ContainerInfo"];
            /** Creation Time */
            creation_time: string | null;
            device: components["schemas"]["RecordingDevice"] | null;
            /**
             * Duration
             * @description what the container declares (longest stream), s
             */
            duration: number | null;
            video: components["schemas"]["VideoTrack"];
        };
        /** NotificationError */
        NotificationError: {
            /** Code */
            code: string;
            /** Message */
            message: string | null;
        };
        /** NotificationList */
        NotificationList: {
            /** Job Id */
            job_id: string;
            /** Notifications */
            notifications: components["schemas"]["NotificationOut"][];
        };
}
