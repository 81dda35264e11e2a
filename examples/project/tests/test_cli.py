import unittest
from pathlib import Path

from textstats.cli import main, run
from textstats.errors import UsageError

SAMPLE = str(Path(__file__).parent / "data" / "sample.txt")


class CliTest(unittest.TestCase):
    def test_report(self) -> None:
        self.assertIn("words: 11", run([SAMPLE]))
        self.assertIn("the: 3", run([SAMPLE, "--top", "1"]))

    def test_usage(self) -> None:
        with self.assertRaises(UsageError):
            run([])
        self.assertEqual(main(["/no/such/file"]), 3)


if __name__ == "__main__":
    unittest.main()
