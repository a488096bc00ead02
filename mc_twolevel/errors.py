"""The failures a user can meet, each with its exit status on the command line.

The command line (:mod:`mc_twolevel.cli`) catches these in one place and prints
the message as one paragraph: 2 for :class:`InputError` (the study, the options,
a store made by something else, a store another run is driving), 3 for
:class:`EnvironmentFailure` (disk full, unwritable path, a damaged store, a lost
scheduler, workers running other code), 130 for Ctrl-C and 143 for
:class:`Terminated` (SIGTERM, the batch walltime signal).
"""


def did_you_mean(name, choices):
    """`` (did you mean 'x'?)`` for the one of ``choices`` closest to ``name``, or "" if none is close."""
    import difflib

    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class InputError(ValueError):
    """Bad input from a user: an unknown name, a value out of range, a malformed file.

    The command line prints its message as one paragraph and exits with status 2.
    """

    exit_status = 2


class OtherStudysStore(InputError):
    """The store holds work of a different study (its hash differs), which this one never resumes."""


class StoreBusy(InputError):
    """Another run is driving this store (the lock's holder is named in the message)."""


class EnvironmentFailure(RuntimeError):
    """The machine or cluster failed the run: disk full, an unwritable path, a damaged
    store, a scheduler that is unreachable or lost. Exit status 3."""

    exit_status = 3


class StoreDamaged(EnvironmentFailure):
    """A store's chunk fails its checksum or is missing."""


class CodeMismatch(EnvironmentFailure):
    """A worker holds different code for the model than the driver that sent the task."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch system's walltime or ``kill``), raised like Ctrl-C so the same
    clean-up runs; exit status 143."""
