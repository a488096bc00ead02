"""numba's cache of the package's kernels follows every file of the package, not only the
kernel's own (numba's rule, which would load a kernel compiled from stale callees)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mc_twolevel

CALLER = """
import numba
from . import _probe_callee

@numba.njit(cache=True)
def probe():
    return _probe_callee.value()
"""
CALLEE = "import numba\n\n@numba.njit\ndef value():\n    return {}\n"
RUN = "from mc_twolevel._probe_caller import probe; print(probe())"


def _probe(root, cache, locators=None):
    env = dict(os.environ, PYTHONPATH=str(root), NUMBA_CACHE_DIR=str(cache))
    env.pop("NUMBA_CACHE_LOCATOR_CLASSES", None)
    if locators:
        env["NUMBA_CACHE_LOCATOR_CLASSES"] = locators
    done = subprocess.run([sys.executable, "-c", RUN], env=env, cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def _package_copy(tmp_path, value):
    root = tmp_path / "src"
    shutil.copytree(Path(mc_twolevel.__file__).parent, root / "mc_twolevel",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    (root / "mc_twolevel" / "_probe_caller.py").write_text(CALLER)
    (root / "mc_twolevel" / "_probe_callee.py").write_text(CALLEE.format(value))
    return root


def test_an_edit_to_a_callee_in_another_file_recompiles_the_cached_kernel(tmp_path):
    root = _package_copy(tmp_path, 1)
    assert _probe(root, tmp_path / "cache") == 1
    (root / "mc_twolevel" / "_probe_callee.py").write_text(CALLEE.format(2))
    assert _probe(root, tmp_path / "cache") == 2


def test_numbas_own_stamp_would_load_the_stale_kernel(tmp_path):
    """The control: with numba's locator alone, the same edit is not seen."""
    root = _package_copy(tmp_path, 1)
    assert _probe(root, tmp_path / "cache", "UserProvidedCacheLocator") == 1
    (root / "mc_twolevel" / "_probe_callee.py").write_text(CALLEE.format(2))
    assert _probe(root, tmp_path / "cache", "UserProvidedCacheLocator") == 1
