"""Scheduled backups that catch up: once per period, whoever asks first, never twice.

The missed-schedule test starts three real ``memvault serve`` processes at once on a vault whose
last scheduled backup is two periods old: exactly one new backup must appear.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import memvault
from memvault.cli.app import main
from memvault.core.backup_records import BackupPeriod, BackupSchedule
from memvault.service.backup import backups
from tests.server.mcp_helpers import server_env


def test_a_period_is_backed_up_once_and_a_failure_is_tried_again(tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with memvault.open(tmp_path / "home") as vault:
        vault.remember("keep me")
        vault.schedule_backups(BackupSchedule(BackupPeriod.DAILY, str(dest), keep_last=5))
        assert vault.run_due_backup(now=now) is not None
        assert vault.run_due_backup(now=now + timedelta(hours=11)) is None  # same day
        assert len(backups(dest)) == 1

        blocked = tmp_path / "blocked"
        blocked.write_text("a file where the folder should be")
        vault.schedule_backups(BackupSchedule(BackupPeriod.DAILY, str(blocked)))
        with pytest.raises(memvault.InvalidInputError):
            vault.run_due_backup(now=now + timedelta(days=1))
        assert "error" in (vault.last_scheduled_backup() or {})
        vault.schedule_backups(BackupSchedule(BackupPeriod.DAILY, str(dest)))
        assert vault.run_due_backup(now=now + timedelta(days=1)) is not None  # tried again
        assert len(backups(dest)) == 2

        vault.schedule_backups(None)
        assert vault.run_due_backup(now=now + timedelta(days=9)) is None


def test_three_servers_starting_at_once_catch_up_a_missed_period_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, dest = tmp_path / "home", tmp_path / "backups"
    assert main(["--home", str(home), "remember", "before the trip"]) == 0
    assert main(["--home", str(home), "backup", str(dest), "--schedule", "daily"]) == 0
    with memvault.open(home) as vault:  # the last scheduled backup: two days ago
        assert vault.run_due_backup(now=datetime.now(UTC) - timedelta(days=2)) is not None
    assert len(backups(dest)) == 1

    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "memvault.cli.app", "--home", str(home), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=server_env(),
            text=True,
        )
        for _ in range(3)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(backups(dest)) < 2 and time.monotonic() < deadline:
            assert all(s.poll() is None for s in servers), "a server stopped"
            time.sleep(0.1)
        time.sleep(2)  # time for a second (wrong) backup to show up
    finally:
        for server in servers:
            server.communicate("", timeout=60)
    assert len(backups(dest)) == 2
    capsys.readouterr()
    assert main(["--home", str(home), "backup", "--due"]) == 0
    assert "nothing due" in capsys.readouterr().out


def test_backup_options_go_one_at_a_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    main(["--home", home, "remember", "x"])
    capsys.readouterr()
    assert main(["--home", home, "backup", "--due"]) == 1
    assert "no backup is scheduled" in capsys.readouterr().err
    assert main(["--home", home, "backup", "--schedule", "daily"]) == 1
    assert "needs a PATH" in capsys.readouterr().err
    assert main(["--home", home, "backup", str(tmp_path), "--due", "--verify"]) == 1
