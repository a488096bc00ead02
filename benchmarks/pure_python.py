"""Pure-Python versions of the benchmarked model points, for the speed-up column.

Plain loops over ``random`` and ``math``, the way a first script would be
written. Only what the benchmark points need: every compliance magnitude
lognormal and no regime shocks; one-round ratification under incomplete
information with single ratifiers and normal shocks.
"""

import math
import random

ROLES = ("direct", "oppose", "recip", "pill1", "pill2", "gov1", "gov2")


def compliance(point, trials, seed=1):
    """Counts of adherence and mutual compliance (cooperative selection)."""
    rng = random.Random(seed)
    years, vol, drift, lockin = point["horizon"], point["vol"], point["drift"], point["lockin"]
    weight = 1 + point["shadow"]
    agreed = mutual = 0
    for _ in range(trials):
        adhere, alone, together = [], [], []
        for state in ("h", "f"):
            m = {}
            for role in ROLES:
                dist = point[f"{role}_{state}"]
                m[role] = dist.a * math.exp(dist.b * rng.gauss(0.0, 1.0))
            adhered = m["direct"] + m["recip"] + m["pill1"] + m["gov1"] > m["oppose"]
            grown = {}
            for role in ("direct", "oppose", "recip", "pill2", "gov2"):
                won = adhered != (role == "oppose")
                rate = drift + (lockin if won else 0.0) - 0.5 * vol * vol
                grown[role] = m[role] * math.exp(rate * years + vol * math.sqrt(years) * rng.gauss(0.0, 1.0))
            s0 = grown["direct"] + grown["pill2"] + weight * grown["gov2"] - grown["oppose"]
            adhere.append(adhered)
            alone.append(s0)
            together.append(s0 + weight * grown["recip"])
        if adhere[0] and adhere[1]:
            agreed += 1
            uh, uf = alone[0] > 0, alone[1] > 0
            wh, wf = together[0] > 0, together[1] > 0
            both = wh and wf
            mutual += (uh and uf) or (uh and wf) or (uf and wh) or both
    return agreed, mutual


def ratification(point, offer, trials, seed=1):
    """Counts of ratification and involuntary defection at a fixed offer (a's share)."""
    rng = random.Random(seed)
    ratified = invol = 0
    for _ in range(trials):
        floors = []
        for state in ("a", "b"):
            r = point[f"mu_{state}"] + rng.gauss(0.0, point[f"shock_{state}"])
            floors.append(r - point[f"side_{state}"])
        if offer >= floors[0] and 1 - offer >= floors[1]:
            ratified += 1
        else:
            invol += 1
    return ratified, invol
