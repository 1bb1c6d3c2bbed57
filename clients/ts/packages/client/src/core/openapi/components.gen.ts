/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
export interface components {
    schemas: {
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
            platform?: string | null;
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
         * @description Per-user overrides; ``null`` returns a limit to the server's setting, 0 means no limit.
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
        /** NotificationOut */
        NotificationOut: {
            /** Attempts */
            attempts: number;
            /**
             * Channel
             * @description push | webhook
             */
            channel: string;
            /** Created At */
            created_at: string;
            error: components["schemas"]["NotificationError"] | null;
            /**
             * Event
             * @description job.completed | job.failed
             */
            event: string;
            /**
             * Id
             * @description Also the `webhook-id` header of a webhook delivery
             */
            id: string;
            /** Receipt Checked At */
            receipt_checked_at: string | null;
            /** Sent At */
            sent_at: string | null;
            /**
             * State
             * @description pending | sending | sent (ticket ok) | delivered | failed | skipped
             */
            state: string;
            /**
             * Target Id
             * @description device id or webhook id
             */
            target_id: string;
            /**
             * Ticket Id
             * @description Expo push ticket (receipt) id
             */
            ticket_id: string | null;
        };
        /** ProbeAnalyzer */
        ProbeAnalyzer: {
            /**
             * Name
             * @constant
             */
            name: "probe";
            /** Version */
            version: string;
        };
        /**
         * ProbeResult
         * @description The result of the builtin `probe` analyzer: the file's metadata only.
         */
        ProbeResult: {
            analyzer: components["schemas"]["ProbeAnalyzer"];
            metadata: components["schemas"]["MediaMetadata"];
        };
        /**
         * Problem
         * @description RFC 9457 problem details, sent as application/problem+json.
         */
        Problem: {
            /**
             * Code
             * @description Stable snake_case code to branch on
             */
            code: string;
            /**
             * Detail
             * @description A sentence for people; never internal exception text
             */
            detail: string;
            /** Status */
            status: number;
            /** Title */
            title: string;
            /** Type */
            type: string;
        };
        /** Quality */
        Quality: {
            compression: components["schemas"]["Compression"];
            exposure: components["schemas"]["Exposure"];
            loudness: components["schemas"]["Loudness"] | null;
            shake: components["schemas"]["Shake"] | null;
            sharpness: components["schemas"]["Sharpness"] | null;
        };
        /** Readiness */
        Readiness: {
            /**
             * Analyzers
             * @description Per analyzer offered or run here: its queue depth and its workers
             */
            analyzers?: {
                [key: string]: components["schemas"]["AnalyzerState"];
            };
            /**
             * Checks
             * @description database, queue, storage, workers: ok, unknown or failing: <reason>
             */
            checks: {
                [key: string]: string;
            };
            /**
             * Status
             * @enum {string}
             */
            status: "ok" | "unavailable";
        };
        /** RecordingDevice */
        RecordingDevice: {
            /** Make */
            make: string | null;
            /** Model */
            model: string | null;
            /** Software */
            software: string | null;
        };
        /** Scene */
        Scene: {
            /** End */
            end: number;
            /** Index */
            index: number;
            /** Start */
            start: number;
            thumbnail: components["schemas"]["Thumbnail"] | null;
        };
        /** ServerWebhookIn */
        ServerWebhookIn: {
            /**
             * Url
             * @description https:// endpoint that receives every user's job events
             */
            url: string;
        };
        /** Shake */
        Shake: {
            /** Jitter Percent */
            jitter_percent: number;
            /**
             * Level
             * @enum {string}
             */
            level: "steady" | "moderate" | "shaky";
            /** Samples */
            samples: number;
        };
        /** SharpFrame */
        SharpFrame: {
            /** Score */
            score: number;
            /** Time */
            time: number;
        };
        /** Sharpness */
        Sharpness: {
            /**
             * Blurry
             * @description `level == "blurry"`
             */
            blurry: boolean;
            /**
             * Level
             * @description the median's band: blurry < 1.0, soft < 1.5, sharp from 1.5
             * @enum {string}
             */
            level: "blurry" | "soft" | "sharp";
            /** Max */
            max: number;
            /** Median */
            median: number;
            /** Min */
            min: number;
            /** Samples */
            samples: number;
            /** Sharpest */
            sharpest: components["schemas"]["SharpFrame"][];
        };
        /** Span */
        Span: {
            /** End */
            end: number;
            /** Start */
            start: number;
        };
        /** Thumbnail */
        Thumbnail: {
            /** Height */
            height: number;
            /** Name */
            name: string;
            /** Time */
            time: number;
            /** Url */
            url: string;
            /** Width */
            width: number;
        };
        /** Thumbnails */
        Thumbnails: {
            poster: components["schemas"]["Thumbnail"] | null;
            /** Scenes */
            scenes: components["schemas"]["Thumbnail"][];
        };
        /** Timelines */
        Timelines: {
            /** Brightness */
            brightness: (number | null)[];
            /**
             * Loudness
             * @description dBFS per bin; null without audio
             */
            loudness: (number | null)[] | null;
            /** Motion */
            motion: (number | null)[];
            /**
             * Start
             * @description time where bin 0 begins, s (0 unless the clip starts over an hour in)
             */
            start: number;
            /**
             * Step
             * @description bin width, s (0.5, wider for clips over an hour)
             */
            step: number;
        };
        /** TokenCreate */
        TokenCreate: {
            /**
             * Expires In
             * @description Seconds until it expires
             */
            expires_in?: number | null;
        };
        /** UploadAccepted */
        UploadAccepted: {
            /** Job Id */
            job_id: string;
            status: components["schemas"]["JobStatus"];
            /**
             * Status Url
             * @description GET it for status and results (also in the Location header)
             */
            status_url: string;
        };
        /** UserCreate */
        UserCreate: {
            /**
             * Admin
             * @default false
             */
            admin: boolean;
            limits?: components["schemas"]["LimitsIn"] | null;
            /** Name */
            name: string;
        };
        /** UserPatch */
        UserPatch: {
            /** Admin */
            admin?: boolean | null;
            /** Disabled */
            disabled?: boolean | null;
            limits?: components["schemas"]["LimitsIn"] | null;
        };
        /** VideoAnalyzer */
        VideoAnalyzer: {
            /**
             * Name
             * @constant
             */
            name: "video";
            /** Version */
            version: string;
        };
        /**
         * VideoResult
         * @description The result of the builtin `video` analyzer (docs/analysis.md).
         */
        VideoResult: {
            analyzer: components["schemas"]["VideoAnalyzer"];
            /** Cuts */
            cuts: number[];
            /**
             * Findings
             * @description what to show below the summary, in order
             */
            findings: components["schemas"]["Finding"][];
            integrity: components["schemas"]["Integrity"];
            metadata: components["schemas"]["MediaMetadata"];
            quality: components["schemas"]["Quality"];
            /** Scenes */
            scenes: components["schemas"]["Scene"][];
            /** Silent Segments */
            silent_segments: components["schemas"]["Span"][];
            /** Still Segments */
            still_segments: components["schemas"]["Span"][];
            /**
             * Summary
             * @description one line for people, e.g. "6.0 s · 1920×1080 · 3 scenes · steady"
             */
            summary: string;
            thumbnails: components["schemas"]["Thumbnails"];
            timelines: components["schemas"]["Timelines"];
        };
        /** VideoTrack */
        VideoTrack: {
            /** Bit Depth */
            bit_depth: number | null;
            /** Bit Rate */
            bit_rate: number | null;
            /** Codec */
            codec: string;
            /** Coded Height */
            coded_height: number;
            /** Coded Width */
            coded_width: number;
            /** Color Primaries */
            color_primaries: string | null;
            /** Color Transfer */
            color_transfer: string | null;
            /** Declared Frame Rate */
            declared_frame_rate: number | null;
            /**
             * Display Height
             * @description height after rotation
             */
            display_height: number;
            /**
             * Display Width
             * @description width after rotation
             */
            display_width: number;
            /**
             * Duration
             * @description what the video stream declares, s
             */
            duration: number | null;
            /**
             * Frame Rate
             * @description measured from every frame's timestamp; null from `probe`
             */
            frame_rate: number | null;
            /** Frames Declared */
            frames_declared: number | null;
            /** Hdr */
            hdr: ("hlg" | "pq") | null;
            /** Pix Fmt */
            pix_fmt: string | null;
            /** Profile */
            profile: string | null;
            /**
             * Rotation
             * @description display rotation in degrees: 0, 90, -90 or 180
             */
            rotation: number;
            /**
             * Variable Frame Rate
             * @description null from `probe`, which does not read every frame
             */
            variable_frame_rate: boolean | null;
        };
        /** WebhookIn */
        WebhookIn: {
            /**
             * Url
             * @description https:// endpoint that receives the events
             */
            url: string;
        };
        /** WebhookList */
        WebhookList: {
            /** Webhooks */
            webhooks: components["schemas"]["WebhookOut"][];
        };
        /** WebhookOut */
        WebhookOut: {
            /**
             * Active
             * @description false once the endpoint failed too many times in a row
             */
            active: boolean;
            /** Consecutive Failures */
            consecutive_failures: number;
            /** Created At */
            created_at: string;
            /** Id */
            id: string;
            /** Last Error */
            last_error: string | null;
            /**
             * Secret
             * @description whsec_… signing secret; only in the creation answer
             */
            secret?: string | null;
            /** Url */
            url: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
