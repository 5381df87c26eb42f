"""Settings read from the environment (and a .env file), checked once at start-up.

A bad setting is one line naming it, in the configured language once FUNDBOT_LOCALE is
known (a bad FUNDBOT_LOCALE itself can only be reported in English).
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.i18n import _, use_locale
from models.base import SUPPORTED_DATABASES

SUPPORTED_LOCALES = ("th", "en")
DEFAULT_TIMEZONE = "Asia/Bangkok"
LINE_API_DEFAULT = "https://api.line.me"
LINE_API_DATA_DEFAULT = "https://api-data.line.me"


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""

    def __init__(self, message: str, locale: str = "en") -> None:
        super().__init__(message)
        # The language the message is in (English until FUNDBOT_LOCALE is known).
        self.locale = locale


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
    # Where LINE fetches the images the bot sends (payment QR codes): https, as LINE requires.
    # Unset: no image goes to LINE, and the chat simulator shows it from this server.
    public_url: str | None = None

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
        locale = _locale(environ.get("FUNDBOT_LOCALE", "th"))
        with use_locale(locale):
            try:
                return cls._checked(environ, locale)
            except ConfigError as exc:
                exc.locale = locale
                raise

    @classmethod
    def _checked(cls, environ: dict[str, str], locale: str) -> Settings:
        instance = _instance_folder(environ.get("FUNDBOT_INSTANCE_PATH"))
        return cls(
            database_url=_database_url(environ, instance),
            timezone=_timezone(environ.get("FUNDBOT_TIMEZONE", DEFAULT_TIMEZONE)),
            locale=locale,
            province=environ.get("FUNDBOT_PROVINCE", "สระบุรี").strip() or "สระบุรี",
            instance_path=instance,
            secret_key=environ.get("FUNDBOT_SECRET_KEY") or _instance_secret(instance),
            line_channel_secret=environ.get("LINE_CHANNEL_SECRET") or None,
            line_channel_access_token=environ.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
            line_api_base_url=_base_url(environ.get("LINE_API_BASE_URL", LINE_API_DEFAULT)),
            line_api_data_url=_base_url(
                environ.get("LINE_API_DATA_URL", LINE_API_DATA_DEFAULT), "LINE_API_DATA_URL"
            ),
            public_url=_public_url(environ.get("FUNDBOT_PUBLIC_URL", "")),
        )


_office_zone = {"zone": ZoneInfo(DEFAULT_TIMEZONE)}


def set_office_zone(zone: ZoneInfo) -> None:
    """Make `zone` (FUNDBOT_TIMEZONE) the offices' time zone for this process."""
    _office_zone["zone"] = zone


def office_zone() -> ZoneInfo:
    """The offices' time zone: their "today", due dates, contact hours, quota months."""
    return _office_zone["zone"]


def _instance_folder(value: str | None) -> Path:
    """The instance folder, created if missing; it must be a folder fundbot can write in."""
    path = Path(value) if value else Path.cwd() / "instance"
    # Running as root, os.access says yes even where writes fail (a read-only mount, an
    # immutable folder), so the folder is tried with a real file.
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        blocker = _file_in_the_way(path)
        if blocker is not None:
            raise ConfigError(
                _(
                    "FUNDBOT_INSTANCE_PATH %(path)s must be a folder, but %(file)s is a file",
                    path=path,
                    file=blocker,
                )
            ) from None
        raise ConfigError(
            _(
                "FUNDBOT_INSTANCE_PATH %(path)s cannot be written: %(reason)s",
                path=path,
                reason=os_reason(exc),
            )
        ) from None
    return path


def _file_in_the_way(path: Path) -> Path | None:
    """The path itself or the ancestor of it that is a file, if any."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


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
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(_("DATABASE_URL is not a database URL: %(url)s", url=repr(url))) from None
    if parsed.drivername not in SUPPORTED_DATABASES:
        raise ConfigError(
            _(
                "DATABASE_URL must be sqlite:///PATH or postgresql://USER@HOST/DATABASE, "
                "not %(url)s",
                url=_shown(parsed),
            )
        )
    if parsed.drivername.startswith("sqlite"):
        _sqlite_folder(parsed)
    return url


def _sqlite_folder(url: URL) -> None:
    """The SQLite file's folder must exist (or be creatable) and be a folder."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = _file_in_the_way(path.parent)
        reason = (
            _("%(file)s is a file, not a folder", file=blocker)
            if blocker is not None
            else os_reason(exc)
        )
        raise ConfigError(
            _(
                "DATABASE_URL names the SQLite file %(path)s, whose folder cannot be "
                "created: %(reason)s",
                path=path,
                reason=reason,
            )
        ) from None
    if path.is_dir():
        raise ConfigError(
            _("DATABASE_URL names %(path)s, which is a folder, not a SQLite file", path=path)
        )


def _shown(url: URL) -> str:
    """A URL as it may be printed: without its password."""
    return url.render_as_string(hide_password=True)


def os_reason(exc: OSError) -> str:
    """What the operating system said, in words for the operator."""
    reasons = {
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("permission denied"),
        errno.EROFS: _("the file system is read-only"),
        errno.ENOSPC: _("the disk is full"),
        errno.ENOTDIR: _("part of the path is a file"),
    }
    return reasons.get(exc.errno, exc.strerror or exc.__class__.__name__)


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _("FUNDBOT_TIMEZONE is not a known time zone: %(name)s", name=repr(name))
        ) from None


def _locale(value: str) -> str:
    # Reported in English: the language to report in is what is wrong.
    value = value.strip().lower()
    if value not in SUPPORTED_LOCALES:
        choices = ", ".join(SUPPORTED_LOCALES)
        raise ConfigError(f"FUNDBOT_LOCALE must be one of {choices}, not {value!r}")
    return value


def _base_url(value: str, name: str = "LINE_API_BASE_URL") -> str:
    value = value.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ConfigError(
            _(
                "%(name)s must start with http:// or https://, not %(value)s",
                name=name,
                value=repr(value),
            )
        )
    return value


def _public_url(value: str) -> str | None:
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not value.startswith("https://") or len(value) <= len("https://"):
        raise ConfigError(
            _(
                "FUNDBOT_PUBLIC_URL must be an https:// address (LINE fetches images only "
                "over HTTPS), not %(value)s",
                value=repr(value),
            )
        )
    return value


def _instance_secret(instance: Path) -> str:
    # The secret salts national-ID hashes, so it must survive restarts: keep it on disk.
    path = instance / "secret_key"
    try:
        if path.exists():
            key = path.read_text().strip()
            if not key:
                raise ConfigError(
                    _(
                        "%(path)s is empty: restore the instance secret from a backup, or "
                        "set FUNDBOT_SECRET_KEY",
                        path=path,
                    )
                )
            return key
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(
            _(
                "Cannot read or write the instance secret %(path)s (%(reason)s)",
                path=path,
                reason=os_reason(exc),
            )
        ) from None
    return key
