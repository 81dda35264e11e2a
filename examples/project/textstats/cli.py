"""`python -m textstats FILE [--top N]`: print line, word and top-word counts."""

import sys

from textstats import __version__
from textstats.counts import line_count, top_words, word_count
from textstats.errors import AppError, InputError, UsageError, exit_code_for


def run(argv: list[str]) -> str:
    """The report for `argv`; raises AppError on bad input."""
    if argv == ["--version"]:
        return f"textstats {__version__}"
    top = 3
    if "--top" in argv:
        i = argv.index("--top")
        try:
            top = int(argv[i + 1])
        except (IndexError, ValueError):
            raise UsageError("--top needs a number") from None
        argv = argv[:i] + argv[i + 2:]
    if len(argv) != 1:
        raise UsageError("usage: textstats FILE [--top N]")
    try:
        with open(argv[0], encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise InputError(f"{argv[0]}: {exc.strerror}") from None
    lines = [f"lines: {line_count(text)}", f"words: {word_count(text)}"]
    lines += [f"  {word}: {count}" for word, count in top_words(text, top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        print(run(sys.argv[1:] if argv is None else argv))
    except AppError as exc:
        print(f"textstats: {exc.message}", file=sys.stderr)
        return exit_code_for(exc)
    return 0
