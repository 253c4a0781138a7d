"""Certify a heuristic: run it (or take a schedule someone else made, from a
file), then an exact method warm-started from its solution, and report
whether the heuristic is proven optimal or its proven gap.

The certificate's ``heuristic_gap`` uses the one gap definition of
:func:`schedcert.result.gap` with the exact method's proven bound (relative
to the heuristic's own objective, as a MIP gap is). How far the heuristic is
from the *optimum*, ``|objective - optimum| / optimum``, is a different
number: :func:`deviation_bound` gives the most it can be, proven.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from schedcert.errors import InputError
from schedcert.registry import Problem, default_method_for, get_method, run_method
from schedcert.result import Options, Result, Status, agrees, gap, is_number


def deviation_bound(objective: float | None, bound: float | None, sense: str = "min") -> float | None:
    """Proven upper bound on the relative deviation of `objective` from the
    unknown optimum OPT, ``|objective - OPT| / OPT``, given a proven `bound`
    (minimisation: bound <= OPT; maximisation: bound >= OPT).

    Minimisation: ``(objective - bound) / bound``, since OPT >= bound > 0
    makes ``objective / OPT - 1`` at most that. Maximisation:
    ``(bound - objective) / bound``, since ``1 - objective / OPT`` grows with
    OPT for a non-negative objective. Equal to the deviation itself when the
    bound is the optimum. None when a value is missing or the bound is not
    positive (no ratio can be proven; 0 when objective equals the bound).

    This is not :func:`schedcert.result.gap`, which divides by the
    objective: a heuristic at 86 with optimum 73 has gap 15.1 % but lies
    17.8 % above the optimum.
    """
    if objective is None or bound is None:
        return None
    if objective == bound:
        return 0.0
    if bound <= 0 or (sense == "max" and objective < 0):
        return None
    return (objective - bound) / bound if sense == "min" else (bound - objective) / bound


def deviation_floor(objective: float | None, best: float | None, sense: str = "min") -> float | None:
    """Proven lower bound on the relative deviation of `objective` from the
    unknown optimum OPT, ``|objective - OPT| / OPT``, given a feasible
    solution of objective `best` (minimisation: OPT <= best; maximisation:
    OPT >= best).

    Minimisation: ``(objective - best) / best``, since ``objective / OPT - 1``
    can only be larger for OPT <= best. Maximisation: ``(best - objective)
    / best``, since ``1 - objective / OPT`` grows with OPT for a
    non-negative objective. 0 when `best` is no better than `objective`;
    equal to :func:`deviation_bound` when `best` is the proven optimum.
    None when a value is missing or `best` is not positive.
    """
    if objective is None or best is None:
        return None
    if (best >= objective) if sense == "min" else (best <= objective):
        return 0.0
    if best <= 0 or (sense == "max" and objective < 0):
        return None
    return (objective - best) / best if sense == "min" else (best - objective) / best


def best_objective(objectives, sense: str = "min") -> float | None:
    """The best of `objectives` (None entries skipped; None when all are)."""
    found = [o for o in objectives if o is not None]
    return (min(found) if sense == "min" else max(found)) if found else None


def false_certificate_claims(cert: dict, heuristic_objective, exact_objective, sense: str = "min") -> list[str]:
    """What a certificate document (``certify --json``) states about how
    far its heuristic is from the optimum that its own numbers refute:
    a ``heuristic_deviation`` other than :func:`deviation_bound` of the
    heuristic's validated objective and the stated ``bound``, a
    ``heuristic_deviation_min`` other than :func:`deviation_floor` of it and
    the better validated objective of the two schedules, or
    ``optimum_proven`` true with a bound equal to neither validated
    objective. `heuristic_objective`/`exact_objective`: the validator's,
    None for a schedule that is missing or infeasible (then nothing is
    checked against it). The objectives, the bound's side, ``heuristic_gap``
    and ``heuristic_optimal`` are each Result's claims
    (:func:`schedcert.result.false_claims`). One ``kind: text`` line each."""
    out, bound = [], cert.get("bound")
    stated = cert.get("heuristic_deviation_min")
    if heuristic_objective is not None and is_number(stated):
        best = best_objective((heuristic_objective, exact_objective), sense)
        try:
            true = deviation_floor(heuristic_objective, best, sense)
        except OverflowError:
            true = stated
        if true is None or not agrees(stated, true):
            out.append(f"heuristic_deviation_min: the certificate states {stated:.6g}; the heuristic's objective "
                       f"{heuristic_objective} and the best schedule's {best} give "
                       f"{'none' if true is None else f'{true:.6g}'}")
    if not is_number(bound):
        return out
    stated = cert.get("heuristic_deviation")
    if heuristic_objective is not None and is_number(stated):
        try:
            true = deviation_bound(heuristic_objective, bound, sense)
        except OverflowError:  # an integer past the float range beside a float: no ratio to compare
            true = stated
        if true is None or not agrees(stated, true):
            out.append(f"heuristic_deviation: the certificate states {stated:.6g}; the heuristic's objective "
                       f"{heuristic_objective} and the bound {bound} give {'none' if true is None else f'{true:.6g}'}")
    met = [o for o in (heuristic_objective, exact_objective) if o is not None and agrees(bound, o)]
    if cert.get("optimum_proven") is True and not met:
        out.append(f"optimum_proven: the bound {bound} equals neither schedule's objective")
    return out


def certify(problem: Problem, instance, heuristic: str, exact: str | None = None,
            options: Options | None = None) -> dict:
    """Run `heuristic`, then `exact` (default: the problem's default exact
    method for the instance, :func:`default_method_for`) warm-started from
    the heuristic's solution.

    `heuristic` may be any method, an exact one too (how far is CP-SAT
    after 1 s from the optimum?); `exact` must be an exact method, the one
    that proves the bound. ``options.time_limit`` applies to each run.

    Returns
    -------
    dict
        ``heuristic`` and ``exact`` (Result objects), ``bound`` (best proven
        bound), ``heuristic_gap`` (:func:`schedcert.result.gap`, relative to
        the heuristic's objective), ``heuristic_deviation`` (proven upper
        bound on the deviation from the optimum, :func:`deviation_bound`;
        None when the bound is not positive), ``heuristic_deviation_min``
        (proven lower bound on it from the best schedule either run found,
        :func:`deviation_floor`; 0 when the exact method found none
        better), ``optimum_proven`` (bool: the
        bound is the optimum, so the deviation is exact),
        ``heuristic_optimal`` (bool: proven), ``exact_improves`` (bool).

    Raises
    ------
    InputError
        Unknown method names, or `exact` is a heuristic.
    """
    options = options or Options()
    exact = exact_method(problem, instance, exact)
    get_method(problem, heuristic)
    h: Result = run_method(problem, heuristic, instance, options)
    return certify_result(problem, instance, h, exact, options)


def exact_method(problem: Problem, instance, exact: str | None = None) -> str:
    """`exact`, or the problem's default exact method for `instance`;
    InputError for an unknown name or a heuristic (it proves no bound)."""
    exact = exact or default_method_for(problem, instance)
    if get_method(problem, exact).kind != "exact":
        names = ", ".join(m.name for m in problem.methods.values() if m.kind == "exact")
        raise InputError(f"{exact} is a heuristic; --exact takes an exact method: {names}")
    return exact


def given_result(problem: Problem, instance, solution, source: str) -> Result:
    """A schedule someone else made (read from the file `source`) as the
    heuristic Result of a certificate: method ``file:NAME``, objective
    from the independent validator, no bound, runtime 0.

    Raises
    ------
    InputError
        The schedule is not feasible (the first violations named): there is
        nothing to certify.
    """
    ev = problem.evaluate(instance, solution)
    if not ev.feasible:
        shown = "; ".join(ev.violations[:3]) + (f" (and {len(ev.violations) - 3} more)" if len(ev.violations) > 3
                                                 else "")
        raise InputError(f"not a feasible {problem.key} solution of {instance.name}, nothing to certify: {shown} "
                         "(schedcert validate lists every violation)", source)
    name = Path(source).name
    return Result(problem=problem.key, instance=instance.name, method=f"file:{name}", status=Status.FEASIBLE,
                  objective=ev.objective, bound=None, runtime=0.0,
                  solver={"name": "file", "version": None, "params": {"path": str(source)}},
                  solution=solution, evaluation=ev)


def certify_result(problem: Problem, instance, h: Result, exact: str, options: Options | None = None) -> dict:
    """The certificate of the heuristic Result `h` (a method's, or a
    schedule from a file, :func:`given_result`): run the exact method
    `exact` warm-started from its solution and compare. Returns the dict
    :func:`certify` describes."""
    options = options or Options()
    e: Result = run_method(problem, exact, instance, replace(options, warm_start=h.solution))
    bounds = [b for b in (h.bound, e.bound) if b is not None]
    bound = (max(bounds) if problem.sense == "min" else min(bounds)) if bounds else None
    hg = gap(h.objective, bound)
    best = best_objective((h.objective, e.objective), problem.sense)  # a schedule this good exists
    return {
        "heuristic": h,
        "exact": e,
        "bound": bound,
        "heuristic_gap": hg,
        "heuristic_deviation": deviation_bound(h.objective, bound, problem.sense),
        "heuristic_deviation_min": deviation_floor(h.objective, best, problem.sense),
        "optimum_proven": bound is not None and any(r.objective == bound for r in (h, e)),
        "heuristic_optimal": hg is not None and hg == 0,
        "exact_improves": (e.objective is not None and h.objective is not None
                           and (e.objective < h.objective if problem.sense == "min" else e.objective > h.objective)),
    }
