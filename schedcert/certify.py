"""Certify a heuristic: run it, then an exact method warm-started from its
solution, and report whether the heuristic is proven optimal or its proven
gap.

The certificate's ``heuristic_gap`` uses the one gap definition of
:func:`schedcert.result.gap` with the exact method's proven bound.
"""

from __future__ import annotations

from dataclasses import replace

from schedcert.registry import Problem, get_method, run_method
from schedcert.result import Options, Result, gap


def certify(problem: Problem, instance, heuristic: str, exact: str | None = None,
            options: Options | None = None) -> dict:
    """Run `heuristic`, then `exact` (default: the problem's default exact
    method) warm-started from the heuristic's solution.

    ``options.time_limit`` applies to each of the two runs.

    Returns
    -------
    dict
        ``heuristic`` and ``exact`` (Result objects), ``bound`` (best proven
        bound), ``heuristic_gap``, ``heuristic_optimal`` (bool: proven),
        ``exact_improves`` (bool).

    Raises
    ------
    InputError
        Unknown method names, or `heuristic` is not a heuristic.
    """
    options = options or Options()
    exact = exact or problem.default_method
    get_method(problem, heuristic)
    get_method(problem, exact)
    h: Result = run_method(problem, heuristic, instance, options)
    e: Result = run_method(problem, exact, instance, replace(options, warm_start=h.solution))
    bounds = [b for b in (h.bound, e.bound) if b is not None]
    bound = (max(bounds) if problem.sense == "min" else min(bounds)) if bounds else None
    hg = gap(h.objective, bound)
    return {
        "heuristic": h,
        "exact": e,
        "bound": bound,
        "heuristic_gap": hg,
        "heuristic_optimal": hg is not None and hg == 0,
        "exact_improves": (e.objective is not None and h.objective is not None
                           and (e.objective < h.objective if problem.sense == "min" else e.objective > h.objective)),
    }
