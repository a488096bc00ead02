"""The one exception type for bad user input."""


class InputError(ValueError):
    """Bad input from a user: an unknown name, a value out of range, a malformed file.

    The command line prints its message as one paragraph and exits with status 2.
    """
