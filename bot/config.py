"""Settings read from the environment (and a .env file), checked once at start-up."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_LOCALES = ("th", "en")
DEFAULT_TIMEZONE = "Asia/Bangkok"
LINE_API_DEFAULT = "https://api.line.me"
LINE_API_DATA_DEFAULT = "https://api-data.line.me"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    """Everything fundbot reads from its environment."""

    database_url: str
    timezone: ZoneInfo
    locale: str
    province: str
    instance_path: Path
    secret_key: str
    line_channel_secret: str | None
    line_channel_access_token: str | None
    line_api_base_url: str
    # Message content (images users send) comes from a second host.
    line_api_data_url: str = LINE_API_DATA_DEFAULT

    @property
    def line_configured(self) -> bool:
        """True when real LINE credentials are set (otherwise the simulator is used)."""
        return bool(self.line_channel_secret and self.line_channel_access_token)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: os.environ plus .env)."""
        if environ is None:
            load_dotenv(Path.cwd() / ".env")
            environ = dict(os.environ)
        instance = Path(environ.get("FUNDBOT_INSTANCE_PATH") or Path.cwd() / "instance")
        return cls(
            database_url=_database_url(environ, instance),
            timezone=_timezone(environ.get("FUNDBOT_TIMEZONE", DEFAULT_TIMEZONE)),
            locale=_locale(environ.get("FUNDBOT_LOCALE", "th")),
            province=environ.get("FUNDBOT_PROVINCE", "สระบุรี").strip() or "สระบุรี",
            instance_path=instance,
            secret_key=environ.get("FUNDBOT_SECRET_KEY") or _instance_secret(instance),
            line_channel_secret=environ.get("LINE_CHANNEL_SECRET") or None,
            line_channel_access_token=environ.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
            line_api_base_url=_base_url(environ.get("LINE_API_BASE_URL", LINE_API_DEFAULT)),
            line_api_data_url=_base_url(
                environ.get("LINE_API_DATA_URL", LINE_API_DATA_DEFAULT), "LINE_API_DATA_URL"
            ),
        )


_office_zone = {"zone": ZoneInfo(DEFAULT_TIMEZONE)}


def set_office_zone(zone: ZoneInfo) -> None:
    """Make `zone` (FUNDBOT_TIMEZONE) the offices' time zone for this process."""
    _office_zone["zone"] = zone


def office_zone() -> ZoneInfo:
    """The offices' time zone: their "today", due dates, contact hours, quota months."""
    return _office_zone["zone"]


def _database_url(environ: dict[str, str], instance: Path) -> str:
    url = environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{instance / 'fundbot.sqlite3'}"
    if url.startswith("postgres://"):
        # Heroku-style URLs name the dialect the old way; SQLAlchemy wants the driver.
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        make_url(url)
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database URL: {url!r}") from None
    return url


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"FUNDBOT_TIMEZONE is not a known time zone: {name!r}") from None


def _locale(value: str) -> str:
    value = value.strip().lower()
    if value not in SUPPORTED_LOCALES:
        choices = ", ".join(SUPPORTED_LOCALES)
        raise ConfigError(f"FUNDBOT_LOCALE must be one of {choices}, not {value!r}")
    return value


def _base_url(value: str, name: str = "LINE_API_BASE_URL") -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https://, not {value!r}")
    return value


def _instance_secret(instance: Path) -> str:
    # The secret salts national-ID hashes, so it must survive restarts: keep it on disk.
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
