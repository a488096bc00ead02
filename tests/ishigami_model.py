"""The Ishigami function as a test model, with known Sobol' indices.

f = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1 on [-pi, pi]^3 (Ishigami and Homma 1990):
S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437). x4 never reaches the
output; ``noise`` adds N(0, noise^2) to each trial, so a point's estimate is noisy.
"""

import math

import numba

from mc_twolevel.model import CounterLayout, Mean, Model, add_sample
from mc_twolevel.params import ParamSet, Real
from mc_twolevel.rng import normal

S1 = (0.3139, 0.4424, 0.0)
ST = (0.5576, 0.4424, 0.2437)

PARAMS = ParamSet(
    *(Real(f"x{i}", 0.0, -math.pi, math.pi, f"input {i}") for i in (1, 2, 3, 4)),
    Real("noise", 0.0, 0.0, 100.0, "sd of the noise added to each trial"),
)
OUTPUTS = (Mean("mean_y", "y", "the Ishigami function"),)
P = PARAMS.slots()
C = CounterLayout(OUTPUTS).slots()


@numba.njit(nogil=True)
def kernel(theta, trials, states, totals):
    s = states[0]
    x1, x2, x3, noise = theta[P.x1], theta[P.x2], theta[P.x3], theta[P.noise]
    f = math.sin(x1) + 7.0 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)
    for _ in range(trials):
        y = f + noise * normal(s) if noise > 0.0 else f
        add_sample(totals, C.y, C.y_sq, y)


MODEL = Model(
    name="ishigami",
    summary="the Ishigami function (a test model)",
    reference="Ishigami and Homma (1990)",
    params=PARAMS,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 16,
)
