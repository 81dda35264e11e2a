"""The one tagged union: gitorch's own records are typed events, and the notes older
versions wrote (`"type": "note"` with a `kind`) still decode, as the type they stand for."""

from __future__ import annotations

import msgspec
import pytest

from gitorch import events as ev

# Records as gitorch wrote them before the typed events (bytes copied from real branches).
OLD = {
    b'{"type":"note","id":"0190a1b2c3d4-0001-aa","ts":"2026-11-02T10:00:00.000Z","session":"s-1",'
    b'"kind":"config","data":{"key":"jobs","action":"set"}}':
        ev.ConfigChanged(id="0190a1b2c3d4-0001-aa", ts="2026-11-02T10:00:00.000Z", session="s-1",
                         key="jobs", action="set"),
    b'{"type":"note","id":"i2","ts":"t","session":"s","run":"r1","task":"build","kind":"task_repo",'
    b'"data":{"repo":"lib","path":"/w/lib","commit":null}}':
        ev.TaskRepo(id="i2", ts="t", session="s", run="r1", task="build", repo="lib", path="/w/lib"),
    b'{"type":"note","id":"i3","ts":"t","session":"s","kind":"ws_ephemeral_created",'
    b'"data":{"name":"try","repos":["a","b"],"ttl":3600}}':
        ev.EphemeralCreated(id="i3", ts="t", session="s", name="try", repos=["a", "b"], ttl=3600.0),
    b'{"type":"note","id":"i4","ts":"t","session":"s","kind":"ws_ephemeral_removed",'
    b'"data":{"names":["try"]}}':
        ev.EphemeralRemoved(id="i4", ts="t", session="s", names=["try"]),
    b'{"type":"note","id":"i5","ts":"t","session":"s","kind":"intent_recorded",'
    b'"data":{"intent":"x1","capabilities":["auth"],"targets":["o/r"]}}':
        ev.IntentRecorded(id="i5", ts="t", session="s", intent="x1", capabilities=["auth"], targets=["o/r"]),
    b'{"type":"note","id":"i6","ts":"t","session":"s","kind":"discovery_synced","data":{"repos":["o/r"],'
    b'"packages":["pypi:x"],"offline":false,"requests":3,"not_modified":1,"bytes":900,"retries":0}}':
        ev.DiscoverySynced(id="i6", ts="t", session="s", repos=["o/r"], packages=["pypi:x"], requests=3,
                           not_modified=1, bytes=900),
    b'{"type":"note","id":"i7","ts":"t","session":"legacy","run":"legacy:migration",'
    b'"kind":"migration_rolled_back","data":{"migration":"m1","commit":"abc"}}':
        ev.MigrationRolledBack(id="i7", ts="t", session="legacy", run="legacy:migration",
                               migration="m1", commit="abc"),
    b'{"type":"note","id":"i8","ts":"t","session":"legacy","run":"legacy:migration",'
    b'"kind":"legacy_removed","data":{"files":[".orchestrator/log.jsonl"]}}':
        ev.LegacyRemoved(id="i8", ts="t", session="legacy", run="legacy:migration",
                         files=[".orchestrator/log.jsonl"]),
}


@pytest.mark.parametrize("raw", list(OLD))
def test_old_notes_decode_as_their_type(raw: bytes) -> None:
    assert ev.decode(raw) == OLD[raw]


def test_a_typed_event_round_trips_under_its_own_tag() -> None:
    for event in OLD.values():
        line = ev.encode(event)
        assert msgspec.json.decode(line)["type"] == ev.type_of(event) != "note"
        assert ev.decode(line) == event
        assert ev.type_of(event) in ev.EVENT_TYPES


def test_legacy_records_and_odd_notes_stay_notes() -> None:
    imported = b'{"type":"note","id":"l1","ts":"t","session":"legacy","kind":"legacy:phase_advanced",' \
               b'"data":{"phase":"build","n":[1,2]}}'
    got = ev.decode(imported)
    assert type(got) is ev.LegacyRecord and got.kind == "legacy:phase_advanced"
    assert got.data == {"phase": "build", "n": [1, 2]}
    # a note of a known kind whose data does not fit the type is kept whole, not lost
    odd = b'{"type":"note","id":"o1","ts":"t","session":"s","kind":"config","data":{"key":["not","text"]}}'
    kept = ev.decode(odd)
    assert type(kept) is ev.LegacyRecord and kept.data == {"key": ["not", "text"]}


def test_unknown_types_are_kept_raw() -> None:
    got = ev.decode(b'{"type":"from_the_future","id":"f1","ts":"t","session":"s","x":1}')
    assert isinstance(got, ev.UnknownEvent) and got.original_type == "from_the_future"
    assert got.raw["x"] == 1
