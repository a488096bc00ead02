"""The results schema: names shared by results, stores, figures and analyses.

Each output ``NAME`` of a model comes with companions ``NAME_se``, ``NAME_lo``,
``NAME_hi`` (the 95% interval) and ``NAME_n`` (the count it rests on). A store's
root carries a status (``running`` until the results are written, then
``complete``) and the hash of the study that made it.
"""

SE, LO, HI, N = "_se", "_lo", "_hi", "_n"
COMPANIONS = (SE, LO, HI, N)

STATUS = "mc_twolevel_status"  # store attribute: RUNNING or COMPLETE
RUNNING, COMPLETE = "running", "complete"
HASH = "study_hash"  # store and results attribute: the study's identity

MODEL = "model"
PLOT_OUTPUTS = "plot_outputs"
DESIGN = "design"
TRIALS_PER_POINT = "trials_per_point"
SENSITIVITY_KIND = "sensitivity"  # the ``kind`` attribute of an analysis


def companion(name, suffix):
    """The name of ``name``'s companion variable (``companion("p_mutual", SE)``)."""
    return f"{name}{suffix}"
