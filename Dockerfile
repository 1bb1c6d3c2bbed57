# reelq: one image for the API (`reelq serve --no-worker`) and the workers (`reelq worker`).
# PyAV and opencv-python-headless wheels bundle their native libraries; nothing else to install.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    REELQ_DATA_DIR=/data \
    REELQ_HOST=0.0.0.0 \
    PATH=/app/.venv/bin:$PATH

RUN pip install --no-cache-dir uv && useradd --uid 1000 --create-home reelq && mkdir /data && chown reelq /data
WORKDIR /app
# dependencies first (cached while only the code changes), exactly as uv.lock pins them
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY reelq ./reelq
RUN uv sync --frozen --no-dev

USER reelq
VOLUME ["/data"]
EXPOSE 8000
# tini-style init comes from `init: true` in compose.yaml: SIGTERM reaches reelq, which hands back leases.
CMD ["reelq", "serve", "--no-worker"]
