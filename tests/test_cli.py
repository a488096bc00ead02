"""The command line: listings, bad input (exit 2, no traceback), exit statuses, kills and signals, resume."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

from mc_twolevel import errors as mc_errors
from mc_twolevel import store as mc_store
from mc_twolevel.cli import main

GOOD = """
model = "compliance"
trials = 20_000
seed = 1
[params]
horizon = 2
[sweep]
shadow = [0, 1]
"""


def run_cli(tmp_path, capsys, text, *extra):
    path = tmp_path / "study.toml"
    path.write_text(text)
    status = main(["run", str(path), "--out", str(tmp_path / "out.zarr"), *extra])
    return status, " ".join(capsys.readouterr().err.split())  # the paragraph, unwrapped


def test_models_lists_and_describes(capsys):
    assert main(["models"]) == 0
    assert "compliance" in capsys.readouterr().out
    assert main(["models", "compliance"]) == 0
    text = capsys.readouterr().out
    for word in ("pill2_h", "lognormal(median=1, sigma=0.5)", "[0, 200]", "p_mutual", "both states adhered"):
        assert word in text


@pytest.mark.parametrize(
    "text, words",
    [
        (GOOD.replace('"compliance"', '"complience"'), ["unknown model", "complience", "compliance"]),
        (GOOD.replace("horizon = 2", "horizon_typo = 2"), ["unknown parameter", "horizon_typo"]),
        (GOOD.replace("horizon = 2", "horizon = -3"), ["horizon", "-3", "out of range", "[0, 200]"]),
        (GOOD.replace("horizon = 2", 'direct_h = { dist = "lognormal", median = -1.0, sigma = 0.4 }'),
         ["direct_h", "lognormal", "median > 0"]),
        (GOOD.replace("horizon = 2", "horizon = [2"), ["not valid TOML"]),
        (GOOD.replace("trials = 20_000", "trials = 0"), ["trials", "0", ">= 1"]),
        (GOOD.replace("trials = 20_000", "trials = -5"), ["trials", "-5"]),
        (GOOD.replace("shadow = [0, 1]", "shadow = []"), ["sweep 'shadow'", "non-empty list"]),
        (GOOD.replace("shadow = [0, 1]", "shadow = { start = 0, stop = 1 }"), ["sweep 'shadow'", "num"]),
        (GOOD.replace("shadow = [0, 1]", 'shadow = [0, "lots"]'), ["shadow", "lots"]),
        (GOOD.replace("shadow = [0, 1]", "shadow = [0, 200]"), ["shadow", "200", "out of range"]),
        ("trails = 3\n" + GOOD, ["unknown key", "trails"]),
    ],
)  # fmt: skip
def test_bad_input_exits_2_naming_the_problem(tmp_path, capsys, text, words):
    status, err = run_cli(tmp_path, capsys, text)
    assert status == 2
    assert "Traceback" not in err
    for word in words:
        assert word in err, f"{word!r} not in {err!r}"
    assert not (tmp_path / "out.zarr").exists(), "bad input must not leave a store behind"


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nowhere.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_non_positive_trials_on_the_command_line_exit_2(tmp_path, capsys):
    (tmp_path / "s.toml").write_text(GOOD)
    with pytest.raises(SystemExit) as stop:
        main(["run", str(tmp_path / "s.toml"), "--trials", "0"])
    assert stop.value.code == 2
    assert "expected a whole number >= 1" in capsys.readouterr().err


def test_run_writes_a_store_and_plot_draws_it(tmp_path, capsys):
    status, _ = run_cli(tmp_path, capsys, GOOD, "--workers", "1")
    assert status == 0
    ds = xr.open_zarr(tmp_path / "out.zarr", consolidated=False)
    assert list(ds.shadow.values) == [0, 1] and int(ds.trials.sum()) == 40_000
    assert main(["plot", str(tmp_path / "out.zarr")]) == 0
    assert (tmp_path / "out.png").stat().st_size > 10_000


KILLABLE = """
model = "compliance"
trials = 3_000_000
chunk_trials = 250_000
seed = 5
[sweep]
horizon = [0, 5]
shadow = [0, 1]
"""


def _cli(*args):
    return [sys.executable, "-m", "mc_twolevel.cli", *args]


@pytest.mark.slow
def test_kill_sigterm_and_sigint_leave_a_store_that_resumes_to_the_unbroken_run(tmp_path):
    """kill -9, then SIGTERM (exit 143) and SIGINT (exit 130) on the same store, each midway;
    the rerun equals an unbroken run bit for bit."""
    study = tmp_path / "kill.toml"
    study.write_text(KILLABLE)
    whole, broken = tmp_path / "whole.zarr", tmp_path / "broken.zarr"
    subprocess.run(_cli("run", str(study), "--out", str(whole), "--workers", "2"), check=True, capture_output=True)
    for signum, status in ((signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 143), (signal.SIGINT, 130)):
        process = subprocess.Popen(_cli("run", str(study), "--out", str(broken), "--workers", "1"),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
        start, done = _done(broken), _done(broken)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and done <= start:
            time.sleep(0.05)
            done = _done(broken)
        process.send_signal(signum)
        err = " ".join(process.communicate(timeout=60)[1].split())
        assert process.returncode == status, err
        if signum != signal.SIGKILL:
            assert "run the same command again to resume" in err and "Traceback" not in err
            assert not Path(f"{broken}.lock").exists()
        assert zarr.open_group(broken, mode="r").attrs["mc_twolevel_status"] == "running"
    assert 0 < _done(broken) < 48, "the runs were interrupted midway"
    subprocess.run(_cli("run", str(study), "--out", str(broken), "--workers", "2"), check=True, capture_output=True)
    xr.testing.assert_equal(
        xr.open_zarr(broken, consolidated=False).load(), xr.open_zarr(whole, consolidated=False).load()
    )


def _done(path):
    try:
        return int((~np.isnan(zarr.open_group(path, mode="r")["ledger/counters"][:, 0])).sum())
    except (FileNotFoundError, KeyError, ValueError, RuntimeError):
        return 0


def test_a_finished_rerun_says_it_wrote_nothing(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(GOOD)
    out = tmp_path / "out.zarr"
    assert main(["run", str(path), "--out", str(out), "--workers", "1"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["run", str(path), "--out", str(out), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "already finished" in text and "wrote" not in text


def test_environment_failures_exit_3(tmp_path, capsys):
    import dask

    path = tmp_path / "s.toml"
    path.write_text(GOOD)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        status = main(["run", str(path), "--out", str(tmp_path / "o.zarr"), "--scheduler", "tcp://127.0.0.1:9"])
    assert status == 3 and "Traceback" not in capsys.readouterr().err
    ledger = mc_store.MemoryLedger(3)
    ledger.add_round(np.array([[0, 0, 0, 10]]))
    from distributed.client import FutureCancelledError

    with pytest.raises(mc_errors.EnvironmentFailure, match="cancelled"):
        ledger.record(np.array([0]), FutureCancelledError("k", "lost"))  # what as_completed yields for a cancelled task


def test_sensitivity_never_writes_over_what_is_not_its_own(tmp_path, capsys):
    study = tmp_path / "sens.toml"
    study.write_text(
        'model = "compliance"\ntrials = 200\nseed = 3\n[sample]\nmethod = "morris"\nn = 4\n'
        "ranges = { shadow = [0, 2], vol = [0.1, 0.3] }\n"
    )
    precious = tmp_path / "precious"
    (precious / "data").mkdir(parents=True)
    (precious / "chapter.tex").write_text("x")
    design = tmp_path / "d.zarr"
    status = main(["sensitivity", str(study), "--design", str(design), "--out", str(precious), "--workers", "1"])
    assert status == 2 and (precious / "chapter.tex").read_text() == "x"
    assert "precious exists and is not this study's analysis" in " ".join(capsys.readouterr().err.split())
    status = main(["sensitivity", str(study), "--design", str(design), "--out", str(design), "--workers", "1"])
    assert status == 2 and (design / "zarr.json").exists()  # the evaluated design is kept
    out = tmp_path / "indices.nc"
    assert main(["sensitivity", str(study), "--design", str(design), "--out", str(out), "--workers", "1"]) == 0
    assert main(["sensitivity", str(study), "--design", str(design), "--out", str(out), "--workers", "1"]) == 0


def test_small_inputs_are_checked_not_guessed():
    import numpy as np

    import mc_twolevel as mc

    with pytest.raises(mc.InputError, match="chunk_trials = 0"):
        mc.Study("compliance", trials=10, chunk_trials=0)
    with pytest.raises(mc.InputError, match="appear more than once"):
        mc.Study("compliance", sweep={"shadow": [0.5, 1.0, 0.5]}, trials=10)
    with pytest.raises(mc.InputError, match="workers = 2.5"):
        mc.Study("compliance", trials=10).run(workers=2.5)
    ds = mc.simulate("compliance", {"horizon": np.float64(2.0), "periods": np.int64(2)}, trials=np.int64(300),
                     seed=np.int64(4))  # fmt: skip
    assert int(ds.trials) == 300 and ds.sizes["period"] == 2
    assert mc.Study("compliance", trials=1e6).trials == 1_000_000


def test_version_and_module_entry_point():
    import mc_twolevel as mc

    out = subprocess.run([sys.executable, "-m", "mc_twolevel", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"mc-twolevel {mc.__version__}"


@pytest.mark.parametrize(("command", "kept"), [(["check", "--trials", "100"], False), (["run", "s.toml"], True)])
def test_an_interrupted_command_says_what_it_kept(tmp_path, capsys, monkeypatch, command, kept):
    """Only the commands that write a store keep finished work; check and plot keep nothing."""
    from mc_twolevel import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_check", interrupted)
    monkeypatch.setattr(cli, "_run", interrupted)
    monkeypatch.chdir(tmp_path)
    assert main(command) == 130
    err = " ".join(capsys.readouterr().err.split())
    assert ("finished work is kept in the store" in err) == kept and ("keeps nothing" in err) != kept, err
