"""Progress bars: live in a terminal, a few lines a minute in a log, none when disabled."""

from __future__ import annotations

import io

from abm import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_rare_updates_a_terminal_live_ones(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(progress.sys, "stderr", log)
    bar = progress.progress_bar(range(1000), desc="runs")
    assert bar.mininterval == progress.LOG_INTERVAL >= 10 and bar.fp is not None
    for _ in bar:
        pass
    # a thousand quick steps in a log: the first and the final state, not one line per step
    assert log.getvalue().count("runs") <= 3 and "1000/1000" in log.getvalue()
    monkeypatch.setattr(progress.sys, "stderr", _Terminal())
    assert progress.progress_bar(range(3)).mininterval < 1


def test_a_disabled_bar_writes_nothing(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(progress.sys, "stderr", log)
    for _ in progress.progress_bar(range(50), enabled=False, desc="runs"):
        pass
    assert log.getvalue() == ""
