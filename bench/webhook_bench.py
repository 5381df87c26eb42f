"""Webhook benchmark: signed `ยอด` events posted to fundbot under gunicorn, replies to a fake LINE.

    python -m bench.webhook_bench [--events 3000] [--concurrency 6] [--database both]
                                  [--pg-database bench_NAME] [--burst 20x150] [--no-echo]

For each database it builds a fresh one (SQLite in a temporary folder; PostgreSQL as the
database `--pg-database`, dropped afterwards, so the test database is untouched) with a few
hundred linked debtors, starts the fake LINE server (bench/fakeline_server.py) and gunicorn
(gunicorn.conf.py, gthread workers, each with its handler pool) on loopback, then:

- steady: posts one event per request from keep-alive client threads, each posting its next
  event once the last was answered. It prints the answer latency of POST /callback (what LINE
  waits for) and, separately, the end-to-end rate: events until the last reply reached the
  fake LINE server;
- burst: posts 20 bodies of 150 events at once while a probe posts a one-event webhook every
  20 ms, and prints the probes' answer latency under that handling backlog, and how long the
  backlog took to drain;
- echo: the same steady run against a bare echo bot (bench/echo_bot.py, line-bot-sdk's
  flask-echo shape: no database) under the same gunicorn settings and fake LINE, and prints
  fundbot's end-to-end rate as a ratio of the echo bot's.

Every event must get exactly one reply. Requests are bounded in number and in time.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "FUNDBOT_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PG_BENCH_DB = "fundbot_bench"
CHANNEL_SECRET = "bench-channel-secret"
TARGET_P99_MS = 100.0
TARGET_ECHO_RATIO = 0.5
PROBE_EVERY = 0.02


@dataclass
class Figures:
    """What one run measured."""

    database: str
    events: int
    posting_seconds: float = 0.0
    total_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    replies: int = 0
    # CPU seconds spent meanwhile by the server's processes and by PostgreSQL's (None: unknown).
    server_cpu: float | None = None
    database_cpu: float | None = None
    # ... and by the harness on the same cores: the fake LINE server and this client.
    harness_cpu: float | None = None

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    @property
    def rate(self) -> float:
        """End-to-end events per second: posted and answered (replies at the fake LINE)."""
        return self.events / self.total_seconds if self.total_seconds else 0.0

    def latency_line(self) -> str:
        """The answer latency percentiles."""
        return (
            f"p50 {self.percentile(50):.1f} ms, p95 {self.percentile(95):.1f} ms, "
            f"p99 {self.percentile(99):.1f} ms, max {max(self.latencies_ms, default=0):.1f} ms"
        )

    def cpu_line(self) -> str | None:
        """CPU per event: a steadier figure than the rate on a shared machine."""
        if self.server_cpu is None or not self.events:
            return None
        line = f"   cpu per event: server {self.server_cpu / self.events * 1000:.2f} ms"
        if self.database_cpu:
            line += f", postgresql {self.database_cpu / self.events * 1000:.2f} ms"
        if self.harness_cpu is not None:
            line += f" (fake LINE and client {self.harness_cpu / self.events * 1000:.2f} ms)"
        return line

    def report(self) -> str:
        """The figures as printed lines."""
        lines = [
            f"== {self.database}: {self.events} events",
            f"   answer (POST /callback) {self.latency_line()}",
            f"   end to end     {self.rate:8.1f} events/s (all replies in "
            f"{self.total_seconds:.2f} s; posting took {self.posting_seconds:.2f} s)",
            f"   replies at fake LINE {self.replies}/{self.events}, non-200 answers {self.errors}",
        ]
        return "\n".join(line for line in [*lines, self.cpu_line()] if line)


@dataclass
class Burst:
    """The burst scenario: many big bodies at once, small webhooks probing the answer time."""

    bodies: int
    per_body: int
    body_latencies_ms: list[float] = field(default_factory=list)
    probe: Figures = field(default_factory=lambda: Figures("probe", 0))
    drain_seconds: float = 0.0
    replies: int = 0
    errors: int = 0

    @property
    def events(self) -> int:
        return self.bodies * self.per_body + self.probe.events

    def report(self) -> str:
        ok = self.probe.percentile(99) < TARGET_P99_MS and not self.errors
        return "\n".join(
            [
                f"   burst {self.bodies} bodies x {self.per_body} events at once: bodies "
                f"answered in max {max(self.body_latencies_ms, default=0):.0f} ms",
                f"   burst probes ({self.probe.events} one-event webhooks while the backlog "
                f"drains): {self.probe.latency_line()}",
                f"   burst drained in {self.drain_seconds:.2f} s "
                f"({self.events / self.drain_seconds if self.drain_seconds else 0:.0f} events/s), "
                f"replies {self.replies}/{self.events}, non-200 answers {self.errors}",
                f"   target (probe p99 < {TARGET_P99_MS:.0f} ms under the backlog): "
                + ("met" if ok else "MISSED"),
            ]
        )


# ---------------------------------------------------------------- the database


def prepare_database(kind: str, workdir: Path, debtors: int) -> tuple[str, list[str]]:
    """A fresh database of `kind` with `debtors` linked debtors: its URL and their user ids."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        _recreate_pg_database()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB
    from models import migrate
    from models.base import Database

    database = Database(url)
    migrate.upgrade(database.engine)
    user_ids = _seed(database, debtors)
    database.dispose()
    return url, user_ids


def _recreate_pg_database() -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
    engine.dispose()


def drop_pg_database() -> None:
    """Remove the benchmark's PostgreSQL database."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
    engine.dispose()


def _seed(database, debtors: int) -> list[str]:
    """Debtors in a few villages, each with a year-long monthly contract and a LINE id."""
    from bot.simulator.events import BORROWER, fake_user_id
    from models.types import FundKind
    from tests.factories import make_borrower, make_contract, make_fund, make_village

    rng = random.Random(7)
    user_ids = []
    start = date.today().replace(day=1) - timedelta(days=180)
    with database.session() as session:
        villages = [make_village(session, f"แก่งคอย/หินซ้อน/หมู่ {n}") for n in range(1, 11)]
        for number in range(1, debtors + 1):
            village = villages[number % len(villages)]
            borrower = make_borrower(session, f"นางทดสอบ ภาระ{number}", village=village)
            borrower.line_user_id = fake_user_id(BORROWER, borrower.id)
            kind = FundKind.KKCJ if number % 3 == 0 else FundKind.WOMENS_FUND
            make_contract(
                session,
                contract_no=f"B-{number:05d}",
                principal=str(rng.choice((6000, 12000, 24000, 36000))),
                contract_date=start,
                first_due=start + timedelta(days=31),
                fund=make_fund(session, kind, village=village),
                borrower=borrower,
            )
            user_ids.append(borrower.line_user_id)
    return user_ids


# ---------------------------------------------------------------- the servers


def free_port() -> int:
    """A TCP port nobody listens on (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_fake_line() -> tuple[subprocess.Popen, int]:
    """The fake LINE server process and its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fakeline_server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("listening on"):
        process.kill()
        raise RuntimeError(f"fake LINE server did not start: {line!r}")
    return process, int(line.rsplit(":", 1)[1])


def start_gunicorn(
    url: str,
    line_port: int,
    workdir: Path,
    workers: int | None,
    config: Path,
    app: str = "bot.wsgi:app",
    handler_processes: int | None = None,
) -> tuple:
    """gunicorn serving `app` against `url`; (process, port) once it is healthy."""
    port = free_port()
    fake = f"http://127.0.0.1:{line_port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FUNDBOT_INSTANCE_PATH": str(workdir / "instance"),
        "FUNDBOT_SECRET_KEY": "bench-secret-key",
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "bench-access-token",
        "LINE_API_BASE_URL": fake,
        "LINE_API_DATA_URL": fake,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOGLEVEL": "warning",
    }
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    if handler_processes is not None:
        env["FUNDBOT_HANDLER_PROCESSES"] = str(handler_processes)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), app],
        cwd=ROOT,
        env=env,
        stderr=open(workdir / "gunicorn.log", "a"),  # noqa: SIM115 - closed with the process
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {workdir / 'gunicorn.log'}")
        try:
            status, _body = _get(port, "/healthz")
            if status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not become healthy within 30 s")


def _web_workers(master: int) -> int | None:
    """How many gunicorn workers a master runs (its handler processes not counted)."""
    processes = _processes()
    if processes is None:
        return None
    count = 0
    for pid, (parent, _name, _cpu) in processes.items():
        if parent != master:
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                arguments = cmdline.read().split(b"\0")
        except OSError:
            continue
        if b"bot.handler_process" not in arguments:
            count += 1
    return count or None


def stop(process: subprocess.Popen) -> None:
    """Stop a server we started, politely first."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _post(port: int, path: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", path, body=b"")
        connection.getresponse().read()
    finally:
        connection.close()


def fake_line_replies(port: int) -> int:
    """How many reply requests the fake LINE server has answered."""
    _status, body = _get(port, "/__stats")
    return json.loads(body)["requests"].get("reply", 0)


# ---------------------------------------------------------------- the client


def signed_body(*user_ids: str) -> tuple[bytes, str]:
    """A webhook body with a `ยอด` text event from each user, and its X-Line-Signature."""
    from bot.line.events import text_event

    events = [text_event(user_id, "ยอด") for user_id in user_ids]
    body = json.dumps({"destination": "Ubench", "events": events}, ensure_ascii=False).encode()
    digest = hmac.new(CHANNEL_SECRET.encode(), body, hashlib.sha256).digest()
    return body, base64.b64encode(digest).decode()


def post_once(port: int, body: bytes, signature: str) -> tuple[float, int]:
    """POST one body on a new connection: (milliseconds until answered, status)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "X-Line-Signature": signature}
    started = time.perf_counter()
    try:
        connection.request("POST", "/callback", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000, status


def post_events(
    port: int, user_ids: list[str], count: int, concurrency: int, max_seconds: float
) -> tuple[list[float], int, float]:
    """Post `count` events from `concurrency` keep-alive connections; latencies, errors, time."""
    bodies = [signed_body(random.choice(user_ids)) for _ in range(count)]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    next_index = iter(range(count))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        failed = 0
        while time.monotonic() < deadline:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            body, signature = bodies[index]
            headers = {"Content-Type": "application/json", "X-Line-Signature": signature}
            started = time.perf_counter()
            try:
                connection.request("POST", "/callback", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine.append((time.perf_counter() - started) * 1000)
            failed += status != 200
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - started


def wait_for_replies(line_port: int, expected: int, timeout: float) -> int:
    """Replies seen by the fake LINE server once `expected` arrived (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    seen = fake_line_replies(line_port)
    while seen < expected and time.monotonic() < deadline:
        time.sleep(0.02)
        seen = fake_line_replies(line_port)
    return seen


# ---------------------------------------------------------------- one run


def steady(
    server: subprocess.Popen, port: int, line: tuple, user_ids: list[str], name: str, args
) -> Figures:
    """The steady scenario against a server already warm: its figures."""
    line_process, line_port = line
    _post(line_port, "/__reset")
    figures = Figures(name, args.events)
    cpu_before = _server_cpu(server.pid), _postgres_cpu()
    harness_before = _server_cpu(line_process.pid), _own_cpu()
    started = time.perf_counter()
    latencies, errors, posting = post_events(
        port, user_ids, args.events, args.concurrency, args.max_seconds
    )
    figures.replies = wait_for_replies(line_port, len(latencies), 120)
    figures.total_seconds = time.perf_counter() - started
    cpu_after = _server_cpu(server.pid), _postgres_cpu()
    harness_after = _server_cpu(line_process.pid), _own_cpu()
    if None not in (*cpu_before, *cpu_after):
        figures.server_cpu = cpu_after[0] - cpu_before[0]
        figures.database_cpu = cpu_after[1] - cpu_before[1]
    if None not in (*harness_before, *harness_after):
        figures.harness_cpu = sum(harness_after) - sum(harness_before)
    figures.posting_seconds = posting
    figures.latencies_ms, figures.errors = latencies, errors
    figures.events = len(latencies)
    return figures


def _processes() -> dict[int, tuple[int, str, float]] | None:
    """Every process's (parent, name, CPU seconds) from /proc; None where there is none."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                line = stat.read()
        except OSError:
            continue  # gone meanwhile
        name = line[line.index("(") + 1 : line.rindex(")")]
        fields = line[line.rindex(")") + 2 :].split()
        found[pid] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / ticks)
    return found


def _server_cpu(root: int) -> float | None:
    """CPU seconds used so far by a server process and its workers (Linux)."""
    processes = _processes()
    if processes is None or root not in processes:
        return None
    tree, total = {root}, 0.0
    for pid in sorted(processes):
        if pid in tree or processes[pid][0] in tree:
            tree.add(pid)
    for pid in tree:
        total += processes[pid][2]
    return total


def _own_cpu() -> float:
    """CPU seconds used so far by this process (every thread)."""
    times = os.times()
    return times.user + times.system


def _postgres_cpu() -> float | None:
    """CPU seconds used so far by this machine's PostgreSQL processes (0 without one)."""
    processes = _processes()
    if processes is None:
        return None
    return sum(cpu for _parent, name, cpu in processes.values() if name.startswith("postgres"))


def burst(port: int, line_port: int, user_ids: list[str], bodies: int, per_body: int) -> Burst:
    """Post `bodies` bodies of `per_body` events at once; probe the answer time meanwhile."""
    _post(line_port, "/__reset")
    result = Burst(bodies, per_body)
    big = [signed_body(*random.choices(user_ids, k=per_body)) for _ in range(bodies)]
    probes = [signed_body(random.choice(user_ids)) for _ in range(5000)]
    lock = threading.Lock()
    done = threading.Event()

    def poster(body: bytes, signature: str) -> None:
        latency, status = post_once(port, body, signature)
        with lock:
            result.body_latencies_ms.append(latency)
            result.errors += status != 200

    def prober() -> None:
        for body, signature in probes:
            if done.is_set():
                break
            latency, status = post_once(port, body, signature)
            with lock:
                result.probe.latencies_ms.append(latency)
                result.errors += status != 200
            time.sleep(PROBE_EVERY)

    probe_thread = threading.Thread(target=prober)
    started = time.perf_counter()
    probe_thread.start()
    posters = [threading.Thread(target=poster, args=pair) for pair in big]
    for thread in posters:
        thread.start()
    for thread in posters:
        thread.join()
    # Keep probing while the backlog drains.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with lock:
            expected = bodies * per_body + len(result.probe.latencies_ms)
        if fake_line_replies(line_port) >= expected:
            break
        time.sleep(0.05)
    done.set()
    probe_thread.join()
    result.probe.events = len(result.probe.latencies_ms)
    result.replies = wait_for_replies(line_port, result.events, 60)
    result.drain_seconds = time.perf_counter() - started
    return result


def run(kind: str, args: argparse.Namespace) -> tuple[Figures, Burst | None, Figures | None]:
    """Benchmark one database (and the echo bot beside it) and return the figures."""
    workdir = Path(tempfile.mkdtemp(prefix=f"fundbot-bench-{kind}-"))
    (workdir / "instance").mkdir()
    print(f"-- {kind}: seeding {args.debtors} linked debtors", flush=True)
    url, user_ids = prepare_database(kind, workdir, args.debtors)
    line, line_port = start_fake_line()
    app = None
    try:
        app, port = start_gunicorn(url, line_port, workdir, args.workers, args.gunicorn_config)
        warm = min(200, args.events)
        post_events(port, user_ids, warm, args.concurrency, args.max_seconds)
        wait_for_replies(line_port, warm, 30)
        figures = steady(app, port, (line, line_port), user_ids, kind, args)
        print(figures.report(), flush=True)
        bursting = None
        if args.burst:
            bodies, per_body = (int(n) for n in args.burst.lower().split("x"))
            bursting = burst(port, line_port, user_ids, bodies, per_body)
            print(bursting.report(), flush=True)
        web_workers = _web_workers(app.pid)
        stop(app)
        app = None
        echo = None
        if not args.no_echo:
            # As many web workers (and threads) as fundbot's server had; the echo bot has
            # nothing stored to handle, so no handler processes.
            app, port = start_gunicorn(
                url,
                line_port,
                workdir,
                web_workers,
                args.gunicorn_config,
                "bench.echo_bot:app",
                handler_processes=0,
            )
            post_events(port, user_ids, warm, args.concurrency, args.max_seconds)
            wait_for_replies(line_port, warm, 30)
            echo = steady(app, port, (line, line_port), user_ids, "echo bot", args)
            print(echo.report().replace("==", "   ", 1).replace("\n   ", "\n      "))
            ratio = figures.rate / echo.rate if echo.rate else 0.0
            verdict = "met" if ratio >= TARGET_ECHO_RATIO else "MISSED"
            print(
                f"   fundbot / echo bot end-to-end rate: {figures.rate:.0f} / {echo.rate:.0f} "
                f"= {ratio:.2f} (target >= {TARGET_ECHO_RATIO}: {verdict})",
                flush=True,
            )
        return figures, bursting, echo
    finally:
        if app is not None:
            stop(app)
        stop(line)
        if kind == "postgresql":
            drop_pg_database()
        if args.keep:
            print(f"   kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when an event went unanswered."""
    global PG_BENCH_DB
    parser = argparse.ArgumentParser(description="fundbot webhook benchmark")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=6,
        help="connections posting at once (8 saturates 2 cores: latency becomes queueing)",
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--debtors", type=int, default=300)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (default: gunicorn.conf.py's, cores + 1)",
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        help="stop posting after this long whatever the count",
    )
    parser.add_argument(
        "--gunicorn-config",
        type=Path,
        default=ROOT / "gunicorn.conf.py",
        help="gunicorn settings file (default: the production one)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument(
        "--pg-database", default="fundbot_bench", help="PostgreSQL database to (re)create and drop"
    )
    parser.add_argument(
        "--burst", default="20x150", help="BODIESxEVENTS posted at once ('' to skip)"
    )
    parser.add_argument("--no-echo", action="store_true", help="skip the echo bot comparison")
    args = parser.parse_args(argv)
    PG_BENCH_DB = args.pg_database
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    complete = True
    for kind in kinds:
        figures, bursting, _echo = run(kind, args)
        complete &= figures.replies == figures.events and not figures.errors
        if bursting is not None:
            complete &= bursting.replies == bursting.events and not bursting.errors
    return 0 if complete else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
