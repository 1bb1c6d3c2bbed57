/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
export interface paths {
    "/api/admin/jobs/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Any user's job, with its owner */
        get: operations["get_job_api_admin_jobs__job_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Users, by id */
        get: operations["list_users_api_admin_users_get"];
        put?: never;
        /** Create a user; its first token is in the answer, once */
        post: operations["create_user_api_admin_users_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One user */
        get: operations["get_user_api_admin_users__user_id__get"];
        put?: never;
        post?: never;
        /** Delete a user with its jobs and files */
        delete: operations["delete_user_api_admin_users__user_id__delete"];
        options?: never;
        head?: never;
        /** Disable or enable a user, make it admin, set its limits */
        patch: operations["patch_user_api_admin_users__user_id__patch"];
        trace?: never;
    };
    "/api/admin/users/{user_id}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A user's tokens (never the secrets) */
        get: operations["list_tokens_api_admin_users__user_id__tokens_get"];
        put?: never;
        /** Issue a token (shown once) */
        post: operations["issue_token_api_admin_users__user_id__tokens_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{user_id}/tokens/{token_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke one token */
        delete: operations["revoke_token_api_admin_users__user_id__tokens__token_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/users/{user_id}/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stored bytes, active and daily jobs, effective limits */
        get: operations["user_usage_api_admin_users__user_id__usage_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The server-wide webhooks */
        get: operations["list_server_webhooks_api_admin_webhooks_get"];
        put?: never;
        /** A server-wide webhook: every user's job events */
        post: operations["create_server_webhook_api_admin_webhooks_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/webhooks/{webhook_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a server-wide webhook */
        delete: operations["delete_server_webhook_api_admin_webhooks__webhook_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/devices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's devices */
        get: operations["list_devices_api_devices_get"];
        put?: never;
        /** Register this device's Expo push token (idempotent) */
        post: operations["register_device_api_devices_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/devices/{device_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Forget a device (no more pushes to it) */
        delete: operations["delete_device_api_devices__device_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Job history, newest first (without results) */
        get: operations["list_jobs_api_jobs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete a job with its files and artifacts */
        delete: operations["delete_job_api_jobs__job_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{job_id}/artifacts/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A file the analyzer produced (thumbnails …): with a token, or by the signed URL in the result */
        get: operations["get_artifact_api_jobs__job_id__artifacts__name__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{job_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a queued or running job */
        post: operations["cancel_job_api_jobs__job_id__cancel_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{job_id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Server-sent events of status and progress until the job ends */
        get: operations["job_events_api_jobs__job_id__events_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{job_id}/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Notification history of a job: pushes and webhooks, tickets, receipts, errors */
        get: operations["job_notifications_api_jobs__job_id__notifications_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{job_id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run a failed or cancelled job again */
        post: operations["retry_job_api_jobs__job_id__retry_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/results/job/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Status and results of a job */
        get: operations["get_result_api_results_job__job_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/upload": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload a video; answers with a job id at once */
        post: operations["upload_api_upload_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/uploads/": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a tus upload
         * @description tus 1.0.0 resumable uploads (creation, creation-with-upload, expiration, checksum, termination). Every request except OPTIONS needs `Tus-Resumable: 1.0.0` and `Authorization: Bearer <token>`. The request that stores the last byte answers `Upload-Job-Id`; HEAD of a finished upload does too.
         */
        post: operations["tus_create_api_uploads__post"];
        delete?: never;
        /**
         * tus discovery (no auth)
         * @description tus 1.0.0 resumable uploads (creation, creation-with-upload, expiration, checksum, termination). Every request except OPTIONS needs `Tus-Resumable: 1.0.0` and `Authorization: Bearer <token>`. The request that stores the last byte answers `Upload-Job-Id`; HEAD of a finished upload does too.
         */
        options: operations["tus_options_api_uploads__options"];
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/uploads/{upload_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** tus: PATCH or DELETE for clients that send X-HTTP-Method-Override */
        post: operations["tus_override_api_uploads__upload_id__post"];
        /** tus: terminate an unfinished upload */
        delete: operations["tus_delete_api_uploads__upload_id__delete"];
        options?: never;
        /** tus: the stored offset (and Upload-Job-Id once finished) */
        head: operations["tus_head_api_uploads__upload_id__head"];
        /** tus: append bytes at Upload-Offset */
        patch: operations["tus_patch_api_uploads__upload_id__patch"];
        trace?: never;
    };
    "/api/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's webhook endpoints */
        get: operations["list_webhooks_api_webhooks_get"];
        put?: never;
        /** Add an endpoint; the answer carries its signing secret (shown once) */
        post: operations["create_webhook_api_webhooks_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/webhooks/{webhook_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One webhook endpoint */
        get: operations["get_webhook_api_webhooks__webhook_id__get"];
        put?: never;
        post?: never;
        /** Remove a webhook endpoint */
        delete: operations["delete_webhook_api_webhooks__webhook_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The process is alive */
        get: operations["healthz_healthz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Database, queue and a recent worker heartbeat answer */
        get: operations["readyz_readyz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
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
            exposure: components["schemas"]["Exposure"];
            loudness: components["schemas"]["Loudness"] | null;
            shake: components["schemas"]["Shake"] | null;
            sharpness: components["schemas"]["Sharpness"] | null;
        };
        /** Readiness */
        Readiness: {
            /**
             * Checks
             * @description database, queue, workers: ok, unknown or failing: <reason>
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
            /** Blurry */
            blurry: boolean;
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
export interface operations {
    get_job_api_admin_jobs__job_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_users_api_admin_users_get: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page */
                cursor?: string | null;
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_user_api_admin_users_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_user_api_admin_users__user_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_user_api_admin_users__user_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    patch_user_api_admin_users__user_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserPatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_tokens_api_admin_users__user_id__tokens_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    issue_token_api_admin_users__user_id__tokens_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["TokenCreate"] | null;
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revoke_token_api_admin_users__user_id__tokens__token_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                token_id: string;
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    user_usage_api_admin_users__user_id__usage_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_server_webhooks_api_admin_webhooks_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_server_webhook_api_admin_webhooks_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ServerWebhookIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_server_webhook_api_admin_webhooks__webhook_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not an admin token, or no such user, token or job */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_devices_api_devices_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceList"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    register_device_api_devices_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeviceIn"];
            };
        };
        responses: {
            /** @description Already registered */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceOut"];
                };
            };
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceOut"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The push token is registered to another account (push_token_in_use) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_device_api_devices__device_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                device_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_jobs_api_jobs_get: {
        parameters: {
            query?: {
                /** @description next_cursor of the previous page */
                cursor?: string | null;
                limit?: number;
                /** @description Filter by status (repeatable) */
                status?: string[] | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobList"];
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_job_api_jobs__job_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_artifact_api_jobs__job_id__artifacts__name__get: {
        parameters: {
            query?: {
                /** @description Expiry of a signed URL (unix time) */
                exp?: number | null;
                /** @description Signature of a signed URL */
                sig?: string | null;
            };
            header?: never;
            path: {
                job_id: string;
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The file (JPEG for thumbnails and the poster) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": string;
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The signed URL has expired or was altered (bad_signature) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancel_job_api_jobs__job_id__cancel_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Accepted; the job's status now */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobAction"];
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The job has already ended (job_finished) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    job_events_api_jobs__job_id__events_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description `event: status` per change, then one `event: end`; `: keep-alive` comments */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": {
                        data?: string;
                        /** @enum {string} */
                        event?: "status" | "end";
                        id?: string;
                        retry?: number;
                    };
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many open event streams and long polls */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    job_notifications_api_jobs__job_id__notifications_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NotificationList"];
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    retry_job_api_jobs__job_id__retry_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Accepted; the job's status now */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobAction"];
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Only a failed or cancelled job can run again */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_result_api_results_job__job_id__get: {
        parameters: {
            query?: {
                /** @description With `wait`: `change` answers at the first change, `done` when the job has ended */
                until?: "change" | "done";
                /** @description Hold the answer up to N s until the job changes (see `until`); held at most REELQ_MAX_WAIT_SECONDS (default 60), larger values are clamped to it */
                wait?: number;
            };
            header?: {
                /** @description The ETag of the last answer: 304 while nothing changed */
                "If-None-Match"?: string;
            };
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    /** @description Tag of this state; send it back in If-None-Match */
                    ETag: string;
                    /** @description Present while the job is not finished */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobOut"];
                };
            };
            /** @description Not modified: If-None-Match names the current state */
            304: {
                headers: {
                    /** @description Tag of the current state */
                    ETag: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many open event streams and long polls */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    upload_api_upload_post: {
        parameters: {
            query?: never;
            header?: {
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * @description Analyzer to run; the server's default when absent
                     * @default video
                     * @enum {string}
                     */
                    analyzer?: "probe" | "video";
                    /**
                     * @description JSON object kept with the job and echoed back
                     * @default {}
                     */
                    metadata?: string;
                    /**
                     * @description Expo push token of this device (ExponentPushToken[…]); empty: none
                     * @default
                     */
                    push_token?: string;
                    /**
                     * Format: binary
                     * @description the video (alias: file)
                     */
                    video: string;
                };
            };
        };
        responses: {
            /** @description Idempotent replay: the job this key created */
            200: {
                headers: {
                    /** @description The job's status URL */
                    Location: string;
                    /** @description Seconds before the first poll */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadAccepted"];
                };
            };
            /** @description Successful Response */
            202: {
                headers: {
                    /** @description The job's status URL */
                    Location: string;
                    /** @description Seconds before the first poll */
                    "Retry-After": number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadAccepted"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body stopped arriving (REELQ_UPLOAD_IDLE_SECONDS) */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Idempotency-Key reused with another file (idempotency_key_reused), or the push token is registered to another account (push_token_in_use) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Request Entity Too Large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported Media Type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many uploads at once for this user (too_many_uploads) */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Insufficient Storage */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    tus_create_api_uploads__post: {
        parameters: {
            query?: never;
            header: {
                /** @description The protocol version; 412 otherwise */
                "Tus-Resumable": "1.0.0";
                /** @description `<algorithm> <base64 digest>` of this chunk; algorithms: sha1, sha256, md5 */
                "Upload-Checksum"?: string;
                /** @description Total size of the file in bytes */
                "Upload-Length": number;
                /** @description Comma list of `key base64(value)`; keys: filename, filetype, push_token, analyzer, metadata */
                "Upload-Metadata"?: string;
            };
            path?: never;
            cookie?: never;
        };
        /** @description creation-with-upload: the first bytes */
        requestBody?: {
            content: {
                "application/offset+octet-stream": string;
            };
        };
        responses: {
            /** @description Created; Location names the upload */
            201: {
                headers: {
                    /** @description URL of the new upload */
                    Location: string;
                    /** @description The protocol version */
                    "Tus-Resumable": "1.0.0";
                    /** @description When an unfinished upload is removed (HTTP date) */
                    "Upload-Expires"?: string;
                    /** @description The job made from the upload, once every byte is stored */
                    "Upload-Job-Id"?: string;
                    /** @description The stored offset */
                    "Upload-Offset"?: number;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A header is missing or malformed (the code names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such upload (or another user's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Offset does not match, or the upload is finished */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The upload expired, was terminated, or was not a video */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported Tus-Resumable version */
            412: {
                headers: {
                    /** @description Versions this server speaks */
                    "Tus-Version": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Length over Tus-Max-Size, body past Upload-Length, or per-user bytes limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type is not application/offset+octet-stream, or the bytes are not a video container */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Another PATCH is writing this upload; retry */
            423: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many unfinished uploads for this user */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Checksum mismatch; the chunk was discarded */
            460: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The server is low on disk space */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    tus_options_api_uploads__options: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What this server supports */
            204: {
                headers: {
                    /** @description sha1,sha256,md5 */
                    "Tus-Checksum-Algorithm": string;
                    /** @description creation,creation-with-upload,expiration,checksum,termination */
                    "Tus-Extension": string;
                    /** @description Largest Upload-Length in bytes */
                    "Tus-Max-Size": number;
                    /** @description The protocol version */
                    "Tus-Resumable": "1.0.0";
                    /** @description 1.0.0 */
                    "Tus-Version": string;
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    tus_override_api_uploads__upload_id__post: {
        parameters: {
            query?: never;
            header: {
                /** @description The protocol version; 412 otherwise */
                "Tus-Resumable": "1.0.0";
                /** @description `<algorithm> <base64 digest>` of this chunk; algorithms: sha1, sha256, md5 */
                "Upload-Checksum"?: string;
                /** @description Required with PATCH */
                "Upload-Offset"?: number;
                /** @description For clients that can send only POST */
                "X-HTTP-Method-Override": "PATCH" | "DELETE";
            };
            path: {
                upload_id: string;
            };
            cookie?: never;
        };
        /** @description The PATCH body when overriding with PATCH */
        requestBody?: {
            content: {
                "application/offset+octet-stream": string;
            };
        };
        responses: {
            /** @description Stored (PATCH) or terminated (DELETE) */
            204: {
                headers: {
                    /** @description The protocol version */
                    "Tus-Resumable": "1.0.0";
                    /** @description When an unfinished upload is removed (HTTP date) */
                    "Upload-Expires"?: string;
                    /** @description The job made from the upload, once every byte is stored */
                    "Upload-Job-Id"?: string;
                    /** @description The stored offset */
                    "Upload-Offset"?: number;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A header is missing or malformed (the code names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such upload (or another user's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description X-HTTP-Method-Override names neither PATCH nor DELETE */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Offset does not match, or the upload is finished */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The upload expired, was terminated, or was not a video */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported Tus-Resumable version */
            412: {
                headers: {
                    /** @description Versions this server speaks */
                    "Tus-Version": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Length over Tus-Max-Size, body past Upload-Length, or per-user bytes limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type is not application/offset+octet-stream, or the bytes are not a video container */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Another PATCH is writing this upload; retry */
            423: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many unfinished uploads for this user */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Checksum mismatch; the chunk was discarded */
            460: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The server is low on disk space */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    tus_delete_api_uploads__upload_id__delete: {
        parameters: {
            query?: never;
            header: {
                /** @description The protocol version; 412 otherwise */
                "Tus-Resumable": "1.0.0";
            };
            path: {
                upload_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Terminated */
            204: {
                headers: {
                    /** @description The protocol version */
                    "Tus-Resumable": "1.0.0";
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A header is missing or malformed (the code names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such upload (or another user's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Offset does not match, or the upload is finished */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The upload expired, was terminated, or was not a video */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported Tus-Resumable version */
            412: {
                headers: {
                    /** @description Versions this server speaks */
                    "Tus-Version": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Length over Tus-Max-Size, body past Upload-Length, or per-user bytes limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type is not application/offset+octet-stream, or the bytes are not a video container */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Another PATCH is writing this upload; retry */
            423: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many unfinished uploads for this user */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Checksum mismatch; the chunk was discarded */
            460: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The server is low on disk space */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    tus_head_api_uploads__upload_id__head: {
        parameters: {
            query?: never;
            header: {
                /** @description The protocol version; 412 otherwise */
                "Tus-Resumable": "1.0.0";
            };
            path: {
                upload_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The stored offset; Upload-Job-Id once finished */
            200: {
                headers: {
                    /** @description no-store */
                    "Cache-Control": string;
                    /** @description The protocol version */
                    "Tus-Resumable": "1.0.0";
                    /** @description When an unfinished upload is removed (HTTP date) */
                    "Upload-Expires"?: string;
                    /** @description The job made from the upload, once every byte is stored */
                    "Upload-Job-Id"?: string;
                    /** @description Total size in bytes */
                    "Upload-Length": number;
                    /** @description As sent at creation */
                    "Upload-Metadata"?: string;
                    /** @description The stored offset */
                    "Upload-Offset": number;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A header is missing or malformed (the code names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such upload (or another user's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Offset does not match, or the upload is finished */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The upload expired, was terminated, or was not a video */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported Tus-Resumable version */
            412: {
                headers: {
                    /** @description Versions this server speaks */
                    "Tus-Version": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Length over Tus-Max-Size, body past Upload-Length, or per-user bytes limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type is not application/offset+octet-stream, or the bytes are not a video container */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Another PATCH is writing this upload; retry */
            423: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many unfinished uploads for this user */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Checksum mismatch; the chunk was discarded */
            460: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The server is low on disk space */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    tus_patch_api_uploads__upload_id__patch: {
        parameters: {
            query?: never;
            header: {
                /** @description The protocol version; 412 otherwise */
                "Tus-Resumable": "1.0.0";
                /** @description `<algorithm> <base64 digest>` of this chunk; algorithms: sha1, sha256, md5 */
                "Upload-Checksum"?: string;
                /** @description Where this chunk starts: the stored offset */
                "Upload-Offset": number;
            };
            path: {
                upload_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/offset+octet-stream": string;
            };
        };
        responses: {
            /** @description Stored */
            204: {
                headers: {
                    /** @description The protocol version */
                    "Tus-Resumable": "1.0.0";
                    /** @description When an unfinished upload is removed (HTTP date) */
                    "Upload-Expires"?: string;
                    /** @description The job made from the upload, once every byte is stored */
                    "Upload-Job-Id"?: string;
                    /** @description The stored offset */
                    "Upload-Offset": number;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A header is missing or malformed (the code names it) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such upload (or another user's) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Offset does not match, or the upload is finished */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The upload expired, was terminated, or was not a video */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported Tus-Resumable version */
            412: {
                headers: {
                    /** @description Versions this server speaks */
                    "Tus-Version": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Length over Tus-Max-Size, body past Upload-Length, or per-user bytes limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type is not application/offset+octet-stream, or the bytes are not a video container */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Another PATCH is writing this upload; retry */
            423: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many unfinished uploads for this user */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Upload-Checksum mismatch; the chunk was discarded */
            460: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The server is low on disk space */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_webhooks_api_webhooks_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookList"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_webhook_api_webhooks_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookOut"];
                };
            };
            /** @description Bad Request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_webhook_api_webhooks__webhook_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookOut"];
                };
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_webhook_api_webhooks__webhook_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                webhook_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The request is not valid (parameters or body) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid token */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate": string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such job for this user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (rate_limited …); retry after Retry-After */
            429: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The database is not answering; retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before asking again */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    healthz_healthz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: string;
                    };
                };
            };
        };
    };
    readyz_readyz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Database, queue and a worker answer */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description A check fails; `checks` names it */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
}
