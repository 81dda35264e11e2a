"""One error type for the command line, mapped to consistent exit codes."""

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 3


class AppError(Exception):
    """An error the user can act on; `exit_code` is what the command line exits with."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(AppError):
    """Bad arguments."""

    exit_code = EXIT_USAGE


class InputError(AppError):
    """A file that cannot be read."""

    exit_code = EXIT_INPUT


EXIT_CODES = {UsageError: EXIT_USAGE, InputError: EXIT_INPUT}


def exit_code_for(error: Exception) -> int:
    """The exit code for `error` (1 for anything unexpected)."""
    return error.exit_code if isinstance(error, AppError) else 1
