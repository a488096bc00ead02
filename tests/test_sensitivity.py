"""Designs and sensitivity indices: known indices, inert parameters, manifests, noise."""

import json

import numpy as np
import pytest
import xarray as xr
from ishigami_model import MODEL, S1, ST

import mc_twolevel as mc
from mc_twolevel.sensitivity import noise_warnings

mc.register(MODEL)
RANGES = {f"x{i}": [-np.pi, np.pi] for i in (1, 2, 3, 4)}


def ishigami(method="sobol", n=1024, trials=2, seed=7, **params):
    study = mc.Study("ishigami", params=params, sample={"method": method, "n": n, "ranges": RANGES},
                     trials=trials, seed=seed)  # fmt: skip
    return study, study.run(workers=1)


@pytest.fixture(scope="module")
def sobol():
    study, results = ishigami()
    return study, results, study.analyze(results)


def test_design_points_lie_along_a_sample_dimension(sobol):
    study, results, _ = sobol
    assert results.mean_y.dims == ("sample",)
    assert results.sizes["sample"] == 1024 * (4 + 2)
    assert np.array_equal(results["x2"].values, study.matrix[:, 1])


def test_sobol_indices_of_the_ishigami_function_fall_within_their_intervals(sobol):
    _, _, indices = sobol
    row = indices.sel(output="mean_y")
    for j, (s1, st) in enumerate(zip(S1, ST)):
        assert abs(row.S1.values[j] - s1) <= 2 * row.S1_conf.values[j] + 0.01, (j, row.S1.values[j], s1)
        assert abs(row.ST.values[j] - st) <= 2 * row.ST_conf.values[j] + 0.01, (j, row.ST.values[j], st)


def test_a_parameter_that_cannot_reach_the_output_has_no_total_effect(sobol):
    _, _, indices = sobol
    assert abs(float(indices.ST.sel(output="mean_y", parameter="x4"))) < 0.01
    assert float(indices.noise_share.sel(output="mean_y")) == 0.0


def test_morris_screening_ranks_the_inert_parameter_last():
    study, results = ishigami(method="morris", n=64)
    indices = study.analyze(results)
    mu_star = indices.mu_star.sel(output="mean_y")
    assert float(mu_star.sel(parameter="x4")) == 0.0
    assert set(indices.data_vars) >= {"mu_star", "mu_star_conf", "sigma"}
    assert float(mu_star.sel(parameter="x1")) > float(mu_star.sel(parameter="x3")) > 0


def test_a_mismatched_design_is_refused(sobol):
    _, results, _ = sobol
    other = mc.Study("ishigami", sample={"method": "sobol", "n": 512, "ranges": RANGES}, trials=1, seed=7)
    with pytest.raises(mc.InputError, match="does not match.*n=1024.*n=512"):
        other.analyze(results)


def test_one_trial_per_point_leaves_the_noise_unknown_and_says_so():
    study, results = ishigami(n=16, trials=1)
    (warning,) = noise_warnings(study.analyze(results))
    assert "unknown" in warning and "2 trials" in warning


def test_monte_carlo_noise_is_measured_and_warned_about():
    study, results = ishigami(n=128, trials=4, noise=20.0)
    indices = study.analyze(results)
    share = float(indices.noise_share.sel(output="mean_y"))
    assert 0.3 < share < 1.5  # noise variance 400 / 4 = 100 against a signal variance near 13.8
    (warning,) = noise_warnings(indices)
    assert "mean_y" in warning and "trials per point" in warning


@pytest.mark.parametrize(
    "sample, words",
    [
        ({"method": "sobol", "n": 100, "ranges": {"x1": [0, 1]}}, ["power of 2", "128"]),
        ({"method": "grid", "n": 8, "ranges": {"x1": [0, 1]}}, ["method", "sobol"]),
        ({"method": "lhs", "n": 8, "ranges": {"x1": [1, 0]}}, ["ranges.x1", "low < high"]),
        ({"method": "lhs", "n": 8, "ranges": {"x9": [0, 1]}}, ["unknown parameter", "x9"]),
        ({"method": "lhs", "n": 8}, ["ranges"]),
    ],
)
def test_malformed_designs_are_refused_by_name(sample, words):
    with pytest.raises(mc.InputError) as error:
        mc.Study("ishigami", sample=sample)
    for word in words:
        assert word in str(error.value)


def test_designs_round_whole_numbers_and_refuse_choices():
    study = mc.Study("ratification", sample={"method": "lhs", "n": 16, "ranges": {"n_a": [1, 101]}}, trials=10)
    assert np.all(study.matrix[:, 0] == np.round(study.matrix[:, 0]))
    with pytest.raises(mc.InputError, match="choice"):
        mc.Study("ratification", sample={"method": "lhs", "n": 16, "ranges": {"info": [0, 2]}})
    with pytest.raises(mc.InputError, match="either a \\[sweep\\] or a \\[sample\\]"):
        mc.Study("compliance", sweep={"vol": [0.1]}, sample={"method": "lhs", "n": 4, "ranges": {"vol": [0, 1]}})


def test_the_sensitivity_command_writes_indices_and_plots_them(tmp_path, capsys):
    from mc_twolevel.cli import main

    study = tmp_path / "ishigami.toml"
    study.write_text('model = "ishigami"\ntrials = 2\nseed = 3\n[sample]\nmethod = "sobol"\nn = 64\n'
                     'ranges = { x1 = [-3.14159, 3.14159], x2 = [-3.14159, 3.14159], x4 = [0, 1] }\n')  # fmt: skip
    out, design = tmp_path / "indices.nc", tmp_path / "design.zarr"
    assert main(["sensitivity", str(study), "--out", str(out), "--design", str(design), "--workers", "1"]) == 0
    assert "top ST" in capsys.readouterr().out
    indices = xr.load_dataset(out)
    assert set(indices.parameter.values) == {"x1", "x2", "x4"} and "ST_conf" in indices
    assert main(["plot", str(out)]) == 0
    assert (tmp_path / "indices.png").stat().st_size > 10_000
    assert main(["sensitivity", str(study), "--out", str(out), "--design", str(design), "--seed", "4"]) == 2
    assert "different study" in capsys.readouterr().err


def compliance_design(outputs, **params):
    sample = {"method": "sobol", "n": 32, "ranges": {"shadow": [0.0, 2.0], "pill2_h": [0.05, 1.0]},
              "outputs": outputs}  # fmt: skip
    study = mc.Study("compliance", params=params, sample=sample, trials=4_000, seed=11,
                     plot={"outputs": ["p_comply_h"]})  # fmt: skip
    return study, study.analyze(study.run(workers=1))


def test_an_output_the_design_cannot_reach_is_said_to_need_no_more_trials():
    _, indices = compliance_design(["p_adhere", "p_mutual"])  # adherence (t1) cannot see t2's shadow or pill2
    assert list(indices.output.values) == ["p_adhere", "p_mutual"]  # from [sample] outputs, not [plot]
    assert float(indices.noise_only_p.sel(output="p_adhere")) > 0.01
    assert float(indices.noise_only_p.sel(output="p_mutual")) < 1e-6
    warnings = noise_warnings(indices)
    (adhere,) = [w for w in warnings if w.startswith("p_adhere")]
    assert "no dependence" in adhere and "no number of trials" in adhere
    assert not any(w.startswith("p_mutual") and "no number" in w for w in warnings)


def test_a_vector_output_is_analysed_label_by_label():
    _, indices = compliance_design(["p_survive"], periods=3)
    analysed = list(indices.output.values) + json.loads(indices.attrs["left_out"])
    assert sorted(analysed) == ["p_survive[1]", "p_survive[2]", "p_survive[3]"]
    assert indices.ST.dims == ("output", "parameter")


def test_a_misspelt_sample_output_is_refused_with_a_suggestion():
    with pytest.raises(mc.InputError, match="did you mean 'p_mutual'"):
        mc.Study("compliance", sample={"method": "sobol", "n": 4, "ranges": {"shadow": [0, 1]},
                                       "outputs": ["p_mutul"]})  # fmt: skip


@pytest.mark.parametrize(
    "model, ranges, words",
    [("compliance", {"shadow": [0, 200]}, ["ranges.shadow = [0, 200]", "shadow = 200.0 is out of range", "[0, 100]"]),
     ("compliance", {"direct_h.median": [-1, 2]}, ["ranges.direct_h.median = [-1, 2]", "median > 0"]),
     ("ratification", {"n_a": [1, 20_000]}, ["ranges.n_a = [1, 20000]", "[1, 10001]"])],
)  # fmt: skip
def test_a_range_beyond_a_parameters_bounds_is_refused_by_its_ends(model, ranges, words):
    with pytest.raises(mc.InputError) as error:
        mc.Study(model, sample={"method": "sobol", "n": 8, "ranges": ranges}, trials=10)
    assert all(word in str(error.value) for word in words), str(error.value)
    assert "np.float64" not in str(error.value)
