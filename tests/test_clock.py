"""The clock seam: one place for the date, pinned by SURVEYOR_NOW in the CLI; no test sees the real date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import TEST_NOW, run_cli

from surveyor import clock
from surveyor.config import env_now
from surveyor.errors import ConfigError


def test_tests_run_on_the_pinned_clock() -> None:
    assert clock.today().isoformat() == TEST_NOW[:10]
    first, second = clock.stamp(), clock.stamp()
    assert first.startswith(TEST_NOW[:13]) and first <= second  # it still advances within a run


def test_pinned_clock_restores_and_advances() -> None:
    at = datetime(2030, 2, 28, 23, 59, 59, tzinfo=UTC)
    with clock.pinned(at) as c:
        assert clock.now() - at < timedelta(seconds=5) and c.origin == at
        assert clock.run_id().startswith("20300228T235959")
    assert clock.today().isoformat() == TEST_NOW[:10]


def test_unpinned_clock_is_the_real_one() -> None:
    with clock.pinned(None):
        assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_surveyor_now_parses_dates_and_times() -> None:
    assert env_now({}) is None
    assert env_now({"SURVEYOR_NOW": "2027-01-02"}) == datetime(2027, 1, 2, tzinfo=UTC)
    assert env_now({"SURVEYOR_NOW": "2027-01-02T08:00:00+02:00"}) == datetime(2027, 1, 2, 6, tzinfo=UTC)
    with pytest.raises(ConfigError, match="SURVEYOR_NOW"):
        env_now({"SURVEYOR_NOW": "tomorrow"})


def test_cli_reads_the_clock_once_from_surveyor_now(tmp_path) -> None:
    bad = run_cli("status", "-w", str(tmp_path), env={"SURVEYOR_NOW": "soon"})
    assert bad.returncode == 1 and "SURVEYOR_NOW" in bad.stderr and "Traceback" not in bad.stderr
