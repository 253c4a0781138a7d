"""Pyomo runner shared by every MILP formulation.

Formulations are written once, in Pyomo. Solvers:

* ``highs`` (default): HiGHS through ``highspy`` (Pyomo's ``appsi_highs``).
* ``cbc``: the CBC binary of the ``cbcbox`` wheel (also PuLP's ``cbc`` extra),
  or on older installs the one bundled in PuLP's wheel, given to Pyomo's
  ``cbc`` interface; an independent second solver for cross-checks.
* any other name Pyomo knows (``gurobi``, ``cplex_direct``, ``scip_direct``
  ...), if the user has it installed: ``-m milp --param solver=NAME``. The
  time limit and a relative MIP gap of 0 are passed to the families of
  :data:`SOLVER_OPTIONS`; other solvers run with their own defaults (the
  Result's note says so), and for them ``optimal`` needs the bound to
  meet the objective.

Returns the incumbent and the best proven bound, also on time-out.
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import threading
import time
import warnings
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING

from schedcert.errors import InputError
from schedcert.params import Kind
from schedcert.result import Options, Status

if TYPE_CHECKING:  # annotations only; Pyomo is imported where a model is built
    import pyomo.environ as pyo


#: threads every HiGHS solve in schedcert asks for. HiGHS fixes its thread
#: pool on first use in a process, and a later solve asking for another
#: count fails (model status "Not Set"); so the runner below and every
#: direct highspy use (:func:`new_highs`: the refutation LPs of
#: :mod:`schedcert.models.rcpsp_destructive`, the podpack bounds and
#: masters) ask for the same count, whatever runs first. One thread: the
#: LPs run beside CP-SAT, and HiGHS' default pool (both cores of a 2-core
#: machine under highspy 1.16, one under 1.14) would take a core from it.
HIGHS_THREADS = 1


_banner_lock = threading.Lock()
_banner_done = False


def _swallow_highs_banner() -> None:
    """Build the process's first ``highspy.Highs`` with file descriptor 1
    pointed at /dev/null. highspy >= 1.16 prints its banner ("Running HiGHS
    ...") to the process's stdout when the first Highs object is built,
    whatever ``output_flag`` says, and only then; on stdout it would corrupt
    ``--json`` output. Called before every HiGHS use; does nothing after the
    first call."""
    global _banner_done
    with _banner_lock:
        if _banner_done:
            return
        _banner_done = True
        import highspy

        try:
            sys.stdout.flush()
            saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        except (OSError, ValueError):  # no usable fd 1: nothing to protect
            highspy.Highs()
            return
        try:
            os.dup2(devnull, 1)
            highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


@contextmanager
def _log_to_stderr(on: bool):
    """With `on` (``--log``), what a Pyomo solver interface tees to
    ``sys.stdout`` (CBC's log) goes to stderr, where every log of schedcert
    goes (on stdout it broke ``--json``)."""
    if not on:
        yield
        return
    with redirect_stdout(sys.stderr):
        yield


def _highs_log() -> logging.Logger:
    """The logger HiGHS' log lines go to under ``--log``: it prints them on
    a duplicate of file descriptor 2 made here, before Pyomo's appsi
    interface redirects descriptors 1 and 2 to read HiGHS' console output
    (its own ``stream_solver`` prints on stdout; ``sys.stderr`` inside the
    capture deadlocks Pyomo's TeeStream)."""
    log = logging.getLogger("schedcert.highs")
    if not log.handlers:
        handler = logging.StreamHandler(os.fdopen(os.dup(2), "w", buffering=1))
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
        log.setLevel(logging.INFO)
    return log


def new_highs():
    """A quiet ``highspy.Highs`` on :data:`HIGHS_THREADS` threads: every
    direct use of highspy in schedcert starts from here."""
    import highspy

    _swallow_highs_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", HIGHS_THREADS)
    return h


@dataclass
class MilpOutcome:
    """Status, incumbent objective, proven bound and solver description.

    When ``has_solution`` the model's variables hold the incumbent.
    """

    status: Status
    objective: float | None
    bound: float | None
    solver: dict

    @property
    def has_solution(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)


#: nonzeros per second Pyomo builds a model and hands it to the solver
#: (measured here on time-indexed rcpsp models: 1.04 M nonzeros, 3.4 s to
#: build and 7 s more before HiGHS or CBC starts; 265 k, 1.1 s and 0.9 s),
#: and the most any model may have (3.4 M took 560 MB to build)
BUILD_RATE = 1e5
MAX_TERMS = 1e7
#: seconds HiGHS must have left after the model's transfer to be run at all
MIN_SOLVE = 0.05


def not_run(solver: str) -> dict:
    """The Result ``solver`` entry of a MILP method that did not call its
    solver (the warm start was already optimal, or the model too large)."""
    return {"name": solver, "version": "", "params": {}}


def too_large(terms: float, time_limit: float | None) -> str | None:
    """Why a model of about `terms` nonzeros is not built, or None.

    A model is built when Pyomo can build it in half the time limit (at
    least 200 k nonzeros, at most :data:`MAX_TERMS`): the formulations
    here are for small instances, and before this check a 32-activity
    rcpsp instance with durations in the thousands (340 M nonzeros) took
    more than 300 s and 12 GB of memory under ``--time-limit 10``.
    """
    cap = MAX_TERMS if time_limit is None else min(MAX_TERMS, max(2e5, BUILD_RATE * time_limit / 2))
    if terms <= cap:
        return None
    return (f"the MILP would have about {terms:.2g} nonzeros, more than the {cap:.2g} Pyomo builds in half the "
            f"time limit (at most {MAX_TERMS:.0g}); not built, the warm start is reported (cpsat scales further)")


#: seconds (at least; 20 % of the limit beyond 25 s) that CBC may run past
#: its time limit before its process is killed (no incumbent is read then)
CBC_GRACE = 5.0


def _integral(model) -> bool:
    """Do all integer and binary variables hold integer values (1e-6)?"""
    import pyomo.environ as pyo

    for v in model.component_data_objects(pyo.Var, active=True):
        if v.is_integer() or v.is_binary():
            x = v.value
            if x is None or abs(x - round(x)) > 1e-6:
                return False
    return True


#: Pyomo option keys of the time limit (seconds) and the relative MIP gap,
#: per solver family (the name up to its first '_': ``gurobi_direct`` is
#: ``gurobi``); see each solver's manual.
SOLVER_OPTIONS = {
    "gurobi": ("TimeLimit", "MIPGap"),
    "cplex": ("timelimit", "mip_tolerances_mipgap"),
    "scip": ("limits/time", "limits/gap"),
    "glpk": ("tmlim", "mipgap"),
    "xpress": ("maxtime", "miprelstop"),
}


def _solver_factory(name: str, **kwargs):
    """Pyomo's ``SolverFactory(name, **kwargs)``, Pyomo imported on first use."""
    from pyomo.opt import SolverFactory

    return SolverFactory(name, **kwargs)


def solver_available(name: str) -> bool:
    """Whether Pyomo can run the MILP solver `name` here (``highs`` and
    ``cbc``, schedcert's own two, always)."""
    if name in ("highs", "cbc"):
        return True
    log = logging.getLogger("pyomo.opt")
    level = log.level
    log.setLevel(logging.ERROR)  # an unknown name is logged as a warning: the caller says it in one line
    try:
        return bool(_solver_factory(name).available(exception_flag=False))
    except Exception:
        return False
    finally:
        log.setLevel(level)


SOLVER = Kind("a MILP solver Pyomo can run here (highs, cbc, or one installed: gurobi, cplex_direct, "
              "scip_direct ...)", lambda v: solver_available(str(v).strip()))


def _status(optimal: bool, objective: float | None, bound: float | None, trust: bool) -> tuple[Status, float | None]:
    """Status and bound of a solve that ended `optimal` (the solver's word)
    with incumbent `objective` (None: no solution). A solver's "optimal"
    holds within its own MIP gap (Gurobi's and CPLEX's default 1e-4), so it
    counts only where the bound meets the objective, unless `trust` (CBC,
    run with ratio 0 and reporting no separate bound)."""
    if objective is None:
        return Status.UNKNOWN, bound
    met = bound is None or abs(objective - bound) <= 1e-6 * max(1.0, abs(objective))
    if optimal and (trust or met):
        return Status.OPTIMAL, objective if bound is None else bound
    return Status.FEASIBLE, bound


def _solve_highs(model, options: Options, tl, params: dict):
    """HiGHS through Pyomo's appsi interface: (status, objective, bound,
    version). The model's transfer to HiGHS (about 0.1 ms a row; 0.9 s for
    smtt's weighted MIP at n = 100) is timed and taken from `tl`, which
    HiGHS's own clock does not see; with less than :data:`MIN_SOLVE`
    seconds left HiGHS is not run (``params["no_time_left"]``)."""
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.base import TerminationCondition as TC
    from pyomo.contrib.appsi.solvers import Highs

    _swallow_highs_banner()
    opt = Highs()
    version = ".".join(map(str, opt.version()))
    opt.config.load_solution = False
    opt.config.stream_solver = False  # it would print on stdout, breaking --json
    if options.log:
        opt.config.solver_output_logger, opt.config.log_level = _highs_log(), logging.INFO
    opt.config.mip_gap = 0.0
    opt.highs_options.update({"random_seed": int(options.seed), "threads": HIGHS_THREADS})
    if tl is not None:
        if tl < MIN_SOLVE:
            params["no_time_left"] = True
            return Status.UNKNOWN, None, None, version
        t0 = time.perf_counter()
        opt.set_instance(model)
        transfer = time.perf_counter() - t0
        params["transfer_s"] = round(transfer, 3)
        if tl - transfer < MIN_SOLVE:
            params["no_time_left"] = True
            return Status.UNKNOWN, None, None, version
        opt.config.time_limit = tl - transfer
        for key in opt.update_config:  # the model is unchanged since set_instance: solve() need not rescan it
            if key.startswith(("check_for_", "update_")):
                setattr(opt.update_config, key, False)
    res = opt.solve(model)
    tc = res.termination_condition
    if tc == TC.infeasible:
        return Status.INFEASIBLE, None, None, version
    objective = res.best_feasible_objective
    bound = res.best_objective_bound
    if objective is not None:
        res.solution_loader.load_vars()
        objective = pyo.value(next(model.component_data_objects(pyo.Objective, active=True)))
    if bound is not None and abs(bound) == float("inf"):
        bound = None
    if objective is None:
        return Status.UNKNOWN, None, bound, version
    if tc == TC.optimal:
        return Status.OPTIMAL, objective, objective if bound is None else bound, version
    return Status.FEASIBLE, objective, bound, version


def _cbc_binary() -> tuple[str, str]:
    """Path and version label of the CBC binary.

    The ``cbcbox`` wheel (a dependency; also PuLP's ``cbc`` extra, its
    source of CBC from 4.0 on) is preferred; without it, the binary bundled
    in PuLP 2.x/3.x wheels. Raises ``InputError`` when neither is present.
    """
    try:
        import cbcbox

        return cbcbox.cbc_bin_path(), f"cbcbox {package_version('cbcbox')}"
    except ImportError:
        pass
    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cmd = getattr(pulp, "PULP_CBC_CMD", None)
        path = cmd().path if cmd is not None else None
    if not path:
        raise InputError("MILP solver 'cbc' is not available: install it with pip install cbcbox")
    return path, ""


def solve_pyomo(model: pyo.ConcreteModel, options: Options, time_limit: float | None,
                solver: str = "highs") -> MilpOutcome:
    """Solve `model` (one active objective) with `solver`.

    Parameters
    ----------
    model : pyomo ConcreteModel
    options : Options
        ``workers``, ``seed`` and ``log`` are applied where the solver
        supports them. CBC always runs on one thread: its parallel mode
        can stall until the time limit (coin-or/Cbc#640). HiGHS runs on
        :data:`HIGHS_THREADS` (one pool per process).
    time_limit : float or None
        Seconds.
    solver : str
        ``highs``, ``cbc`` or any Pyomo solver name.

    Raises
    ------
    InputError
        If the named solver is not available on this machine.
    """
    import pyomo.environ as pyo  # here, not at the top: loading a problem need not load Pyomo (0.5 s)
    from pyomo.common.tempfiles import TempfileManager
    from pyomo.opt import TerminationCondition

    obj = next(model.component_data_objects(pyo.Objective, active=True))
    minimise = obj.sense == pyo.minimize
    if solver == "highs":
        tl = None if time_limit is None else float(time_limit)
        params = {"time_limit": tl, "threads": HIGHS_THREADS, "seed": options.seed}
        status, objective, bound, version = _solve_highs(model, options, tl, params)
        return MilpOutcome(status, objective, bound, {"name": "highs", "version": version, "params": params})
    tl = None if time_limit is None else max(1.0, float(time_limit))  # the command-line solvers take >= 1 s
    params = {"time_limit": tl, "threads": options.workers, "seed": options.seed}
    kwargs, label = {}, ""
    if solver == "cbc":
        kwargs["executable"], label = _cbc_binary()
        params["threads"] = 1  # serial, see below
    if not solver_available(solver):
        raise InputError(f"MILP solver {solver!r} is not available on this machine")
    opt = _solver_factory(solver, **kwargs)
    hard = None
    if solver == "cbc":
        if tl is not None:
            # wall-clock seconds (CBC counts CPU seconds by default); CBC may
            # still run far past them (coin-or/Cbc#487: 49 s for a 10 s limit
            # on a dag MILP here), so the process is killed CBC_GRACE later
            opt.options["sec"] = tl
            opt.options["timeMode"] = "elapsed"
            hard = tl + max(CBC_GRACE, 0.2 * tl)
        # No "threads": CBC's parallel branch-and-cut (any threads >= 1) now
        # and then idles until the time limit after the search is over
        # (coin-or/Cbc#640; 7 and 18 in 3000 solves of a 3-variable MIP at
        # threads 1 and 2, none serial), and then reports a time-out.
        opt.options["randomCbcSeed"] = int(options.seed) or 1
        opt.options["ratio"] = 0.0
    elif solver.split("_")[0] in SOLVER_OPTIONS:  # the family: gurobi_direct is gurobi
        time_key, gap_key = SOLVER_OPTIONS[solver.split("_")[0]]
        if tl is not None:
            opt.options[time_key] = int(math.ceil(tl)) if solver.startswith("glpk") else tl
        opt.options[gap_key] = 0.0
    else:
        params["own_defaults"] = True  # no time limit or gap passed: see register_pair's note
    if solver != "cbc":
        params["threads"] = params["seed"] = None  # not passed to other solvers
    name = solver
    try:
        version = label or ".".join(map(str, opt.version() or ()))
    except Exception:
        version = ""
    depth = len(getattr(TempfileManager, "_context_stack", ()))
    try:  # `timelimit` makes Pyomo kill the solver process (CBC also gets '-sec hard' before our '-sec tl')
        with _log_to_stderr(options.log):
            res = opt.solve(model, load_solutions=False, tee=bool(options.log),
                            **({"timelimit": hard} if hard is not None else {}))
    except subprocess.TimeoutExpired:
        while len(getattr(TempfileManager, "_context_stack", ())) > depth:  # files of the killed run
            TempfileManager.pop(remove=True)
        params["killed_after"] = round(hard, 1)
        return MilpOutcome(Status.UNKNOWN, None, None, {"name": name, "version": version, "params": params})
    tc = res.solver.termination_condition
    lower, upper = res.problem.lower_bound, res.problem.upper_bound
    # CBC stopped without an integer solution reports its LP point as a
    # solution (termination intermediateNonInteger): not a solution
    has_sol = len(res.solution) > 0 and tc != TerminationCondition.intermediateNonInteger
    if has_sol:
        pyomo_log = logging.getLogger("pyomo.core")
        level = pyomo_log.level
        pyomo_log.setLevel(logging.ERROR)  # "aborted status, but containing a solution" is expected
        try:
            model.solutions.load_from(res)
        finally:
            pyomo_log.setLevel(level)
        has_sol = _integral(model)
    if tc == TerminationCondition.infeasible:
        return MilpOutcome(Status.INFEASIBLE, None, None, {"name": name, "version": version, "params": params})
    objective = pyo.value(obj) if has_sol else None
    bound = lower if minimise else upper
    if bound is not None and abs(bound) == float("inf"):
        bound = None
    status, bound = _status(tc == TerminationCondition.optimal, objective if has_sol else None, bound,
                            trust=solver == "cbc")
    if options.log:
        print(f"[{name}] termination={tc} objective={objective} bound={bound}", file=sys.stderr)
    return MilpOutcome(status, objective, bound, {"name": name, "version": version, "params": params})


def register_pair(problem: str, name: str, description: str, solve, params: dict | None = None) -> None:
    """Register a Pyomo formulation twice: ``name`` solved by HiGHS and
    ``name-cbc`` by CBC, as ``solve(instance, options, solver) -> Result``
    reading the ``--param`` keys `params`."""
    from schedcert.registry import method

    def run(instance, options, solver):
        if solver == "highs":  # `name` reads --param solver; `name-cbc` is CBC, whatever a bench passes both
            solver = str(options.params.get("solver", solver)).strip()
        result = solve(instance, options, solver)
        used = (result.solver or {}).get("params", {})
        if used.get("killed_after") is not None:
            result.info.setdefault("note", f"{solver} ran past its time limit and was stopped after "
                                           f"{used['killed_after']} s; its incumbent is lost (the result is the "
                                           "warm start's, if any)")
        if used.get("no_time_left"):
            result.info.setdefault("note", f"no time left for {solver} after building the model and handing it "
                                           "over; the result is the warm start's (give a longer --time-limit)")
        if used.get("own_defaults"):
            result.info.setdefault("note", f"schedcert does not know {solver}'s option names: it ran with its own "
                                           "time limit and MIP gap (optimal only where the bound meets the "
                                           "objective)")
        return result

    for suffix, solver, label, extra in (("", "highs", "HiGHS; --param solver=NAME for another", {"solver": SOLVER}),
                                         ("-cbc", "cbc", "CBC", {})):
        method(problem, name + suffix, "exact", f"{description}, {label}", params={**(params or {}), **extra})(
            lambda instance, options, _solver=solver: run(instance, options, _solver))

