"""R-ConstraintBench-style ramps of RCPSP feasibility instances.

Jain & Wetter (2025), "R-ConstraintBench: Evaluating LLMs on NP-Complete
Scheduling" (arXiv 2508.15204), grow an instance level by level: tasks are
split into layers of a DAG, and level k holds exactly k non-redundant
precedence edges (an edge i -> j from an earlier to a later layer is
accepted only when the transitive closure has no path i -> j yet, and only
if it leaves every earlier edge non-redundant). Resource downtime, release /
deadline windows and disjunctive pairs are then layered on with a given
probability.

Here, for level k and each constraint type of the mix, k draws each succeed
with probability `prob` (so constraints grow linearly with the level):

* ``downtime``: a resource is unavailable (capacity 0) on an interval;
* ``windows``: a task gets a release date and a deadline;
* ``disjunctive``: two tasks not ordered by the precedences may not overlap.

Feasibility by construction: a *witness* schedule is drawn first (serial
placement of a random topological order under the constant capacities) and
every added constraint is one the witness satisfies: downtime only where the
witness does not use the resource, windows around the witness's start, pairs
the witness runs apart. With ``allow_infeasible`` the constraints are drawn
without looking at the witness, so some instances have no schedule.

Levels are nested in their edges only: for one seed, level k+1 adds edges to
level k's DAG, but each level draws its own witness and its downtime,
windows and pairs afresh (a higher level is no superset of a lower one).
Every mix draws each constraint type from its own random stream, so mix
``all`` at (seed, level) is the union of the three single-type mixes.
"""

from __future__ import annotations

import random
from itertools import accumulate

import networkx as nx

from schedcert.errors import InputError, require_sizes
from schedcert.instances.rcpsp import RcpspInstance, require_solvable_horizon

MIXES = {
    "precedence": (),
    "downtime": ("downtime",),
    "windows": ("windows",),
    "disjunctive": ("disjunctive",),
    "all": ("downtime", "windows", "disjunctive"),
}


def _base(seed: int, jobs: int, resources: int, layers: int, max_duration: int):
    """Durations (n,), demands (n, K), capacities (K,), layer of each task."""
    rng = random.Random(f"base-{seed}")
    layer = sorted(list(range(layers)) + [rng.randrange(layers) for _ in range(jobs - layers)])
    durations = [rng.randint(1, max_duration) for _ in range(jobs)]
    caps = [rng.randint(3, 6) for _ in range(resources)]
    demands = []
    for _ in range(jobs):
        row = [rng.randint(1, -(-7 * c // 10)) if rng.random() < 0.5 else 0 for c in caps]
        if not any(row):
            k = rng.randrange(resources)
            row[k] = rng.randint(1, -(-7 * caps[k] // 10))
        demands.append(row)
    return durations, demands, caps, layer


def ramp_edges(seed: int, level: int, layer: list, edges_per_level: int = 1) -> list:
    """The ``level * edges_per_level`` non-redundant edges of `level`
    (nested over levels: one random stream per seed)."""
    rng = random.Random(f"edges-{seed}")
    n, target = len(layer), level * edges_per_level
    if target > n * n // 4:  # no DAG without redundant edges has more (it has no triangle: Mantel's theorem)
        raise InputError(f"cannot place {target} non-redundant edges on {n} tasks (at most {n * n // 4}); "
                         "use fewer levels or more tasks")
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    edges, tries = [], 0
    while len(edges) < target and tries < 200 * (target + 1):
        tries += 1
        i, j = rng.sample(range(n), 2)
        if layer[i] == layer[j]:
            continue
        if layer[i] > layer[j]:
            i, j = j, i
        if nx.has_path(g, i, j):
            continue  # redundant: the closure already orders i before j
        g.add_edge(i, j)
        if nx.transitive_reduction(g).number_of_edges() < g.number_of_edges():
            g.remove_edge(i, j)  # would make an earlier edge redundant
            continue
        edges.append((i, j))
    if len(edges) < target:
        raise InputError(f"cannot place {target} non-redundant edges on {n} tasks in {max(layer) + 1} layers;"
                         f" use fewer levels or more tasks")
    return edges


def _overload(use, demand, caps, a: int, b: int) -> int | None:
    """The last period in [a, b) where adding `demand` exceeds a capacity,
    or None."""
    for u in range(b - 1, a - 1, -1):
        if any(use[k][u] + demand[k] > caps[k] for k in range(len(caps))):
            return u
    return None


def _witness(seed, level, durations, demands, caps, edges) -> list:
    """Serial placement of a random topological order at the earliest
    precedence- and resource-feasible period (constant capacities)."""
    rng = random.Random(f"witness-{seed}-{level}")
    n = len(durations)
    preds = [[] for _ in range(n)]
    succs = [[] for _ in range(n)]
    for i, j in edges:
        preds[j].append(i)
        succs[i].append(j)
    left = [len(p) for p in preds]
    ready = [j for j in range(n) if not left[j]]
    horizon = sum(durations) + 1
    use = [[0] * horizon for _ in caps]
    starts = [0] * n
    while ready:
        j = ready.pop(rng.randrange(len(ready)))
        t = max((starts[i] + durations[i] for i in preds[j]), default=0)
        while (u := _overload(use, demands[j], caps, t, t + durations[j])) is not None:
            t = u + 1  # every start in (t, u] covers the overloaded period u too (was t += 1: minutes for long tasks)
        starts[j] = t
        for k in range(len(caps)):
            for u in range(t, t + durations[j]):
                use[k][u] += demands[j][k]
        for s in succs[j]:
            left[s] -= 1
            if not left[s]:
                ready.append(s)
    return starts


def ramp_instance(seed: int = 0, level: int = 1, mix: str = "all", jobs: int = 30, resources: int = 3,
                  layers: int = 5, prob: float = 0.75, max_duration: int = 10, edges_per_level: int = 1,
                  slack: int = 5, allow_infeasible: bool = False) -> tuple[RcpspInstance, list]:
    """One ramp instance and its witness schedule (module docstring).

    Parameters
    ----------
    seed, level : int
        Instance seed; level k >= 1 (k non-redundant edges, k draws per
        constraint type).
    mix : str
        One of :data:`MIXES`.
    jobs, resources, layers : int
        Tasks (no dummy source/sink), renewable resources (capacity
        U[3, 6]), DAG layers.
    prob : float
        Success probability of each constraint draw.
    max_duration : int
        Durations ~ U[1, max_duration]; downtime lengths ~ U[1, max_duration]
        (jobs x max_duration at most 10^6).
    slack : int
        Windows: release = S_w - U[0, slack], deadline = S_w + p + U[0, slack].
    allow_infeasible : bool
        Draw constraints without the witness (the instance may have no
        schedule).

    Returns
    -------
    (instance, witness starts) : RcpspInstance, list of int (n,)
        The witness satisfies the instance unless `allow_infeasible`.

    Raises
    ------
    InputError
        Unknown mix, out-of-range parameters.
    """
    if mix not in MIXES:
        raise InputError(f"unknown mix {mix!r}; expected one of {', '.join(MIXES)}")
    if level < 0 or jobs < 2 or layers < 2 or layers > jobs or resources < 1 or not 0 <= prob <= 1 \
            or max_duration < 1 or slack < 0:  # the last two were randrange's ValueError tracebacks
        raise InputError("ramp: expected level >= 0, jobs >= 2, 2 <= layers <= jobs, resources >= 1, 0 <= prob <= 1, "
                         f"max-duration >= 1, slack >= 0; got level {level}, jobs {jobs}, layers {layers}, "
                         f"resources {resources}, prob {prob}, max-duration {max_duration}, slack {slack}")
    require_sizes("ramp", jobs=(jobs, 10_000), resources=(resources, 100))
    require_solvable_horizon("ramp", jobs, max_duration)  # the witness's grid of periods stays small too
    durations, demands, caps, layer = _base(seed, jobs, resources, layers, max_duration)
    edges = ramp_edges(seed, level, layer, edges_per_level)
    witness = _witness(seed, level, durations, demands, caps, edges)
    wend = max(s + p for s, p in zip(witness, durations))
    g = nx.DiGraph(edges)
    g.add_nodes_from(range(jobs))
    closure = nx.transitive_closure_dag(g)
    calendars = [[] for _ in caps]
    release, deadline, pairs = [0] * jobs, [None] * jobs, []
    for kind in MIXES[mix]:
        rng = random.Random(f"{kind}-{seed}-{level}-{int(allow_infeasible)}")
        for _ in range(level):
            if rng.random() >= prob:
                continue
            if kind == "downtime":
                _add_downtime(rng, calendars, witness, durations, demands, wend, max_duration, allow_infeasible)
            elif kind == "windows":
                _add_window(rng, release, deadline, witness, durations, wend, slack, allow_infeasible)
            else:
                _add_pair(rng, pairs, closure, witness, durations, allow_infeasible)
    succ = [[] for _ in range(jobs)]
    for i, j in edges:
        succ[i].append(j)
    params = dict(seed=seed, level=level, mix=mix, jobs=jobs, resources=resources, layers=layers, prob=prob,
                  max_duration=max_duration, edges_per_level=edges_per_level, slack=slack,
                  allow_infeasible=allow_infeasible)
    inst = RcpspInstance(
        name=f"ramp-{mix}-L{level:02d}-s{seed}" + ("-x" if allow_infeasible else ""),
        durations=tuple(durations), demands=tuple(map(tuple, demands)), capacities=tuple(caps),
        successors=tuple(tuple(sorted(s)) for s in succ),
        activity_names=tuple(f"T{j + 1}" for j in range(jobs)),
        resource_names=tuple(f"R{k + 1}" for k in range(resources)),
        metadata={"generator": "schedcert.instances.rcpsp_ramp.ramp_instance", "params": params,
                  "layers": layer},
        release=tuple(release), deadline=tuple(deadline),
        calendars=tuple(tuple(sorted(c)) for c in calendars), disjunctive=tuple(pairs),
    )
    return inst, witness


def _add_downtime(rng, calendars, witness, durations, demands, wend, max_duration, free_draw):
    """Capacity 0 of a random resource on an interval the witness leaves
    free of it (anywhere in [0, witness end) with `free_draw`); skipped when
    no such interval exists or it would overlap an earlier downtime."""
    k = rng.randrange(len(calendars))
    length = rng.randint(1, max_duration)
    if free_draw:
        a = rng.randrange(max(1, wend - length + 1))
        cand = [(a, a + length)]
    else:
        busy = [0] * (wend + length)
        for j, s in enumerate(witness):
            if demands[j][k]:
                for u in range(s, s + durations[j]):
                    busy[u] = 1
        before = list(accumulate(busy, initial=0))  # busy periods before u: a window is free when none lie in it
        cand = [(a, a + length) for a in range(0, wend) if before[a + length] == before[a]]
    cand = [(a, b) for a, b in cand if all(b <= c or a >= d for c, d, _ in calendars[k])]
    if cand:
        a, b = rng.choice(cand)
        calendars[k].append((a, b, 0))


def _add_window(rng, release, deadline, witness, durations, wend, slack, free_draw):
    """Release date and deadline around the witness's start of a task
    without a window (around a random start with `free_draw`)."""
    open_ = [j for j in range(len(witness)) if deadline[j] is None]
    if not open_:
        return
    j = rng.choice(open_)
    s = rng.randint(0, max(0, wend - durations[j])) if free_draw else witness[j]
    release[j] = max(0, s - rng.randint(0, slack))
    deadline[j] = s + durations[j] + rng.randint(0, slack)


def _add_pair(rng, pairs, closure, witness, durations, free_draw):
    """Two tasks unordered by the precedences (and, unless `free_draw`, not
    overlapping in the witness) that may not overlap."""
    n = len(witness)
    for _ in range(50):
        i, j = sorted(rng.sample(range(n), 2))
        if (i, j) in pairs or closure.has_edge(i, j) or closure.has_edge(j, i):
            continue
        apart = witness[i] + durations[i] <= witness[j] or witness[j] + durations[j] <= witness[i]
        if free_draw or apart:
            pairs.append((i, j))
            return


def generate_ramp(seed: int = 0, ramp: int = 10, mix: str = "all", **params) -> list[RcpspInstance]:
    """Levels 1..`ramp` of one seed for each comma-separated `mix`
    (``schedcert generate rcpsp --ramp 10 --mix all``); other parameters as
    :func:`ramp_instance`."""
    mixes = [m.strip() for m in str(mix).split(",") if m.strip()]
    return [ramp_instance(seed, level, m, **params)[0] for m in mixes for level in range(1, int(ramp) + 1)]
