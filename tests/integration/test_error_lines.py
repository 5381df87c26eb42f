"""Every start-up error the README promises as one line on stderr, with no traceback.

Each case runs in-process through the real click entry point (CliRunner with
catch_exceptions=False, so an uncaught exception would fail the test with its trace), and
one case of each kind also runs the installed `fundbot` command as a subprocess.

A read-only instance folder: as root, chmod does not stop writes, so the folder is made
immutable with `chattr +i` (root cannot write in it either); as another user it is chmod 555.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.errors import explain
from models.base import Database
from models.errors import DomainError

FUNDBOT = Path(sys.executable).parent / "fundbot"
SETTINGS_PREFIXES = ("FUNDBOT_", "DATABASE_URL", "LINE_")
INSTANCE_COMMANDS = [
    ["demo", "--no-serve", "--borrowers", "3"],
    ["db", "upgrade"],
    ["serve", "--port", "5999"],
    ["link-code", "W-001"],
    ["arrears"],
    ["scheduler"],
]


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    """A complete fundbot environment under tmp_path, with `values` on top."""
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return {"FUNDBOT_INSTANCE_PATH": str(instance), "FUNDBOT_LOCALE": "th", **values}


def run_in_process(env: dict[str, str], args: list[str], cwd: Path, monkeypatch):
    """`fundbot ARGS` through click in this process, with only `env` as fundbot settings."""
    monkeypatch.chdir(cwd)
    cleared = {key: None for key in os.environ if key.startswith(SETTINGS_PREFIXES)}
    result = CliRunner().invoke(main, args, env={**cleared, **env}, catch_exceptions=False)
    return result.exit_code, result.stderr


def run_installed(env: dict[str, str], args: list[str], cwd: Path):
    """The installed `fundbot ARGS` as a subprocess, with only `env` as fundbot settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    done = subprocess.run(
        [str(FUNDBOT), *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stderr


def assert_one_line(exit_code: int, stderr: str, *names: str) -> None:
    """Non-zero exit, one line on stderr naming every one of `names`, no traceback."""
    assert exit_code != 0, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for name in names:
        assert name in lines[0], (name, lines[0])


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody, root included, can create files in."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    (folder / "secret_key").write_text("kept\n")
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    locked = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if locked.returncode != 0:
        pytest.skip(f"running as root and chattr +i failed: {locked.stderr!r}")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def not_a_database(tmp_path: Path) -> Path:
    """A file called like a database that holds text."""
    path = tmp_path / "fundbot.sqlite3"
    path.write_text("this is not a database\n" * 50)
    return path


# ---- the instance folder -----------------------------------------------------------------


@pytest.mark.parametrize("args", INSTANCE_COMMANDS, ids=lambda a: a[0] + "-" + a[-1])
@pytest.mark.parametrize("kind", ["a-file", "under-a-file", "read-only"])
def test_unusable_instance_folder_is_one_line(tmp_path, monkeypatch, request, kind, args):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n")
    if kind == "a-file":
        instance, named = blocker, blocker
    elif kind == "under-a-file":
        instance, named = blocker / "instance", blocker
    else:
        instance = named = request.getfixturevalue("read_only_folder")
    env = {"FUNDBOT_INSTANCE_PATH": str(instance), "FUNDBOT_LOCALE": "en"}
    if args[0] == "serve":
        # Were the check missing, serve would start a server: keep it in a child process.
        code, stderr = run_installed(env, args, tmp_path)
    else:
        code, stderr = run_in_process(env, args, tmp_path, monkeypatch)
    assert_one_line(code, stderr, "FUNDBOT_INSTANCE_PATH", str(named))


def test_instance_folder_is_checked_even_with_a_server_database(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n")
    env = {
        "FUNDBOT_INSTANCE_PATH": str(blocker),
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/fundbot",
        "FUNDBOT_SECRET_KEY": "set",
    }
    code, stderr = run_in_process(env, ["arrears"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, "FUNDBOT_INSTANCE_PATH", str(blocker))


@pytest.mark.parametrize("kind", ["a-file", "read-only"])
def test_installed_command_reports_the_instance_folder(tmp_path, request, kind):
    if kind == "a-file":
        instance = tmp_path / "not-a-folder"
        instance.write_text("a file\n")
    else:
        instance = request.getfixturevalue("read_only_folder")
    env = {"FUNDBOT_INSTANCE_PATH": str(instance)}
    code, stderr = run_installed(env, ["db", "upgrade"], tmp_path)
    assert_one_line(code, stderr, "FUNDBOT_INSTANCE_PATH", str(instance))


def test_read_only_folder_holds_nothing_new(read_only_folder):
    # The fixture really stops writes, for root too: the case above tests what it claims.
    with pytest.raises(OSError):
        (read_only_folder / "probe").write_text("x")


# ---- DATABASE_URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("nonsense://x", "nonsense://x"),
        ("mysql://operator:hunter2@db.example/fund", "mysql://operator:***@db.example/fund"),
        ("mysql+pymysql://db.example/fund", "mysql+pymysql://db.example/fund"),
        ("postgresql+psycopg2://db.example/fund", "postgresql+psycopg2://db.example/fund"),
        ("not a url", "not a url"),
    ],
)
def test_unsupported_database_url_is_one_line(tmp_path, monkeypatch, url, shown):
    env = _env(tmp_path, DATABASE_URL=url)
    code, stderr = run_in_process(env, ["db", "current"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, "DATABASE_URL", shown)
    assert "hunter2" not in stderr


@pytest.mark.parametrize("url", ["nonsense://x", "mysql://u@h/db"])
def test_installed_command_reports_an_unsupported_url(tmp_path, url):
    code, stderr = run_installed(_env(tmp_path, DATABASE_URL=url), ["db", "current"], tmp_path)
    assert_one_line(code, stderr, "DATABASE_URL", url)


def test_sqlite_file_under_a_file_is_one_line(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n")
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{blocker}/fundbot.sqlite3")
    code, stderr = run_in_process(env, ["db", "upgrade"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, "DATABASE_URL", str(blocker))


def test_sqlite_url_naming_a_folder_is_one_line(tmp_path, monkeypatch):
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}")
    code, stderr = run_in_process(env, ["db", "upgrade"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, "DATABASE_URL", str(tmp_path))


@pytest.mark.parametrize("args", [*INSTANCE_COMMANDS, ["db", "current"]], ids=lambda a: a[0])
def test_sqlite_file_that_is_not_a_database_is_one_line(tmp_path, monkeypatch, args):
    path = not_a_database(tmp_path)
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    if args[0] == "serve":
        code, stderr = run_installed(env, args, tmp_path)
    else:
        code, stderr = run_in_process(env, args, tmp_path, monkeypatch)
    assert_one_line(code, stderr, "DATABASE_URL", str(path))


def test_installed_command_reports_a_file_that_is_not_a_database(tmp_path):
    path = not_a_database(tmp_path)
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    code, stderr = run_installed(env, ["demo", "--no-serve"], tmp_path)
    assert_one_line(code, stderr, "DATABASE_URL", str(path))


def test_database_without_tables_says_to_upgrade(tmp_path, monkeypatch):
    path = tmp_path / "empty.sqlite3"
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    code, stderr = run_in_process(env, ["link-code", "W-001"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, str(path), "fundbot db upgrade")


def test_scheduler_refuses_a_database_without_tables(tmp_path, monkeypatch):
    # It would otherwise start and fail on every job, every 15 seconds.
    path = tmp_path / "empty.sqlite3"
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{path}")
    code, stderr = run_in_process(env, ["scheduler"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, str(path), "fundbot db upgrade")


def test_unreachable_postgresql_is_one_line(tmp_path, monkeypatch):
    env = _env(tmp_path, DATABASE_URL="postgresql://fund:hunter2@127.0.0.1:1/fundbot")
    code, stderr = run_in_process(env, ["db", "current"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, "127.0.0.1:1/fundbot")
    assert "hunter2" not in stderr


def test_database_folder_problem_has_a_message(tmp_path):
    # Database is also built outside the settings (benchmarks, tests): it says which folder.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n")
    with pytest.raises(DomainError) as caught:
        Database(f"sqlite:///{blocker}/x.sqlite3")
    message = explain(caught.value)
    assert str(blocker) in message and "\n" not in message


# ---- other settings ----------------------------------------------------------------------


def test_empty_instance_secret_is_one_line(tmp_path, monkeypatch):
    env = _env(tmp_path)
    secret = Path(env["FUNDBOT_INSTANCE_PATH"]) / "secret_key"
    secret.write_text("\n")
    code, stderr = run_in_process(env, ["arrears"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, str(secret), "FUNDBOT_SECRET_KEY")


def test_bad_locale_is_one_english_line(tmp_path):
    code, stderr = run_installed(_env(tmp_path, FUNDBOT_LOCALE="jp"), ["arrears"], tmp_path)
    assert_one_line(code, stderr, "Error: FUNDBOT_LOCALE", "'jp'")


def test_config_errors_speak_the_configured_language(tmp_path, monkeypatch):
    env = _env(tmp_path, FUNDBOT_TIMEZONE="Mars/Olympus", FUNDBOT_LOCALE="th")
    code, stderr = run_in_process(env, ["arrears"], tmp_path, monkeypatch)
    assert_one_line(code, stderr, "FUNDBOT_TIMEZONE", "Mars/Olympus")
    assert stderr.startswith("ข้อผิดพลาด: ") and "เขตเวลา" in stderr
    english = run_in_process({**env, "FUNDBOT_LOCALE": "en"}, ["arrears"], tmp_path, monkeypatch)
    assert english[1].startswith("Error: FUNDBOT_TIMEZONE is not a known time zone")
