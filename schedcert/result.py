"""Results, statuses, the gap definition and the shared JSON schema.

Every method of every problem returns a :class:`Result`. The problem-specific
solution sits under one key (``solution``) so that one JSON schema serves all
problems: ``result.schema.json`` beside this module (``schedcert schema``)
describes :meth:`Result.to_dict`, certify's certificate and bench's run
records; change them together.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


class Status(str, enum.Enum):
    """Outcome of a method.

    ``optimal``: objective proven equal to the bound; ``feasible``: a
    validated solution without proof; ``infeasible``: proven that none exists;
    ``unknown``: no solution and no proof (e.g. time-out before the first
    solution).
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"

    def __str__(self) -> str:  # click / f-strings print the value
        return self.value


def gap(objective: float | None, bound: float | None) -> float | None:
    """Relative optimality gap, the one definition used everywhere.

    ``gap = |objective - bound| / max(|objective|, 1)``

    Returns ``None`` when either value is missing. It is 0 exactly when the
    bound proves the objective optimal; it holds for minimisation (bound
    below) and maximisation (bound above) alike.
    """
    if objective is None or bound is None:
        return None
    if math.isinf(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1.0)


def integral_min_bound(objective: int, lower_bound: int, solver_bound: float | None,
                       proven: bool) -> tuple[int, Status]:
    """Certified bound and status of an integer minimisation result.

    ``objective`` is the value of the solution being returned; ``proven``
    says the solver proved *that* solution optimal. Otherwise the bound is
    ``max(lower_bound, ceil(solver_bound))`` (the solver's float bound is
    rounded to 6 decimals first, so 41.9999999 counts as 42), never above the
    objective. Status is OPTIMAL exactly when the bound reaches the objective.
    """
    if proven:
        bound = objective
    elif solver_bound is None:
        bound = lower_bound
    else:
        bound = max(lower_bound, math.ceil(round(solver_bound, 6)))
    bound = min(bound, objective)
    return bound, Status.OPTIMAL if objective <= bound else Status.FEASIBLE


@dataclass(frozen=True)
class Evaluation:
    """The validator's verdict on a solution.

    Attributes
    ----------
    objective : float or None
        Objective recomputed from the problem definition (None when the
        solution is incomplete).
    violations : list of str
        Human-readable description of each violated constraint; empty when
        the solution is feasible.
    """

    objective: float | None
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class Options:
    """Options shared by every method.

    Attributes
    ----------
    time_limit : float or None
        Wall-clock budget of the whole method, in seconds (None: no limit).
    workers : int
        Solver threads (CP-SAT ``num_workers``; MILP threads where supported).
    seed : int
        Random seed; equal seeds give equal results for single-threaded
        methods.
    warm_start : object or None
        A solution of the same problem used as a hint / incumbent.
    log : bool
        Stream the solver's log to stderr.
    params : dict
        Method-specific parameters (documented per method).
    """

    time_limit: float | None = None
    workers: int = 1
    seed: int = 0
    warm_start: Any = None
    log: bool = False
    params: dict = field(default_factory=dict)


@dataclass
class Result:
    """What a method returns, after validation.

    Attributes
    ----------
    problem, instance, method : str
        Problem key (e.g. ``rcpsp``), instance name, method name.
    status : Status
    objective : float or None
        Objective of `solution` (recomputed by the validator).
    bound : float or None
        Proven bound on the optimum (lower bound when minimising).
    gap : float or None
        :func:`gap` of `objective` and `bound`.
    runtime : float
        Wall-clock seconds of the whole method.
    solver : dict
        ``name``, ``version`` and ``params`` of the underlying solver.
    solution : object or None
        Problem-specific solution dataclass.
    evaluation : Evaluation or None
        The independent validator's verdict on `solution`.
    info : dict
        Extra method-specific facts (e.g. the warm-start heuristic used).
    """

    problem: str
    instance: str
    method: str
    status: Status
    objective: float | None
    bound: float | None
    runtime: float
    solver: dict = field(default_factory=dict)
    solution: Any = None
    evaluation: Evaluation | None = None
    info: dict = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        return gap(self.objective, self.bound)

    def to_dict(self, solution_to_dict=None) -> dict:
        """The shared JSON document (schema version :data:`SCHEMA_VERSION`)."""
        sol = None
        if self.solution is not None:
            sol = solution_to_dict(self.solution) if solution_to_dict else self.solution
        return {
            "schema": SCHEMA_VERSION,
            "problem": self.problem,
            "instance": self.instance,
            "method": self.method,
            "status": self.status.value,
            "objective": _num(self.objective),
            "bound": _num(self.bound),
            "gap": self.gap,
            "runtime": round(self.runtime, 4),
            "solver": self.solver,
            "valid": None if self.evaluation is None else self.evaluation.feasible,
            "violations": [] if self.evaluation is None else list(self.evaluation.violations),
            "info": self.info,
            "solution": sol,
        }


def solution_of(document, path=None):
    """The solution part of a Result document written by ``solve --out``
    (``{"schema": ..., "status": ..., "solution": {...}}``), or `document`
    itself when it is not one. InputError naming `path` for a Result without
    a solution (infeasible, or none found): there is nothing to validate."""
    if isinstance(document, dict) and "solution" in document \
            and ("schema" in document or isinstance(document["solution"], dict)):
        if not document["solution"]:
            from schedcert.errors import InputError

            raise InputError(f"a result without a solution (status {document.get('status')}, method "
                             f"{document.get('method')}); nothing to validate", path)
        return document["solution"]
    return document


def agrees(stated, value) -> bool:
    """Whether a number a document states equals the `value` recomputed
    from its solution, to 1e-9 relative (JSON round trips are exact; other
    writers may round). An integer past the float range agrees only when
    equal; NaN agrees with nothing."""
    try:
        return abs(stated - value) <= 1e-9 * max(1.0, abs(value))
    except OverflowError:
        return stated == value


def is_number(x) -> bool:
    """An int or float as JSON gives them (true and false are not numbers)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def false_claims(document, objective: float | None, sense: str = "min") -> list[str]:
    """What a Result `document` (from ``solve --out``) states about its own
    feasible solution that the validator's `objective` for it refutes:
    another objective, a bound on the wrong side of it (above for
    minimisation, below for maximisation), a ``gap`` other than
    :func:`gap` of that objective and the stated bound, status ``optimal``
    with a bound that does not meet it, status ``infeasible`` (no solution
    exists), or ``valid: false``. One line per false claim, in the
    validator's ``kind: text`` form; [] for anything but a Result document
    (a bare solution claims nothing)."""
    if not isinstance(document, dict) or "schema" not in document or objective is None:
        return []
    out = []
    stated, bound, status = document.get("objective"), document.get("bound"), document.get("status")
    if isinstance(stated, (int, float)) and not agrees(stated, objective):
        out.append(f"objective: the result states {_num(stated)}; its solution's is {_num(objective)}")
    if isinstance(bound, (int, float)):
        wrong_side = bound > objective if sense == "min" else bound < objective
        if wrong_side and not agrees(bound, objective):
            side = "lower bound" if sense == "min" else "upper bound"
            where = "above" if sense == "min" else "below"
            out.append(f"bound: the result's {side} {_num(bound)} is {where} its solution's objective "
                       f"{_num(objective)}: no valid bound")
    stated_gap = document.get("gap")
    if is_number(stated_gap) and is_number(bound):
        try:
            true_gap = gap(objective, bound)
        except OverflowError:  # an integer past the float range beside a float: no ratio to compare
            true_gap = None
        if true_gap is not None and not agrees(stated_gap, true_gap):
            out.append(f"gap: the result states {stated_gap:.6g}; its solution's objective {_num(objective)} "
                       f"and the bound {_num(bound)} give {true_gap:.6g}")
    if status == Status.OPTIMAL.value and not (isinstance(bound, (int, float)) and agrees(bound, objective)):
        out.append(f"status: optimal, but the bound {_num(bound)} does not meet the objective {_num(objective)}")
    if status == Status.INFEASIBLE.value:
        out.append("status: infeasible (no solution exists), but its solution is feasible")
    if document.get("valid") is False:
        out.append("valid: the result calls its solution invalid, but it is feasible")
    return out


def false_solution_facts(stated, recomputed: dict, decision_keys) -> list[str]:
    """What a solution document `stated` (bare, as ``solution_to_dict``
    writes it) says about its own decision that is not so: every key of
    `recomputed` (``solution_to_dict(solution, instance)`` of the solution
    read from `stated`) outside `decision_keys` that `stated` also holds
    (rcpsp's and dag's ``makespan``, smtt's ``completion``, podpack's tier
    counts, moves, evictions ...) is compared, numbers by :func:`agrees`.
    One ``kind: text`` line per key that differs, naming its first
    differing entry; [] when `stated` is not a mapping."""
    if not isinstance(stated, dict):
        return []
    out = []
    for key, value in recomputed.items():
        if key in decision_keys or key not in stated:
            continue
        where = _first_difference(stated[key], json.loads(json.dumps(value)), key)
        if where is not None:
            path, theirs, ours = where
            at = "" if path == key else f"{path} = "
            out.append(f"{key}: the solution states {at}{_show(theirs)}; recomputed from it: {_show(ours)}")
    return out


def _first_difference(stated, ours, path: str):
    """(path, stated, ours) at the first place `stated` and `ours` (JSON
    values) differ, or None."""
    if is_number(ours) and is_number(stated):
        return None if agrees(stated, ours) else (path, stated, ours)
    if isinstance(ours, dict) and isinstance(stated, dict):
        for k in sorted(set(ours) | set(stated), key=str):
            if k not in stated or k not in ours:
                return f"{path}.{k}", stated.get(k, _ABSENT), ours.get(k, _ABSENT)
            sub = _first_difference(stated[k], ours[k], f"{path}.{k}")
            if sub is not None:
                return sub
        return None
    if isinstance(ours, list) and isinstance(stated, list):
        if len(ours) != len(stated):
            return f"len({path})", len(stated), len(ours)
        for i, (a, b) in enumerate(zip(stated, ours)):
            sub = _first_difference(a, b, f"{path}[{i}]")
            if sub is not None:
                return sub
        return None
    return None if stated == ours and type(stated) is type(ours) else (path, stated, ours)


_ABSENT = object()  # a key one side of a mapping lacks


def _show(x) -> str:
    if x is _ABSENT:
        return "(absent)"
    text = json.dumps(_num(x))
    return text if len(text) <= 60 else text[:57] + "..."


def _num(x):
    if x is None:
        return None
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def integral_min_result(problem: str, instance: str, solution, objective: int, lower_bound: int,
                        solver_bound: float | None, proven: bool, solver: dict, info: dict) -> "Result":
    """The :class:`Result` of an exact integer-minimisation method returning
    `solution` (of value `objective`), with bound and status from
    :func:`integral_min_bound`; runtime and method are filled in by the
    registry's runner."""
    bound, status = integral_min_bound(objective, lower_bound, solver_bound, proven)
    return Result(problem=problem, instance=instance, method="", status=status, objective=objective,
                  bound=bound, runtime=0.0, solver=solver, solution=solution, info=info)

