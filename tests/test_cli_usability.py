"""The command line as a newcomer meets it: plain help, suggestions for misspellings,
a word before start-up, and options that cannot work together said so."""

import argparse
import json

import pytest

import mc_twolevel as mc
from mc_twolevel.cli import _precision_note, _starting, main, parser

STUDY = 'model = "compliance"\ntrials = 2_000\nseed = 1\n[sweep]\nshadow = [0, 1]\n'


@pytest.mark.parametrize("command", [[], ["run"], ["models"], ["plot"], ["sensitivity"], ["check"]])
def test_help_is_plain_text_and_every_positional_says_what_it_is(command, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args([*command, "--help"])
    text = capsys.readouterr().out
    assert "``" not in text and ":func:" not in text
    if command:
        (commands,) = parser()._subparsers._group_actions
        positionals = [a for a in commands.choices[command[0]]._actions if not a.option_strings]
        assert all(a.help for a in positionals), [a.dest for a in positionals if not a.help]


@pytest.mark.parametrize(
    "text, suggestion",
    [('model = "complience"\n', "did you mean 'compliance'"),
     ('model = "compliance"\n[sweep]\nshadw = [1, 2]\n', "did you mean 'shadow'")],
)  # fmt: skip
def test_a_misspelt_model_or_parameter_gets_a_suggestion(text, suggestion, tmp_path, capsys):
    study = tmp_path / "bad.toml"
    study.write_text(text)
    assert main(["run", str(study), "--out", str(tmp_path / "x.zarr")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mc-twolevel: loading") and suggestion in err


def test_trials_on_a_study_whose_default_store_exists_points_at_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(STUDY)
    assert main(["run", "s.toml", "--workers", "1"]) == 0
    assert main(["run", "s.toml", "--workers", "1", "--trials", "3000"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "with --trials this is a different study" in err and "--out results/s-3000.zarr" in err
    assert main(["run", "s.toml", "--workers", "1", "--trials", "3000", "--out", "results/s-3000.zarr"]) == 0


def test_workers_with_a_scheduler_is_said_to_be_ignored(capsys):
    _starting(argparse.Namespace(study="s.toml", scheduler="tcp://10.0.0.1:8786", workers=4))
    assert "--workers is ignored with --scheduler" in capsys.readouterr().err
    _starting(argparse.Namespace(study="s.toml", scheduler=None, workers=4))
    assert "ignored" not in capsys.readouterr().err


def test_a_coarse_precision_target_is_told_about_whole_chunks(capsys):
    _precision_note(mc.Study("compliance", precision=0.05))
    err = capsys.readouterr().err
    assert "needs at most about 385 trials" in err and "chunk_trials = 512 and max_trials = 1_048_576" in err
    _precision_note(mc.Study("compliance", precision=0.05, chunk_trials=512, max_trials=1_048_576))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("text, expected", [("20000", 20_000), ("20_000", 20_000), ("2e4", 20_000), ("1.5e3", 1_500)])
def test_trials_and_seeds_on_the_command_line_are_written_as_in_a_study_file(text, expected):
    assert parser().parse_args(["check", "--trials", text]).trials == expected
    assert parser().parse_args(["run", "s.toml", "--seed", text]).seed == expected


@pytest.mark.parametrize("option, text", [("--trials", "0"), ("--trials", "1.5"), ("--trials", "many"),
                                          ("--trials", "inf"), ("--seed", "-1"), ("--seed", "abc")])  # fmt: skip
def test_a_bad_count_or_seed_is_one_line_naming_what_is_expected(option, text, capsys):
    with pytest.raises(SystemExit) as ended:
        parser().parse_args(["run", "s.toml", option, text])
    assert ended.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"argument {option}: expected a whole number >= " in last and repr(text) in last
    assert "_positive" not in last and "invalid" not in last


@pytest.mark.parametrize(
    "text, words",
    [('model = "compliance"\ntrial = 2_000\n', ["unknown key(s) trial", "did you mean 'trials'"]),
     ('model = "compliance"\n[params]\nsequential = "yes"\n', ["sequential = 'yes'", "true or false", "unquoted"])],
)  # fmt: skip
def test_a_misspelt_key_or_a_quoted_switch_is_said_in_the_study_files_terms(text, words, tmp_path, capsys):
    study = tmp_path / "bad.toml"
    study.write_text(text)
    assert main(["run", str(study), "--out", str(tmp_path / "x.zarr")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert all(word in err for word in words), err
    assert "False, True" not in err


def test_plot_refuses_what_it_did_not_write_and_draws_an_analysis_into_a_new_folder(tmp_path, capsys):
    import numpy as np
    import xarray as xr

    foreign = xr.Dataset({"a": ("x", np.arange(3.0))})
    foreign.to_netcdf(tmp_path / "other.nc", engine="h5netcdf")
    foreign.to_zarr(tmp_path / "other.zarr", consolidated=False)
    (tmp_path / "text.nc").write_text("not a NetCDF file")
    for name in ("other.nc", "other.zarr", "text.nc"):
        assert main(["plot", str(tmp_path / name)]) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert "not a store or analysis written by mc_twolevel" in err and "internal error" not in err
        assert ("damaged" in err) == (name == "text.nc"), err  # what cannot be read at all may be damaged
    study = tmp_path / "sens.toml"
    study.write_text('model = "compliance"\ntrials = 200\nseed = 3\n[sample]\nmethod = "morris"\nn = 4\n'
                     "ranges = { shadow = [0, 2], vol = [0.1, 0.3] }\n")  # fmt: skip
    indices = tmp_path / "indices.nc"
    command = ["sensitivity", str(study), "--design", str(tmp_path / "d.zarr"), "--out", str(indices), "--workers", "1"]
    assert main(command) == 0
    assert main(["plot", str(indices), "--out", str(tmp_path / "figures" / "new")]) == 0
    assert (tmp_path / "figures" / "new" / "indices.png").stat().st_size > 10_000


def test_the_check_table_keeps_its_columns_whatever_the_length_of_a_case(monkeypatch, capsys):
    from types import SimpleNamespace

    from mc_twolevel import known_answers

    def answer(case, output, at):
        return SimpleNamespace(model="compliance", case=case, output=output, at=at, value=0.5)

    rows = [(answer("short", "p_mutual", {}), 0.501, 0.001, 1.0),
            (answer("a case described at much greater length than fifty-five characters", "p_survive",
                    {"period": 3}), 0.499, 0.001, 1.0)]  # fmt: skip
    monkeypatch.setattr(known_answers, "check", lambda trials: rows)
    assert main(["check", "--trials", "10"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()[:3]
    claims = {line.index("0.50000") for line in lines}
    assert len(claims) == 1 and header.index("claim") + len("claim") == claims.pop() + len("0.50000")
    assert "p_survive[3]" in lines[1]


def test_models_shows_the_doughnut_box_as_a_reader_would_write_it_and_keeps_outputs_aligned(capsys):
    assert main(["models", "doughnut"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "default: 11 doughnuts in 7 types: 3 glazed, 2 chocolate frosted" in text
    assert "{'name'" not in text and "'sprinkles': False" not in text
    assert main(["models", "compliance"]) == 0
    lines = capsys.readouterr().out.split("Outputs")[1].splitlines()[1:]
    assert len({line.index(" probability: " if " probability: " in line else " mean: ") for line in lines}) == 1


def test_an_analysis_written_as_zarr_says_nothing_of_zarr_opens_plainly_and_is_drawn_only_whole(
    tmp_path, recwarn, capsys
):
    import warnings

    import xarray as xr

    study = tmp_path / "sens.toml"
    study.write_text('model = "compliance"\ntrials = 200\nseed = 3\n[sample]\nmethod = "morris"\nn = 4\n'
                     "ranges = { shadow = [0, 2], vol = [0.1, 0.3] }\n")  # fmt: skip
    out = tmp_path / "indices.zarr"
    assert (
        main(["sensitivity", str(study), "--design", str(tmp_path / "d.zarr"), "--out", str(out), "--workers", "1"])
        == 0
    )
    assert not [w for w in recwarn if "zarr" in str(w.message).lower()], [str(w.message) for w in recwarn]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        indices = xr.open_zarr(out)
    assert list(indices.parameter.values) == ["shadow", "vol"] and indices.attrs["method"] == "morris"
    assert main(["plot", str(out)]) == 0  # whole: drawn
    root = out / "zarr.json"  # as if the write had stopped before its last step, the consolidated metadata
    meta = json.loads(root.read_text())
    meta.pop("consolidated_metadata")
    root.write_text(json.dumps(meta))
    assert main(["plot", str(out)]) == 2
    assert "writing was cut short" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize("command", [["run", "s.toml", "--out", ""], ["run", ""], ["plot", " "],
                                     ["sensitivity", "s.toml", "--design", ""], ["plot", "x.zarr", "--out", ""]])  # fmt: skip
def test_an_empty_path_is_refused_rather_than_read_as_the_default(command, capsys):
    with pytest.raises(SystemExit) as ended:
        parser().parse_args(command)
    assert ended.value.code == 2 and "an empty path" in capsys.readouterr().err


def test_a_design_store_that_is_refused_is_named_by_its_own_option(tmp_path, capsys):
    study = tmp_path / "sens.toml"
    study.write_text('model = "compliance"\ntrials = 200\nseed = 3\n[sample]\nmethod = "morris"\nn = 4\n'
                     "ranges = { shadow = [0, 2], vol = [0.1, 0.3] }\n")  # fmt: skip
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter.tex").write_text("x")
    assert main(["sensitivity", str(study), "--design", str(tmp_path / "thesis"), "--workers", "1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "choose another --design" in err and "--out" not in err


def test_a_misspelt_plot_output_gets_a_suggestion():
    with pytest.raises(mc.InputError, match="'p_mutal' is not an output \\(did you mean 'p_mutual'\\?\\)"):
        mc.Study("compliance", plot={"outputs": ["p_mutal"]}, trials=10)


def test_the_closing_line_counts_the_kernels_seconds_when_they_are_felt(tmp_path, monkeypatch, capsys):
    from mc_twolevel import cli

    ds = mc.simulate("compliance", {"shadow": 1.0}, trials=1_000, seed=1)
    study = tmp_path / "s.toml"
    study.write_text(STUDY)
    for seconds, words in ((24.4, "s (and 24.4 s compiling or loading the kernel)"), (0.2, "trials, ")):
        ds.attrs.update(compile_seconds=seconds, run_seconds=0.01)
        monkeypatch.setattr(cli, "_run_study", lambda *args, **kwargs: ds)
        assert main(["run", str(study), "--out", str(tmp_path / f"{seconds}.zarr")]) == 0
        out = capsys.readouterr().out
        assert words in out and ("compiling" in out) == (seconds >= 1)
