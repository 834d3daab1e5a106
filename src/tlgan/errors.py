"""User-facing errors: the CLI prints these as one line and exits non-zero (no traceback)."""


class UserError(Exception):
    """Bad input from the user (missing file, unknown name, wrong shape, ...).

    The message is one sentence naming the bad thing and what is expected.
    """
