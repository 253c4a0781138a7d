"""Problem and method registry, and the one entry point that runs a method.

A problem registers itself with :func:`register_problem` (its reader, writer,
validator, solution (de)serialisers, generator, plot) from its module in
``schedcert.instances``; its methods register with :func:`method` from
``schedcert.models`` and ``schedcert.heuristics``. Problem modules are
imported lazily, on first use, from :data:`PROBLEM_MODULES`.

:func:`run_method` is the only way the CLI, ``certify`` and ``bench`` run a
method: it times the call and passes every returned solution through the
problem's independent validator before anything is reported.
"""

from __future__ import annotations

import importlib
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from schedcert.errors import InputError, ValidationError, did_you_mean
from schedcert.interrupt import interrupted
from schedcert.result import Options, Result, Status

#: problem key -> modules that register it (instances first).
PROBLEM_MODULES: dict[str, tuple[str, ...]] = {
    "rcpsp": (
        "schedcert.instances.rcpsp",
        "schedcert.heuristics.rcpsp",
        "schedcert.heuristics.rcpsp_ga",
        "schedcert.models.rcpsp",
    ),
    "dag": (
        "schedcert.instances.dag",
        "schedcert.heuristics.dag",
        "schedcert.models.dag",
    ),
    "smtt": (
        "schedcert.instances.smtt",
        "schedcert.heuristics.smtt",
        "schedcert.models.smtt",
        "schedcert.models.smtt_lagrange",
    ),
    "podpack": (
        "schedcert.instances.podpack",
        "schedcert.heuristics.podpack",
        "schedcert.models.podpack",
    ),
}


@dataclass
class Method:
    """A registered method: ``func(instance, options) -> Result``.

    `kind` is ``exact`` (may prove optimality) or ``heuristic``. An
    `improves` method is a local search: it starts from
    ``options.warm_start`` and can follow any other method as ``A+B``.
    `params` maps the ``--param`` keys the method reads to what they accept
    (:mod:`schedcert.params`; ``sat.*``: any CP-SAT parameter);
    :func:`check_params` refuses other keys and values.
    """

    name: str
    func: Callable[[Any, Options], Result]
    kind: str
    description: str
    improves: bool = False
    params: dict = field(default_factory=dict)


@dataclass
class Problem:
    """Everything the generic layers need to know about one problem.

    Attributes
    ----------
    key, title : str
    sense : str
        ``min`` or ``max``.
    formats : dict
        Format name -> one-line description (file endings).
    read : callable
        ``read(path, format=None) -> instance``; raises InputError.
    write : callable
        ``write(instance, path)`` in the project's own format.
    write_suffixes : tuple of str
        File endings ``write`` writes by (``generate -o NAME.ENDING``
        writes one file); ``.json`` always.
    evaluate : callable
        ``evaluate(instance, solution) -> Evaluation``, the validator.
    solution_to_dict, solution_from_dict : callable
        JSON (de)serialisation of a solution;
        ``solution_from_dict(instance, data, source)`` raises InputError.
    generate : callable, optional
        ``generate(seed=..., **params) -> instance``.
    generate_help : callable, optional
        ``generate_help() -> str``: the generator's ``--name default``
        options for ``schedcert problems`` when its signature does not show
        them (default: :func:`keyword_usage` of ``generate``).
    plot : callable, optional
        ``plot(instance, solution, path, title)``.
    describe : callable, optional
        ``describe(instance, solution) -> (headers, rows)``: the solution as
        a table for the terminal.
    shortfall : callable, optional
        ``shortfall(instance, objective, bound) -> str | None``: how far
        `objective` is from `bound` in the problem's own terms, for an
        objective whose scalar is an encoding (podpack: the first priority
        tier below its bound); ``solve`` and ``certify`` print it.
    suffixes : tuple of str
        File endings of instance files (``bench`` picks these from folders).
    example : str
        File name of the bundled example under ``schedcert/examples``.
    default_method, default_heuristic : str
    default_for : callable, optional
        ``default_for(instance) -> method name``: the default exact method
        when it depends on the instance (smtt: ``lrdp`` on weighted
        instances, which ``bb`` does not solve); see
        :func:`default_method_for`.
    default_note : str
        What ``default_for`` decides, for ``schedcert problems``.
    warm_share : float
        Share of an exact method's time limit its warm-start heuristic gets
        (at most 2 s, see :func:`warm_start_options`).
    reader_options : tuple of str
        Extra keyword arguments ``read`` accepts (e.g. ``platform``), given
        on the command line as ``--platform``.
    expand : callable, optional
        ``expand(path) -> [instance spec]`` for files holding several
        instances (``bench`` runs each spec); default: the file itself.
    decision_keys : tuple of str
        The keys of ``solution_to_dict``'s output that hold the decision
        (starts, sequence, assignment ...); every other key it writes
        (makespan, completion times, tier counts ...) is a fact derived
        from them, which ``validate`` recomputes and holds a solution file
        to (:func:`schedcert.result.false_solution_facts`). Empty: no check.
    read_solution : callable, optional
        ``read_solution(instance, path) -> solution`` for solutions written
        by hand in other formats than the JSON of ``solution_from_dict``
        (``validate`` uses it when present).
    report : callable, optional
        ``report(records, out_dir, group) -> str``: a problem-specific
        markdown section appended to ``schedcert report``'s summary.
    plan : callable, optional
        ``plan(instance, solution) -> str``: the change a user would apply
        (``solve --plan FILE``), e.g. kubectl eviction commands and Bindings.
    """

    key: str
    title: str
    sense: str
    formats: dict
    read: Callable
    write: Callable
    evaluate: Callable
    solution_to_dict: Callable
    solution_from_dict: Callable
    generate: Callable | None = None
    generate_help: Callable | None = None
    plot: Callable | None = None
    describe: Callable | None = None
    shortfall: Callable | None = None
    suffixes: tuple = ()
    write_suffixes: tuple = (".json",)
    example: str = ""
    default_method: str = ""
    default_heuristic: str = ""
    default_for: Callable | None = None
    default_note: str = ""
    warm_share: float = 0.1
    reader_options: tuple = ()
    expand: Callable | None = None
    plan: Callable | None = None
    report: Callable | None = None
    read_solution: Callable | None = None
    decision_keys: tuple = ()
    methods: dict[str, Method] = field(default_factory=dict)


_PROBLEMS: dict[str, Problem] = {}
_PENDING: dict[str, list[Method]] = {}
_LOADED: set[str] = set()


def example_path(problem: Problem):
    """Path of the problem's bundled example instance (ships with the package)."""
    from importlib.resources import files

    if not problem.example:
        raise InputError(f"{problem.key} has no bundled example")
    return files("schedcert") / "examples" / problem.example


def read_instance(problem: Problem, path, format=None, **reader_options):
    """``problem.read(path, format, **options)`` with the options the problem
    accepts; InputError naming an option it does not."""
    given = {k: v for k, v in reader_options.items() if v is not None}
    bad = [k for k in given if k not in problem.reader_options]
    if bad:
        raise InputError(f"{problem.key} inputs take no --{bad[0].replace('_', '-')}")
    return problem.read(path, format, **given)


def keyword_usage(fn, skip=("seed",)) -> str:
    """``--name default`` for each keyword parameter of `fn` not in `skip`
    (``--name N`` where the default is None): a generator's options as
    ``schedcert generate`` takes them."""
    import inspect

    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in skip]
    return " ".join(f"--{p.name.replace('_', '-')} "
                    f"{'N' if p.default is None else int(p.default) if isinstance(p.default, bool) else p.default}"
                    for p in params)


def register_problem(problem: Problem) -> Problem:
    """Register `problem`; methods registered earlier are attached."""
    _PROBLEMS[problem.key] = problem
    for m in _PENDING.pop(problem.key, []):
        problem.methods[m.name] = m
    return problem


def method(problem: str, name: str, kind: str, description: str, improves: bool = False,
           params: dict | None = None):
    """Decorator registering ``func(instance, options) -> Result``;
    ``improves=True`` marks a local search, `params` the ``--param`` keys
    it reads (see :class:`Method`)."""

    if kind not in ("exact", "heuristic"):
        raise ValueError(f"kind must be exact or heuristic, not {kind!r}")

    def deco(func):
        m = Method(name, func, kind, description, improves, dict(params or {}))
        if problem in _PROBLEMS:
            _PROBLEMS[problem].methods[name] = m
        else:
            _PENDING.setdefault(problem, []).append(m)
        return func

    return deco


def problem_keys() -> list[str]:
    """The registered problems' keys (``rcpsp``, ``dag``, ``smtt``,
    ``podpack``), in the order ``schedcert problems`` lists them."""
    return list(PROBLEM_MODULES)


def get_problem(key: str) -> Problem:
    """The registered problem `key`; InputError if there is none."""
    if key not in PROBLEM_MODULES:
        raise InputError(
            f"unknown problem {key!r}{did_you_mean(key, PROBLEM_MODULES)}; expected one of: "
            + ", ".join(PROBLEM_MODULES)
        )
    if key not in _LOADED:
        for mod in PROBLEM_MODULES[key]:
            importlib.import_module(mod)
        _LOADED.add(key)
    return _PROBLEMS[key]


def default_method_for(problem: Problem, instance) -> str:
    """The exact method ``solve`` and ``certify`` run on `instance` when
    none is named: ``problem.default_for(instance)`` if the problem has
    one, else ``problem.default_method``."""
    return problem.default_for(instance) if problem.default_for else problem.default_method


def get_method(problem: Problem, name: str) -> Method:
    """The registered method `name`, or the composition ``A+B`` of a method
    A followed by a local search B (B starts from A's solution; the
    composition is a heuristic; its info records A's objective)."""
    if name not in problem.methods and "+" in name:
        head, tail = name.rsplit("+", 1)
        first, second = get_method(problem, head), get_method(problem, tail)
        if not second.improves:
            raise InputError(f"{tail!r} is not a local search; 'A+B' needs B to be one of: "
                             + ", ".join(sorted(m.name for m in problem.methods.values() if m.improves)))

        def composed(instance, options: Options) -> Result:
            a = run_method(problem, head, instance, options)
            rest = None if options.time_limit is None else max(0.0, options.time_limit - a.runtime)
            b = second.func(instance, replace(options, warm_start=a.solution, time_limit=rest))
            b.info = {head: a.objective, **b.info}
            return b

        return Method(name, composed, "heuristic", f"{first.description}, then {second.description}")
    if name not in problem.methods:
        raise InputError(
            f"unknown method {name!r} for {problem.key}{did_you_mean(name, problem.methods)}; expected one of: "
            + ", ".join(sorted(problem.methods))
        )
    return problem.methods[name]


def method_params(problem: Problem, name: str) -> dict:
    """``{key: Kind}`` of the ``--param`` keys method `name` reads
    (:mod:`schedcert.params`); ``A+B`` reads both's."""
    if name not in problem.methods and "+" in name:
        head, tail = name.rsplit("+", 1)
        return {**method_params(problem, head), **method_params(problem, tail)}
    return dict(get_method(problem, name).params)


def check_params(problem: Problem, names: list[str], params: dict) -> None:
    """InputError for a ``--param`` key none of the methods `names` reads
    (a misspelt key used to be ignored without a word) or a value of the
    wrong kind (a ValueError traceback, or unnoticed). Always accepted:
    ``warm`` (a heuristic, or 0) and ``warm_share`` (the warm start of exact
    methods, see :func:`warm_start_options`); ``warm_KEY`` must be a key of
    the warm heuristic; ``sat.FIELD`` needs a CP-SAT method and a field and
    value CP-SAT knows."""
    from schedcert.params import CPSAT, problem_of

    known: dict = {}
    for n in names:
        known.update(method_params(problem, n))
    exact = any(get_method(problem, n).kind == "exact" for n in names)
    heuristic = _warm_heuristic(problem, Options(params=dict(params))) if exact else ""
    for key, value in params.items():
        flag = "--objective" if key == "objective" else f"--param {key}"
        if key in ("warm", "warm_share") and exact:
            if key == "warm_share":
                _warm_share(problem, Options(params=dict(params)))
            continue
        kinds = known
        if key.startswith("warm_") and exact:
            kinds = method_params(problem, heuristic) if heuristic else {}
            if key[5:] not in kinds:
                raise InputError(f"{flag}: the warm start {heuristic or '(off: warm=0)'} takes {param_listing(kinds)}")
            key = key[5:]
        elif key.startswith("sat.") and CPSAT in known:
            from schedcert.cpsat import check_sat_field

            check_sat_field(key[4:], value)  # InputError naming field, value and CP-SAT's reason
            continue
        elif key not in known:
            raise InputError(f"{flag}: not read by {', '.join(names)} (takes: {param_listing(known)}"
                             + ("; warm, warm_share, warm_KEY for the warm start" if exact else "") + ")"
                             + did_you_mean(key, known))
        wrong = problem_of(value, kinds[key])
        if wrong:
            raise InputError(f"{flag}: expected {wrong}, got {value!r}")


def param_listing(keys) -> str:
    """Parameter names for messages, sorted; ``sat.*`` as ``sat.FIELD``."""
    from schedcert.params import CPSAT

    return ", ".join(sorted(k.replace(CPSAT, "sat.FIELD") for k in keys)) or "no parameters"


def run_method(problem: Problem | str, method_name: str, instance, options: Options | None = None) -> Result:
    """Run a registered method and validate what it returns.

    Returns
    -------
    Result
        With ``evaluation`` set by the problem's validator and ``objective``
        equal to the validator's recomputed objective.

    Raises
    ------
    InputError
        Unknown problem or method.
    ValidationError
        The method returned an infeasible solution, or one whose objective
        differs from the validator's (a defect in schedcert).
    """
    prob = get_problem(problem) if isinstance(problem, str) else problem
    meth = get_method(prob, method_name)
    options = options or Options()
    t0 = time.perf_counter()
    warm, heuristic = None, _warm_heuristic(prob, options)
    overrun = None
    if meth.kind == "exact" and options.warm_start is None and heuristic:
        warm_options = warm_start_options(options, _warm_share(prob, options))
        with compile_seconds() as compiling:
            try:
                warm = run_method(prob, heuristic, instance, warm_options)
            except InputError as err:  # its --param keys are the user's warm_KEY ones
                raise InputError(f"the warm start ({heuristic}): " + err.message.replace("--param ", "--param warm_"),
                                 err.file, err.line) from None
        lost = warm.runtime - warm_options.time_limit  # beyond plan, taken from the exact method
        if options.time_limit is not None and lost > max(WARM_SLACK, 0.1 * options.time_limit):
            why = (f", {compiling[0]:.1f} s of it numba compiling its kernels (once after an install; then cached)"
                   if compiling[0] >= 0.1 else "")
            overrun = (f"the warm start ({heuristic}) took {warm.runtime:.1f} s, {warm_options.time_limit:g} s planned"
                       f"{why}; {method_name} had {max(0.0, options.time_limit - warm.runtime):.1f} s")
        options = replace(options, warm_start=warm.solution,
                          time_limit=None if options.time_limit is None
                          else max(0.0, options.time_limit - (time.perf_counter() - t0)))
    result = meth.func(instance, options)
    if interrupted():  # Ctrl-C stopped a solve: best answer so far, still validated below
        result.info["interrupted"] = True
    elapsed = time.perf_counter() - t0
    result.method = method_name
    result.runtime = elapsed
    if not result.solver:  # schedcert's own algorithm, no solver behind it: say so (result.schema.json)
        result.solver = {"name": "schedcert", "version": own_version(), "params": dict(options.params)}
    if warm is not None:
        if result.info.get("warm_start") in (None, "warm_start"):  # else the method says what it took instead
            result.info["warm_start"] = heuristic
        result.info["warm_objective"] = warm.objective
        result.info["warm_runtime"] = round(warm.runtime, 4)
        if overrun:
            result.info.setdefault("note", overrun)
        if result.bound is not None and warm.bound is not None:  # keep the better proven bound
            better = max if prob.sense == "min" else min
            result.bound = better(result.bound, warm.bound)
            if result.objective is not None and abs(result.objective - result.bound) < 1e-9:
                result.status = Status.OPTIMAL
    meta = getattr(instance, "meta", None) or getattr(instance, "metadata", None) or {}  # rcpsp's is "metadata"
    unit = meta.get("time_unit_s")
    if unit:  # times read in seconds and scaled to integers (dag WfFormat): every Result says by how much
        result.info["time_unit_s"] = unit
    if meta.get("input_note"):  # what the reader read past (podpack: pod constraints it does not model)
        result.info["input_note"] = meta["input_note"]
    check_result(prob, instance, result)
    return result


def own_version() -> str:
    """schedcert's installed version (``0+checkout`` when run uninstalled)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("schedcert")
    except PackageNotFoundError:
        return "0+checkout"


def _warm_heuristic(prob: Problem, options: Options) -> str:
    """The heuristic that warm-starts exact methods: ``--param warm=NAME``
    names one, ``warm=0`` turns warm starts off, default: the problem's."""
    value = str(options.params.get("warm", "1"))
    if value.lower() in ("0", "false", "no"):
        return ""
    if value.lower() in ("1", "true", "yes"):
        return prob.default_heuristic
    get_method(prob, value)  # InputError for an unknown name
    return value


def _warm_share(prob: Problem, options: Options) -> float:
    """``--param warm_share=F`` (0 < F < 1), default the problem's."""
    value = options.params.get("warm_share", prob.warm_share)
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 < share < 1:
        raise InputError(f"--param warm_share: expected a number between 0 and 1, got {value!r}")
    return share


# a warm start that runs this many seconds, and a tenth of the limit, past its budget is noted in the result
WARM_SLACK = 1.0


@contextmanager
def compile_seconds():
    """Yield a one-item list that holds, once the block ends, the seconds
    numba spent compiling in it (its ``numba:compile`` events, nested ones
    counted once; kernels loaded from numba's cache are not compiled).
    Nothing is recorded unless numba is loaded already (the problems whose
    heuristics use it load it with their modules; importing it takes 0.5 s)."""
    seconds = [0.0]
    if "numba" not in sys.modules:
        yield seconds
        return
    from numba.core import event

    with event.install_recorder("numba:compile") as recorder:
        yield seconds
    depth, started = 0, 0.0
    for stamp, ev in recorder.buffer:
        if ev.is_start:
            depth += 1
            if depth == 1:
                started = stamp
        elif ev.is_end and depth:
            depth -= 1
            if depth == 0:
                seconds[0] += stamp - started


def warm_start_options(options: Options, share: float = 0.1) -> Options:
    """Options for the heuristic that warm-starts an exact method: `share` of
    the time limit, at most 2 s (2 s without a limit); ``warm_*`` params are
    passed on without the prefix (e.g. ``warm_stall=20``), and so is
    ``objective``."""
    budget = 2.0 if options.time_limit is None else min(2.0, share * options.time_limit)
    params = {k[5:]: v for k, v in options.params.items() if k.startswith("warm_") and k != "warm_share"}
    if "objective" in options.params:  # the same question for both (e.g. rcpsp feasibility)
        params.setdefault("objective", options.params["objective"])
    return Options(time_limit=budget, workers=1, seed=options.seed, log=False, params=params)


def check_result(prob: Problem, instance, result: Result) -> None:
    """Pass `result.solution` through the validator (in place).

    Raises ValidationError on any violation or objective mismatch.
    """
    if result.solution is None:
        if result.status in (Status.OPTIMAL, Status.FEASIBLE):
            raise ValidationError(f"{result.method}: status {result.status} without a solution")
        return
    ev = prob.evaluate(instance, result.solution)
    result.evaluation = ev
    if not ev.feasible:
        raise ValidationError(
            f"{result.method} returned an infeasible {prob.key} solution on "
            f"{result.instance}: " + "; ".join(ev.violations[:5])
        )
    if result.objective is not None and ev.objective is not None and abs(result.objective - ev.objective) > 1e-6:
        raise ValidationError(
            f"{result.method} reported objective {result.objective} but the validator "
            f"computes {ev.objective} on {result.instance}"
        )
    result.objective = ev.objective
    if result.bound is not None and ev.objective is not None:
        worse = ev.objective < result.bound - 1e-6 if prob.sense == "min" else ev.objective > result.bound + 1e-6
        if worse:
            raise ValidationError(
                f"{result.method}: objective {ev.objective} beats its own proven bound {result.bound}"
            )
