"""The cyclic garbage collector paused while a plan loads (a large load is then frozen)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# container objects allocated by one load above which they are frozen (10,000 lean tasks: ~100,000)
_FREEZE_ABOVE = 20_000


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Loading allocates many objects and frees none of them: the cyclic collector would
    rescan them again and again (about half the time of loading a 10,000-task plan)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # What loading allocated sits in the youngest generation: re-enabled as it is, the
            # collector would scan all of it three times over (young, middle, old) during the
            # next few thousand allocations (~0.6 s after a 10,000-task plan). A large load is
            # frozen instead (set aside for good: the plan lives as long as the command); a
            # small one is left to the collector, so a long process loading many small plans
            # keeps collecting their garbage.
            if gc.get_count()[0] > _FREEZE_ABOVE:
                gc.freeze()
            gc.enable()
