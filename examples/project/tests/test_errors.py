import unittest

from textstats.errors import EXIT_CODES, AppError, InputError, UsageError, exit_code_for


class ErrorsTest(unittest.TestCase):
    def test_exit_codes(self) -> None:
        self.assertEqual(exit_code_for(UsageError("x")), 2)
        self.assertEqual(exit_code_for(InputError("x")), 3)
        self.assertEqual(exit_code_for(ValueError("x")), 1)
        self.assertEqual(set(EXIT_CODES), {UsageError, InputError})

    def test_is_an_exception(self) -> None:
        self.assertTrue(issubclass(AppError, Exception))


if __name__ == "__main__":
    unittest.main()
