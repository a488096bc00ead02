"""Monte Carlo studies of two-level games.

How domestic politics decides whether international agreements are made,
ratified and complied with: Putnam (1988), Iida (1993, 1996), Trachtman (2010).
Models are declared in :mod:`mc_twolevel.models`; :func:`simulate`, :func:`sweep`
and :class:`Study` run them and return labelled ``xarray.Dataset`` results.
"""

import gc
import sys

if getattr(sys, "argv", [])[:1] == ["-m"]:  # Python is locating a module to run: python -m mc_twolevel?
    from mc_twolevel_launcher import starting_as_module

    starting_as_module(__name__)  # then Ctrl-C or SIGTERM during the imports below ends cleanly

# Importing numba, xarray, pandas and zarr makes some 250,000 objects that live as long as the
# process; collecting garbage while they are made only walks them again (a few tenths of a second).
_collecting = gc.isenabled()
gc.disable()
try:
    from . import kernel_cache  # noqa: F401  (first: stamps numba's cache of every kernel declared below)

    # isort: split
    from . import accessor  # noqa: F401  (registers Dataset.mc)
    from .api import simulate, sweep
    from .errors import InputError
    from .registry import get_model, model_names, register
    from .results import version as _installed_version
    from .study import Study
finally:
    if _collecting:
        gc.enable()

__version__ = _installed_version("mc_twolevel")
__all__ = ["InputError", "Study", "get_model", "model_names", "register", "simulate", "sweep"]
