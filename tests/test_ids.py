"""gitorch.ids: the fast paths (random bytes drawn in batches, a second's text kept, the
session read from the environment's own dict) give what the plain formulas give."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitorch import ids

ID = re.compile(r"[0-9a-f]{24}")


def _plain_now(t: float) -> str:
    """The timestamp as it was computed before the second's text was kept."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def test_ids_are_unique_sorted_and_shaped() -> None:
    made = [ids.new_id() for _ in range(20_000)]  # many per millisecond, several pool refills
    assert all(ID.fullmatch(i) for i in made)
    assert len(set(made)) == len(made)
    assert made == sorted(made)  # one after another: time, then sequence
    assert len({i[16:] for i in made}) > len(made) * 0.99  # the random part is not repeated


def test_ids_carry_the_millisecond_and_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.123)
    a, b = ids.new_id(), ids.new_id()
    assert a[:12] == b[:12] == f"{1_700_000_000_123:012x}"
    assert int(b[12:16], 16) == int(a[12:16], 16) + 1
    assert a[16:] != b[16:]


def test_ids_carry_the_plain_formula_at_any_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    """The millisecond's digits kept and small sequences looked up give what formatting both
    gives: past the looked-up sequences, past 16 bits (wrapped), and after the clock moves."""
    clock = [1_700_000_000.123]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    made = [ids.new_id() for _ in range(70_000)]
    start = int(made[0][12:16], 16)
    for n in (0, 1, 1023, 1024, 1025, 65_535 - start, 65_536 - start, 69_999):
        assert made[n][:16] == f"{1_700_000_000_123:012x}{(start + n) & 0xFFFF:04x}", n
    clock[0] = 1_700_000_000.124  # the next millisecond: its own digits, the sequence from 0
    assert ids.new_id()[:16] == f"{1_700_000_000_124:012x}0000"
    clock[0] = 1_700_000_000.123  # the clock stepped back: formatted again, not kept
    assert ids.new_id()[:16] == f"{1_700_000_000_123:012x}0000"


def test_ids_from_threads_are_unique() -> None:
    out: list[list[str]] = [[] for _ in range(4)]

    def make(n: int) -> None:
        out[n] += [ids.new_id() for _ in range(5_000)]

    workers = [threading.Thread(target=make, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    made = [i for part in out for i in part]
    assert len(set(made)) == len(made) == 20_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_draws_its_own_random_part() -> None:
    ids.new_id()  # the parent holds a pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id's random part
        os.write(write, ids.new_id()[16:].encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert ID.fullmatch("0" * 16 + child)
    assert child != ids.new_id()[16:]  # the parent's next random part is another


@given(st.floats(min_value=1.0, max_value=4_102_444_800.0, allow_nan=False))
def test_now_matches_the_plain_formula(t: float) -> None:
    real = time.time
    try:
        time.time = lambda: t  # type: ignore[assignment]
        assert ids.now() == _plain_now(t)
        time.time = lambda: t + 0.0005  # type: ignore[assignment]  # the same second, kept text
        assert ids.now() == _plain_now(t + 0.0005)
    finally:
        time.time = real  # type: ignore[assignment]


def test_now_crosses_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    for t in (1_700_000_000.999, 1_700_000_001.0, 1_700_000_000.5, 1_799_999_999.9995):
        monkeypatch.setattr(time, "time", lambda t=t: t)
        assert ids.now() == _plain_now(t)


def test_session_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITORCH_SESSION", raising=False)
    made = ids.session()
    assert re.fullmatch(rf"s-[0-9a-f]{{12}}-{os.getpid()}", made)
    monkeypatch.setenv("GITORCH_SESSION", "ci-ünïcode-7")
    assert ids.session() == "ci-ünïcode-7"
    monkeypatch.setenv("GITORCH_SESSION", "")
    assert ids.session() == made  # empty: as unset
    monkeypatch.delenv("GITORCH_SESSION")
    assert ids.session() == made
