"""The compose file, Dockerfile and release files say what docs/operations.md promises.

No Docker engine runs in CI, so the compose file is read as compose reads it: YAML,
then `${VAR:-default}` interpolation from the environment.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot import __version__
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
# gnu.org's agpl-3.0.txt, byte for byte.
AGPL_3_MD5 = "73f1eb20517c55bf9493b7dd6e480788"

_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation for the forms this project uses."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        value = env.get(name)
        unset = not value if op in (":-", ":?") else value is None
        if op and unset:
            if op.endswith("?"):
                raise ValueError(f"{name}: {arg}")
            return arg
        return value or ""

    return _VARIABLE.sub(one, value)


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return interpolate(node, env or {})
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return {key: walk(item) for key, item in node.items()}
        return node

    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return dict(walk(loaded))


@pytest.mark.parametrize(
    ("env", "published"),
    [
        ({}, "127.0.0.1:8080:8080"),
        ({"PORT": "9000"}, "127.0.0.1:9000:9000"),
        ({"PORT": "443", "BIND_ADDRESS": "0.0.0.0"}, "0.0.0.0:443:443"),  # noqa: S104
    ],
)
def test_the_published_port_follows_port_on_loopback_by_default(
    env: dict[str, str], published: str
) -> None:
    services = compose(env)["services"]
    assert services["bot"]["ports"] == [published]
    assert services["caddy"]["environment"]["BOT_PORT"] == env.get("PORT", "8080")


def test_postgres_is_pinned_persistent_and_health_checked() -> None:
    db = compose()["services"]["db"]
    assert re.fullmatch(r"postgres:\d+\.\d+", db["image"]), "major.minor, not a floating tag"
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "POSTGRES_PASSWORD" not in db["environment"]
    assert db["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"


def test_the_password_reaches_the_bot_as_a_file_whatever_its_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = compose()
    bot = document["services"]["bot"]
    assert "postgres_password" in bot["secrets"] and "postgres_password" in document["secrets"]
    url = bot["environment"]["DATABASE_URL"]
    assert make_url(url).password is None, "no password inside the URL"
    assert "${" not in url
    secret = tmp_path / "postgres_password"
    secret.write_text("50%@off/:#?\n")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATABASE_PASSWORD_FILE", str(secret))
    monkeypatch.delenv("DATABASE_PASSWORD", raising=False)

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    parsed = make_url(settings.database_url)
    assert (parsed.password, parsed.host, parsed.database) == ("50%@off/:#?", "db", "twofold")
    assert bot["environment"]["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"


def test_every_service_restarts_and_rotates_its_logs() -> None:
    for name, service in compose()["services"].items():
        assert service["restart"] == "unless-stopped", name
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert {"max-size", "max-file"} <= set(logging["options"]), name


def test_the_caddy_profile_proxies_tls_to_the_bot() -> None:
    caddy = compose()["services"]["caddy"]
    assert caddy["profiles"] == ["caddy"]
    assert re.fullmatch(r"caddy:\d+\.\d+", caddy["image"])
    mount = next(v for v in caddy["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro"))
    caddyfile = (ROOT / mount.split(":")[0]).read_text()
    assert "{$DOMAIN}" in caddyfile and "reverse_proxy bot:{$BOT_PORT}" in caddyfile
    assert "respond @internal 404" in caddyfile, "metrics stay off the public address"


def test_the_image_runs_the_python_ci_tests() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    minimum = re.fullmatch(r">=(\d+\.\d+)", pyproject["project"]["requires-python"])
    assert minimum is not None
    pinned = (ROOT / ".python-version").read_text().strip()
    images = re.findall(r"^FROM python:(\d+\.\d+)-", (ROOT / "Dockerfile").read_text(), re.M)
    assert images and set(images) == {pinned} == {minimum.group(1)}
    assert pyproject["tool"]["mypy"]["python_version"] == pinned
    assert "LICENSE" in (ROOT / "Dockerfile").read_text(), "the wheel build needs it"


def test_dependencies_are_the_ones_used() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    telegram = next(d for d in dependencies if d.startswith("python-telegram-bot"))
    assert "rate-limiter" not in telegram, "bot/delivery/limiter.py is the rate limiter"
    assert any(d.startswith("tzdata") for d in dependencies)


def test_the_license_is_the_full_agpl_and_ships_in_the_packages() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.md5(text).hexdigest() == AGPL_3_MD5  # noqa: S324 (an identity, not security)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "AGPL-3.0-or-later"
    assert project["license-files"] == ["LICENSE"]


def test_release_files_exist_and_the_changelog_knows_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(__version__)}\]?", changelog, re.M)
    assert "Upgrade notes" in changelog
    for name in ("SECURITY.md", "CONTRIBUTING.md", "docs/operations.md"):
        assert (ROOT / name).stat().st_size > 500, name


def test_pre_commit_runs_ruff_and_mypy_through_uv() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy"} <= set(hooks)
    assert all(hook["entry"].startswith("uv run") for hook in hooks.values())
