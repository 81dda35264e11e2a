import unittest
from pathlib import Path

from textstats.counts import line_count, top_words, word_count

SAMPLE = (Path(__file__).parent / "data" / "sample.txt").read_text()


class CountsTest(unittest.TestCase):
    def test_words_and_lines(self) -> None:
        self.assertEqual(word_count(SAMPLE), 11)
        self.assertEqual(line_count(SAMPLE), 3)

    def test_top_words(self) -> None:
        self.assertEqual(top_words(SAMPLE, 2), [("the", 3), ("brown", 1)])


if __name__ == "__main__":
    unittest.main()
