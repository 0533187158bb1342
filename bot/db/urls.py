"""PostgreSQL URL parameters as libpq reads them, translated for asyncpg.

Managed PostgreSQL services hand out libpq URLs (`postgresql://...?sslmode=require`).
SQLAlchemy passes every query parameter to `asyncpg.connect()` as a keyword, and asyncpg
knows none of libpq's names as keywords, so each such URL crashed at the first connect.
asyncpg does parse them inside a DSN, though: the TLS and session parameters move into
a DSN of their own (`connect_args["dsn"]`, with no host, user or password in it), and
the host, port, user and password stay in the URL SQLAlchemy reads.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import URL

__all__ = ["SSL_MODES", "UrlError", "asyncpg_connect_args", "check_postgres_url"]

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_SESSION_ATTRS = ("any", "primary", "standby", "prefer-standby", "read-write", "read-only")

# Parsed by asyncpg from a DSN, with libpq's meaning.
_FOR_ASYNCPG = {
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword", "sslnegotiation",
    "ssl_min_protocol_version", "ssl_max_protocol_version", "target_session_attrs",
    "krbsrvname", "gsslib", "service", "passfile",
    "application_name",  # asyncpg sends unknown DSN parameters as server settings
}  # fmt: skip
# Read by SQLAlchemy itself (multi-host URLs, the statement cache).
_FOR_SQLALCHEMY = {"host", "port", "user", "password", "prepared_statement_cache_size"}
# libpq tuning asyncpg has no counterpart for; leaving them out changes no guarantee.
_HARMLESS = {
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "sslcompression", "load_balance_hosts",
}  # fmt: skip
# Dropping these could only weaken the connection, so "require" is refused.
_GUARANTEES = {"channel_binding", "gssencmode", "requiressl"}


class UrlError(ValueError):
    """A DATABASE_URL parameter is unknown or has a value no driver would accept."""


def _one(url: URL, name: str) -> str:
    value = url.query[name]
    return value[-1] if isinstance(value, tuple) else value


def check_postgres_url(url: URL) -> None:
    """Refuse what would otherwise fail at the first connect, with a traceback."""
    if url.host and "@" in url.host:
        raise UrlError(
            "the host contains '@': percent-encode an @ in the password as %40 "
            "(and % as %25, / as %2F, : as %3A)"
        )
    try:
        port = url.port
    except ValueError:
        raise UrlError("the port is not a number") from None
    if port is not None and not 0 < port < 65536:
        raise UrlError(f"the port {port} is outside 1-65535")
    for name in url.query:
        value = _one(url, name)
        if name in ("sslmode", "ssl") and value not in SSL_MODES:
            raise UrlError(f"{name}={value!r} is not one of {', '.join(SSL_MODES)}")
        if name == "target_session_attrs" and value not in _SESSION_ATTRS:
            raise UrlError(f"target_session_attrs={value!r} is not one of the libpq values")
        if name == "connect_timeout" and not value.isdigit():
            raise UrlError(f"connect_timeout={value!r} is not a whole number of seconds")
        if name in _GUARANTEES and value in ("require", "1"):
            raise UrlError(f"{name}={value} is not supported by Twofold's driver (asyncpg)")
        known = _FOR_ASYNCPG | _FOR_SQLALCHEMY | _HARMLESS | _GUARANTEES
        if name not in known | {"ssl", "connect_timeout"}:
            raise UrlError(f"unknown parameter {name!r}")


def asyncpg_connect_args(url: URL) -> tuple[URL, dict[str, Any]]:
    """Split `url` into what SQLAlchemy reads and the connect arguments for asyncpg."""
    check_postgres_url(url)
    libpq: dict[str, str] = {}
    connect_args: dict[str, Any] = {}
    for name in url.query:
        value = _one(url, name)
        if name in _FOR_ASYNCPG:
            libpq[name] = value
        elif name == "ssl":  # SQLAlchemy's own spelling of sslmode
            libpq.setdefault("sslmode", value)
        elif name == "connect_timeout" and int(value) > 0:  # 0 means wait forever in libpq
            connect_args["timeout"] = float(value)
    if libpq:
        connect_args["dsn"] = "postgresql://?" + urlencode(libpq)
    kept = {name: url.query[name] for name in url.query if name in _FOR_SQLALCHEMY}
    return url.set(query=kept), connect_args
