"""The exception types: bad user input (exit 2) and an environment that failed the run (exit 3)."""


class InputError(ValueError):
    """Bad input from a user: an unknown name, a value out of range, a malformed file.

    The command line prints its message as one paragraph and exits with status 2.
    """


class EnvironmentFailure(RuntimeError):
    """The machine or batch system failed the run: no batch system, jobs that never start, a lost scheduler.

    The command line prints its message as one paragraph and exits with status 3.
    """
