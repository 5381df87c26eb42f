"""Settings come from the environment; a bad one is one clear line, not a trace."""

import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import LINE_API_DEFAULT, ConfigError, Settings


def test_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    settings = Settings.from_env({"FUNDBOT_INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'fundbot.sqlite3'}"
    assert settings.timezone == ZoneInfo("Asia/Bangkok")
    assert settings.locale == "th"
    assert settings.line_api_base_url == LINE_API_DEFAULT
    assert not settings.line_configured


def test_secret_key_is_created_once_and_kept(tmp_path):
    first = Settings.from_env({"FUNDBOT_INSTANCE_PATH": str(tmp_path)}).secret_key
    second = Settings.from_env({"FUNDBOT_INSTANCE_PATH": str(tmp_path)}).secret_key
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_get_the_psycopg_driver(tmp_path):
    env = {"FUNDBOT_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgres://u@h/db"}
    assert Settings.from_env(env).database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("FUNDBOT_TIMEZONE", "Mars/Olympus", "FUNDBOT_TIMEZONE"),
        ("FUNDBOT_LOCALE", "jp", "FUNDBOT_LOCALE"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("LINE_API_BASE_URL", "api.line.me", "LINE_API_BASE_URL"),
    ],
)
def test_malformed_settings_raise_one_line(tmp_path, name, value, words):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"FUNDBOT_INSTANCE_PATH": str(tmp_path), name: value})
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_cli_reports_a_bad_setting_without_a_traceback(tmp_path):
    env = {
        "FUNDBOT_INSTANCE_PATH": str(tmp_path),
        "FUNDBOT_TIMEZONE": "Nowhere/Land",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "fundbot"), "db", "current"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode != 0
    assert "FUNDBOT_TIMEZONE" in done.stderr
    assert "Traceback" not in done.stderr
