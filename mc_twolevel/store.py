"""Result stores: a resumable ledger of work items, then the finished Dataset.

A store at ``PATH`` (Zarr) holds, while running, the group ``ledger`` with the
plan (``items``: round, point, chunk, trials) and each item's counters
(``counters``, NaN until the item is done), written as tasks finish; only this
process writes, one atomic chunk file at a time, so a killed run loses at
most the tasks in flight. The root's ``mc_twolevel_status`` attribute reads
``running`` until the results are written, then ``complete``; the ledger is
then removed and the metadata consolidated, so a finished store is a plain
labelled Dataset (``xr.open_zarr``, ``xr.open_datatree``). For a ``.nc``
path the ledger lives beside it in ``PATH.ledger.zarr`` and the NetCDF file
appears only when complete (written to a temporary name, then renamed).

A store remembers the hash of the study that made it and refuses to be
resumed by another.
"""

import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import xarray as xr
import zarr

from .engine import ROUND
from .errors import InputError
from .schema import COMPLETE, HASH, RUNNING, STATUS

_ROWS_PER_CHUNK = 256


class MemoryLedger:
    """The ledger of a run that keeps no store."""

    def __init__(self, n_counters):
        self.items = np.zeros((0, 4), dtype=np.int64)
        self.counters = np.zeros((0, n_counters))

    @property
    def done(self):
        return ~np.isnan(self.counters[:, 0])

    def add_round(self, planned):
        """Rows of ``planned`` (one round); a round already in the ledger must match it."""
        number = planned[0, ROUND]
        existing = np.flatnonzero(self.items[:, ROUND] == number)
        if len(existing):
            if not np.array_equal(self.items[existing], planned):
                raise InputError(
                    "the store's plan differs from this study's; it was made by other code or "
                    "settings. Write to a new --out path."
                )
            return existing
        start = len(self.items)
        self._grow(planned)
        return np.arange(start, len(self.items))

    def _grow(self, planned):
        self.items = np.concatenate([self.items, planned])
        blank = np.full((len(planned), self.counters.shape[1]), np.nan)
        self.counters = np.concatenate([self.counters, blank])

    def record(self, rows, counters):
        self.counters[rows] = counters


class ZarrLedger(MemoryLedger):
    """A ledger mirrored into the ``ledger`` group of a Zarr store."""

    def __init__(self, group, n_counters):
        if "ledger" not in group:
            ledger = group.create_group("ledger")
            ledger.create_array("items", shape=(0, 4), chunks=(4096, 4), dtype="int64")
            ledger.create_array(
                "counters",
                shape=(0, n_counters),
                chunks=(_ROWS_PER_CHUNK, n_counters),
                dtype="float64",
                fill_value=np.nan,
            )
        self._zitems, self._zcounters = group["ledger/items"], group["ledger/counters"]
        self.items = self._zitems[:]
        self.counters = self._zcounters[:]
        if self.counters.shape[1] != n_counters:
            raise InputError("the store's ledger was made by a different version of the model")

    def _grow(self, planned):
        start = len(self.items)
        super()._grow(planned)
        self._zitems.resize(self.items.shape)
        self._zcounters.resize(self.counters.shape)
        self._zitems[start:] = planned

    def record(self, rows, counters):
        super().record(rows, counters)
        first, last = rows.min(), rows.max() + 1
        self._zcounters[first:last] = self.counters[first:last]


def _ledger_path(path):
    return Path(str(path) + ".ledger.zarr") if str(path).endswith(".nc") else Path(path)


def _check_hash(found, wanted, path):
    if found != wanted:
        raise InputError(
            f"{path} was made by a different study (hash {str(found)[:12]}, this study "
            f"{wanted[:12]}); it will not be resumed by this one. Use a new --out path, or delete "
            f"{path} to start again."
        )


def open_finished(path, study_hash):
    """The finished Dataset at ``path``, or None if it is not finished yet."""
    path = Path(path)
    if path.suffix == ".nc":
        if not path.exists():
            return None
        dataset = xr.load_dataset(path)
    else:
        if not (path / "zarr.json").exists():
            if path.exists() and any(path.iterdir()):
                raise InputError(f"{path} exists and is not an mc_twolevel store; choose another --out")
            return None
        root = zarr.open_group(path, mode="r")
        _check_hash(root.attrs.get(HASH), study_hash, path)
        if root.attrs.get(STATUS) != COMPLETE:
            return None
        dataset = xr.open_zarr(path, consolidated=False).load()
    _check_hash(dataset.attrs.get(HASH), study_hash, path)
    return dataset


def open_ledger(path, study_hash, n_counters, description):
    """The resumable ledger for ``path`` (created if new)."""
    ledger_path = _ledger_path(path)
    root = zarr.open_group(ledger_path, mode="a")
    if STATUS in root.attrs:
        _check_hash(root.attrs.get(HASH), study_hash, path)
    else:
        root.attrs.update({STATUS: RUNNING, HASH: study_hash, "study": description})
    return ZarrLedger(root, n_counters)


def write_finished(dataset, path):
    """Write the results of a finished run and mark the store complete."""
    path = Path(path)
    if path.suffix == ".nc":
        _write_netcdf(dataset, path)
        shutil.rmtree(_ledger_path(path), ignore_errors=True)
        return
    dataset.to_zarr(path, mode="a", consolidated=False)
    root = zarr.open_group(path, mode="a")
    root.attrs[STATUS] = COMPLETE
    if "ledger" in root:  # finished: the results hold everything; the ledger's arrays have no dimension names
        del root["ledger"]
    with warnings.catch_warnings():  # zarr notes that consolidation is outside the v3 spec; xarray reads it
        warnings.simplefilter("ignore", category=UserWarning)
        zarr.consolidate_metadata(path)  # so xr.open_zarr and xr.open_datatree read it without a warning


def _same_analysis(dataset, path):
    """Whether ``path`` holds an analysis this package wrote for the same design and study."""
    try:
        found = (
            xr.open_dataset(path, engine="h5netcdf") if path.suffix == ".nc" else xr.open_zarr(path, consolidated=False)
        )
    except (OSError, ValueError, KeyError):
        return False
    with found:
        return all(found.attrs.get(key) == dataset.attrs.get(key) for key in ("kind", "design")) and bool(
            found.attrs.get("kind")
        )


def write_dataset(dataset, path):
    """Write a small finished Dataset (an analysis) whole: NetCDF for ``.nc``, else Zarr.

    Only a file or folder that holds an analysis of the same design and study is
    replaced; anything else at ``path`` is refused, never deleted or overwritten.
    """
    path = Path(path)
    if path.exists() and not _same_analysis(dataset, path):
        raise InputError(
            f"{path} exists and is not this study's analysis; nothing was written there. Choose another --out "
            "(the evaluated design is kept in its own store)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".nc":
        _write_netcdf(dataset, path)
    else:
        dataset.to_zarr(path, mode="w", consolidated=False)


def _write_netcdf(dataset, path):
    """Write NetCDF under a temporary name, then rename: the file appears only whole."""
    temporary = path.with_name(path.name + ".writing")
    dataset.to_netcdf(temporary, engine="h5netcdf")
    os.replace(temporary, path)
