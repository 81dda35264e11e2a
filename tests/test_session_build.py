"""tests/conftest.build_once: a session-wide artefact (orch.pyz) is built by one worker only."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.conftest import build_once


def test_built_once_while_others_wait_then_reused(tmp_path: Path) -> None:
    builds: list[Path] = []

    def build(out: Path) -> None:
        time.sleep(0.2)  # long enough for every other thread to be waiting on the lock
        out.write_text("archive")
        builds.append(out)

    got: list[Path] = []
    threads = [threading.Thread(target=lambda: got.append(build_once(tmp_path, "a.pyz", build)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and got == [tmp_path / "a.pyz"] * 4
    assert (tmp_path / "a.pyz").read_text() == "archive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pyz", "a.pyz.lock"]


def test_a_failed_build_is_retried(tmp_path: Path) -> None:
    def broken(out: Path) -> None:
        raise RuntimeError("network down")

    try:
        build_once(tmp_path, "b.pyz", broken)
    except RuntimeError:
        pass
    assert build_once(tmp_path, "b.pyz", lambda out: out.write_text("ok")).read_text() == "ok"
