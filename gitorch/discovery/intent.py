"""Intent: what the user wants to work on, resolved to target repos by capability matching.

The seed's `Graft.Intent` (capabilities, constraints, preferences) as a Struct, plus what
resolution adds: target repos (whose languages, frameworks, topics or declared capabilities
match), the skills those repos require, and an effort estimate.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import msgspec

from gitorch.discovery.scoring import DIFFICULTIES, HOURS, LANGUAGES
from gitorch.errors import UsageError

# Words anyone may use before any repo is known; discovery adds the real ones.
VOCABULARY = LANGUAGES | {
    "auth", "authentication", "oauth", "security", "crypto", "http", "web", "api", "cli", "docs",
    "testing", "tests", "ci", "performance", "async", "database", "sql", "orm", "parsing", "json",
    "networking", "ui", "frontend", "backend", "build", "packaging", "i18n", "accessibility",
    "phoenix", "ecto", "django", "flask", "fastapi", "react", "vue", "node", "tokio", "serde",
    "pytest", "numpy", "pandas", "rails", "spring", "plug", "liveview", "graphql", "grpc",
}
_SYNONYMS = {"js": "javascript", "ts": "typescript", "py": "python", "golang": "go", "ex": "elixir",
             "rs": "rust", "authn": "authentication", "doc": "docs", "test": "testing"}
# Capability names that are also everyday words: only a --capability flag names them.
_NOT_IN_TEXT = {"go", "c", "build", "tests", "web", "ui"}
_TIME_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$", re.IGNORECASE)


class IntentConstraints(msgspec.Struct, kw_only=True, omit_defaults=True):
    max_difficulty: str | None = None  # easy | medium | hard
    time_available: str | None = None  # as written, e.g. "2h"


class Preferences(msgspec.Struct, kw_only=True, omit_defaults=True):
    bug_vs_feature: str | None = None  # bug | feature
    needs_tests: bool = False


class Effort(msgspec.Struct, kw_only=True):
    """How long one opportunity at the allowed difficulty takes, against the time given."""

    hours: float
    difficulty: str
    fits: bool | None = None  # None when no time was given


class Intent(msgspec.Struct, kw_only=True):
    """The seed's Graft.Intent, with its resolution (targets, skills, effort)."""

    schema_version: int = 1
    id: str = ""
    text: str = ""
    created_at: str = ""
    capabilities: list[str] = []
    constraints: IntentConstraints = msgspec.field(default_factory=IntentConstraints)
    preferences: Preferences = msgspec.field(default_factory=Preferences)
    targets: list[str] = []  # repos that match, best first
    skills: list[str] = []  # what those repos require (languages, frameworks)
    effort: Effort | None = None

    @property
    def hours_available(self) -> float | None:
        return parse_hours(self.constraints.time_available) if self.constraints.time_available else None


def parse_hours(text: str) -> float:
    """`2h`, `90m`, `1h30m`, `1.5h` as hours; UsageError otherwise."""
    m = _TIME_RE.match(text.strip())
    if not text.strip() or not m or not (m.group(1) or m.group(2)):
        raise UsageError(f"--time {text!r} is not a duration", hint="use e.g. 2h, 90m or 1h30m")
    return float(m.group(1) or 0) + int(m.group(2) or 0) / 60


def canonical(capability: str) -> str:
    word = re.sub(r"[^a-z0-9+#.-]+", "-", capability.strip().lower()).strip("-")
    return _SYNONYMS.get(word, word)


def known_capabilities(catalogue: Mapping[str, list[str]]) -> set[str]:
    return {canonical(c) for caps in catalogue.values() for c in caps}


def check_capabilities(capabilities: list[str], catalogue: Mapping[str, list[str]]) -> list[str]:
    """Canonical capabilities; UsageError naming the nearest known ones for an unknown one."""
    known = known_capabilities(catalogue) | VOCABULARY
    out: list[str] = []
    for cap in capabilities:
        c = canonical(cap)
        if not c:
            raise UsageError("--capability must not be empty")
        if c not in known:
            near = difflib.get_close_matches(c, sorted(known), n=3, cutoff=0.6)
            raise UsageError(
                f"unknown capability {cap!r}: no repo, topic or label in the workspace or the "
                "discovered repos provides it",
                hint=("nearest known: " + ", ".join(near)) if near
                else "run `git orch discover --repo owner/name` so gitorch learns what repos offer",
            )
        if c not in out:
            out.append(c)
    return out


def _words(text: str) -> list[str]:
    return [canonical(w) for w in re.findall(r"[A-Za-z0-9+#.-]+", text)]


def parse_text(text: str, catalogue: Mapping[str, list[str]]) -> dict[str, object]:
    """What a free-text intent says: capabilities it names, difficulty, time, bug or feature."""
    words = _words(text)
    known = known_capabilities(catalogue) | VOCABULARY
    found: dict[str, object] = {}
    caps = []
    for w in words:
        singular = w[:-1] if w.endswith("s") and w[:-1] in known else w
        if singular in known and singular not in _NOT_IN_TEXT and singular not in caps:
            caps.append(singular)
    found["capabilities"] = caps
    joined = " ".join(words)
    if any(w in ("bug", "bugs", "fix", "crash", "failing") for w in words):
        found["prefer"] = "bug"
    elif any(w in ("feature", "features", "enhancement") for w in words):
        found["prefer"] = "feature"
    for d in DIFFICULTIES:
        if d in words:
            found["max_difficulty"] = d
    if "good-first-issue" in words or "beginner" in words or "good first issue" in joined:
        found["max_difficulty"] = "easy"
    for w in words:
        if re.fullmatch(r"\d+(?:\.\d+)?h|\d+m(?:in)?|\d+h\d+m", w):
            found["time"] = w
    if "tests" in words or "test" in words:
        found["needs_tests"] = True
    return found


def resolve(
    text: str,
    catalogue: Mapping[str, list[str]],
    *,
    capabilities: list[str] | None = None,
    max_difficulty: str | None = None,
    time: str | None = None,
    prefer: str | None = None,
    needs_tests: bool = False,
    skills_of: Mapping[str, list[str]] | None = None,
) -> Intent:
    """An Intent from text and flags (flags win), resolved against `catalogue`
    (target name -> its capabilities); `skills_of` gives each target's languages/frameworks."""
    if max_difficulty is not None and max_difficulty not in DIFFICULTIES:
        raise UsageError(f"--max-difficulty {max_difficulty!r}: use easy, medium or hard")
    if prefer is not None and prefer not in ("bug", "feature"):
        raise UsageError(f"--prefer {prefer!r}: use bug or feature")
    parsed = parse_text(text, catalogue)
    caps = check_capabilities(capabilities or [], catalogue)
    for c in parsed["capabilities"]:  # type: ignore[attr-defined]
        if c not in caps:
            caps.append(c)
    time = time or parsed.get("time")  # type: ignore[assignment]
    hours = parse_hours(time) if time else None
    max_difficulty = max_difficulty or parsed.get("max_difficulty")  # type: ignore[assignment]
    prefer = prefer or parsed.get("prefer")  # type: ignore[assignment]
    needs_tests = needs_tests or bool(parsed.get("needs_tests"))

    wanted = set(caps)
    matches: list[tuple[int, str]] = []
    for target, target_caps in catalogue.items():
        overlap = len(wanted & {canonical(c) for c in target_caps})
        if overlap or not wanted:  # no capability named: every known repo is a target
            matches.append((overlap, target))
    targets = [t for _, t in sorted(matches, key=lambda m: (-m[0], m[1]))]
    skills: list[str] = []
    for t in targets:
        for s in (skills_of or catalogue).get(t, []):
            if canonical(s) not in skills:
                skills.append(canonical(s))
    difficulty = max_difficulty or "medium"
    effort = Effort(hours=HOURS[difficulty], difficulty=difficulty,
                    fits=None if hours is None else HOURS[difficulty] <= hours)
    return Intent(
        text=text, capabilities=caps,
        constraints=IntentConstraints(max_difficulty=max_difficulty, time_available=time),
        preferences=Preferences(bug_vs_feature=prefer, needs_tests=needs_tests),
        targets=targets, skills=sorted(skills), effort=effort,
    )
