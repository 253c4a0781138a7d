"""CP-SAT runner shared by every CP-SAT model.

Applies the common options (time limit, workers, seed, log streaming to
stderr), solves, and returns the best objective *and* the best proven bound
even when the time limit stops the search.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import ortools
from ortools.sat.python import cp_model

from schedcert.interrupt import run_cpsat
from schedcert.result import Options, Status

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


@dataclass
class CpsatOutcome:
    """What one CP-SAT solve produced.

    ``solver`` holds the CpSolver so the caller can read variable values when
    ``status`` is optimal or feasible. ``objective``/``bound`` are None for
    models without an objective, and ``bound`` is None unless a solution was
    found (status optimal or feasible).
    """

    status: Status
    objective: float | None
    bound: float | None
    solver: cp_model.CpSolver
    info: dict

    @property
    def has_solution(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)


def solver_info(params: dict) -> dict:
    """The Result's ``solver`` entry for CP-SAT: name, OR-Tools version and
    the parameters given (result.schema.json)."""
    return {"name": "cp-sat", "version": ortools.__version__, "params": params}


def sat_value(p, field: str, value):
    """Convert a command-line string to the type of SatParameters `field`;
    InputError for an unknown field or a bad value."""
    from schedcert.errors import InputError

    if not hasattr(p, field):
        raise InputError(f"--param sat.{field}: CP-SAT has no parameter {field!r}")
    cur = getattr(p, field)
    if not isinstance(value, str):
        return value
    if not isinstance(cur, (bool, int, float, str)):  # a repeated field, e.g. subsolvers: comma-separated
        items = [v.strip() for v in value.split(",") if v.strip()]
        return [int(v) for v in items] if all(v.lstrip("-").isdigit() for v in items) else items
    try:
        if isinstance(cur, bool):
            if value.lower() not in ("1", "true", "yes", "0", "false", "no"):
                raise ValueError(value)
            return value.lower() in ("1", "true", "yes")
        if isinstance(cur, int):
            return int(value)
        if isinstance(cur, float):
            return float(value)
    except ValueError:
        kind = {bool: "true or false", int: "an integer", float: "a number"}.get(type(cur), type(cur).__name__)
        raise InputError(f"--param sat.{field}: expected {kind}, got {value!r}") from None
    return value


def check_sat_field(field: str, value):
    """`value` converted for the SatParameters `field` (:func:`sat_value`)
    and accepted by CP-SAT's own parameter check — run on an empty model,
    which takes under a millisecond; InputError with CP-SAT's reason
    otherwise (``max_time_in_seconds=nan``: "parameter ... is NaN")."""
    from schedcert.errors import InputError

    solver = cp_model.CpSolver()
    converted = sat_value(solver.parameters, field, value)
    try:
        if isinstance(converted, (list, tuple)):
            getattr(solver.parameters, field).extend(converted)
        else:
            setattr(solver.parameters, field, converted)
    except (AttributeError, TypeError, ValueError):
        raise InputError(f"--param sat.{field}: expected a comma-separated list of the field's values "
                         f"(numbers for a list of enums such as restart_algorithms), got {value!r}") from None
    if solver.solve(cp_model.CpModel()) == cp_model.MODEL_INVALID:
        raise InputError(f"--param sat.{field}: CP-SAT refuses it: {solver.solution_info()}")
    return converted


def solve_cpsat(model: cp_model.CpModel, options: Options, time_limit: float | None,
                extra_params: dict | None = None, solver: cp_model.CpSolver | None = None) -> CpsatOutcome:
    """Solve `model` with CP-SAT.

    Parameters
    ----------
    model : CpModel
        Hints, if any, must already be added by the caller.
    options : Options
        ``workers``, ``seed`` and ``log`` are applied, and every method
        parameter named ``sat.FIELD`` (``--param sat.linearization_level=2``)
        is set as the ``SatParameters`` field FIELD.
    time_limit : float or None
        Seconds for this solve (the caller subtracts time already spent).
    extra_params : dict, optional
        Further CP-SAT ``SatParameters`` fields by name.
    solver : CpSolver, optional
        A fresh solver to use, e.g. one another thread may stop with
        ``stop_search()``.

    Raises
    ------
    RuntimeError
        If CP-SAT reports MODEL_INVALID (a defect in the calling model).
    InputError
        If CP-SAT refuses the ``sat.*`` parameters taken together.
    """
    solver = solver or cp_model.CpSolver()
    p = solver.parameters
    params = {"num_workers": max(1, int(options.workers)), "random_seed": int(options.seed)}
    if time_limit is not None:
        params["max_time_in_seconds"] = max(0.01, float(time_limit))
    params.update(extra_params or {})
    for k, v in options.params.items():
        if k.startswith("sat."):
            params[k[4:]] = sat_value(p, k[4:], v)
    for k, v in params.items():
        if isinstance(v, (list, tuple)):  # repeated fields, e.g. subsolvers
            getattr(p, k).extend(v)
        else:
            setattr(p, k, v)
    if options.log:
        p.log_search_progress = True
        p.log_to_stdout = False
        solver.log_callback = lambda line: print(line, file=sys.stderr, flush=True)
    code = run_cpsat(solver, model)
    if code == cp_model.MODEL_INVALID:
        reason = model.validate()
        if not reason and any(k.startswith("sat.") for k in options.params):  # fields fine alone, not together
            from schedcert.errors import InputError

            raise InputError(f"--param sat.*: CP-SAT refuses these parameters: {solver.solution_info()}")
        raise RuntimeError("CP-SAT: model invalid: " + (reason or solver.solution_info()))
    status = _STATUS[code]
    has_obj = model.has_objective()
    objective = bound = None
    if has_obj and status in (Status.OPTIMAL, Status.FEASIBLE):
        objective = solver.objective_value
    if has_obj and status in (Status.OPTIMAL, Status.FEASIBLE):
        # only then is the bound the solver's: after UNKNOWN the response may
        # hold the proto default 0, which is no bound at all (a maximisation
        # once took it for a proven upper bound)
        bound = solver.best_objective_bound
    info = {"wall_time": solver.wall_time, "branches": solver.num_branches,
            "conflicts": solver.num_conflicts}
    return CpsatOutcome(status, objective, bound, solver, {"solver_params": params, **info})
