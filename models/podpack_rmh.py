"""Primal heuristic for a pod-packing tier: the restricted master as an
integer program.

Once column generation has converged, the restricted pattern LP of
:class:`~schedcert.models.podpack_bound.PatternLP` holds the patterns an
optimal LP solution uses and many near-optimal ones. Making the pattern
columns integer and solving that program (HiGHS' branch-and-cut, with a
time limit) is the "restricted master heuristic" of branch-and-price
(price-and-branch; e.g. Joncour, Michel, Sadykov, Sverdlov & Vanderbeck
2010, "Column generation based primal heuristics", Electronic Notes in
Discrete Mathematics 36:695-702). It finds no packing that uses a pattern
the LP lacks, so it is a heuristic; it pays where the patterns are few
(nodes holding about four pods: a few hundred columns), where diving
often fails, and stalls on the thousands of patterns of larger nodes,
hence ``MAX_COLUMNS``. The packing is a placement of the relaxation; the
caller maps it to real nodes and the validator checks the result.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from schedcert.models.podpack_bound import PatternLP
from schedcert.models.podpack_dive import _packing

MAX_COLUMNS = 600  # larger restricted masters are not tried
EPS = 1e-6


def restricted_master(lp: PatternLP, target: int, deadline: float):
    """The integer program over the LP's pattern columns (module docstring).

    Parameters
    ----------
    lp : PatternLP
        The tier's restricted LP after column generation; returned with its
        columns continuous again and its time limit removed.
    target : int
        Pods of the tier wanted; a packing is returned only if it places
        at least that many (and the frozen counts).
    deadline : float
        ``time.perf_counter()`` value.

    Returns
    -------
    (packing or None, info)
        `packing`: per node ``(type, {relaxed class key: pods})``.
    """
    t0 = time.perf_counter()
    n = len(lp.patterns)
    info = {"target": target, "columns": n}
    if n > MAX_COLUMNS or deadline - t0 < 0.01:
        info["skipped"] = True
        return None, info
    h = lp.h
    idx = np.arange(lp.first_pattern, lp.first_pattern + n, dtype=np.int32)
    h.changeColsIntegrality(n, idx, np.array([highspy.HighsVarType.kInteger] * n))
    h.setOptionValue("time_limit", max(0.01, deadline - t0))
    packing = None
    try:
        h.run()
        sol = h.getSolution()
        if h.getInfo().primal_solution_status == 2 and h.getInfo().objective_function_value >= target - EPS:
            col = np.array(sol.col_value)
            y = np.round(col[lp.first_pattern:lp.first_pattern + n])
            if all(abs(s) < EPS for s in col[lp.C:lp.first_pattern]):  # no artificial slack
                packing = _packing(lp, y)
    finally:
        h.changeColsIntegrality(n, idx, np.array([highspy.HighsVarType.kContinuous] * n))
        h.setOptionValue("time_limit", highspy.kHighsInf)
    info["found"] = packing is not None
    info["time"] = round(time.perf_counter() - t0, 3)
    return packing, info
