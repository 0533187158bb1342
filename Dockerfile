# syntax=docker/dockerfile:1
# Twofold: multi-stage build. The first stage resolves the locked dependencies with uv,
# the second carries only the virtual environment and runs as an unprivileged user.

FROM python:3.12-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never PIP_NO_CACHE_DIR=1
RUN pip install --disable-pip-version-check "uv>=0.5,<1"
WORKDIR /app
# Dependencies first, so code changes do not invalidate this layer.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY bot ./bot
COPY exercises ./exercises
COPY migrations ./migrations
# --no-editable installs the wheel, which carries exercises/ and migrations/ inside it.
RUN uv sync --locked --no-dev --no-editable

FROM python:3.12-slim
RUN useradd --system --uid 10001 --create-home --home-dir /home/twofold twofold \
    && mkdir -p /data && chown twofold /data
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/twofold.db \
    HEARTBEAT_FILE=/data/heartbeat
WORKDIR /data
USER twofold
VOLUME ["/data"]
EXPOSE 8080
# The bot refreshes its heartbeat from its own scheduler; no call to Telegram here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["twofold", "health"]
# `twofold run` upgrades the schema first (safe with several instances), then starts.
CMD ["twofold", "run"]
