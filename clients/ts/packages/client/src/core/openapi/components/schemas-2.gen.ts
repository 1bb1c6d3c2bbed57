/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
import type { components } from "../components.gen.js";
export interface Schemas2 {
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
}
