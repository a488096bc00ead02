"""numba's on-disk cache, stamped with every source file of the package.

numba stamps a cached kernel with the source file that defines it, not with
the files of the functions it calls. After an edit to ``lanes.py``,
``fastmath.py`` or a model's ``stages.py`` alone (a ``git pull`` into an
editable install, say), ``cache=True`` would go on loading the kernel compiled
from the old code. For functions defined in this package the stamp here is a
digest of all the package's ``.py`` files instead, so any change to the package
recompiles its kernels on first use and nothing stale is loaded. A model kept
in a package of its own is stamped by numba's rule (its defining file).

The locators are registered when this module is imported, which the package
does first, before any kernel is declared (numba picks a function's locator
when it is decorated).
"""

import functools
import hashlib
from pathlib import Path

from numba.core import caching

PACKAGE = Path(__file__).resolve().parent


@functools.cache
def sources_digest(root):
    """A digest of the names and contents of every ``.py`` file under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(Path(root).rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class _PackageStamped:
    """A numba cache locator whose stamp is :func:`sources_digest` of this package, for this
    package's functions only (others fall through to numba's own locators)."""

    def get_source_stamp(self):
        return sources_digest(PACKAGE)

    @classmethod
    def from_function(cls, py_func, py_file):
        if not Path(py_file).resolve().is_relative_to(PACKAGE):
            return None
        return super().from_function(py_func, py_file)


LOCATORS = tuple(
    type(f"PackageStamped{base.__name__}", (_PackageStamped, base), {"__doc__": base.__doc__})
    for base in (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator, caching.UserWideCacheLocator)
)  # in numba's order: NUMBA_CACHE_DIR if set, else beside the source, else the user's cache


caching.CacheImpl._locator_classes[:0] = LOCATORS  # ahead of numba's own
