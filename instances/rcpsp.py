"""RCPSP: data model, readers/writers, generator and validator.

The single-mode resource-constrained project scheduling problem
(PS | prec | Cmax): activities ``j = 0..n-1`` with integer durations ``p_j``
(time units) and demands ``r_jk`` on renewable resources ``k`` of constant
capacity ``R_k``; precedences ``i -> j`` mean ``S_j >= S_i + p_i``. Find
integer start times ``S_j >= 0`` such that at every period ``t`` the
activities in process (``S_j <= t < S_j + p_j``) use at most ``R_k`` of each
resource, minimising the makespan ``max_j S_j + p_j``.
(Blazewicz, Lenstra & Rinnooy Kan 1983; Kolisch & Sprecher 1996, PSPLIB.)

Extensions (R-ConstraintBench, arXiv 2508.15204): release dates and
deadlines, capacity calendars (downtime), disjunctive pairs, minimum and
maximum time lags on precedences, a horizon; see :class:`RcpspInstance`.

Formats read: PSPLIB ``.sm`` and Patterson ``.rcp`` (through the ``psplib``
package, after a line-by-line check of our own that reports the file and
line of any malformed entry), and the project's JSON/YAML document with the
extensions or an overlay on a PSPLIB file
(:mod:`schedcert.instances.rcpsp_doc`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from schedcert.errors import (InfeasibleInstance, InputError, entry_errors, read_text, require_file,
                              magnitude, require_keywords, require_sizes)
from schedcert.registry import Problem, register_problem
from schedcert.result import Evaluation

FORMATS = {
    "psplib": "PSPLIB single-mode .sm (Kolisch & Sprecher 1996)",
    "patterson": "Patterson .rcp",
    "json": "schedcert RCPSP document, JSON (.json): named activities, resources, windows, calendars, "
            "disjunctive pairs, lags; or an overlay on a PSPLIB file (base: FILE)",
    "yaml": "the same document in YAML (.yaml, .yml)",
}
_SUFFIX = {".sm": "psplib", ".rcp": "patterson", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True, eq=False)
class RcpspInstance:
    """A single-mode RCPSP instance (immutable).

    Attributes
    ----------
    name : str
    durations : tuple of int, shape (n,)
        Processing times ``p_j`` in time units.
    demands : tuple of tuple of int, shape (n, K)
        ``demands[j][k] = r_jk``, units of renewable resource k per period.
    capacities : tuple of int, shape (K,)
        ``R_k``.
    successors : tuple of tuple of int, shape (n, *)
        Immediate successors of each activity (0-based indices).
    activity_names : tuple of str, shape (n,)
        Names shown to users (PSPLIB job numbers, 1-based, by default).
    resource_names : tuple of str, shape (K,)
    metadata : dict
        Source file / generator parameters.
    release : tuple of int, shape (n,)
        Release dates ``r_j`` (``S_j >= r_j``); default all 0.
    deadline : tuple of int or None, shape (n,)
        Deadlines ``d_j`` (``S_j + p_j <= d_j``); None = none.
    calendars : tuple of tuple, shape (K, *)
        Per resource, sorted non-overlapping ``(start, end, capacity)``
        segments on ``[start, end)`` where the capacity differs from
        ``capacities[k]`` (downtime: capacity 0); empty = constant.
    disjunctive : tuple of (int, int)
        Pairs of activities that may not overlap in time.
    lags : tuple of (i, j, min_lag, max_lag)
        Time lags on precedence edges i -> j, finish to start:
        ``S_i + p_i + min_lag <= S_j`` and, unless ``max_lag`` is None,
        ``S_j <= S_i + p_i + max_lag``; edges not listed have lag 0 / none.
    horizon : int or None
        Every activity must finish by this time.

    The last six fields are the R-ConstraintBench extensions (Jain & Wetter
    2025, arXiv 2508.15204); :attr:`extended` says whether any is used.
    """

    name: str
    durations: tuple
    demands: tuple
    capacities: tuple
    successors: tuple
    activity_names: tuple = ()
    resource_names: tuple = ()
    metadata: dict = field(default_factory=dict)
    release: tuple = ()
    deadline: tuple = ()
    calendars: tuple = ()
    disjunctive: tuple = ()
    lags: tuple = ()
    horizon: int | None = None

    def __post_init__(self):
        n, k = len(self.durations), len(self.capacities)
        if not self.activity_names:
            object.__setattr__(self, "activity_names", tuple(str(j + 1) for j in range(n)))
        if not self.resource_names:
            object.__setattr__(self, "resource_names", tuple(f"R{k + 1}" for k in range(len(self.capacities))))
        if not self.release:
            object.__setattr__(self, "release", (0,) * n)
        if not self.deadline:
            object.__setattr__(self, "deadline", (None,) * n)
        if not self.calendars:
            object.__setattr__(self, "calendars", ((),) * k)
        lag = {(i, j): (0, None) for i, j in self.edges()}
        for i, j, lo, hi in self.lags:
            lag[i, j] = (lo, hi)
        object.__setattr__(self, "_lag", lag)

    @property
    def extended(self) -> bool:
        """True if any R-ConstraintBench extension is present (release dates,
        deadlines, capacity calendars, disjunctive pairs, time lags, a
        horizon)."""
        return (any(self.release) or any(d is not None for d in self.deadline) or any(self.calendars)
                or bool(self.disjunctive) or bool(self.lags) or self.horizon is not None)

    def lag(self, i: int, j: int) -> tuple:
        """``(min_lag, max_lag)`` of precedence i -> j (time units, finish to
        start: ``S_i + p_i + min_lag <= S_j <= S_i + p_i + max_lag``;
        ``max_lag`` None = unbounded)."""
        return self._lag[i, j]

    def peak_capacity(self, k: int) -> int:
        """Largest capacity of resource k at any time."""
        return max([self.capacities[k]] + [c for _, _, c in self.calendars[k]])

    def capacity_segments(self, k: int, horizon: int) -> list:
        """The capacity profile of resource k on ``[0, horizon)`` as
        ``[(start, end, capacity)]`` covering it without gaps: the calendar's
        segments, the default capacity elsewhere."""
        out, t = [], 0
        for a, b, c in self.calendars[k]:
            a, b = max(a, 0), min(b, horizon)
            if a >= b:
                continue
            if t < a:
                out.append((t, a, self.capacities[k]))
            out.append((a, b, c))
            t = b
        if t < horizon:
            out.append((t, horizon, self.capacities[k]))
        return out

    @property
    def n(self) -> int:
        """Number of activities (PSPLIB's dummy source and sink included)."""
        return len(self.durations)

    @property
    def n_resources(self) -> int:
        return len(self.capacities)

    @property
    def predecessors(self) -> tuple:
        preds = [[] for _ in range(self.n)]
        for i, succ in enumerate(self.successors):
            for j in succ:
                preds[j].append(i)
        return tuple(tuple(p) for p in preds)

    def edges(self):
        """Iterate over precedence pairs ``(i, j)``."""
        for i, succ in enumerate(self.successors):
            for j in succ:
                yield i, j


@dataclass(frozen=True)
class RcpspSolution:
    """A schedule: ``starts[j]`` is the integer start time ``S_j`` of activity j
    (shape (n,), time units; None where a written schedule gave none).

    ``duplicates``, ``unknown`` and ``finishes`` keep what a hand-written
    schedule got wrong, or states beside the starts, so that the validator
    can report it: ``(j, start)`` for every repeated entry of activity j,
    ``(name, start)`` for names the instance does not have, and
    ``(j, finish)`` for each finish time a schedule states (a CSV's
    ``finish`` column), which must be ``S_j + p_j``.
    """

    starts: tuple
    duplicates: tuple = ()
    unknown: tuple = ()
    finishes: tuple = ()

    def makespan(self, instance: RcpspInstance) -> int:
        return max((s + p for s, p in zip(self.starts, instance.durations)), default=0)


# --------------------------------------------------------------------------
# Validator (from the problem definition only)
# --------------------------------------------------------------------------

#: Violation classes, the prefix of every message of :func:`evaluate`.
VIOLATION_TYPES = ("missing", "duplicate", "unknown", "start", "finish", "precedence", "lag", "resource", "downtime",
                   "window", "horizon", "disjunctive")


def evaluate(instance: RcpspInstance, solution: RcpspSolution) -> Evaluation:
    """Check a schedule against the RCPSP definition (with the
    R-ConstraintBench extensions) and recompute its makespan.

    Checks, each violation reported as ``"<type>: <what, in the user's
    terms>"`` with type from :data:`VIOLATION_TYPES`:

    * ``missing`` / ``duplicate`` / ``unknown``: one start per activity;
    * ``start``: integer ``S_j >= 0``; ``finish``: a finish time the
      schedule states is ``S_j + p_j`` (else the schedule was made with
      other durations than the instance's);
    * ``precedence``: ``S_j >= S_i + p_i + min_lag_ij`` for every edge;
      ``lag``: ``S_j <= S_i + p_i + max_lag_ij`` where a maximum lag is set;
    * ``resource``: for every period t and resource k,
      ``sum_{j: S_j <= t < S_j + p_j} r_jk <= c_k(t)``, the capacity profile
      (default capacity, changed by the calendar); a violation inside a
      calendar segment of reduced capacity where the default capacity would
      have sufficed is a ``downtime`` violation;
    * ``window``: ``S_j >= release_j`` and ``S_j + p_j <= deadline_j``;
      ``horizon``: every activity finished by the horizon;
    * ``disjunctive``: the two activities of a pair do not overlap
      (``S_i + p_i <= S_j`` or ``S_j + p_j <= S_i``).

    A schedule with missing or invalid starts is still checked on the
    activities it does give (a verifier of hand- or LLM-written schedules
    should report everything wrong at once).

    Returns
    -------
    Evaluation
        ``objective`` is the makespan (None if a start is missing or
        invalid); ``violations`` lists every violated constraint.
    """
    names = instance.activity_names
    starts = list(solution.starts)
    v: list[str] = []
    for name, s in solution.unknown:
        v.append(f"unknown: activity {name!r} (start {s}) is not in the instance")
    for j, s in solution.duplicates:
        v.append(f"duplicate: activity {names[j]} is given more than once (also start {s})")
    if len(starts) != instance.n:
        return Evaluation(None, v + [f"missing: schedule has {len(starts)} start times, instance has "
                                     f"{instance.n} activities"])
    for j, s in enumerate(starts):
        if s is None:
            v.append(f"missing: activity {names[j]} has no start time")
        elif isinstance(s, bool) or not isinstance(s, int):
            v.append(f"start: activity {names[j]}: start {s!r} is not an integer")
        elif s < 0:
            v.append(f"start: activity {names[j]}: start {s} < 0")
    ok = [isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in starts]
    p = instance.durations
    for j, f in solution.finishes:
        if ok[j] and f != starts[j] + p[j]:
            v.append(f"finish: activity {names[j]}: the schedule states finish {f}, but start {starts[j]} + "
                     f"duration {p[j]} = {starts[j] + p[j]}")
    for i, j in instance.edges():
        if not (ok[i] and ok[j]):
            continue  # only what the given starts decide is checked
        lo, hi = instance.lag(i, j)
        fin = starts[i] + p[i]
        if starts[j] < fin + lo:
            lag = f" + min lag {lo}" if lo else ""
            v.append(f"precedence: {names[i]}->{names[j]}: activity {names[j]} starts at {starts[j]}"
                     f" before {names[i]} finishes at {fin}{lag}")
        if hi is not None and starts[j] > fin + hi:
            v.append(f"lag: {names[i]}->{names[j]}: activity {names[j]} starts at {starts[j]}, more than"
                     f" the max lag {hi} after {names[i]} finishes at {fin}")
    for j in (j for j in range(instance.n) if ok[j]):
        r, d = instance.release[j], instance.deadline[j]
        if starts[j] < r:
            v.append(f"window: activity {names[j]} starts at {starts[j]} before its release date {r}")
        if d is not None and starts[j] + p[j] > d:
            v.append(f"window: activity {names[j]} finishes at {starts[j] + p[j]} after its deadline {d}")
        if instance.horizon is not None and starts[j] + p[j] > instance.horizon:
            v.append(f"horizon: activity {names[j]} finishes at {starts[j] + p[j]} after the horizon "
                     f"{instance.horizon}")
    for i, j in instance.disjunctive:
        if ok[i] and ok[j] and starts[i] < starts[j] + p[j] and starts[j] < starts[i] + p[i] and p[i] > 0 and p[j] > 0:
            v.append(f"disjunctive: activities {names[i]} [{starts[i]}, {starts[i] + p[i]}) and {names[j]}"
                     f" [{starts[j]}, {starts[j] + p[j]}) overlap but may not")
    v += _resource_violations(instance, [s if good else None for s, good in zip(starts, ok)])
    if not all(ok):
        return Evaluation(None, v)
    makespan = max((s + d for s, d in zip(starts, p)), default=0)
    return Evaluation(makespan, v)


def _resource_violations(instance: RcpspInstance, starts) -> list[str]:
    """Sweep the usage profile of every resource against its capacity
    profile (activities with start None are left out); consecutive periods
    with the same excess are merged."""
    p = instance.durations
    end = max([s + d for s, d in zip(starts, p) if s is not None] + [0])
    out = []
    for k, name in enumerate(instance.resource_names):
        delta: dict[int, int] = {}
        for j in range(instance.n):
            r = instance.demands[j][k]
            if p[j] > 0 and r and starts[j] is not None:
                delta[starts[j]] = delta.get(starts[j], 0) + r
                delta[starts[j] + p[j]] = delta.get(starts[j] + p[j], 0) - r
        segs = instance.capacity_segments(k, end)
        cuts = sorted(set(delta) | {a for a, _, _ in segs} | {end})
        usage, seg, pending = 0, 0, None
        for idx, t in enumerate(cuts[:-1]):
            usage += delta.get(t, 0)
            while segs[seg][1] <= t:
                seg += 1
            a, b, cap = segs[seg]
            kind = None
            if usage > cap:
                kind = "downtime" if cap < instance.capacities[k] and usage <= instance.capacities[k] else "resource"
            key = (kind, usage, cap, a, b)
            if pending and pending[0] == key and pending[2] == t:
                pending[2] = cuts[idx + 1]
            else:
                if pending and pending[0][0]:
                    out.append(_excess_message(name, *pending, instance.capacities[k]))
                pending = [key, t, cuts[idx + 1]]
        if pending and pending[0][0]:
            out.append(_excess_message(name, *pending, instance.capacities[k]))
    return out


def _excess_message(name, key, t0, t1, default) -> str:
    kind, usage, cap, a, b = key
    if kind == "downtime":
        what = "downtime" if cap == 0 else f"reduced capacity {cap}"
        return (f"downtime: resource {name}: usage {usage} during its {what} [{a}, {b}) in periods "
                f"[{t0}, {t1}) (by {usage - cap})")
    return f"resource: {name}: usage {usage} > capacity {cap} in periods [{t0}, {t1}) (by {usage - cap})"


# --------------------------------------------------------------------------
# Structure shared by heuristics and models (bounds, time windows)
# --------------------------------------------------------------------------

def topological_order(instance: RcpspInstance) -> list[int]:
    """Activities in a precedence-feasible order (networkx, lexicographic)."""
    g = nx.DiGraph()
    g.add_nodes_from(range(instance.n))
    g.add_edges_from(instance.edges())
    return list(nx.lexicographical_topological_sort(g))


def earliest_starts(instance: RcpspInstance) -> list[int]:
    """Earliest start times ``ES_j`` ignoring resources (forward CPM pass
    from the release dates, minimum lags included)."""
    es = list(instance.release)
    for i in topological_order(instance):
        for j in instance.successors[i]:
            es[j] = max(es[j], es[i] + instance.durations[i] + instance.lag(i, j)[0])
    return es


def tails(instance: RcpspInstance) -> list[int]:
    """``q_j``: longest path from the start of j to the project end, ``p_j``
    and minimum lags included (backward CPM pass). ``max_j ES_j + q_j`` is
    the critical path."""
    q = list(instance.durations)
    for i in reversed(topological_order(instance)):
        for j in instance.successors[i]:
            q[i] = max(q[i], instance.durations[i] + instance.lag(i, j)[0] + q[j])
    return q


def latest_starts(instance: RcpspInstance, horizon: int) -> list[int]:
    """Latest start times ``LS_j`` with every activity finished by `horizon`
    and its deadline (backward CPM pass, resources ignored); an activity
    with ``LS_j < ES_j`` cannot be scheduled."""
    p = instance.durations
    ls = [min(horizon, d if d is not None else horizon) - p[j] for j, d in enumerate(instance.deadline)]
    for i in reversed(topological_order(instance)):
        for j in instance.successors[i]:
            ls[i] = min(ls[i], ls[j] - p[i] - instance.lag(i, j)[0])
    return ls


def planning_horizon(instance: RcpspInstance) -> tuple[int, bool]:
    """``(H, safe)``: the horizon every activity must finish by.

    The instance's own horizon when it has one (then ``safe`` is True: it
    is part of the problem). Otherwise ``H = max(T, max deadline) +
    sum_j (p_j + max(0, largest min lag out of j))``, with T the last
    release date or calendar change, plus ``max(0, -(p_i + max_ij))`` for
    every maximum lag i -> j (one below ``-p_i`` makes i start after j).

    A feasible schedule, if any exists, can be rearranged to end by H (keep
    what ends by max(T, max deadline), run the rest one after another after
    it), provided there are no maximum lags, no negative minimum lags and
    every activity fits the default capacities; ``safe`` says whether that
    holds, i.e. whether a proof of infeasibility within H is a proof
    outright. A negative minimum lag ``i -> j`` lets j start before i ends,
    so it bounds i's start from above as a maximum lag would, and moving i
    later breaks it (two activities, one machine down on [1, 4), ``a0 ->
    a1`` at lag -2 and a disjunctive pair: nothing ends by 5, a0 [4, 6),
    a1 [6, 7) is optimal). Unsafe, H is a generous guess: two
    zero-duration activities ``a0 -> a1`` with min and max lag -2 need
    ``S_a0 = S_a1 + 2``, which the last term makes room for.
    """
    if instance.horizon is not None:
        return instance.horizon, True
    t = max(list(instance.release) + [b for cal in instance.calendars for _, b, _ in cal] + [0])
    t = max([t] + [d for d in instance.deadline if d is not None])
    tail = sum(p + max([0] + [instance.lag(j, s)[0] for s in instance.successors[j]])
               for j, p in enumerate(instance.durations))
    # a maximum lag below -p_i makes i start that much after j (S_i >= S_j - p_i - max): room for it too
    tail += sum(max(0, -(instance.durations[i] + hi)) for i, _, _, hi in instance.lags if hi is not None)
    safe = (all(hi is None and lo >= 0 for _, _, lo, hi in instance.lags)
            and all(r <= instance.capacities[k] for d in instance.demands for k, r in enumerate(d)))
    return t + tail, safe


def critical_path_bound(instance: RcpspInstance) -> int:
    """LB0: length of the longest path, resources ignored."""
    es = earliest_starts(instance)
    return max((e + p for e, p in zip(es, instance.durations)), default=0)


def energy_bound(instance: RcpspInstance) -> int:
    """LB_energy = max_k ceil(sum_j p_j r_jk / R_k) (the resource-based bound
    of Stinson, Davis & Khumawala 1978; R_k the peak capacity when a
    calendar changes it)."""
    best = 0
    for k in range(instance.n_resources):
        cap = instance.peak_capacity(k)
        work = sum(p * d[k] for p, d in zip(instance.durations, instance.demands))
        if cap > 0:
            best = max(best, -(-work // cap))
    return best


def lower_bound(instance: RcpspInstance) -> int:
    """max(critical path, energy bound): the cheap bound every heuristic
    reports."""
    return max(critical_path_bound(instance), energy_bound(instance))


# --------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------

def read(path: str | Path, format: str | None = None) -> RcpspInstance:
    """Read an RCPSP instance.

    Parameters
    ----------
    path : str or Path
    format : {'psplib', 'patterson', 'json', 'yaml'}, optional
        Guessed from the file ending (.sm, .rcp, .json, .yaml/.yml) when
        omitted.

    Raises
    ------
    InputError
        Missing file, unknown format, malformed content (file and line named),
        precedence cycle, negative duration or demand, multi-mode data.
    InfeasibleInstance
        An activity demands more of a resource than its capacity.
    """
    path = require_file(path)
    if format is None:
        format = _SUFFIX.get(path.suffix.lower())
        if path.suffix.lower() == ".mm":
            raise InputError("multi-mode PSPLIB (.mm) is not supported: rcpsp is single-mode (.sm); "
                             "a .mm file with one mode per job reads with --format psplib", path)
        if format is None:
            raise InputError(f"cannot tell the format from the ending {path.suffix!r}; expected one of "
                             f"{', '.join(_SUFFIX)} (or pass --format)", path)
    text = read_text(path)
    if format == "psplib":
        lines = _check_sm(text, path)
        inst = _from_psplib(path, "psplib")
    elif format == "patterson":
        lines = _check_rcp(text, path)
        inst = _from_psplib(path, "patterson")
    elif format in ("json", "yaml"):
        from schedcert.instances.rcpsp_doc import load_document

        with entry_errors("document", "the schedcert RCPSP document (schedcert/examples/rcpsp-dc-migration.yaml "
                          "shows every field)", path):
            return from_dict(load_document(path), path)
    else:
        raise InputError(f"unknown RCPSP format {format!r}; expected one of {', '.join(FORMATS)}", path)
    check_semantics(inst, path, lines)
    return inst


def _from_psplib(path: Path, fmt: str) -> RcpspInstance:
    import psplib

    try:
        proj = psplib.parse(path, instance_format=fmt)
    except Exception as exc:  # our own check passed, the library still refused
        raise InputError(f"could not parse as {fmt}: {exc}", path) from None
    if any(not r.renewable for r in proj.resources):
        raise InputError("non-renewable resources are not supported (single-mode RCPSP only)", path)
    if any(len(a.modes) != 1 for a in proj.activities):
        raise InputError("multi-mode activities are not supported (expected one mode per job)", path)
    return RcpspInstance(
        name=path.name,
        durations=tuple(a.modes[0].duration for a in proj.activities),
        demands=tuple(tuple(a.modes[0].demands) for a in proj.activities),
        capacities=tuple(r.capacity for r in proj.resources),
        successors=tuple(tuple(a.successors) for a in proj.activities),
        metadata={"source": str(path), "format": fmt},
    )


def _ints(tokens, path, lineno, what):
    try:
        return [int(t) for t in tokens]
    except ValueError:
        bad = next(t for t in tokens if not re.fullmatch(r"[+-]?\d+", t))
        raise InputError(f"expected integers ({what}), found {bad!r}", path, lineno) from None


def _check_sm(text: str, path: Path) -> dict:
    """Line-by-line structural check of a PSPLIB .sm file.

    Returns ``{"prec": [line of job j], "req": [line of job j]}`` (1-based
    line numbers) for later semantic messages.
    """
    lines = text.splitlines()
    marks = {}
    for idx, line in enumerate(lines):
        for key in ("PRECEDENCE RELATIONS", "REQUESTS/DURATIONS", "RESOURCEAVAILABILITIES",
                    "jobs (incl. supersource/sink )", "- renewable"):
            if key in line and key not in marks:
                marks[key] = idx
    for key, label in (("PRECEDENCE RELATIONS", "a 'PRECEDENCE RELATIONS:' section"),
                       ("REQUESTS/DURATIONS", "a 'REQUESTS/DURATIONS:' section"),
                       ("RESOURCEAVAILABILITIES", "a 'RESOURCEAVAILABILITIES:' section")):
        if key not in marks:
            raise InputError(f"truncated or not a PSPLIB .sm file: expected {label}", path, len(lines) or None)
    n_jobs = None
    if "jobs (incl. supersource/sink )" in marks:
        i = marks["jobs (incl. supersource/sink )"]
        n_jobs = _ints(lines[i].split(":")[-1].split(), path, i + 1, "number of jobs")[0]
    # Resources line (e.g. "R 1  R 2 ...") and capacities.
    a = marks["RESOURCEAVAILABILITIES"]
    if a + 2 >= len(lines) or not lines[a + 2].strip():
        raise InputError("truncated: expected a line of resource capacities after RESOURCEAVAILABILITIES",
                         path, a + 2)
    n_res = len(re.findall(r"\b[RND]\s*\d+", lines[a + 1]))
    caps = _ints(lines[a + 2].split(), path, a + 3, "resource capacities")
    if len(caps) != n_res:
        raise InputError(f"expected {n_res} resource capacities, found {len(caps)}", path, a + 3)
    # Precedence section: "jobnr #modes #succ succ..."
    prec_lines, jobs = [], []
    p = marks["PRECEDENCE RELATIONS"] + 2
    r0 = marks["REQUESTS/DURATIONS"]
    for idx in range(p, r0):
        s = lines[idx].strip()
        if not s or s.startswith("*"):
            continue
        vals = _ints(s.split(), path, idx + 1, "jobnr, #modes, #successors, successors")
        if len(vals) < 3 or len(vals) != 3 + vals[2]:
            raise InputError(f"expected job number, #modes, #successors and that many successors; "
                             f"found {len(vals)} numbers", path, idx + 1)
        if vals[1] != 1:
            raise InputError(f"job {vals[0]} has {vals[1]} modes; only single-mode RCPSP is supported",
                             path, idx + 1)
        jobs.append(vals[0])
        prec_lines.append(idx + 1)
    if n_jobs is not None and len(jobs) != n_jobs:
        raise InputError(f"header says {n_jobs} jobs, precedence section lists {len(jobs)}",
                         path, prec_lines[-1] if prec_lines else p + 1)
    for pos, (job, ln) in enumerate(zip(jobs, prec_lines)):
        if job != pos + 1:
            raise InputError(f"expected job number {pos + 1}, found {job}", path, ln)
    # Requests section: "jobnr mode duration r1..rK" (job number omitted on
    # continuation lines of multi-mode jobs).
    req_lines = []
    end = a
    for idx in range(r0 + 3, end):
        s = lines[idx].strip()
        if not s or s.startswith("*") or s.startswith("-"):
            continue
        vals = _ints(s.split(), path, idx + 1, "jobnr, mode, duration, demands")
        if len(vals) != 3 + n_res:
            raise InputError(f"expected job number, mode, duration and {n_res} demands; found {len(vals)} numbers",
                             path, idx + 1)
        req_lines.append(idx + 1)
    if len(req_lines) != len(jobs):
        raise InputError(f"expected {len(jobs)} lines of durations/demands, found {len(req_lines)}",
                         path, req_lines[-1] if req_lines else r0 + 1)
    return {"prec": prec_lines, "req": req_lines}


def _check_rcp(text: str, path: Path) -> dict:
    """Token-by-token structural check of a Patterson .rcp file (the format
    lets one activity's data run over several lines)."""
    toks = [(t, ln + 1) for ln, line in enumerate(text.splitlines()) for t in line.split()]
    if len(toks) < 2:
        raise InputError("truncated: expected '#activities #resources' on the first line", path, 1)
    pos = 0

    def take(what):
        nonlocal pos
        if pos >= len(toks):
            last = toks[-1][1] if toks else 1
            raise InputError(f"truncated: expected {what}", path, last)
        t, ln = toks[pos]
        pos += 1
        return _ints([t], path, ln, what)[0], ln

    n, _ = take("number of activities")
    k, _ = take("number of resources")
    for r in range(k):
        take(f"capacity of resource {r + 1}")
    prec, req = [], []
    for j in range(n):
        _, ln = take(f"duration of activity {j + 1}")
        req.append(ln)
        for r in range(k):
            take(f"demand of activity {j + 1} for resource {r + 1}")
        ns, ln2 = take(f"number of successors of activity {j + 1}")
        prec.append(ln2)
        for _ in range(ns):
            succ, ln3 = take(f"a successor of activity {j + 1}")
            if not 1 <= succ <= n:
                raise InputError(f"activity {j + 1}: successor {succ} is not an activity (1..{n})", path, ln3)
    if pos != len(toks):
        raise InputError(f"expected end of file after {n} activities, found {toks[pos][0]!r}", path, toks[pos][1])
    return {"prec": prec, "req": req}


#: largest planning horizon (time units) an instance may have: the SGS keeps a
#: resource profile over it (K x horizon 64-bit integers)
MAX_HORIZON = 1_000_000

#: largest capacity or demand: with durations summing to at most
#: MAX_HORIZON, energies (duration x demand) and their sums stay in 64 bits
MAX_AMOUNT = 10 ** 12


def check_semantics(inst: RcpspInstance, path, lines: dict | None) -> None:
    """Range, cycle and capacity checks common to every format."""

    def line(kind, j):
        return lines[kind][j] if lines and j < len(lines.get(kind, [])) else None

    names = inst.activity_names
    for k, cap in enumerate(inst.capacities):
        if cap < 0:
            raise InputError(f"resource {inst.resource_names[k]}: negative capacity {cap}", path)
        if inst.peak_capacity(k) > MAX_AMOUNT:
            raise InputError(f"resource {inst.resource_names[k]}: capacity {magnitude(inst.peak_capacity(k))} is above "
                             f"{MAX_AMOUNT:.0e}, the largest amount schedcert takes; scale the unit", path)
    for j in range(inst.n):
        if inst.durations[j] < 0:
            raise InputError(f"activity {names[j]}: negative duration {inst.durations[j]}; expected >= 0",
                             path, line("req", j))
        if len(inst.demands[j]) != inst.n_resources:
            raise InputError(f"activity {names[j]}: {len(inst.demands[j])} demands, expected {inst.n_resources}",
                             path, line("req", j))
        for k, r in enumerate(inst.demands[j]):
            if r < 0:
                raise InputError(f"activity {names[j]}: negative demand {r} for resource "
                                 f"{inst.resource_names[k]}", path, line("req", j))
            if r > MAX_AMOUNT:
                raise InputError(f"activity {names[j]}: demand {magnitude(r)} for resource {inst.resource_names[k]} "
                                 f"is above {MAX_AMOUNT:.0e}, the largest amount schedcert takes; scale the unit",
                                 path, line("req", j))
        for s in inst.successors[j]:
            if not 0 <= s < inst.n:
                raise InputError(f"activity {names[j]}: successor index {s + 1} out of range 1..{inst.n}",
                                 path, line("prec", j))
            if s == j:
                raise InputError(f"activity {names[j]} is its own successor", path, line("prec", j))
    for i, j in inst.disjunctive:
        if not (0 <= i < inst.n and 0 <= j < inst.n) or i == j:
            raise InputError(f"disjunctive pair ({i}, {j}): expected two different activities", path)
    for i, j, lo, hi in inst.lags:
        if j not in inst.successors[i]:
            raise InputError(f"lag on {names[i]}->{names[j]}, which is not a precedence", path)
        if hi is not None and hi < lo:
            raise InputError(f"precedence {names[i]}->{names[j]}: max lag {hi} < min lag {lo}", path)
    horizon = planning_horizon(inst)[0]
    if horizon > MAX_HORIZON:
        raise InputError(f"the planning horizon is {horizon:,} time units; schedcert's schedule generation and "
                         f"time-indexed models keep arrays over it and support up to {MAX_HORIZON:,}: scale the "
                         "time unit (e.g. minutes instead of seconds)", path)
    g = nx.DiGraph(list(inst.edges()))
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        seq = " -> ".join(names[u] for u, _ in cycle) + f" -> {names[cycle[0][0]]}"
        raise InputError(f"precedence cycle {seq}; expected an acyclic project network", path,
                         line("prec", cycle[0][0]))
    for j in range(inst.n):
        for k, r in enumerate(inst.demands[j]):
            if r > inst.peak_capacity(k) and inst.durations[j] > 0:
                raise InfeasibleInstance(
                    f"infeasible: activity {names[j]} demands {r} of resource {inst.resource_names[k]}"
                    f" whose capacity is {inst.peak_capacity(k)}", path, line("req", j))


# --------------------------------------------------------------------------
# schedcert JSON/YAML documents (instances/rcpsp_doc.py)
# --------------------------------------------------------------------------

def to_dict(inst: RcpspInstance) -> dict:
    """The project's document for `inst` (:mod:`schedcert.instances.rcpsp_doc`)."""
    from schedcert.instances.rcpsp_doc import to_dict as _to_dict

    return _to_dict(inst)


def from_dict(data: dict, path=None) -> RcpspInstance:
    """An instance from the project's document (:mod:`schedcert.instances.rcpsp_doc`)."""
    from schedcert.instances.rcpsp_doc import from_dict as _from_dict

    return _from_dict(data, path)


def write(inst: RcpspInstance, path: str | Path) -> None:
    """Write `inst` as the project's document (YAML for .yaml/.yml, else JSON)."""
    from schedcert.instances.rcpsp_doc import write as _write

    _write(inst, path)


def read_solution(inst: RcpspInstance, path) -> RcpspSolution:
    """A schedule written by anyone, JSON or CSV ``activity,start``
    (:func:`schedcert.instances.rcpsp_doc.read_schedule`)."""
    from schedcert.instances.rcpsp_doc import read_schedule

    return read_schedule(inst, path)


def solution_to_dict(sol: RcpspSolution, inst: RcpspInstance | None = None) -> dict:
    """`sol` as JSON: activity name -> start period, and the makespan;
    without `inst`, the list of starts in activity order."""
    if inst is None:
        return {"starts": list(sol.starts)}
    return {"starts": dict(zip(inst.activity_names, sol.starts)), "makespan": sol.makespan(inst)}


def solution_from_dict(inst: RcpspInstance, data: dict, source=None) -> RcpspSolution:
    """Accept ``{"starts": {name: start}}`` or ``{"starts": [..]}``, bare or
    under a Result document's ``solution`` key."""
    if isinstance(data, dict) and "solution" in data and isinstance(data["solution"], dict):
        data = data["solution"]
    if not isinstance(data, dict) or "starts" not in data:
        raise InputError("expected a JSON object with 'starts' (activity name -> start time)", source)
    st = data["starts"]
    if isinstance(st, list):
        return RcpspSolution(tuple(st))
    if not isinstance(st, dict):
        raise InputError("'starts' must be a list or an object", source)
    unknown = [k for k in st if k not in inst.activity_names]
    if unknown:
        raise InputError(f"unknown activities in 'starts': {unknown[:5]}", source)
    return RcpspSolution(tuple(st.get(n) for n in inst.activity_names))


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

MAX_COMPLEXITY = 10  # network complexity NC of the generator (arcs per activity)


def generate(seed: int = 0, jobs: int = 30, resources: int = 4, complexity: float = 1.5,
             resource_factor: float = 0.5, resource_strength: float = 0.5,
             max_duration: int = 10, max_demand: int = 10, name: str | None = None) -> RcpspInstance:
    """Seeded ProGen-like generator (after Kolisch, Sprecher & Drexl 1995).

    Parameters
    ----------
    seed : int
    jobs : int
        Non-dummy activities; a dummy source and sink are added (n = jobs+2).
    resources : int
        Renewable resources K.
    complexity : float in [0, 10]
        Network complexity NC: non-redundant arcs per activity (about;
        PSPLIB uses 1.5, 1.8, 2.1; 10^300 made the arc loop run for ever).
    resource_factor : float in (0, 1]
        RF: share of resources each activity uses.
    resource_strength : float in [0, 1]
        RS: ``R_k = Kmin + RS (Kmax - Kmin)``, Kmin the largest single demand,
        Kmax the peak demand of the earliest-start schedule.
    max_duration, max_demand : int
        Durations ~ U[1, max_duration], demands ~ U[1, max_demand] (jobs x
        max_duration and max_demand at most 10^6).

    Raises
    ------
    InputError
        On out-of-range parameters.
    """
    if jobs < 1 or resources < 1 or max_duration < 1 or max_demand < 1 or not 0 <= complexity <= MAX_COMPLEXITY:
        raise InputError("generate rcpsp: expected --jobs, --resources, --max-duration, --max-demand >= 1 and "
                         f"--complexity from 0 to {MAX_COMPLEXITY}; "
                         f"got {jobs}, {resources}, {max_duration}, {max_demand}, {complexity}")
    require_sizes("generate rcpsp", jobs=(jobs, 10_000), resources=(resources, 100), max_demand=(max_demand, 10**6))
    require_solvable_horizon("generate rcpsp", jobs, max_duration)
    if not 0 < resource_factor <= 1 or not 0 <= resource_strength <= 1:
        raise InputError("generate rcpsp: expected --resource-factor in (0, 1] and --resource-strength in [0, 1]; "
                         f"got {resource_factor}, {resource_strength}")
    rng = random.Random(seed)
    n = jobs + 2
    sink = n - 1
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for j in range(1, n - 1):  # each real job gets one predecessor among earlier jobs (or the source)
        i = rng.choice([0] + list(range(max(1, j - max(3, jobs // 4)), j)))
        g.add_edge(i, j)
    target = int(round(complexity * jobs))
    tries = 0
    while jobs >= 2 and g.number_of_edges() < target and tries < 50 * target:
        tries += 1
        i, j = sorted(rng.sample(range(1, n - 1), 2))
        if g.has_edge(i, j) or nx.has_path(g, i, j):
            continue  # redundant
        g.add_edge(i, j)
    for j in range(1, n - 1):
        if g.out_degree(j) == 0:
            g.add_edge(j, sink)
    durations = [0] + [rng.randint(1, max_duration) for _ in range(jobs)] + [0]
    demands = [[0] * resources]
    for _ in range(jobs):
        used = rng.sample(range(resources), max(1, round(resource_factor * resources)))
        demands.append([rng.randint(1, max_demand) if k in used else 0 for k in range(resources)])
    demands.append([0] * resources)
    succ = tuple(tuple(sorted(g.successors(j))) for j in range(n))
    draft = RcpspInstance("draft", tuple(durations), tuple(map(tuple, demands)), (1,) * resources, succ)
    es = earliest_starts(draft)
    caps = []
    for k in range(resources):
        kmin = max(d[k] for d in demands)
        kmax = _peak(es, durations, [d[k] for d in demands])
        caps.append(max(kmin, kmin + round(resource_strength * (kmax - kmin))))
    params = dict(seed=seed, jobs=jobs, resources=resources, complexity=complexity,
                  resource_factor=resource_factor, resource_strength=resource_strength,
                  max_duration=max_duration, max_demand=max_demand)
    return RcpspInstance(
        name=name or f"gen-j{jobs}-k{resources}-s{seed}",
        durations=tuple(durations), demands=tuple(map(tuple, demands)), capacities=tuple(caps),
        successors=succ, metadata={"generator": "schedcert.instances.rcpsp.generate", "params": params},
    )


def require_solvable_horizon(what: str, jobs: int, max_duration: int) -> None:
    """InputError unless `jobs` activities of up to `max_duration` periods
    fit in :data:`MAX_HORIZON`, so a generator never makes an instance that
    ``solve`` refuses (``--max-duration 10^6`` gave a horizon of 14 million;
    10^8 hung the generator itself)."""
    if jobs * max_duration > MAX_HORIZON:
        raise InputError(f"{what}: --jobs {jobs} x --max-duration {max_duration} is above "
                         f"{MAX_HORIZON:,}".replace(",", " ") + ", the longest planning horizon schedcert solves")


def _peak(starts, durations, demand) -> int:
    """Largest total demand in any period of the schedule `starts` (activity
    j busy in [S_j, S_j + p_j)), by a sweep over start and end events: the
    period-by-period sum took minutes at --max-duration 10^8."""
    events = []
    for s, p, q in zip(starts, durations, demand):
        if p > 0 and q:
            events += [(s, q), (s + p, -q)]
    peak = load = 0
    for _, change in sorted(events):  # at equal times the ends (negative changes) come first
        load += change
        peak = max(peak, load)
    return peak


def generate_any(seed: int = 0, ramp: int | None = None, level: int | None = None, mix: str | None = None,
                 **params):
    """The ``generate`` entry of the CLI: with ``ramp`` (levels 1..ramp),
    ``level`` or ``mix`` an R-ConstraintBench ramp
    (:mod:`schedcert.instances.rcpsp_ramp`; a list of instances for
    ``ramp``), else the ProGen-like :func:`generate`."""
    if ramp is None and level is None and mix is None:
        require_keywords(generate, params, "rcpsp generator")
        return generate(seed=seed, **params)
    from schedcert.instances.rcpsp_ramp import generate_ramp, ramp_instance

    require_keywords(ramp_instance, params, "rcpsp ramp generator")
    if "allow_infeasible" in params:
        params["allow_infeasible"] = params["allow_infeasible"] not in (0, False, "0", "false", "no")
    if ramp is not None:
        return generate_ramp(seed, ramp, mix or "all", **params)
    return ramp_instance(seed, level if level is not None else 1, mix or "all", **params)[0]


def generate_help() -> str:
    """The options of :func:`generate_any`, for ``schedcert problems``."""
    from schedcert.instances.rcpsp_ramp import ramp_instance
    from schedcert.registry import keyword_usage

    return (f"{keyword_usage(generate, ('seed', 'name'))}; an R-ConstraintBench ramp: --ramp N (levels 1..N) "
            f"or --level L, --mix M, {keyword_usage(ramp_instance, ('seed', 'level', 'mix'))}")


def describe(inst: RcpspInstance, sol: RcpspSolution):
    """The schedule as ``(headers, rows)``: activity, start, finish, sorted by
    start (zero-duration dummies included)."""
    order = sorted(range(inst.n), key=lambda j: (sol.starts[j], j))
    rows = [(inst.activity_names[j], sol.starts[j], sol.starts[j] + inst.durations[j]) for j in order]
    return ("activity", "start", "finish"), rows


def _plot(inst, sol, path, title=None):
    from schedcert.plots.rcpsp import plot_schedule

    plot_schedule(inst, sol, path, title=title)


def _report(records, out_dir, group=None):
    from schedcert.reports.rcpsp import report

    return report(records, out_dir, group)


PROBLEM = register_problem(Problem(
    key="rcpsp",
    title="Resource-constrained project scheduling (single mode, renewable resources, makespan; release dates,"
          " deadlines, capacity calendars, disjunctive pairs, lags)",
    sense="min",
    formats=FORMATS,
    read=read,
    write=write,
    evaluate=evaluate,
    solution_to_dict=solution_to_dict,
    solution_from_dict=solution_from_dict,
    decision_keys=("starts",),
    read_solution=read_solution,
    report=_report,
    generate=generate_any,
    generate_help=generate_help,
    plot=_plot,
    describe=describe,
    suffixes=tuple(_SUFFIX),
    write_suffixes=(".json", ".yaml", ".yml"),
    example="rcpsp-example.json",
    default_method="cpsat",
    default_heuristic="ga",
))
