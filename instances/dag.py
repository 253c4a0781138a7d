"""Task-graph (DAG) scheduling on heterogeneous processors: data model,
validator, generator and problem registration.

Problem (Topcuoglu, Hariri & Wu, IEEE TPDS 13(3), 2002, section 2)
    ``n`` tasks with precedence edges ``i -> j`` carrying ``data_ij`` units of
    data, ``q`` processors. Task ``i`` runs on one processor ``a`` for
    ``w_ia`` time units without preemption (``w_ia`` missing: ``a`` cannot
    run ``i``); a processor runs one task at a time. Task ``j`` may start on
    ``b`` only when the data of every predecessor ``i`` (on ``a``) has
    arrived: ``S_j >= S_i + w_ia + c_ij(a, b)`` with
    ``c_ij(a, b) = 0`` if ``a == b`` else ``latency + ceil(data_ij / bandwidth[a][b])``.
    Minimise the makespan ``max_i S_i + w_i,proc(i)``.

    With the default link model (latency 0, bandwidth 1) ``data_ij`` *is* the
    communication cost of Topcuoglu's paper, paid only between different
    processors. All times are integers in the instance's time unit.

Formats (readers in :mod:`schedcert.instances.dag_formats`): the project's
JSON/YAML, a folder with ``costs.csv`` + ``edges.csv``, WfCommons WfFormat
JSON with a platform file, Kasahara STG with a platform file or a processor
count.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from schedcert.errors import InputError, magnitude, require_sizes, require_times
from schedcert.registry import Problem, register_problem
from schedcert.result import Evaluation


@dataclass(frozen=True)
class DagInstance:
    """A task DAG on heterogeneous processors.

    Attributes
    ----------
    name : str
    tasks : tuple of str, shape (n,)
    processors : tuple of str, shape (q,)
    costs : tuple of tuples, shape (n, q)
        Computation time ``w_ia`` (int >= 0, time units) or None when
        processor ``a`` cannot run task ``i``.
    edges : tuple of (i, j, data)
        Precedence ``i -> j`` (task indices) with data volume ``data >= 0``.
    latency : int
        Start-up time of every transfer between different processors.
    bandwidth : tuple of tuples, shape (q, q), or None
        Data units per time unit from processor a to b (``a != b``); None
        means 1 everywhere (``data`` is then the communication time).
    meta : dict
        Provenance (generator parameters, source file, platform).
    """

    name: str
    tasks: tuple
    processors: tuple
    costs: tuple
    edges: tuple
    latency: int = 0
    bandwidth: tuple | None = None
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return len(self.tasks)

    @property
    def q(self) -> int:
        return len(self.processors)

    def comm(self, data: int, a: int, b: int) -> int:
        """Communication time of ``data`` units from processor a to b (0 if a == b)."""
        if a == b:
            return 0
        bw = 1 if self.bandwidth is None else self.bandwidth[a][b]
        return self.latency + -(-data // bw)

    @cached_property
    def uniform_links(self) -> bool:
        """True when every edge costs the same between any two distinct processors."""
        if self.bandwidth is None or self.q < 2:
            return True
        vals = {self.bandwidth[a][b] for a in range(self.q) for b in range(self.q) if a != b}
        return len(vals) == 1

    def _adjacency(self, forward: bool) -> tuple:
        out = [[] for _ in range(self.n)]
        for e, (i, j, _) in enumerate(self.edges):
            if forward:
                out[i].append((j, e))
            else:
                out[j].append((i, e))
        return tuple(tuple(x) for x in out)

    @cached_property
    def preds(self) -> tuple:
        """For each task: tuple of (predecessor, edge index)."""
        return self._adjacency(False)

    @cached_property
    def succs(self) -> tuple:
        """For each task: tuple of (successor, edge index)."""
        return self._adjacency(True)

    @cached_property
    def topo(self) -> tuple:
        """A topological order: Kahn's algorithm, smallest task index first."""
        import heapq

        indeg = [len(p) for p in self.preds]
        heap = [i for i in range(self.n) if indeg[i] == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            i = heapq.heappop(heap)
            order.append(i)
            for j, _ in self.succs[i]:
                indeg[j] -= 1
                if indeg[j] == 0:
                    heapq.heappush(heap, j)
        if len(order) != self.n:
            raise InputError("the precedence graph has a cycle through "
                             + ", ".join(self.tasks[i] for i in range(self.n) if indeg[i] > 0))
        return tuple(order)

    def allowed(self, i: int) -> list[int]:
        """Processors that can run task i."""
        return [a for a in range(self.q) if self.costs[i][a] is not None]


@dataclass(frozen=True)
class DagSolution:
    """A schedule: ``procs[i]`` (processor index) and ``starts[i]`` (time
    units) per task, shape (n,) each; both None for a task a schedule read
    from a file leaves out (the validator reports it as missing)."""

    procs: tuple
    starts: tuple

    def finish(self, inst: DagInstance, i: int) -> int:
        return self.starts[i] + inst.costs[i][self.procs[i]]

    def makespan(self, inst: DagInstance) -> int:
        return max((self.finish(inst, i) for i in range(inst.n)), default=0)


#: longest serial schedule (time units) an instance may have
MAX_TIME = 2 ** 50


def check(inst: DagInstance, source=None) -> DagInstance:
    """Structural checks shared by every reader; returns `inst`.

    Raises InputError (naming `source`) for: no processors, a cost row of the
    wrong length, a negative or non-integer cost, a task no processor can
    run, an edge to an unknown task or a self-loop, negative data, an edge
    or a task given twice, a non-positive bandwidth, a cycle.
    """
    if inst.q == 0:
        raise InputError("no processors", source)
    if len(set(inst.tasks)) != inst.n:
        twice = next(t for k, t in enumerate(inst.tasks) if t in inst.tasks[:k])
        raise InputError(f"task {twice} is given twice; expected each task once", source)
    for i, row in enumerate(inst.costs):
        if len(row) != inst.q:
            raise InputError(f"task {inst.tasks[i]}: {len(row)} costs for {inst.q} processors", source)
        for c in row:
            if c is not None and (not isinstance(c, int) or c < 0):
                raise InputError(f"task {inst.tasks[i]}: cost {c!r} is not a non-negative integer", source)
        if all(c is None for c in row):
            raise InputError(f"task {inst.tasks[i]}: no processor can run it", source)
    seen = {}
    for i, j, d in inst.edges:
        if not (0 <= i < inst.n and 0 <= j < inst.n) or i == j:
            raise InputError(f"bad edge {i}->{j}", source)
        if not isinstance(d, int) or d < 0:
            raise InputError(f"edge {inst.tasks[i]}->{inst.tasks[j]}: data {d!r} is not a non-negative integer",
                             source)
        if (i, j) in seen:  # both were kept, so the larger data silently won
            raise InputError(f"edge {inst.tasks[i]}->{inst.tasks[j]} is given twice (data {seen[i, j]} and {d}); "
                             "expected one edge per pair of tasks", source)
        seen[i, j] = d
    if inst.latency < 0:
        raise InputError("latency must be >= 0", source)
    serial = sum(max(c for c in row if c is not None) for row in inst.costs) + \
        sum(inst.latency + d for _, _, d in inst.edges)  # no schedule needs longer than all in a row
    if serial > MAX_TIME:
        raise InputError(f"costs and data add up to {magnitude(serial)} time units, beyond the {MAX_TIME:.2e} the "
                         "CP-SAT and MILP models take (64-bit domains with room for sums); scale the time unit",
                         source)
    if inst.bandwidth is not None:
        if len(inst.bandwidth) != inst.q or any(len(r) != inst.q for r in inst.bandwidth):
            raise InputError(f"bandwidth must be a {inst.q}x{inst.q} matrix", source)
        if any(inst.bandwidth[a][b] <= 0 for a in range(inst.q) for b in range(inst.q) if a != b):
            raise InputError("bandwidth must be > 0 between distinct processors", source)
    try:
        inst.topo
    except InputError as exc:
        raise InputError(exc.message, source) from None
    return inst


# ---------------------------------------------------------------- validator

def evaluate(inst: DagInstance, sol: DagSolution) -> Evaluation:
    """Check `sol` against the problem definition (module docstring).

    Violations: wrong lengths, unknown processor, a processor that cannot
    run the task, negative or non-integer start, two tasks overlapping on one
    processor, a start before a predecessor's data has arrived. Objective:
    the makespan (None if the solution is malformed). Violations are typed
    ``length``, ``missing`` (a task without processor and start),
    ``processor``, ``start``, ``overlap``, ``precedence``.
    """
    v: list[str] = []
    if len(sol.procs) != inst.n or len(sol.starts) != inst.n:
        return Evaluation(None, [f"length: expected {inst.n} tasks, got {len(sol.procs)} processors "
                                 f"and {len(sol.starts)} starts"])
    for i in range(inst.n):
        a, s = sol.procs[i], sol.starts[i]
        if a is None and s is None:
            v.append(f"missing: task {inst.tasks[i]} has no processor and start")
            continue
        if not isinstance(a, int) or not 0 <= a < inst.q:
            v.append(f"processor: task {inst.tasks[i]}: unknown processor {a!r}")
        elif inst.costs[i][a] is None:
            v.append(f"processor: task {inst.tasks[i]}: processor {inst.processors[a]} cannot run it")
        if not isinstance(s, int) or s < 0:
            v.append(f"start: task {inst.tasks[i]}: start {s!r} is not a non-negative integer")
    if v:
        return Evaluation(None, v)
    fin = [sol.finish(inst, i) for i in range(inst.n)]
    for a in range(inst.q):
        on = sorted((sol.starts[i], fin[i], i) for i in range(inst.n)
                    if sol.procs[i] == a and fin[i] > sol.starts[i])
        for (s1, f1, i1), (s2, f2, i2) in zip(on, on[1:]):
            if s2 < f1:
                v.append(f"overlap: processor {inst.processors[a]}: {inst.tasks[i1]} [{s1}, {f1}) and "
                         f"{inst.tasks[i2]} [{s2}, {f2}) overlap")
    for i, j, d in inst.edges:
        c = inst.comm(d, sol.procs[i], sol.procs[j])
        if sol.starts[j] < fin[i] + c:
            v.append(f"precedence: edge {inst.tasks[i]}->{inst.tasks[j]}: {inst.tasks[j]} starts at {sol.starts[j]} on "
                     f"{inst.processors[sol.procs[j]]}, but {inst.tasks[i]} finishes at {fin[i]} on "
                     f"{inst.processors[sol.procs[i]]} and its data needs {c} more")
    return Evaluation(max(fin, default=0), v)


# ---------------------------------------------------------------- bounds

def lower_bound(inst: DagInstance) -> int:
    """max(critical path with each task on its fastest processor and no
    communication, ceil(sum of fastest costs / q)): both hold for every
    schedule."""
    best = [min(c for c in row if c is not None) for row in inst.costs]
    head = [0] * inst.n
    for i in inst.topo:
        for j, _ in inst.succs[i]:
            head[j] = max(head[j], head[i] + best[i])
    cp = max((head[i] + best[i] for i in range(inst.n)), default=0)
    return max(cp, -(-sum(best) // inst.q))


# ---------------------------------------------------------------- JSON

def to_dict(inst: DagInstance) -> dict:
    """`inst` as the project's dag document (``problem: dag``, processors,
    tasks with one cost per processor, edges with their data cost)."""
    d = {"problem": "dag", "format": "schedcert-dag", "version": 1, "name": inst.name,
         "processors": list(inst.processors),
         "tasks": [{"name": t, "costs": list(inst.costs[i])} for i, t in enumerate(inst.tasks)],
         "edges": [{"source": inst.tasks[i], "target": inst.tasks[j], "data": d} for i, j, d in inst.edges]}
    if inst.latency:
        d["latency"] = inst.latency
    if inst.bandwidth is not None:
        d["bandwidth"] = [list(r) for r in inst.bandwidth]
    if inst.meta:
        d["meta"] = inst.meta
    return d


def write(inst: DagInstance, path) -> None:
    """Write `inst` as schedcert JSON (YAML if the path ends in .yaml/.yml)."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(to_dict(inst), sort_keys=False))
    else:
        path.write_text(json.dumps(to_dict(inst), indent=1) + "\n")


def solution_to_dict(sol: DagSolution, inst: DagInstance | None = None) -> dict:
    """`sol` as JSON: task name -> processor name and start time, and the
    makespan; without `inst`, the raw per-task processor indices and starts."""
    if inst is None:
        return {"procs": list(sol.procs), "starts": list(sol.starts)}
    return {"schedule": {inst.tasks[i]: {"processor": inst.processors[sol.procs[i]], "start": sol.starts[i]}
                         for i in range(inst.n)},
            "makespan": sol.makespan(inst)}


def solution_from_dict(inst: DagInstance, data, source=None) -> DagSolution:
    """Accept ``{"schedule": {task: {"processor": name, "start": t}}}`` (bare
    or under a Result's ``solution``) or ``{"procs": [...], "starts": [...]}``."""
    if isinstance(data, dict) and isinstance(data.get("solution"), dict):
        data = data["solution"]
    if isinstance(data, dict) and "procs" in data and "starts" in data:
        if isinstance(data["starts"], list):
            require_times(data["starts"], inst.tasks, "task", source)
        return DagSolution(tuple(data["procs"]), tuple(data["starts"]))
    if not isinstance(data, dict) or not isinstance(data.get("schedule"), dict):
        raise InputError("expected a JSON object with 'schedule' (task -> {processor, start})", source)
    sched = data["schedule"]
    unknown = [k for k in sched if k not in inst.tasks]
    if unknown:
        raise InputError(f"unknown task(s) {', '.join(map(str, unknown[:5]))}", source)
    pidx = {p: a for a, p in enumerate(inst.processors)}
    procs, starts = [], []
    for t in inst.tasks:
        if t not in sched:  # a task left out: the validator reports it (missing), as rcpsp's and smtt's do
            procs.append(None)
            starts.append(None)
            continue
        e = sched[t]
        if not isinstance(e, dict) or not isinstance(e.get("processor"), str) or e["processor"] not in pidx \
                or "start" not in e:
            raise InputError(f"task {t}: expected {{'processor': one of {list(inst.processors)}, 'start': int}}",
                             source)
        procs.append(pidx[e["processor"]])
        starts.append(e["start"])
    require_times(starts, inst.tasks, "task", source)
    return DagSolution(tuple(procs), tuple(starts))


# ---------------------------------------------------------------- generator

def generate(seed: int = 0, tasks: int = 20, processors: int = 3, ccr: float = 1.0, alpha: float = 1.0,
             beta: float = 1.0, out_degree: int = 3, mean_cost: int = 20) -> DagInstance:
    """Random DAG after Topcuoglu et al. (2002), section 5.1.

    Parameters
    ----------
    tasks : int
        v, number of tasks.
    processors : int
        q.
    ccr : float
        Communication-to-computation ratio: edge costs ~ U[0, 2 ccr w]
        so their mean is ``ccr * mean_cost``.
    alpha : float
        Shape: ``round(sqrt(v) / alpha)`` levels (mean width ``alpha sqrt(v)``);
        small alpha gives long thin graphs.
    beta : float
        Heterogeneity: ``w_ia ~ U[w_i (1 - beta/2), w_i (1 + beta/2)]`` with
        the task's mean ``w_i ~ U[1, 2 mean_cost]``.
    out_degree : int
        Each task gets U{1..out_degree} children in later levels (plus one
        parent in the previous level for every non-entry task).
    mean_cost : int
        w_DAG, the average computation cost.

    Costs are rounded to integers (at least 1). Every parameter is recorded
    in ``meta``.
    """
    if tasks < 1 or processors < 1 or alpha <= 0 or not 0 <= beta <= 2 or ccr < 0 or out_degree < 1:
        raise InputError("generator: need tasks >= 1, processors >= 1, alpha > 0, 0 <= beta <= 2, ccr >= 0, "
                         "out_degree >= 1")
    require_sizes("generate dag", tasks=(tasks, 10_000), processors=(processors, 1_000),
                  out_degree=(out_degree, 10_000))
    rng = random.Random(seed)
    v, q = tasks, processors
    h = min(v, max(1, round(math.sqrt(v) / alpha)))
    level_of = list(range(h)) + [rng.randrange(h) for _ in range(v - h)]
    level_of.sort()
    levels = [[i for i in range(v) if level_of[i] == lv] for lv in range(h)]
    edges = set()
    for lv in range(1, h):
        for j in levels[lv]:
            edges.add((rng.choice(levels[lv - 1]), j))
    for i in range(v):
        later = [j for j in range(v) if level_of[j] > level_of[i]]
        if later:
            nxt = [j for j in later if level_of[j] == level_of[i] + 1]
            k = min(len(later), rng.randint(1, out_degree))
            pool = nxt if len(nxt) >= k else later
            for j in rng.sample(pool, k):
                edges.add((i, j))
    costs = []
    for _ in range(v):
        wi = rng.uniform(1, 2 * mean_cost)
        costs.append(tuple(max(1, round(rng.uniform(wi * (1 - beta / 2), wi * (1 + beta / 2)))) for _ in range(q)))
    el = tuple((i, j, round(rng.uniform(0, 2 * ccr * mean_cost))) for i, j in sorted(edges))
    params = dict(tasks=v, processors=q, ccr=ccr, alpha=alpha, beta=beta, out_degree=out_degree,
                  mean_cost=mean_cost, seed=seed)
    name = f"dag-v{v}-q{q}-ccr{ccr:g}-a{alpha:g}-b{beta:g}-s{seed}"
    return check(DagInstance(name, tuple(f"t{i + 1}" for i in range(v)), tuple(f"P{a + 1}" for a in range(q)),
                             tuple(costs), el, meta={"generator": "topcuoglu2002", "params": params}))


# ---------------------------------------------------------------- terminal & plot

def describe(inst: DagInstance, sol: DagSolution):
    """The schedule as ``(headers, rows)`` sorted by processor then start."""
    order = sorted(range(inst.n), key=lambda i: (sol.procs[i], sol.starts[i], i))
    rows = [(inst.tasks[i], inst.processors[sol.procs[i]], sol.starts[i], sol.finish(inst, i)) for i in order]
    return ("task", "processor", "start", "finish"), rows


def _plot(inst, sol, path, title=None):
    from schedcert.plots.dag import plot_schedule

    plot_schedule(inst, sol, path, title=title)


def _read(path, format=None, platform=None):
    from schedcert.instances.dag_formats import read

    return read(path, format, platform)


PROBLEM = register_problem(Problem(
    key="dag",
    title="Task DAG on heterogeneous processors with communication costs (makespan)",
    sense="min",
    formats={
        "json": "schedcert JSON/YAML (.json, .yaml, .yml)",
        "csv": "folder with costs.csv (task x processor) and edges.csv (source,target,cost)",
        "wfformat": "WfCommons WfFormat 1.4/1.5 JSON (.json with a 'workflow' key); needs --platform",
        "stg": "Kasahara Standard Task Graph (.stg); needs --platform FILE or a processor count",
    },
    read=_read,
    write=write,
    evaluate=evaluate,
    solution_to_dict=solution_to_dict,
    solution_from_dict=solution_from_dict,
    decision_keys=("schedule", "procs", "starts"),
    generate=generate,
    plot=_plot,
    describe=describe,
    suffixes=(".json", ".yaml", ".yml", ".stg"),
    write_suffixes=(".json", ".yaml", ".yml"),
    example="dag-example.json",
    default_method="cpsat",
    default_heuristic="list-best",
    reader_options=("platform",),
))
