"""A writer process for the concurrency and kill tests (run as a script, not collected).

usage: writer.py REPO MODE COUNT BATCH [TAG]
  MODE store: StateStore.append (queues on the local write lock, then compare-and-swap)
  MODE cas:   the bare compare-and-swap loop, no local lock (proves the CAS alone)
  MODE mixed: appends, journal entries and flushes, forever (for SIGKILL trials)
  MODE sync:  append a batch, then `sync` with the remote, COUNT/BATCH times
  MODE journal: journal() only (the test flushes meanwhile from another process)
Prints the id of every event once the call that wrote it has returned.
"""

from __future__ import annotations

import sys

from gitorch import events as ev
from gitorch.config import open_store
from gitorch.repo import find_repo
from gitorch.store import layout
from gitorch.store.statebranch import StateBranch


def main() -> None:
    repo_path, mode, count, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    tag = sys.argv[5] if len(sys.argv) > 5 else "w"
    store = open_store(find_repo(repo_path))
    out = sys.stdout
    n = 0
    while mode == "mixed" or n < count:
        group = [ev.TaskStarted(run=tag, task=f"{tag}-{n + i}") for i in range(batch)]
        if mode == "cas":
            state = StateBranch(store.backend, store.ref, store.repo.common_dir)
            blob = store.backend.write_blob(ev.encode_lines(group))
            path = layout.segment_path(store.session, layout.segment_name(group))
            state.update(lambda tree, p=path, b=blob: {p: b}, f"cas {tag} {n}")
        elif mode == "mixed" and n % 3 == 1:
            store.journal(group)
            if n % 9 == 7:
                store.flush()
        elif mode == "journal":
            store.journal(group, sync=False)
        elif mode == "sync":
            from gitorch.store.sync import sync

            store.append(group)
            sync(store, "origin")
        else:
            store.append(group, files={f"logs/{tag}/{n}.log": b"x" * 100} if n % 5 == 0 else None)
        out.write("".join(e.id + "\n" for e in group))
        out.flush()
        n += batch
    store.close()


if __name__ == "__main__":
    main()
