/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
import type { components } from "../components.gen.js";
export interface UploadsTusUploadOperations {
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
            /** @description No byte of the body arrived for REELQ_UPLOAD_IDLE_SECONDS (body_timeout) */
            408: {
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
            /** @description No byte of the body arrived for REELQ_UPLOAD_IDLE_SECONDS (body_timeout) */
            408: {
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
}
