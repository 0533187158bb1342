# syntax=docker/dockerfile:1
# Twofold: multi-stage build. The first stage resolves the locked dependencies with uv,
# the second carries only the virtual environment and runs as an unprivileged user.
# Python 3.11: the version CI tests (.python-version, requires-python, .ci/run).

FROM python:3.11-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never PIP_NO_CACHE_DIR=1
RUN pip install --disable-pip-version-check "uv>=0.5,<1"
WORKDIR /app
# Dependencies first, so code changes do not invalidate this layer.
COPY pyproject.toml uv.lock README.md LICENSE ./
RUN uv sync --locked --no-dev --no-install-project
COPY bot ./bot
COPY exercises ./exercises
COPY migrations ./migrations
# --no-editable installs the wheel, which carries exercises/ and migrations/ inside it.
RUN uv sync --locked --no-dev --no-editable

FROM python:3.11-slim-bookworm
# `twofold backup` on PostgreSQL needs pg_dump of the server's major version (compose
# passes 16, matching its database); empty: no client tools, back up from elsewhere.
ARG PG_CLIENT_VERSION=""
RUN if [ -n "$PG_CLIENT_VERSION" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends ca-certificates curl \
      && install -d /usr/share/postgresql-common/pgdg \
      && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
           https://www.postgresql.org/media/keys/ACCC4CF8.asc \
      && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
           > /etc/apt/sources.list.d/pgdg.list \
      && apt-get update \
      && apt-get install -y --no-install-recommends "postgresql-client-$PG_CLIENT_VERSION" \
      && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*; \
    fi
RUN useradd --system --uid 10001 --create-home --home-dir /home/twofold twofold \
    && mkdir -p /data && chown twofold /data
COPY --from=build /app/.venv /app/.venv
COPY LICENSE /usr/share/doc/twofold/LICENSE
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
