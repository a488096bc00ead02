"""Result stores: a resumable ledger of work items, then the finished Dataset.

A store at ``PATH`` (Zarr) holds, while running, the group ``ledger`` with the
plan (``items``: round, point, chunk, trials) and each item's counters
(``counters``, NaN until the item is done), written as tasks finish. The root's
``mc_twolevel_status`` attribute reads ``running`` until the results are
written, then ``complete``; the ledger is then removed and the metadata
consolidated, so a finished store is a plain labelled Dataset
(``xr.open_zarr``, ``xr.open_datatree``). For a ``.nc`` path the ledger lives
beside it in ``PATH.ledger.zarr`` and the NetCDF file appears only when
complete (written whole to a temporary name, then renamed).

The guarantees (docs/stores.md says more):

- one driver at a time: :class:`StoreLock` holds ``PATH.lock`` for the run;
- growth of the ledger is repaired on open: a kill between its steps never
  leaves a store that cannot resume, and finished rows are never lost;
- every chunk carries a CRC-32C checksum; a ledger chunk that fails it is
  recomputed, a results chunk that fails it (or is missing) is refused;
- a store remembers the study that made it and refuses to be resumed by
  another (or, unfinished, by another version of the package).
"""

import asyncio
import contextlib
import errno
import fcntl
import json
import os
import shutil
import socket
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import xarray as xr
import zarr
import zarr.api.asynchronous
from zarr.codecs import Crc32cCodec, ZstdCodec
from zarr.core.sync import sync

from .engine import ROUND, TRIALS
from .errors import EnvironmentFailure, InputError, OtherStudysStore, StoreBusy, StoreDamaged
from .schema import COMPLETE, HASH, RUNNING, STATUS

_ROWS_PER_CHUNK = 256
_ITEM_ROWS_PER_CHUNK = 4096
# CRC-32C after zstd: zarr's own checksum codec (in the Zarr v3 specification, so any reader
# knows it; it needs the crc32c package).
CHECKSUMMED = (ZstdCodec(), Crc32cCodec())
DAMAGED_CHUNK = (ValueError, RuntimeError)  # a checksum that does not match; a stream zstd cannot decode
EVERY_CHUNK = "mc_twolevel_every_chunk_written"  # root attribute: a missing results chunk means damage


class StoreLock:
    """One driver per store: an exclusive ``flock`` on ``PATH.<name>``, a file naming the
    holder's host, pid and start time, released (and removed) when the run ends.

    A holder that dies (even by ``kill -9``) loses the ``flock`` with its process, so a
    crashed run never wedges the store. Where the file system has no ``flock`` (some
    parallel file systems), the file itself decides: a holder on this host whose pid is
    gone, or one on another host whose file is older than ``STALE_SECONDS`` (holders
    touch it every ``HEARTBEAT_SECONDS``), is taken over. Shards that share a store by
    design take a lock each under their own ``name``, or none.
    """

    HEARTBEAT_SECONDS = 30
    STALE_SECONDS = 600

    def __init__(self, path, name="lock"):
        self.path = Path(f"{path}.{name}")
        self._fd = None
        self._stop = threading.Event()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    def acquire(self):
        for _ in range(20):  # retried only when a holder removed the file as we opened it
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                flocked = self._flock(fd)
                if flocked and not self._still_linked(fd):
                    os.close(fd)
                    continue
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            self._write_holder(fd)
            if not flocked:
                threading.Thread(target=self._heartbeat, daemon=True).start()
            return
        raise EnvironmentFailure(f"could not take the lock {self.path}: it keeps being replaced")

    def _flock(self, fd):
        """Take the flock; False where the file system has none (then the file decides)."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            raise StoreBusy(self._busy(_read_holder(fd))) from None
        except OSError as error:
            if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                raise
        holder = _read_holder(fd)
        if holder and _alive(holder, os.fstat(fd).st_mtime, self.STALE_SECONDS):
            raise StoreBusy(self._busy(holder))
        return False

    def _still_linked(self, fd):
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def _busy(self, holder):
        store = str(self.path)[: -len(self.path.suffix)]
        who = (f"process {holder.get('pid')} on {holder.get('host')} (since {holder.get('since')})"
               if holder else "another process")  # fmt: skip
        return (
            f"{store} is being driven by {who}; a store has one driver at a time. Wait for that run to "
            f"finish (it holds {self.path}), stop it, or write to another --out"
        )

    def _write_holder(self, fd):
        holder = {"host": socket.gethostname(), "pid": os.getpid(),
                  "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)

    def _heartbeat(self):
        while not self._stop.wait(self.HEARTBEAT_SECONDS):
            try:
                os.utime(self.path)
            except OSError:
                return

    def release(self):
        if self._fd is None:
            return
        self._stop.set()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        finally:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def _read_holder(fd):
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"null")
    except (ValueError, OSError):
        return None
    return holder if isinstance(holder, dict) else None


def _alive(holder, touched, stale_seconds):
    """Whether a lock file's holder may still be running (used only without flock)."""
    if holder.get("host") != socket.gethostname():
        return time.time() - touched < stale_seconds
    try:
        os.kill(int(holder.get("pid", -1)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class MemoryLedger:
    """The ledger of a run that keeps no store."""

    def __init__(self, n_counters):
        self.items = np.zeros((0, 4), dtype=np.int64)
        self.counters = np.zeros((0, n_counters))

    @property
    def done(self):
        return ~np.isnan(self.counters[:, 0])

    def add_round(self, planned):
        """Rows of ``planned`` (one round). Rows of it already in the ledger must match it;
        a round cut short by a kill is completed."""
        number = planned[0, ROUND]
        existing = np.flatnonzero(self.items[:, ROUND] == number)
        if len(existing) > len(planned) or not np.array_equal(self.items[existing], planned[: len(existing)]):
            raise InputError(
                "the store's plan differs from this study's; it was made by other code or "
                "settings. Write to a new --out path."
            )
        start = len(self.items)
        if len(existing) < len(planned):
            self._grow(planned[len(existing) :])
        return np.concatenate([existing, np.arange(start, len(self.items))])

    def _grow(self, planned):
        self.items = np.concatenate([self.items, planned])
        blank = np.full((len(planned), self.counters.shape[1]), np.nan)
        self.counters = np.concatenate([self.counters, blank])

    def record(self, rows, counters):
        if not isinstance(counters, np.ndarray) or counters.shape != (len(rows), self.counters.shape[1]):
            raise EnvironmentFailure(
                f"a task came back with {type(counters).__name__} instead of its counters: the scheduler or "
                "its workers were lost, or the task was cancelled. Finished work is kept; run again to resume"
            )
        self.counters[rows] = counters


class ZarrLedger(MemoryLedger):
    """A ledger mirrored into the ``ledger`` group of a Zarr store.

    Growth writes the new ``items`` rows first and then lengthens ``counters``; each
    chunk file is replaced atomically and checksummed. Opening repairs whatever a kill
    or a damaged chunk left: ``items`` is cut at its first row that is unwritten
    (zero trials) or in a chunk failing its checksum, ``counters`` is fitted to it, and
    counter chunks failing their checksum are blanked (their items run again).
    """

    def __init__(self, group, n_counters):
        if "ledger" not in group:
            ledger = group.create_group("ledger")
            ledger.create_array("items", shape=(0, 4), chunks=(_ITEM_ROWS_PER_CHUNK, 4), dtype="int64",
                                compressors=CHECKSUMMED)  # fmt: skip
            ledger.create_array("counters", shape=(0, n_counters), chunks=(_ROWS_PER_CHUNK, n_counters),
                                dtype="float64", fill_value=np.nan, compressors=CHECKSUMMED)  # fmt: skip
        self._zitems, self._zcounters = group["ledger/items"], group["ledger/counters"]
        if self._zcounters.shape[1] != n_counters:
            raise InputError("the store's ledger was made by a different version of the model")
        self.items = self._valid_items()
        self.counters = self._valid_counters(len(self.items))

    def _valid_items(self):
        """The ledger's items up to the first unreadable or unwritten one, each chunk read once."""
        rows, blocks = self._zitems.shape[0], [np.zeros((0, 4), dtype=np.int64)]
        for start in range(0, rows, _ITEM_ROWS_PER_CHUNK):
            try:
                block = self._zitems[start : start + _ITEM_ROWS_PER_CHUNK]
            except DAMAGED_CHUNK:  # the plan is replanned from here
                rows = start
                break
            unwritten = np.flatnonzero(block[:, TRIALS] <= 0)
            blocks.append(block[: unwritten[0]] if len(unwritten) else block)
            if len(unwritten):
                rows = start + int(unwritten[0])
                break
        if rows != self._zitems.shape[0]:
            self._zitems.resize((rows, 4))
        return np.concatenate(blocks)

    def _valid_counters(self, rows):
        """The ledger's counters, read whole: chunk by chunk only if some chunk fails to read."""
        if self._zcounters.shape[0] != rows:
            self._zcounters.resize((rows, self._zcounters.shape[1]))
        try:
            return self._zcounters[:rows]
        except DAMAGED_CHUNK:
            return self._counters_by_chunk(rows)

    def _counters_by_chunk(self, rows):
        """The counters with every chunk that fails to read blanked, on disk too (its items run again)."""
        counters = np.full((rows, self._zcounters.shape[1]), np.nan)
        for start in range(0, rows, _ROWS_PER_CHUNK):
            stop = min(start + _ROWS_PER_CHUNK, rows)
            try:
                counters[start:stop] = self._zcounters[start:stop]
            except DAMAGED_CHUNK:
                self._zcounters[start:stop] = counters[start:stop]
        return counters

    def _grow(self, planned):
        start = len(self.items)
        super()._grow(planned)
        self._zitems.resize(self.items.shape)
        self._zitems[start:] = planned
        self._zcounters.resize(self.counters.shape)

    def record(self, rows, counters):
        super().record(rows, counters)
        first, last = rows.min(), rows.max() + 1
        self._zcounters[first:last] = self.counters[first:last]


def _ledger_path(path):
    return Path(str(path) + ".ledger.zarr") if str(path).endswith(".nc") else Path(path)


def _versions(study):
    try:
        described = json.loads(study)
    except (TypeError, ValueError):
        return None, None, None
    return described.pop("package_version", None), described.pop("model_version", None), described


def _check_hash(found, wanted, path, found_study=None, this_study=None):
    if found == wanted:
        return
    if found_study and this_study:
        (old_package, old_model, old), (new_package, new_model, new) = _versions(found_study), _versions(this_study)
        if old is not None and old == new:
            raise InputError(
                f"{path} was made by mc_twolevel {old_package} (model version {old_model}); this is "
                f"{new_package} (model version {new_model}). A store is finished only by the version that "
                f"started it: install {old_package} to finish it, or use a new --out path"
            )
    if found is None:
        raise InputError(
            f"{path} holds work but no record of the study that made it, so it will not be resumed by this one. "
            f"Use a new --out path, or delete {path} to start again."
        )
    raise OtherStudysStore(
        f"{path} was made by a different study (hash {str(found)[:12]}, this study "
        f"{wanted[:12]}); it will not be resumed by this one. Use a new --out path, or delete "
        f"{path} to start again."
    )


def _refuse_foreign(path):
    """Refuse a path that exists and is not a Zarr store (never written into)."""
    if path.exists() and not (path / "zarr.json").exists() and (path.is_file() or any(path.iterdir())):
        raise InputError(f"{path} exists and is not an mc_twolevel store; choose another --out")


def is_finished(path):
    """Whether ``path`` holds finished results (whatever study made them)."""
    path = Path(path)
    if path.suffix == ".nc":
        return path.is_file()
    try:
        return zarr.open_group(path, mode="r").attrs.get(STATUS) == COMPLETE
    except (FileNotFoundError, ValueError, OSError):
        return False


def open_finished(path, study_hash, description=None):
    """The finished Dataset at ``path``, or None if it is not finished yet.

    A finished store whose chunks fail their checksums or are missing is refused
    (:class:`StoreDamaged`), never read as fill values.
    """
    path = Path(path)
    if path.suffix == ".nc":
        return _open_finished_netcdf(path, study_hash, description)
    _refuse_foreign(path)
    if not path.exists():
        return None
    root = zarr.open_group(path, mode="r")
    _check_hash(root.attrs.get(HASH), study_hash, path, root.attrs.get("study"), description)
    if root.attrs.get(STATUS) != COMPLETE:
        return None
    arrays = root.arrays() if root.attrs.get(EVERY_CHUNK) else ()  # stores written before the attribute: unchecked
    missing = [name for name, array in arrays if array.nchunks_initialized < array.nchunks]
    if missing:
        raise StoreDamaged(
            f"{path} is finished but chunks of {', '.join(sorted(missing))} are missing; the store is damaged. "
            f"Run again with a new --out (or delete {path})"
        )
    try:
        dataset = xr.open_zarr(path, consolidated=False).load()
    except DAMAGED_CHUNK as error:
        raise StoreDamaged(f"{path} is damaged: {error}. Run again with a new --out (or delete {path})") from None
    return dataset  # its attributes are the root's, checked above


def _open_finished_netcdf(path, study_hash, description):
    if not path.exists():
        return None
    try:
        dataset = xr.open_dataset(path, engine="h5netcdf")
    except (OSError, ValueError) as error:
        raise InputError(
            f"{path} exists and is not a NetCDF file this package wrote ({error}); choose another --out"
        ) from None
    with dataset:
        _check_hash(dataset.attrs.get(HASH), study_hash, path, dataset.attrs.get("study"), description)
        try:
            dataset.load()
        except (OSError, RuntimeError) as error:
            raise StoreDamaged(f"{path} is damaged ({error}); run again with a new --out (or delete {path})") from None
    leftover = _ledger_path(path)
    if leftover.exists():  # a kill between the rename and the ledger's removal
        _remove_tree(leftover)
    return dataset


def open_ledger(path, study_hash, n_counters, description):
    """The resumable ledger for ``path`` (created if new).

    A ledger that carries no study hash is adopted only if it holds nothing yet.
    """
    ledger_path = _ledger_path(path)
    _refuse_foreign(ledger_path)
    root = zarr.open_group(ledger_path, mode="a")
    if HASH in root.attrs or len(list(root.keys())):
        _check_hash(root.attrs.get(HASH), study_hash, path, root.attrs.get("study"), description)
    else:
        root.attrs.update({STATUS: RUNNING, HASH: study_hash, "study": description})
    return ZarrLedger(root, n_counters)


def check_writable(dataset, path):
    """Write ``dataset`` (the study's results with empty counters) in memory as
    :func:`write_finished` writes it to ``path``: a study whose results cannot be stored
    fails here, before any compute, not at its final write. For a Zarr store, returns that
    draft (its files in memory), which the final write fills in; None for NetCDF."""
    try:
        if Path(path).suffix == ".nc":
            dataset.to_netcdf(engine="h5netcdf", encoding=_netcdf_encoding(dataset))
            return None
        return _compose(dataset)
    except (TypeError, ValueError, OverflowError) as error:
        raise InputError(f"this study's results could not be stored in {path}: {error}") from None


def _compose(dataset):
    """The files of ``dataset`` as a Zarr store in memory (``{key: Buffer}``), every chunk
    written (even all-NaN ones)."""
    image = {}
    dataset.to_zarr(zarr.storage.MemoryStore(image), mode="w", consolidated=False, write_empty_chunks=True,
                    encoding=_zarr_encoding(dataset))  # fmt: skip
    return image


def _fill(image, dataset):
    """Write the data variables of ``dataset`` into ``image``, composed from results of the
    same layout (the same study with empty counters), all in one pass of Zarr's event loop
    (``to_zarr`` creates, describes and writes arrays one after another: three hand-offs to
    that loop an array)."""

    async def put(group, name):
        array = (await group.getitem(name)).with_config({"write_empty_chunks": True})
        await array.setitem(Ellipsis, dataset[name].values)

    async def put_all():
        group = await zarr.api.asynchronous.open_group(zarr.storage.MemoryStore(image), mode="r+")
        await asyncio.gather(*(put(group, name) for name in dataset.data_vars))

    sync(put_all())  # Zarr's own bridge to its event loop, as its synchronous API uses


def _zarr_encoding(dataset):
    return {name: {"compressors": CHECKSUMMED} for name in dataset.variables}


def _netcdf_encoding(dataset):
    """Fletcher-32 checksums on every numeric array (HDF5 cannot chunk scalars or filter strings)."""
    return {name: {"fletcher32": True} for name, v in dataset.variables.items() if v.dtype.kind in "biuf" and v.ndim}


@contextlib.contextmanager
def _consolidating():
    """Zarr's warning that consolidated metadata is outside the v3 spec, silenced: xarray reads it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        yield


def write_finished(dataset, path, draft=None):
    """Write the results of a finished run (checksummed) and mark the store complete.

    The finished store is composed in memory (a Zarr ``MemoryStore``: every array, the
    root's attributes saying ``complete``, the consolidated metadata), from ``draft`` when
    :func:`check_writable` made one for this study, and then put on disk file by file
    (:func:`_put_files`), the root's metadata last. Until that last file is renamed into
    place the store on disk still says ``running`` and a rerun resumes it. Its files are the
    ones Zarr would write there itself, in a fraction of the time of Zarr's own writes (a
    hand-off to its event loop for each).
    """
    path = Path(path)
    if path.suffix == ".nc":
        _write_netcdf(dataset, path)
        _remove_tree(_ledger_path(path))
        return
    if draft is None:
        image = _compose(dataset)
    else:
        image = draft
        _fill(image, dataset)
    finished = xr.Dataset(attrs=dataset.attrs | {STATUS: COMPLETE, EVERY_CHUNK: True})
    finished.to_zarr(zarr.storage.MemoryStore(image), mode="a", consolidated=False)  # the root's attributes
    with _consolidating():  # so xr.open_zarr and xr.open_datatree need no flag
        zarr.consolidate_metadata(zarr.storage.MemoryStore(image))
    path.mkdir(parents=True, exist_ok=True)
    arrays = {key.split("/")[0] for key in image if "/" in key}
    for name in arrays.intersection(os.listdir(path)):  # left by a final write cut short by a kill
        _remove_tree(path / name)
    _put_files(image, path)
    _remove_tree(path / "ledger")  # finished: the results hold everything


def _put_files(image, path):
    """Put the files of an in-memory Zarr store (``{key: Buffer}``) under ``path``: the arrays'
    metadata first (so a kill never leaves chunks that are no array's), then their chunks, the
    root's ``zarr.json`` last. Only that last file is written under a temporary name and
    renamed: until it says complete, a rerun rewrites every other file whole."""
    folders = {path}
    for key in sorted(image, key=lambda key: (key == "zarr.json", not key.endswith("/zarr.json"))):
        target = path / key
        _make_folder(target.parent, folders)
        _put_file(target, image[key].to_bytes(), atomic=key == "zarr.json")


def _make_folder(folder, made):
    """Make ``folder`` and the parents it lacks, each with one call, recording them in ``made``."""
    if folder not in made:
        _make_folder(folder.parent, made)
        folder.mkdir(exist_ok=True)
        made.add(folder)


def _put_file(target, data, atomic):
    """Write ``data`` to ``target``; if ``atomic``, under a temporary name, then renamed."""
    if not atomic:
        target.write_bytes(data)
        return
    partial = target.with_name(f"{target.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _remove_tree(path):
    shutil.rmtree(path, ignore_errors=True)


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
    else:  # labels as variable-length strings (Zarr v3 has no fixed-width spec); consolidated like a run's store
        text = {
            name: (c.dims, c.values.astype(object), c.attrs)
            for name, c in dataset.coords.items()
            if c.dtype.kind == "U"
        }
        with _consolidating():
            dataset.assign_coords(text).to_zarr(path, mode="w", consolidated=True)


def _write_netcdf(dataset, path):
    """Write NetCDF (numbers Fletcher-32 checksummed) whole: built in memory, written under a
    temporary name and renamed, so the file appears only whole and a full disk is an
    ordinary error (never a crash inside HDF5) that leaves nothing behind."""
    image = dataset.to_netcdf(engine="h5netcdf", encoding=_netcdf_encoding(dataset))
    temporary = path.with_name(f"{path.name}.writing-{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            handle.write(image)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
