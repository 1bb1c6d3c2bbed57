"""The tus operations' headers in the OpenAPI document.

The tus routes read their headers by hand (the protocol lives in ``reelq.uploads.tus``), so FastAPI
cannot see them. Without this a client generator knows neither ``Upload-Offset`` nor the
``application/offset+octet-stream`` body, and a fuzzer sends requests the server can only refuse.
"""

from __future__ import annotations

from typing import Any

from reelq.api.openapi_parts import RETRY_AFTER, header, parameter, problem
from reelq.uploads.tus_headers import CHECKSUM_ALGORITHMS, OFFSET_STREAM, TUS_EXTENSIONS, TUS_VERSION

COLLECTION = "/api/uploads/"
RESOURCE = "/api/uploads/{upload_id}"

_COUNT = {"type": "integer", "minimum": 0}
_VERSION = {"type": "string", "enum": [TUS_VERSION]}

TUS_RESUMABLE = parameter("Tus-Resumable", "The protocol version; 412 otherwise", _VERSION, required=True)
UPLOAD_LENGTH = parameter("Upload-Length", "Total size of the file in bytes", _COUNT, required=True)
UPLOAD_OFFSET = parameter("Upload-Offset", "Where this chunk starts: the stored offset", _COUNT, True)
UPLOAD_METADATA = parameter(
    "Upload-Metadata",
    "Comma list of `key base64(value)`; keys: filename, filetype, push_token, analyzer, metadata",
    {"type": "string"},
)
UPLOAD_CHECKSUM = parameter(
    "Upload-Checksum",
    f"`<algorithm> <base64 digest>` of this chunk; algorithms: {', '.join(CHECKSUM_ALGORITHMS)}",
    {"type": "string"},
)
METHOD_OVERRIDE = parameter(
    "X-HTTP-Method-Override",
    "For clients that can send only POST",
    {"type": "string", "enum": ["PATCH", "DELETE"]},
    required=True,
)

_BYTES = {"schema": {"type": "string", "format": "binary"}}

_SERVER_RESUMABLE = {"Tus-Resumable": header("The protocol version", _VERSION, required=True)}
_EXPIRES = header("When an unfinished upload is removed (HTTP date)")
_JOB_ID = header("The job made from the upload, once every byte is stored")
_OFFSET = header("The stored offset", _COUNT, required=True)


def _errors() -> dict[str, Any]:
    return {
        "400": problem("A header is missing or malformed (the code names it)"),
        "401": problem("Missing or invalid token", {"WWW-Authenticate": header("Bearer", required=True)}),
        "404": problem("No such upload (or another user's)"),
        "409": problem("Upload-Offset does not match, or the upload is finished"),
        "410": problem("The upload expired, was terminated, or was not a video"),
        "412": problem(
            "Unsupported Tus-Resumable version",
            {"Tus-Version": header("Versions this server speaks", required=True)},
        ),
        "413": problem("Upload-Length over Tus-Max-Size, body past Upload-Length, or per-user bytes limit"),
        "415": problem(f"Content-Type is not {OFFSET_STREAM}, or the bytes are not a video container"),
        "423": problem("Another PATCH is writing this upload; retry"),
        "429": problem("Too many unfinished uploads for this user", {"Retry-After": RETRY_AFTER}),
        "460": problem("Upload-Checksum mismatch; the chunk was discarded"),
        "503": problem("The database is not answering", {"Retry-After": RETRY_AFTER}),
        "507": problem("The server is low on disk space"),
    }


def _merge(operation: dict[str, Any], params: list[dict[str, Any]], answers: dict[str, Any]) -> None:
    known = {p["name"].lower() for p in operation.get("parameters", [])}
    operation.setdefault("parameters", []).extend(p for p in params if p["name"].lower() not in known)
    responses = operation.setdefault("responses", {})
    responses.update(_errors())
    responses.update(answers)


def _stored(description: str, *, created: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = {
        **_SERVER_RESUMABLE,
        "Upload-Offset": {**_OFFSET, "required": not created},
        "Upload-Expires": _EXPIRES,
        "Upload-Job-Id": _JOB_ID,
    }
    if created:
        headers["Location"] = header("URL of the new upload", required=True)
    return {"description": description, "headers": headers}


def document(doc: dict[str, Any]) -> None:
    paths = doc.get("paths", {})
    if COLLECTION not in paths or RESOURCE not in paths:
        return
    chunk = {"required": False, "content": {OFFSET_STREAM: _BYTES}}

    options = paths[COLLECTION]["options"]
    options["responses"] = {
        "204": {
            "description": "What this server supports",
            "headers": {
                **_SERVER_RESUMABLE,
                "Tus-Version": header(TUS_VERSION, required=True),
                "Tus-Extension": header(TUS_EXTENSIONS, required=True),
                "Tus-Max-Size": header("Largest Upload-Length in bytes", _COUNT, required=True),
                "Tus-Checksum-Algorithm": header(",".join(CHECKSUM_ALGORITHMS), required=True),
            },
        }
    }

    create = paths[COLLECTION]["post"]
    create["requestBody"] = {**chunk, "description": "creation-with-upload: the first bytes"}
    _merge(
        create,
        [TUS_RESUMABLE, UPLOAD_LENGTH, UPLOAD_METADATA, UPLOAD_CHECKSUM],
        {"201": _stored("Created; Location names the upload", created=True)},
    )

    head = paths[RESOURCE]["head"]
    state = _stored("The stored offset; Upload-Job-Id once finished")
    state["headers"]["Upload-Length"] = header("Total size in bytes", _COUNT, required=True)
    state["headers"]["Upload-Metadata"] = header("As sent at creation")
    state["headers"]["Cache-Control"] = header("no-store", required=True)
    _merge(head, [TUS_RESUMABLE], {"200": state})

    patch = paths[RESOURCE]["patch"]
    patch["requestBody"] = {"required": True, "content": {OFFSET_STREAM: _BYTES}}
    _merge(patch, [TUS_RESUMABLE, UPLOAD_OFFSET, UPLOAD_CHECKSUM], {"204": _stored("Stored")})

    delete = paths[RESOURCE]["delete"]
    _merge(delete, [TUS_RESUMABLE], {"204": {"description": "Terminated", "headers": _SERVER_RESUMABLE}})

    override = paths[RESOURCE]["post"]
    override["requestBody"] = {**chunk, "description": "The PATCH body when overriding with PATCH"}
    override_offset = {**UPLOAD_OFFSET, "required": False, "description": "Required with PATCH"}
    _merge(
        override,
        [TUS_RESUMABLE, METHOD_OVERRIDE, override_offset, UPLOAD_CHECKSUM],
        {
            "204": _stored("Stored (PATCH) or terminated (DELETE)"),
            "405": problem("X-HTTP-Method-Override names neither PATCH nor DELETE"),
        },
    )
    override["responses"]["204"]["headers"]["Upload-Offset"]["required"] = False
