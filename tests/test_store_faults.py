"""Faults injected into stores: kills at every step of the ledger's growth and of the final
write, concurrent drivers, corrupted and deleted chunks, a full or read-only disk, and
workers holding other code. Every resumed store equals an unbroken run bit for bit."""

import contextlib
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import ishigami_model
import numpy as np
import pytest
import xarray as xr
import zarr

import mc_twolevel as mc
from mc_twolevel import engine, errors, store
from mc_twolevel import study as study_module
from mc_twolevel.cli import main
from mc_twolevel.model import _VERIFIED


class Killed(BaseException):
    """What a kill leaves: nothing after the chosen step runs."""


mc.register(ishigami_model.MODEL)


def precision_study(seed=3):
    """A precision study of two rounds (its points converge after 1 to 28 chunks)."""
    return mc.Study("ishigami", sweep={"x1": [0.0, 1.0], "noise": [1.0, 4.0]}, precision=0.05, chunk_trials=1000,
                    seed=seed)  # fmt: skip


@pytest.fixture(scope="module")
def unbroken(dask_client):
    return precision_study().run(client=dask_client)


@contextlib.contextmanager
def kill_at(monkeypatch, step, ledger_only=True):
    """Raise Killed at the ``step``-th write (a resize or a chunk write) to the store's arrays;
    yields the list of writes seen, as (operation, array)."""
    seen = []

    def watched(name, original):
        def write(self, *args, **kwargs):
            if self.path.startswith("ledger/") == ledger_only:
                seen.append((name, self.path))
                if len(seen) == step:
                    raise Killed
            return original(self, *args, **kwargs)

        return write

    with monkeypatch.context() as patch:
        patch.setattr(zarr.Array, "resize", watched("resize", zarr.Array.resize))
        patch.setattr(zarr.Array, "__setitem__", watched("write", zarr.Array.__setitem__))
        yield seen


def test_the_ledger_writes_of_a_precision_study(tmp_path, monkeypatch, dask_client, unbroken):
    """The unbroken sequence of ledger writes, which the kill tests walk through."""
    with kill_at(monkeypatch, step=-1) as seen:
        xr.testing.assert_equal(precision_study().run(store=tmp_path / "s.zarr", client=dask_client), unbroken)
    grows = [i for i, (op, path) in enumerate(seen) if op == "resize" and path == "ledger/items"]
    assert len(grows) >= 2, "the study should run more than one round"
    assert seen[grows[1] : grows[1] + 3] == [("resize", "ledger/items"), ("write", "ledger/items"),
                                             ("resize", "ledger/counters")]  # fmt: skip


@pytest.mark.parametrize("step", range(1, 9))
def test_a_kill_at_any_ledger_write_resumes_bit_identically(tmp_path, monkeypatch, dask_client, unbroken, step):
    path = tmp_path / "s.zarr"
    study = precision_study()
    with kill_at(monkeypatch, step), pytest.raises(Killed):
        study.run(store=path, client=dask_client)
    before = store.ZarrLedger(zarr.open_group(path, mode="a"), study.spec.layout.size)
    finished_rows = before.done.sum()
    ledgers = []  # the ledger as it stands when the results are written (a finished store drops it)
    write_finished = store.write_finished

    def keep_ledger(dataset, target, draft):
        ledgers.append(zarr.open_group(target, mode="r")["ledger/counters"][:])
        write_finished(dataset, target, draft)

    monkeypatch.setattr(store, "write_finished", keep_ledger)
    resumed = study.run(store=path, client=dask_client)
    xr.testing.assert_equal(resumed, unbroken)
    xr.testing.assert_equal(xr.open_zarr(path, consolidated=False).load(), unbroken)
    (after,) = ledgers
    assert np.array_equal(after[: len(before.counters)][before.done], before.counters[before.done]), (
        "finished rows must be kept, not recomputed"
    )
    assert finished_rows >= 0


@pytest.mark.parametrize("step", [1, 4, 8])
def test_a_kill_during_the_final_write_resumes_bit_identically(tmp_path, monkeypatch, dask_client, unbroken, step):
    """Killed while the finished store is composed in memory (nothing of it on disk yet)."""
    path = tmp_path / "s.zarr"
    with kill_at(monkeypatch, step, ledger_only=False), pytest.raises(Killed):
        precision_study().run(store=path, client=dask_client)
    assert store.open_finished(path, precision_study().hash) is None, "a half-written store must not look finished"
    xr.testing.assert_equal(precision_study().run(store=path, client=dask_client), unbroken)
    xr.testing.assert_equal(xr.open_zarr(path, consolidated=False).load(), unbroken)


KILL_POINTS = {  # where a kill falls among the files of the finished store: (files so far, this file, store)
    "the first file": lambda count, target, path: count == 1,
    "the first chunk": lambda count, target, path: target.name != "zarr.json",
    "the root's metadata": lambda count, target, path: target == path / "zarr.json",
}


@pytest.mark.parametrize("step", KILL_POINTS)
def test_a_kill_while_the_results_go_to_disk_resumes_bit_identically(tmp_path, monkeypatch, dask_client, unbroken,
                                                                     step):  # fmt: skip
    """The finished store is composed in memory, then its files are put on disk, the root's
    metadata (which says complete) last: a kill before that leaves a store that resumes."""
    path = tmp_path / "s.zarr"
    put_file, written = store._put_file, []

    def put_until_killed(target, data, atomic):
        written.append(target)
        if KILL_POINTS[step](len(written), target, path):
            raise Killed
        put_file(target, data, atomic)

    with monkeypatch.context() as patch, pytest.raises(Killed):
        patch.setattr(store, "_put_file", put_until_killed)
        precision_study().run(store=path, client=dask_client)
    assert store.open_finished(path, precision_study().hash) is None, "a half-written store must not look finished"
    xr.testing.assert_equal(precision_study().run(store=path, client=dask_client), unbroken)
    xr.testing.assert_equal(xr.open_zarr(path, consolidated=False).load(), unbroken)
    assert not (path / "ledger").exists() and not list(path.rglob("*.partial"))


def test_the_draft_made_before_compute_and_filled_in_gives_the_files_of_a_whole_write(tmp_path, unbroken):
    """The final write fills in the draft that ``check_writable`` composed from the empty results:
    the same files, byte for byte, as composing the finished results from scratch; an output
    that is NaN everywhere keeps its chunk (a missing chunk reads as damage)."""
    finished = unbroken.copy(deep=True)
    nowhere = next(name for name, v in finished.data_vars.items() if v.dtype.kind == "f")
    finished[nowhere].values[...] = np.nan
    empty = finished.copy(deep=True).assign_attrs(created="before compute", run_seconds=0.0)
    for variable in empty.data_vars.values():
        variable.values[...] = 0
    drafted, whole = tmp_path / "drafted.zarr", tmp_path / "whole.zarr"
    store.write_finished(finished, drafted, store.check_writable(empty, drafted))
    store.write_finished(finished, whole)

    def files(path):
        return {str(f.relative_to(path)): f.read_bytes() for f in sorted(path.rglob("*")) if f.is_file()}

    assert files(drafted) == files(whole)
    assert f"{nowhere}/c/0/0" in files(drafted)
    xr.testing.assert_identical(store.open_finished(drafted, finished.attrs[store.HASH]).drop_attrs(),
                                finished.drop_attrs())  # fmt: skip


def test_a_kill_after_the_results_are_on_disk_leaves_them_finished(tmp_path, monkeypatch, dask_client, unbroken):
    """Killed before the ledger is removed: the store is finished and read as it is."""
    path = tmp_path / "s.zarr"

    remove_tree = store._remove_tree

    def killed(folder):
        if folder.name == "ledger":
            raise Killed
        remove_tree(folder)

    with monkeypatch.context() as patch, pytest.raises(Killed):
        patch.setattr(store, "_remove_tree", killed)
        precision_study().run(store=path, client=dask_client)
    assert (path / "ledger").is_dir()
    xr.testing.assert_equal(store.open_finished(path, precision_study().hash), unbroken)
    xr.testing.assert_equal(xr.open_zarr(path).load(), unbroken)  # consolidated metadata, read without a flag


def test_a_netcdf_store_killed_midway_resumes_and_a_bare_ledger_is_not_adopted(tmp_path, monkeypatch, dask_client,
                                                                              unbroken):  # fmt: skip
    path = tmp_path / "s.nc"
    with kill_at(monkeypatch, 6), pytest.raises(Killed):
        precision_study().run(store=path, client=dask_client)
    ledger = tmp_path / "s.nc.ledger.zarr"
    meta = json.loads((ledger / "zarr.json").read_text())
    bare = dict(meta, attributes={})  # a ledger whose status and hash were lost
    (ledger / "zarr.json").write_text(json.dumps(bare))
    with pytest.raises(mc.InputError, match="no record of the study that made it"):
        precision_study(seed=4).run(store=path, client=dask_client)
    (ledger / "zarr.json").write_text(json.dumps(meta))
    xr.testing.assert_equal(precision_study().run(store=path, client=dask_client), unbroken)
    assert not ledger.exists() and not list(tmp_path.glob("s.nc.*"))


def _chunk_files(path, array):
    return sorted(p for p in (Path(path) / array / "c").rglob("*") if p.is_file())


def _flip_a_byte(file):
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x10
    file.write_bytes(bytes(data))


def test_a_corrupted_ledger_chunk_is_recomputed(tmp_path, monkeypatch, dask_client, unbroken):
    path = tmp_path / "s.zarr"
    with kill_at(monkeypatch, 6), pytest.raises(Killed):  # the first round done, the second planned
        precision_study().run(store=path, client=dask_client)
    for array in ("ledger/counters", "ledger/items"):
        _flip_a_byte(_chunk_files(path, array)[0])
    xr.testing.assert_equal(precision_study().run(store=path, client=dask_client), unbroken)


def test_a_damaged_counters_chunk_blanks_only_its_own_rows(tmp_path, monkeypatch):
    """The counters are read whole in one read; a chunk that fails its checksum sends the read
    chunk by chunk, which blanks that chunk alone (its items run again) and rewrites it."""
    rows, per_chunk, n_counters = 3 * store._ROWS_PER_CHUNK + 10, store._ROWS_PER_CHUNK, 3
    path = tmp_path / "s.zarr"
    planned = np.zeros((rows, 4), dtype=np.int64)
    planned[:, engine.POINT], planned[:, engine.TRIALS] = np.arange(rows), 1000
    ledger = store.ZarrLedger(zarr.open_group(path, mode="w"), n_counters)
    counters = np.random.default_rng(1).integers(0, 1000, (rows, n_counters)).astype(float)
    ledger.record(ledger.add_round(planned), counters)
    reads, read = [], zarr.Array.__getitem__
    monkeypatch.setattr(zarr.Array, "__getitem__", lambda array, key: reads.append(array.path) or read(array, key))

    def reopened():
        reads.clear()
        return store.ZarrLedger(zarr.open_group(path, mode="a"), n_counters)

    assert np.array_equal(reopened().counters, counters) and reads.count("ledger/counters") == 1
    _flip_a_byte(path / "ledger" / "counters" / "c" / "1" / "0")  # rows 256 to 511
    damaged = reopened()
    assert reads.count("ledger/counters") == 1 + 4  # whole, then each of the four chunks
    lost = np.arange(per_chunk, 2 * per_chunk)
    assert np.isnan(damaged.counters[lost]).all() and np.flatnonzero(~damaged.done).tolist() == lost.tolist()
    assert np.array_equal(np.delete(damaged.counters, lost, 0), np.delete(counters, lost, 0))
    assert np.array_equal(damaged.items, planned)
    again = reopened()  # the damaged chunk was rewritten blank: read whole again
    assert reads.count("ledger/counters") == 1
    assert np.array_equal(again.counters, damaged.counters, equal_nan=True)


def test_a_finished_store_with_a_damaged_or_missing_chunk_is_refused(tmp_path, capsys, dask_client):
    study = precision_study()
    whole = tmp_path / "whole.zarr"
    study.run(store=whole, client=dask_client)
    for damage in (_flip_a_byte, Path.unlink):
        path = tmp_path / f"{damage.__name__}.zarr"
        shutil.copytree(whole, path)
        damage(_chunk_files(path, "mean_y")[0])
        with pytest.raises(errors.StoreDamaged, match="damaged"):
            study.run(store=path, client=dask_client)
    assert main(["plot", str(path)]) == 3
    assert "damaged" in capsys.readouterr().err


def test_a_finished_netcdf_is_checksummed(tmp_path, dask_client):
    path = tmp_path / "s.nc"
    precision_study().run(store=path, client=dask_client)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds.mean_y.encoding.get("fletcher32"), "numbers are written with Fletcher-32 checksums"


def test_a_second_driver_is_refused_naming_the_holder(tmp_path, capsys):
    study = tmp_path / "s.toml"
    study.write_text('model = "compliance"\ntrials = 1000\n')
    out = tmp_path / "out.zarr"
    with store.StoreLock(out):
        assert main(["run", str(study), "--out", str(out), "--workers", "1"]) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert f"process {os.getpid()} on {socket.gethostname()}" in err and "one driver at a time" in err
        assert not out.exists()
    assert main(["run", str(study), "--out", str(out), "--workers", "1"]) == 0
    assert not Path(f"{out}.lock").exists(), "the lock is released on exit"


def test_a_lock_held_by_a_killed_process_is_taken(tmp_path):
    out = tmp_path / "s.zarr"
    holder = subprocess.Popen([sys.executable, "-c", f"from mc_twolevel.store import StoreLock; import time\n"
                               f"StoreLock({str(out)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(errors.StoreBusy, match=f"process {holder.pid}"):
        store.StoreLock(out).acquire()
    holder.kill()
    holder.wait()
    assert Path(f"{out}.lock").exists(), "kill -9 leaves the file"
    with store.StoreLock(out):
        pass


def test_without_flock_the_file_decides(tmp_path, monkeypatch):
    def no_flock(fd, operation):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(store.fcntl, "flock", no_flock)
    out = tmp_path / "s.zarr"
    lock = Path(f"{out}.lock")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        cases = [  # (holder, age in seconds, refused)
            ({"host": socket.gethostname(), "pid": sleeper.pid}, 0, True),
            ({"host": socket.gethostname(), "pid": 2**22 + 12345}, 0, False),  # no such pid
            ({"host": "another-node", "pid": 1}, 60, True),
            ({"host": "another-node", "pid": 1}, store.StoreLock.STALE_SECONDS + 60, False),
        ]
        for holder, age, refused in cases:
            lock.write_text(json.dumps(holder))
            os.utime(lock, (time.time() - age, time.time() - age))
            if refused:
                with pytest.raises(errors.StoreBusy, match=str(holder["pid"])):
                    store.StoreLock(out).acquire()
            else:
                with store.StoreLock(out):
                    assert json.loads(lock.read_text())["pid"] == os.getpid()
    finally:
        sleeper.kill()


@contextlib.contextmanager
def small_tmpfs(path, size, options=""):
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}{options}", "tmpfs", str(path)],
                             capture_output=True)  # fmt: skip
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_exits_3_and_the_run_resumes_once_there_is_room(tmp_path, capsys, dask_client):
    study = tmp_path / "s.toml"
    study.write_text('model = "compliance"\ntrials = 40_000\nchunk_trials = 10_000\nseed = 2\n'
                     "[sweep]\nshadow = [0, 1, 2, 3, 4, 5, 6, 7]\n")  # fmt: skip
    unbroken = mc.Study.from_toml(study).run(client=dask_client)
    with small_tmpfs(tmp_path / "disk", "48k") as disk:
        for out in (disk / "s.zarr", disk / "s.nc"):
            status = main(["run", str(study), "--out", str(out), "--workers", "1"])
            err = " ".join(capsys.readouterr().err.split())
            assert status == 3 and "the disk is full" in err and "Traceback" not in err, err
            subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
            assert main(["run", str(study), "--out", str(out), "--workers", "1"]) == 0
            finished = xr.load_dataset(out) if out.suffix == ".nc" else xr.open_zarr(out, consolidated=False).load()
            xr.testing.assert_equal(finished, unbroken)
            assert not list(disk.glob("*.writing*")) and not Path(f"{out}.lock").exists()
            shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink()
            subprocess.run(["mount", "-o", "remount,size=48k", str(disk)], check=True)


def test_a_read_only_or_blocked_out_exits_3(tmp_path, capsys):
    study = tmp_path / "s.toml"
    study.write_text('model = "compliance"\ntrials = 1000\n')
    (tmp_path / "afile").write_text("x")
    assert main(["run", str(study), "--out", str(tmp_path / "afile" / "s.zarr")]) == 3
    assert "a part of the path is a file" in capsys.readouterr().err
    with small_tmpfs(tmp_path / "ro", "1m", ",ro") as read_only:
        assert main(["run", str(study), "--out", str(read_only / "s.zarr")]) == 3
        assert "read-only" in capsys.readouterr().err


TEST_MODEL = Path(__file__).parent / "ishigami_model.py"


def test_a_worker_holding_other_code_stops_the_run(tmp_path, monkeypatch, dask_client):
    source = tmp_path / "ishigami_elsewhere.py"
    source.write_text(TEST_MODEL.read_text())
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("ishigami_elsewhere")
    import dataclasses

    model = mc.register(dataclasses.replace(module.MODEL, name="ishigami_elsewhere"))
    study = mc.Study("ishigami_elsewhere", trials=1000, seed=1, sweep={"x1": [0.0, 1.0]})
    study.run(client=dask_client)  # the same code: runs
    kernel = model.task_kernel
    _VERIFIED.clear()
    source.write_text(source.read_text().replace("7.0 * math.sin", "7.5 * math.sin"))  # the worker's copy differs
    with pytest.raises(errors.CodeMismatch, match="ishigami_elsewhere.py"):
        study.run(client=dask_client)
    source.write_text(TEST_MODEL.read_text())
    _VERIFIED.clear()
    monkeypatch.setattr(module, "P", module.P._replace(x1=module.P.x2))  # data the kernel reads, changed there
    with pytest.raises(errors.CodeMismatch, match="kernel's code"):
        kernel.verify()


def test_an_unfinished_store_of_an_older_version_is_named_as_such(tmp_path, monkeypatch, dask_client):
    path = tmp_path / "s.zarr"
    with kill_at(monkeypatch, 4), pytest.raises(Killed):
        precision_study().run(store=path, client=dask_client)
    monkeypatch.setattr(study_module, "version", lambda name: "9.9.9")  # the package upgraded since
    with pytest.raises(mc.InputError, match=r"made by mc_twolevel 0\.1\.0 .* this is 9\.9\.9") as refused:
        precision_study().run(store=path, client=dask_client)
    assert "different study" not in str(refused.value)


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_results_that_cannot_be_stored_are_refused_before_any_compute(tmp_path, monkeypatch, suffix):
    """The class behind a mixed sweep or a 70-bit seed: the final write is tried in memory first."""
    study = mc.Study("ishigami", trials=100, seed=1)
    study.seed = 2**70  # past the seed check: NetCDF cannot record it, and the Zarr attributes' JSON could
    study.sweep = {"x1": [0.0, "a"]}  # past the sweep check: a coordinate of mixed types
    study.points = study.points * 2
    study.thetas, study.scope = np.concatenate([study.thetas] * 2), study.spec.scope(study.points)
    monkeypatch.setattr(engine, "execute", lambda *args: pytest.fail("computed"))
    with pytest.raises(mc.InputError, match="could not be stored"):
        study.run(store=tmp_path / f"s{suffix}", workers=1)
