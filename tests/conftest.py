import numpy as np
import pytest

SIGMAS = 5  # every Monte Carlo comparison in this suite is within 5 standard errors


def assert_within(dataset, name, expected, sigmas=SIGMAS):
    """``dataset[name]`` is within ``sigmas`` standard errors of ``expected`` (with a standard
    error of 0, every trial gave one value: equal to ``expected`` up to rounding)."""
    value, se = float(dataset[name]), float(dataset[f"{name}_se"])
    if se == 0:
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-15), f"{name}: se is 0 and {value} != {expected}"
        return
    assert abs(value - expected) <= sigmas * se, (
        f"{name} = {value:.6f} +/- {se:.2e}, expected {expected:.6f} "
        f"({abs(value - expected) / se:.1f} standard errors away)"
    )


def two_sample_z(k1, n1, k2, n2):
    """The z statistic of two proportions (0 when both are certain and agree)."""
    p = (k1 + k2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    diff = k1 / n1 - k2 / n2
    return 0.0 if se == 0 and diff == 0 else abs(diff) / se


def local_cluster(**options):
    """A ``distributed.LocalCluster`` with no dashboard, whose scheduler serves its HTTP routes
    (health, metrics) on a free port of 127.0.0.1: ``dashboard_address=None`` alone still binds
    port 8787 on every interface, and a second cluster then warns that the port is in use."""
    from distributed import LocalCluster

    return LocalCluster(dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}, **options)


@pytest.fixture(scope="session")
def dask_client():
    """A two-thread in-process Dask cluster, the engine's local layout."""
    from distributed import Client

    with local_cluster(n_workers=1, threads_per_worker=2, processes=False) as cluster, Client(cluster) as client:
        yield client


def known_answer_params(**extra):
    """The compliance known-answer set-up: J, L, K ~ U(0, 1), adherence forced."""
    from mc_twolevel.models.compliance import trachtman_uniform

    return trachtman_uniform(**extra)
