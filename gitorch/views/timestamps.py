"""Event timestamps: parsed, compared, and written the one way gitorch sorts them."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_ts(ts: str) -> datetime | None:
    """An event timestamp as an aware datetime; None when it is not one."""
    try:
        return datetime.fromisoformat(ts)
    except ValueError:
        return None


def seconds_between(start: str | None, end: str | None) -> float:
    """Seconds from `start` to `end` (0.0 when either is missing or unparsable)."""
    if not start or not end:
        return 0.0
    a, b = parse_ts(start), parse_ts(end)
    if a is None or b is None:
        return 0.0
    return max(0.0, (b - a).total_seconds())


def canonical_ts(ts: str) -> str:
    """`ts` as gitorch writes timestamps (UTC, milliseconds, `Z`), so they sort as strings.

    Hand-written or foreign stamps ("…:14Z", "…+02:00") are converted; unparsable ones are
    kept as they are.
    """
    if len(ts) == 24 and ts[-1] == "Z":
        return ts
    moment = parse_ts(ts)
    if moment is None:
        return ts
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
