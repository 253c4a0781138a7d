"""Primal heuristic for a pod-packing tier: diving on the pattern LP.

Residual rounding with column generation ("diving"), the standard primal
heuristic of branch-and-price for cutting stock and bin packing (Vanderbeck
1999; Sadykov, Vanderbeck, Pessoa, Tahiri & Uchoa 2019, "Primal heuristics
for branch and price: the assets of diving methods", INFORMS J. Computing
31:251-267). On the restricted pattern LP of
:class:`~schedcert.models.podpack_bound.PatternLP`:

1. generate columns with the cheap pricings (greedy fills, then the
   depth-first knapsack search cut at a small node limit; exactness is not
   needed for a heuristic);
2. if every pattern column is integral, the LP solution is a packing: stop;
3. else fix every column's lower bound to ``floor(y_p)`` (this keeps the LP
   optimum) and round the column with the largest fractional part up to
   ``ceil(y_p)``: one more node committed to that pattern;
4. re-solve; if the LP value fell below the target (or the LP became
   infeasible), undo the rounding, ban that column at this depth and try
   the next one (at most ``TRIES`` per depth; a search that runs out of
   candidates before the deadline starts again with twice as many), else
   continue with 1.

Each depth commits at least one node, so a dive ends after at most N
roundings. The packing it returns is a placement of the relaxation (every
pod may go to any node of a type it is allowed on); the caller maps it to
real nodes (:func:`schedcert.models.podpack.placement_of_packing`) and the
validator checks the result, like every solution.
"""

from __future__ import annotations

import math
import time

import highspy
import numpy as np

from schedcert.models.podpack_bound import PatternLP, expand_patterns, relaxed_key

TRIES = 3  # columns tried per depth (doubled after an exhausted search, up to MAX_TRIES)
MAX_TRIES = 48
DIVE_NODES = 1_000  # node limit of the knapsack search during a dive
EPS = 1e-6


def _generate(lp: PatternLP, deadline: float) -> bool:
    """Heuristic column generation to (approximate) LP optimality; False if
    the LP is not optimal (infeasible fixings)."""
    while True:
        if not lp.solve():
            return False
        if time.perf_counter() > deadline:
            return True
        if lp.greedy_columns():
            continue
        added, _, _ = lp.priced_columns(DIVE_NODES, certify=False, extra=False)
        if not added:
            return True


def _pattern_values(lp: PatternLP) -> np.ndarray:
    col = lp.h.getSolution().col_value
    return np.array(col[lp.first_pattern:lp.first_pattern + len(lp.patterns)])


def _packing(lp: PatternLP, y: np.ndarray) -> list:
    """Per node (type, {relaxed class key: pods}) of an integral LP solution."""
    nodes = expand_patterns(lp.patterns, y, [cl[2] for cl in lp.classes])
    return [(k, {relaxed_key(lp.classes[c]): a for c, a in pat.items()}) for k, pat in nodes]


def dive(lp: PatternLP, target: int, deadline: float, tries: int = TRIES):
    """Look for a packing placing at least `target` pods of the tier (and the
    frozen counts above it) by diving (module docstring), backtracking over
    the `tries` best roundings at every depth; when that search is exhausted
    before `deadline`, again with twice as many.

    Parameters
    ----------
    lp : PatternLP
        The tier's restricted LP, typically after :func:`tier_bound`; its
        column bounds are restored on return, its new columns stay.
    target : int
        Pods of the tier the packing must place.
    deadline : float
        ``time.perf_counter()`` value.

    Returns
    -------
    (packing or None, info)
        `packing`: per node ``(type, {relaxed class key: pods})`` (keys as
        in :func:`~schedcert.models.podpack_bound.relaxed_keys`).
    """
    t0 = time.perf_counter()
    lower: dict = {}
    info = {"target": target, "roundings": 0, "undone": 0}
    h, inf = lp.h, highspy.kHighsInf

    def set_lb(j, v):
        lower[j] = v
        h.changeColBounds(lp.first_pattern + j, float(v), inf)

    def search():
        """Depth-first over roundings from the current (generated) LP."""
        y = _pattern_values(lp)
        if (np.abs(y - np.round(y)) < EPS).all():
            slack = h.getSolution().col_value[lp.C:lp.first_pattern]
            return _packing(lp, y) if all(abs(s) < EPS for s in slack) else None
        saved = dict(lower)
        for j in np.nonzero(np.floor(y + EPS) > 0)[0]:  # integer parts: the LP optimum stays
            v = int(math.floor(y[j] + EPS))
            if v > lower.get(int(j), 0):
                set_lb(int(j), v)
        frac = y - np.floor(y + EPS)
        candidates = [int(j) for j in np.argsort(-frac, kind="stable") if EPS < frac[j] < 1 - EPS][:tries]
        for j in candidates:
            if time.perf_counter() > deadline:
                break
            before = lower.get(j, 0)
            set_lb(j, before + 1)
            info["roundings"] += 1
            # columns are generated only when the LP alone falls short of the target
            if (lp.solve() and lp.lp >= target - EPS) or (_generate(lp, deadline) and lp.lp >= target - EPS):
                found = search()
                if found is not None:
                    return found
            info["undone"] += 1
            set_lb(j, before)
        for j in list(lower):  # back to this node's bounds
            if lower[j] != saved.get(j, 0):
                set_lb(j, saved.get(j, 0))
        _generate(lp, deadline)
        return None

    packing = None
    try:
        # a search that ends before the deadline without a packing has tried every
        # rounding it allowed: start again with twice the candidates per depth
        while packing is None and time.perf_counter() < deadline and tries <= MAX_TRIES:
            if not (_generate(lp, deadline) and lp.lp >= target - EPS):
                break
            packing = search()
            info["tries"] = tries
            tries *= 2
    finally:
        for j in list(lower):
            if lower[j]:
                set_lb(j, 0)
    info["time"] = round(time.perf_counter() - t0, 3)
    info["found"] = packing is not None
    return packing, info
