"""Signals at any moment of a command: while it starts (the package's imports), and a second one
while the first is being handled. Each ends with one line and exit 130 (SIGINT) or 143 (SIGTERM),
never a traceback, and the store resumes to the unbroken run's bits."""

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import xarray as xr
import zarr
from test_cli import _done

import mc_twolevel as mc

ROOT = Path(mc.__file__).parent.parent
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(ROOT)}
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def test_the_command_enters_through_the_launcher():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["mc-twolevel"] == "mc_twolevel_launcher:main", "the console script must not import the package first"


@pytest.mark.parametrize(
    "command, ours",
    [
        (["python", "-m", "mc_twolevel", "run", "s.toml"], True),
        (["python", "-X", "faulthandler", "-mmc_twolevel.cli", "run"], True),
        (["python", "-m", "theirs.sub"], False),  # a package that imports ours while Python locates theirs
        (["python", "-m", "mc_twolevel_extra"], False),
    ],
)  # fmt: skip
def test_the_package_takes_the_signals_only_when_python_runs_it(monkeypatch, command, ours):
    import mc_twolevel_launcher

    taken = []
    monkeypatch.setattr(sys, "orig_argv", command)
    monkeypatch.setattr(mc_twolevel_launcher, "starting", lambda: taken.append(True))
    mc_twolevel_launcher.starting_as_module("mc_twolevel")
    assert taken == ([True] if ours else [])


def _catches_sigterm(pid):
    """Whether ``pid`` has a handler for SIGTERM (Linux: the SigCgt mask of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as status:
        caught = next(line for line in status if line.startswith("SigCgt:")).split()[1]
    return bool(int(caught, 16) >> (signal.SIGTERM - 1) & 1)


def _start(command, tmp_path):
    """Start ``command``; return the process once its first line of our code has run (before
    that, Python itself is starting, which no program can make quiet)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=ENVIRONMENT, cwd=tmp_path)  # fmt: skip
    deadline = time.monotonic() + 30
    while not _catches_sigterm(process.pid):
        assert process.poll() is None and time.monotonic() < deadline, "the command never took the signals"
        time.sleep(0.002)
    return process


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc to see the handlers")
@pytest.mark.parametrize(
    "entry, signum, delay",
    [
        ("mc_twolevel_launcher", signal.SIGINT, 0.0),  # the console script mc-twolevel
        ("mc_twolevel_launcher", signal.SIGTERM, 0.05),
        ("mc_twolevel_launcher", signal.SIGINT, 0.2),
        ("mc_twolevel_launcher", signal.SIGTERM, 0.5),
        ("mc_twolevel", signal.SIGINT, 0.05),  # python -m mc_twolevel
        ("mc_twolevel", signal.SIGTERM, 0.3),
    ],
)  # fmt: skip
def test_a_signal_while_the_command_starts_ends_it_in_one_line(tmp_path, entry, signum, delay):
    """Until the package is loaded (about a second) a signal stops the command at once, before anything
    is written; later the command takes it over (as tests/test_cli.py checks during a run)."""
    (tmp_path / "s.toml").write_text('model = "compliance"\ntrials = 1000\n')
    process = _start([sys.executable, "-m", entry, "run", "s.toml", "--out", "s.zarr", "--workers", "1"], tmp_path)
    time.sleep(delay)
    process.send_signal(signum)
    err = " ".join(process.communicate(timeout=60)[1].split())
    assert process.returncode == STATUS[signum] and "Traceback" not in err, err
    name = signal.Signals(signum).name
    if delay <= 0.2:  # the imports take longer than that
        assert err == f"mc-twolevel: stopped by {name} while starting; nothing was run", err
        assert not (tmp_path / "s.zarr").exists()
    else:
        taken_over = "interrupted; finished work is kept" if signum == signal.SIGINT else "terminated (SIGTERM)"
        assert f"stopped by {name} while starting" in err or taken_over in err, err


SLOW_TASKS = """
model = "compliance"
trials = 25_165_824
chunk_trials = 8_388_608
seed = 6
"""  # three chunks, each its own task of 0.5-1.5 s


@pytest.mark.slow
def test_a_second_signal_while_the_first_is_handled_stops_at_once_and_the_store_resumes(tmp_path):
    """Ctrl-C twice: the first stops the run, which waits for its running task; the second, during
    that wait, ends the process at once (exit 130, one line) and the store resumes bit for bit."""
    study, out = tmp_path / "s.toml", tmp_path / "s.zarr"
    study.write_text(SLOW_TASKS)
    command = [sys.executable, "-m", "mc_twolevel_launcher", "run", str(study), "--out", str(out), "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=ENVIRONMENT)  # fmt: skip
    deadline = time.monotonic() + 120
    while _done(out) == 0:  # the first task is recorded, so the second has just started
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it was interrupted"
        time.sleep(0.01)
    kept = _done(out)
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    err = process.communicate(timeout=60)[1]
    assert process.returncode == 130 and "Traceback" not in err, err
    assert err.splitlines()[-1] == ("mc-twolevel: stopped by SIGINT again, at once; finished work is kept in the "
                                    "store; run the same command again to resume"), err  # fmt: skip
    assert _done(out) >= kept and zarr.open_group(out, mode="r").attrs["mc_twolevel_status"] == "running"
    assert subprocess.run(command, env=ENVIRONMENT, capture_output=True).returncode == 0
    unbroken = mc.Study.from_toml(study).run(workers=1)
    xr.testing.assert_equal(unbroken.drop_attrs(), xr.open_zarr(out, consolidated=False).load().drop_attrs())
