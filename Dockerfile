# reelq: one image. A bare `docker run -p 8000:8000 -v reelq-data:/data reelq` is a complete server (API plus
# embedded worker); compose.yaml runs the same image as an API (`reelq serve --no-worker`) and workers.
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
COPY clients/python ./clients/python
RUN uv sync --frozen --no-dev --no-install-project
COPY reelq ./reelq
RUN uv sync --frozen --no-dev

USER reelq
VOLUME ["/data"]
EXPOSE 8000
# tini-style init comes from `init: true` in compose.yaml (or `docker run --init`): SIGTERM reaches reelq,
# which lets running jobs finish for a few seconds and hands back the leases of the others.
CMD ["reelq", "serve", "--host", "0.0.0.0"]
