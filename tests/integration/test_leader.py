"""Only one scheduler process runs jobs at a time."""

from scheduler.leader import LeaderLock


def test_second_scheduler_is_refused_until_the_first_releases(db, tmp_path):
    first = LeaderLock(db, tmp_path)
    second = LeaderLock(db, tmp_path)
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        first.release()
        assert second.acquire() is True
    finally:
        first.release()
        second.release()
