"""textstats: count words and lines in text files (the project gitorch's example plans work on)."""

__version__ = "0.2.0"
