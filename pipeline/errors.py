"""One exception type for every failure a user can cause: the CLI prints its message, one line."""


class OutcomesError(Exception):
    """A failure with a plain-words message meant for the person running the command."""
