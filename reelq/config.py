"""Settings, read from the environment (``REELQ_`` prefix) and an optional ``.env`` file.

Only the edges (``cli.py``, ``app.py``) call :func:`get_settings`; everything else takes values as arguments.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from reelq.storage.url import parse_storage_url

GiB = 1024**3

# Login-token algorithms that may be configured (see reelq/auth/algorithms.py): asymmetric only.
MAX_TOKEN_CHARS = 16_384  # the longest bearer token accepted (login tokens with many claims included)
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def check_algorithms(names: list[str]) -> list[str]:
    """The accepted algorithms, refusing ``none`` and the HMAC family: the verifying key is public, so a
    token "signed" with it under HS256 must never verify."""
    if not names:
        raise ValueError("at least one algorithm is needed")
    for name in names:
        if name not in ASYMMETRIC:
            raise ValueError(f"{name!r} is not accepted; use some of {', '.join(sorted(ASYMMETRIC))}")
    return names


# scheme://host[:port], no path: what a browser sends in its Origin header.
_ORIGIN_RE = re.compile(r"^https?://[^/\s]+$")


class AnalyzerLimits(BaseModel):
    """One analyzer's own limits (``REELQ_ANALYZER_LIMITS``); ``None`` keeps the worker's default."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float | None = Field(None, gt=0)
    memory_limit_mb: int | None = Field(None, ge=0)
    concurrency: int | None = Field(None, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELQ_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./reelq-data"), description="Uploads, artifacts and the SQLite files.")
    storage_url: str = Field(
        "",
        description="Where sources, artifacts and finished uploads live: empty for the data dir, or "
        "s3://BUCKET/PREFIX?endpoint=…&region=…&path_style=true (docs/deployment.md).",
    )
    database_url: str | None = Field(None, description="Job store; default: SQLite file in the data dir.")
    queue_url: str | None = Field(
        None, description="Dispatch; default: SQLite file in the data dir. redis:// selects Redis."
    )
    host: str = Field("127.0.0.1", description="Address `reelq serve` listens on.")
    port: int = Field(8000, description="Port `reelq serve` listens on.")
    embedded_worker: bool = Field(True, description="Run the job consumer inside the API process.")
    worker_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Jobs run at once per worker."
    )
    analyzer: str = Field("video", description="Default analyzer: a registered name or module:function.")
    analyzers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="More analyzers uploads may name (comma list: registered names or module:function); "
        "by default uploads may name the registered ones and the default.",
    )
    worker_analyzers: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="The analyzers a worker runs (comma list; `reelq worker --analyzers`); "
        "by default every analyzer uploads may name.",
    )
    analyzer_limits: dict[str, AnalyzerLimits] = Field(
        default_factory=dict,
        description="Per-analyzer time limit (s), memory limit (MiB) and concurrency, as JSON: "
        '{"pose": {"time_limit": 7200, "memory_limit_mb": 0, "concurrency": 1}}; unset fields use the '
        "REELQ_JOB_TIME_LIMIT, REELQ_JOB_MEMORY_LIMIT_MB and REELQ_WORKER_CONCURRENCY defaults.",
    )
    max_upload_bytes: int = Field(2 * GiB, ge=1, description="Largest accepted upload.")
    disk_reserve_bytes: int = Field(1 * GiB, ge=0, description="Uploads are refused (507) below this.")
    lease_seconds: float = Field(60.0, gt=0, description="How long a claim lasts without a heartbeat.")
    heartbeat_seconds: float = Field(10.0, gt=0, description="How often a running job renews its lease.")
    max_attempts: int = Field(3, ge=1, description="Attempts before a transient error fails the job.")
    retry_base_seconds: float = Field(30.0, ge=0, description="First retry delay; doubles each attempt.")
    job_time_limit: float = Field(1800.0, gt=0, description="Hard wall-clock limit of one analysis.")
    job_memory_limit_mb: int = Field(3072, ge=0, description="Address-space limit of the analysis (0: none).")
    child_max_jobs: int = Field(
        1000, ge=1, description="Jobs one warm analysis process runs before it is replaced."
    )
    child_max_memory_mb: int = Field(
        1024, ge=0, description="A warm analysis process larger than this after a job is replaced (0: never)."
    )
    reaper_seconds: float = Field(15.0, gt=0, description="How often expired leases are recovered.")
    worker_heartbeat_seconds: float = Field(
        2.0, gt=0, description="How often a worker records that it is alive (one small write)."
    )
    worker_dead_seconds: float = Field(
        10.0,
        gt=0,
        description="A worker silent this long is declared dead and its jobs run again at once; on its "
        "own host a worker is dead as soon as its process is gone.",
    )
    redispatch_seconds: float = Field(60.0, gt=0, description="Re-send queued jobs not picked up by then.")
    max_wait_seconds: int = Field(60, ge=0, le=300, description="Upper bound of `?wait=` long polls.")
    retention_days: float = Field(
        0.0, ge=0, description="Finished jobs older than this are deleted with their files (0: keep all)."
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="Tokens are re-checked after this; a revocation reaches other processes by then.",
    )
    status_cache_seconds: float = Field(
        0.25, ge=0, description="Status answers may be this old under heavy polling (0: always fresh)."
    )
    signing_secret: SecretStr | None = Field(
        None,
        description="Key of signed artifact URLs; default: random, kept in <data dir>/signing.key (0600).",
    )
    artifact_url_seconds: int = Field(
        3600, ge=60, description="Signed artifact URLs in job answers stay valid at least half this long."
    )
    # -- resumable uploads (tus) and browser access ------------------------------------------
    upload_expiry_seconds: float = Field(
        24 * 3600.0, gt=0, description="An incomplete tus upload expires this long after its last PATCH."
    )
    max_incomplete_uploads: int = Field(
        10, ge=1, description="Incomplete tus uploads one user may have at once (429 beyond)."
    )
    max_incomplete_upload_bytes: int = Field(
        8 * GiB, ge=1, description="Total declared bytes of one user's incomplete tus uploads (413 beyond)."
    )
    upload_lock_seconds: float = Field(
        10.0, gt=0, description="A tus PATCH's lock lease; renewed while bytes arrive, taken over once stale."
    )
    upload_idle_seconds: float = Field(
        60.0,
        gt=0,
        description="An upload that receives nothing this long is ended (a tus PATCH keeps what it got).",
    )
    max_concurrent_uploads: int = Field(
        4, ge=1, description="Multipart uploads one user may stream at once per process (429 beyond)."
    )
    upload_sweep_seconds: float = Field(60.0, gt=0, description="How often expired tus uploads are removed.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed by CORS (comma list, or `*`); empty: no CORS answers.",
    )
    max_header_bytes: int = Field(
        64 * 1024, ge=1024, description="Largest request line plus headers `reelq serve` reads (431 beyond)."
    )
    header_timeout_seconds: float = Field(
        15.0, gt=0, description="A connection whose request headers are not complete by then is closed."
    )
    metrics_token: SecretStr | None = Field(
        None, description="When set, `/metrics` needs `Authorization: Bearer <this>` (401 otherwise)."
    )
    opentelemetry: bool = Field(
        False,
        description="FastAPI's OpenTelemetry spans, metrics and logs per request (needs an OpenTelemetry SDK "
        "set up in the process); off: the check alone costs every poll CPU.",
    )
    log_format: Literal["text", "json"] = Field("text", description="`json` for one JSON object per line.")
    log_level: str = Field("INFO", description="Python logging level.")
    # -- notifications: Expo push and webhooks (reelq/notify, docs/notifications.md) ---------------
    expo_api_url: str = Field(
        "https://exp.host/--/api/v2/push", description="Expo push API base (`/send`, `/getReceipts`)."
    )
    expo_access_token: SecretStr | None = Field(
        None, description="Expo access token, needed once enhanced push security is on."
    )
    expo_timeout_seconds: float = Field(15.0, gt=0, description="Timeout of one request to Expo.")
    expo_max_retries: int = Field(3, ge=0, description="Retries of one Expo request (429, 5xx, network).")
    expo_retry_base_seconds: float = Field(1.0, ge=0, description="First Expo retry delay; then doubles.")
    expo_max_per_second: int = Field(
        550, ge=1, le=600, description="Notifications per second this process sends (Expo allows 600)."
    )
    expo_receipt_delay_seconds: float = Field(
        900.0, ge=0, description="Receipts are fetched this long after a send (Expo: about 15 min)."
    )
    expo_collapse_duplicates: bool = Field(
        False, description="Send `collapseId`/`tag` = job id: a duplicate replaces the first on the device."
    )
    push_url_template: str = Field(
        "reelq://results/{job_id}", description="Deep link in `data.url` of a push; `{job_id}` is replaced."
    )
    push_lease_seconds: float = Field(
        120.0, gt=0, description="A send in flight is retried by another worker after this long."
    )
    notify_max_attempts: int = Field(8, ge=1, description="Sends of one notification before it is given up.")
    notify_retry_base_seconds: float = Field(10.0, ge=0, description="First resend delay of a notification.")
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="Timeout of one webhook delivery.")
    webhook_max_failures: int = Field(
        10, ge=1, description="A webhook endpoint is disabled after this many failures in a row."
    )
    webhook_allow_http: bool = Field(
        False,
        description="Accept plain http:// webhook URLs for any host (without it, http:// is accepted only "
        "for loopback hosts, and those only with REELQ_WEBHOOK_ALLOW_PRIVATE).",
    )
    webhook_allow_private: bool = Field(
        False,
        description="Deliver webhooks to loopback/private/link-local addresses (off: users cannot reach "
        "services inside your network).",
    )
    max_streams_per_user: int = Field(
        16,
        ge=1,
        description="Event streams and `?wait=` long polls one user may hold open at once per process "
        "(429 beyond).",
    )

    # -- identity, admin API and limits (docs/auth.md) --------------------------------------------
    auth_issuer: str | None = Field(
        None, description="OIDC issuer of the app's login; its discovery document names the JWKS."
    )
    auth_jwks_url: str | None = Field(None, description="JWKS URL of the login (instead of discovery).")
    auth_audience: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Accepted `aud` values of login tokens (comma list)."
    )
    auth_algorithms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["RS256", "ES256", "EdDSA"],
        description="Accepted signature algorithms of login tokens (asymmetric only).",
    )
    auth_user_claim: str = Field("sub", description="Claim of a login token that names the user.")
    auth_leeway_seconds: float = Field(30.0, ge=0, le=600, description="Clock skew allowed on exp/nbf/iat.")
    auth_jwks_cache_seconds: float = Field(300.0, gt=0, description="The JWKS is fetched again after this.")
    auth_jwks_refresh_seconds: float = Field(
        30.0, ge=0, description="Least time between JWKS fetches caused by an unknown `kid`."
    )
    auth_http_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of a discovery or JWKS fetch.")
    limit_storage_bytes: int = Field(
        50 * GiB, ge=0, description="Bytes of uploads one user may keep (0: no limit; 507 beyond)."
    )
    limit_jobs_per_day: int = Field(2000, ge=0, description="Jobs one user may create per UTC day (0: none).")
    limit_concurrent_jobs: int = Field(
        50, ge=0, description="Queued plus running jobs one user may have (0: no limit)."
    )
    limit_uploads_per_minute: int = Field(
        120, ge=0, description="Uploads one user may start per minute (0: no limit)."
    )
    limit_requests_per_second: int = Field(
        50, ge=0, description="Requests per second per token (0: no limit)."
    )
    limit_anonymous_requests_per_second: int = Field(
        20, ge=0, description="Requests per second per client address without a valid token (0: none)."
    )
    max_json_body_bytes: int = Field(
        64 * 1024,
        ge=1024,
        description="Largest body of a request that is not an upload (413 beyond); read only after the "
        "token or session is checked, and ended after `REELQ_UPLOAD_IDLE_SECONDS` without a byte (408).",
    )
    console_admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="User names (comma list) who are administrators, as if made with `--admin`: the "
        "console's admin page and the admin API.",
    )

    @field_validator("auth_audience", "auth_algorithms", "console_admins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("auth_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        return check_algorithms(value)

    @field_validator("analyzer")
    @classmethod
    def _known_analyzer(cls, value: str) -> str:
        from reelq.analysis.registry import check_configured

        return check_configured(value)

    @field_validator("analyzers", "worker_analyzers", mode="before")
    @classmethod
    def _analyzer_list(cls, value: object) -> object:
        from reelq.analysis.registry import check_configured

        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [check_configured(str(name)) for name in value]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for origin in value:
                if origin != "*" and not _ORIGIN_RE.match(str(origin)):
                    raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return value

    @field_validator("storage_url")
    @classmethod
    def _storage(cls, value: str) -> str:
        parse_storage_url(value)  # refuse a bad URL at start-up, not at the first upload
        return value.strip()

    @model_validator(mode="after")
    def _shared_secret_with_a_bucket(self) -> Settings:
        # Each node has its own data dir then: a key made in one would not verify URLs on another.
        if self.storage_url and self.signing_secret is None:
            raise ValueError(
                "with REELQ_STORAGE_URL set, set REELQ_SIGNING_SECRET too (the same on every node), "
                "so any node verifies the signed artifact URLs another node made"
            )
        return self

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'reelq.db').resolve()}"

    @property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{(self.data_dir / 'queue.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_table(*more: type[BaseSettings]) -> str:
    """The configuration table of README.md (``reelq config --markdown`` prints it): ``Settings`` and the
    settings of the parts read elsewhere (``more``: the console's ``REELQ_CONSOLE_*`` …)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    models: tuple[type[BaseSettings], ...] = (Settings, *more)
    for model in models:
        prefix = str(model.model_config.get("env_prefix", "REELQ_"))
        for name, field in model.model_fields.items():
            if field.default_factory is not None:
                default = "number of CPUs" if name == "worker_concurrency" else repr(field.default_factory())  # type: ignore[call-arg]
            elif field.default is None:
                default = "—"
            else:
                default = str(field.default)
            rows.append(f"| `{prefix}{name.upper()}` | `{default}` | {field.description or ''} |")
    return "\n".join(rows)


def settings_lines(values: Sequence[BaseSettings], redact: Callable[[str], str]) -> list[str]:
    """``VARIABLE=value`` for every setting of ``values`` (``reelq config``): URLs through ``redact``
    (their passwords), tokens and secrets hidden."""
    lines = []
    for model in values:
        prefix = str(model.model_config.get("env_prefix", "REELQ_"))
        for name, value in model.model_dump().items():
            shown = value
            if name.endswith("_url") and value:
                shown = redact(str(value))
            if ("token" in name or "secret" in name or "password" in name) and value:
                shown = "***"
            lines.append(f"{prefix}{name.upper()}={shown}")
    return lines


_EXAMPLES = {
    "cors_origins": "https://app.example.com,https://admin.example.com",
    "analyzers": "video,probe",
    "console_admins": "root,ops",
    "worker_analyzers": "video",
    "analyzer_limits": '{"video": {"concurrency": 1}}',
    "database_url": "postgresql://reelq:secret@db:5432/reelq",
    "queue_url": "redis://127.0.0.1:6379/0",
    "log_level": "DEBUG",
    "log_format": "json",
    "metrics_token": "a-long-random-string",
    "expo_access_token": "your-expo-access-token",
}


def _example(name: str) -> str:
    if name in _EXAMPLES:
        return _EXAMPLES[name]
    field = Settings.model_fields.get(name)
    if field is None:
        return "…"
    if field.default_factory is not None:
        return "2" if name == "worker_concurrency" else "…"
    return str(field.default).lower() if isinstance(field.default, bool) else str(field.default)


def settings_problems(exc: Exception) -> list[str]:
    """One line per bad setting: the variable, what is wrong and an example (no traceback).

    ``exc`` is a pydantic ``ValidationError`` (a value of the wrong form) or a pydantic-settings
    ``SettingsError`` (a value that could not even be decoded).
    """
    from pydantic import ValidationError

    lines: list[str] = []
    if isinstance(exc, ValidationError):
        for err in exc.errors(include_url=False):
            name = str(err["loc"][0]) if err["loc"] else ""
            var = f"REELQ_{name.upper()}"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{var}: {msg} (example: {var}={_example(name)})")
        return lines
    match = re.search(r'field "?(\w+)"?', str(exc))
    name = match.group(1) if match else ""
    var = f"REELQ_{name.upper()}" if name else "a REELQ_ setting"
    return [f"{var}: cannot be read (example: {var}={_example(name)})"]
