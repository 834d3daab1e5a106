"""User-facing errors: the CLI prints these as one line and exits non-zero (no traceback)."""


class UserError(Exception):
    """Bad input from the user (missing file, unknown name, wrong shape, ...).

    The message is one sentence naming the bad thing and what is expected.
    """


class Interrupted(Exception):
    """A long job stopped cleanly on Ctrl-C (its state saved); the CLI prints the message and exits with 130."""
