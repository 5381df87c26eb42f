"""The scheduler process's jobs, and `fundbot dispatch` sending what is queued."""

from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.inbound import process_pending
from bot.line.messages import text
from bot.line.messenger import build_messenger
from bot.runtime import Runtime
from scheduler.process import build_scheduler
from tests.line_events import in_thai


def test_scheduler_has_its_jobs_with_fixed_ids_in_bangkok_time(runtime):
    scheduler = build_scheduler(
        runtime, handle_pending=process_pending, scheduler_class=BackgroundScheduler
    )
    scheduler.start(paused=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {
        "dispatch_outbox",
        "keep_arrears_snapshots",
        "process_pending_events",
        "plan_reminders",
        "visit_digest",
    }
    assert scheduler.timezone == ZoneInfo("Asia/Bangkok")
    # Jobs get the runtime, never ORM objects, and tolerate a late start.
    assert all(job.args[0] is runtime for job in jobs.values())
    assert all(job.misfire_grace_time >= 60 for job in jobs.values())


def test_dispatch_command_sends_queued_pushes_once(line_env, fake_line, monkeypatch):
    runtime = Runtime(Settings.from_env(line_env))
    messenger = build_messenger(runtime)
    with runtime.db.session() as session:
        messenger.queue_push(session, "Uqueued", [text("ถึงกำหนดชำระ")], dedupe_key="t:1")
    for key, value in line_env.items():
        monkeypatch.setenv(key, value)

    first = CliRunner().invoke(main, ["dispatch"], catch_exceptions=False)
    second = CliRunner().invoke(main, ["dispatch"], catch_exceptions=False)

    assert first.exit_code == 0 and second.exit_code == 0
    assert fake_line.texts_to("Uqueued") == ["ถึงกำหนดชำระ"]
    sent = "%(count)d queued messages sent."
    assert first.output.strip() == in_thai(sent, count=1)
    assert second.output.strip() == in_thai(sent, count=0)
    runtime.db.dispose()
