"""Counting words and lines."""

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z0-9']+")


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased."""
    return [w.lower() for w in _WORD.findall(text)]


def word_count(text: str) -> int:
    return len(words(text))


def line_count(text: str) -> int:
    return len(text.splitlines())


def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    """The `n` most frequent words, most frequent first (ties alphabetical)."""
    counts = Counter(words(text))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
