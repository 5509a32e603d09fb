"""Exceptions that carry a message for the economist (in Swedish)."""


class FollowupError(Exception):
    """An error the user can act on. ``str(err)`` is a complete Swedish sentence.

    ``exit_code`` is what the command line returns: 1 for bad input or a file that
    cannot be read or written safely, 2 for usage errors.
    """

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(FollowupError):
    exit_code = 2
