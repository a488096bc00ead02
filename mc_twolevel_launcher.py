"""The ``mc-twolevel`` command's entry point, kept outside the package so that it runs first.

Importing :mod:`mc_twolevel` loads numpy, numba, xarray, zarr and Dask: about a second, several
on a loaded machine. Python meets Ctrl-C in that second with its own traceback, and SIGTERM with
a silent death. This module imports nothing heavy. It first makes both signals end the command
at once with its exit status (130 for SIGINT, 143 for SIGTERM) and one line: nothing has been
run or written yet, so nothing is lost. Then it imports and runs the command, which takes the
signals over for the run (:mod:`mc_twolevel.cli`), and takes them back once the command is
over, while Python shuts down. ``python -m mc_twolevel`` does the same (the package calls
:func:`starting_as_module` while Python locates the module to run).
"""

import contextlib
import os
import signal
import sys

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}
_phase = {"said": "while starting; nothing was run"}


def stop_at_once(signum, said):
    """End the process now with ``signum``'s exit status and the line ``said`` (no clean-up runs:
    whatever the command had written stays as it was)."""
    name = signal.Signals(signum).name
    for stream in (sys.stdout, sys.stderr):  # what the command printed before, unless we interrupted a print
        with contextlib.suppress(RuntimeError, OSError, ValueError, AttributeError):
            stream.flush()
    with contextlib.suppress(OSError):  # standard error may be a closed pipe
        os.write(2, f"mc-twolevel: stopped by {name} {said}\n".encode())
    os._exit(EXIT_STATUS[signum])


def _stop(signum, frame):
    stop_at_once(signum, _phase["said"])


def starting():
    """SIGINT and SIGTERM end the process at once until the command takes them over."""
    for signum in EXIT_STATUS:
        signal.signal(signum, _stop)


def starting_as_module(package):
    """:func:`starting`, if Python was asked to run ``package`` or one of its modules (``python -m``)."""
    arguments = getattr(sys, "orig_argv", [])
    for position, argument in enumerate(arguments[1:], 1):
        if argument.startswith("-m"):
            module = argument[2:] or "".join(arguments[position + 1 : position + 2])
            if module == package or module.startswith(f"{package}."):
                starting()
            return


def ended():
    """From now on a signal that stops the process at once says that the command had ended."""
    _phase["said"] = "as it exited, after the command ended (see above)"


def finished(status):
    """The command is over with ``status``: a signal while Python shuts down ends the process at once."""
    ended()
    starting()
    return status


def main():
    starting()
    from mc_twolevel.cli import main as command

    return finished(command())


if __name__ == "__main__":
    sys.exit(main())
