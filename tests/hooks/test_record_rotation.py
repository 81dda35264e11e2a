"""The hook's own process appends its event with hooks/record.append_locked, a twin of
journalfile.append_locked that needs no `os` (importing journalfile would load `os` and
`__future__`: ~2.4 ms, over the 2 ms a file checkout may add, P3). The twin keeps the
journal's protocol: a flush that rotated the journal away (renamed it to `.pending`) while
the hook waited for its lock gets nothing more; the event goes to a new journal file.

A real `python -I -S` process, as the hook runs, waits on the lock the test holds (/proc's
wchan says when); the test rotates the file and lets it go: no timing window."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitorch import journalfile
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(not Path("/proc/self/wchan").exists(), reason="needs Linux /proc")

HOOK = """import sys
sys.path.append(sys.argv[1])
from gitorch.hooks import record
print(record.record_observed(sys.argv[2], "post-checkout", True, ["task a: x changed"]))
print("os" in sys.modules, "gitorch.journalfile" in sys.modules)
"""


def test_the_hooks_append_goes_to_a_new_journal_when_a_flush_rotated_it(tmp_path: Path) -> None:
    common = tmp_path / "git"
    path = Path(journalfile.journal_path(str(common), "s-hook"))
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"folded": 1}\n')
    held = os.open(path, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)  # a flush at work
    try:
        hook = subprocess.Popen([sys.executable, "-I", "-S", "-c", HOOK, str(ROOT), str(common)],
                                env={**os.environ, "GITORCH_SESSION": "s-hook"}, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while "lock" not in Path(f"/proc/{hook.pid}/wchan").read_text():
            assert hook.poll() is None, hook.communicate()
            assert time.monotonic() < deadline, "the hook never waited for the journal's lock"
            time.sleep(0.01)
        path.rename(path.with_suffix(".pending"))  # the flush takes the journal away
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)
    out, err = hook.communicate(timeout=60)
    assert hook.returncode == 0, err
    assert out.split() == [str(path), "False", "False"]  # the twin ran, in a process without os
    assert path.with_suffix(".pending").read_bytes() == b'{"folded": 1}\n'
    event = json.loads(path.read_bytes())
    assert event["type"] == "observed" and event["session"] == "s-hook" and event["drift"] is True
