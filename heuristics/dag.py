"""List schedulers for task DAGs on heterogeneous processors.

Conventions shared by every method here (stated because implementations
differ on them and the schedules change):

* Mean costs use exact rational arithmetic (:class:`fractions.Fraction`):
  ``w_i`` = mean of ``w_ia`` over the processors that can run ``i``;
  ``c_ij`` = mean of ``c_ij(a, b)`` over the ordered pairs of *distinct*
  processors (0 with one processor). With the default link model that is
  just the edge's communication cost.
* Ties in a priority are broken by the task's position in the topological
  order of :attr:`DagInstance.topo` (smallest index first); ties between
  processors by the smallest processor index.
* A task's ready time on processor ``b`` is ``max_i AFT(i) + c_ij(proc(i), b)``
  over its predecessors, with the *actual* link cost (0 on the same processor).
* Insertion-based placement (Topcuoglu et al. 2002, eq. 3): the task starts
  in the earliest idle gap of the processor, at or after its ready time, that
  is long enough; the gap before the processor's first task counts. The
  non-insertion variant appends after the processor's last task.

Methods: ``heft``, ``heft-noins`` (HEFT, Topcuoglu, Hariri & Wu, IEEE TPDS
13(3) 2002, section 4.1), ``cpop`` (section 4.2), ``peft`` (Arabnejad &
Barbosa, IEEE TPDS 25(3) 2014), ``list-best`` (best of the four).
"""

from __future__ import annotations

import bisect
import heapq
import time
from fractions import Fraction

from schedcert.instances.dag import DagInstance, DagSolution, lower_bound
from schedcert.registry import method
from schedcert.result import Options, Result, Status


def mean_costs(inst: DagInstance) -> list[Fraction]:
    """``w_i``: mean computation cost of each task over the processors that
    can run it, shape (n,)."""
    return [Fraction(sum(c for c in row if c is not None), sum(c is not None for c in row)) for row in inst.costs]


def mean_comm(inst: DagInstance) -> list[Fraction]:
    """``c_ij``: mean communication cost of each edge over ordered pairs of
    distinct processors, shape (len(edges),)."""
    q = inst.q
    if q < 2:
        return [Fraction(0)] * len(inst.edges)
    pairs = [(a, b) for a in range(q) for b in range(q) if a != b]
    return [Fraction(sum(inst.comm(d, a, b) for a, b in pairs), len(pairs)) for _, _, d in inst.edges]


def upward_ranks(inst: DagInstance) -> list[Fraction]:
    """``rank_u(i) = w_i + max_{j in succ(i)} (c_ij + rank_u(j))`` (Topcuoglu
    et al. 2002, eq. 7), shape (n,)."""
    w, c = mean_costs(inst), mean_comm(inst)
    r = [Fraction(0)] * inst.n
    for i in reversed(inst.topo):
        r[i] = w[i] + max((c[e] + r[j] for j, e in inst.succs[i]), default=Fraction(0))
    return r


def downward_ranks(inst: DagInstance) -> list[Fraction]:
    """``rank_d(j) = max_{i in pred(j)} (rank_d(i) + w_i + c_ij)``, 0 for entry
    tasks (Topcuoglu et al. 2002, eq. 8), shape (n,)."""
    w, c = mean_costs(inst), mean_comm(inst)
    r = [Fraction(0)] * inst.n
    for j in inst.topo:
        r[j] = max((r[i] + w[i] + c[e] for i, e in inst.preds[j]), default=Fraction(0))
    return r


def optimistic_cost_table(inst: DagInstance) -> list[list[Fraction | None]]:
    """PEFT's OCT (Arabnejad & Barbosa 2014, eq. 7), shape (n, q):
    ``OCT(i, a) = max_{j in succ(i)} min_{b can run j} (OCT(j, b) + w_jb + [b != a] c_ij)``,
    0 for exit tasks."""
    c = mean_comm(inst)
    oct_ = [[Fraction(0)] * inst.q for _ in range(inst.n)]
    for i in reversed(inst.topo):
        for a in range(inst.q):
            oct_[i][a] = max((min(oct_[j][b] + inst.costs[j][b] + (c[e] if b != a else 0) for b in inst.allowed(j))
                              for j, e in inst.succs[i]), default=Fraction(0))
    return oct_


class _Timelines:
    """Busy intervals per processor, sorted by start; placement queries."""

    def __init__(self, inst: DagInstance):
        self.inst = inst
        self.busy = [[] for _ in range(inst.q)]  # (start, finish) sorted
        self.proc, self.start, self.finish = [None] * inst.n, [None] * inst.n, [None] * inst.n

    def ready(self, i: int, b: int) -> int:
        """Earliest time all data of i's predecessors is on processor b."""
        inst = self.inst
        return max((self.finish[p] + inst.comm(inst.edges[e][2], self.proc[p], b) for p, e in inst.preds[i]),
                   default=0)

    def est(self, i: int, b: int, insertion: bool = True) -> int:
        """Earliest start of i on b (insertion-based or append)."""
        r, d, busy = self.ready(i, b), self.inst.costs[i][b], self.busy[b]
        if not insertion:
            return max(r, busy[-1][1] if busy else 0)
        prev_end = 0
        for s, f in busy:
            t = max(r, prev_end)
            if t + d <= s:
                return t
            prev_end = max(prev_end, f)
        return max(r, prev_end)

    def place(self, i: int, b: int, s: int) -> None:
        self.proc[i], self.start[i], self.finish[i] = b, s, s + self.inst.costs[i][b]
        bisect.insort(self.busy[b], (s, self.finish[i]))

    def best_eft(self, i: int, insertion: bool = True, extra=None):
        """(EFT + extra[b], EFT, b, EST) minimised over processors that can
        run i; ties by processor index."""
        best = None
        for b in self.inst.allowed(i):
            s = self.est(i, b, insertion)
            f = s + self.inst.costs[i][b]
            key = (f + (extra[b] if extra else 0), f, b, s)
            if best is None or key < best:
                best = key
        return best

    def solution(self) -> DagSolution:
        return DagSolution(tuple(self.proc), tuple(self.start))


def _topo_pos(inst: DagInstance) -> list[int]:
    pos = [0] * inst.n
    for k, i in enumerate(inst.topo):
        pos[i] = k
    return pos


def heft(inst: DagInstance, insertion: bool = True) -> DagSolution:
    """HEFT (Topcuoglu et al. 2002, Fig. 3): tasks in decreasing upward rank
    (ties: topological position), each on the processor giving the earliest
    finish time (eq. 3-4), insertion-based unless ``insertion=False``."""
    ranks, pos = upward_ranks(inst), _topo_pos(inst)
    order = sorted(range(inst.n), key=lambda i: (-ranks[i], pos[i]))
    tl = _Timelines(inst)
    done = [False] * inst.n
    for i in order:
        # decreasing rank_u is topological when costs are positive; with zero
        # costs a tie is resolved by topological position, so preds are done.
        assert all(done[p] for p, _ in inst.preds[i])
        _, _, b, s = tl.best_eft(i, insertion)
        tl.place(i, b, s)
        done[i] = True
    return tl.solution()


def _ready_list(inst: DagInstance, priority, select):
    """Generic ready-list scheduler: repeatedly take the ready task of highest
    `priority` (ties: topological position) and place it with `select(tl, i)`
    -> (processor, start)."""
    pos = _topo_pos(inst)
    indeg = [len(p) for p in inst.preds]
    heap = [(-priority[i], pos[i], i) for i in range(inst.n) if indeg[i] == 0]
    heapq.heapify(heap)
    tl = _Timelines(inst)
    while heap:
        _, _, i = heapq.heappop(heap)
        b, s = select(tl, i)
        tl.place(i, b, s)
        for j, _ in inst.succs[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (-priority[j], pos[j], j))
    return tl.solution()


def critical_path(inst: DagInstance) -> tuple[list[int], list[Fraction]]:
    """CPOP's critical path (Topcuoglu et al. 2002, Fig. 4): tasks whose
    priority ``rank_u + rank_d`` equals ``|CP|``, the largest priority of an
    entry task, followed from that entry task through successors of equal
    priority. Returns (path, priorities)."""
    ru, rd = upward_ranks(inst), downward_ranks(inst)
    prio = [ru[i] + rd[i] for i in range(inst.n)]
    pos = _topo_pos(inst)
    entries = [i for i in range(inst.n) if not inst.preds[i]]
    cp_len = max(prio[i] for i in entries)
    k = min((i for i in entries if prio[i] == cp_len), key=lambda i: pos[i])
    path = [k]
    while inst.succs[k]:
        nxt = [j for j, _ in inst.succs[k] if prio[j] == cp_len]
        if not nxt:
            break
        k = min(nxt, key=lambda j: pos[j])
        path.append(k)
    return path, prio


def cpop(inst: DagInstance) -> DagSolution:
    """CPOP (Topcuoglu et al. 2002, Fig. 4): ready tasks by decreasing
    ``rank_u + rank_d``; critical-path tasks go to the critical-path
    processor (the one minimising their total cost; if no processor can run
    them all, they are placed like the rest), the others to the processor of
    earliest finish time, insertion-based."""
    path, prio = critical_path(inst)
    on_cp = set(path)
    able = [a for a in range(inst.q) if all(inst.costs[i][a] is not None for i in path)]
    p_cp = min(able, key=lambda a: (sum(inst.costs[i][a] for i in path), a)) if able else None

    def select(tl, i):
        if i in on_cp and p_cp is not None:
            return p_cp, tl.est(i, p_cp)
        _, _, b, s = tl.best_eft(i)
        return b, s

    return _ready_list(inst, prio, select)


def peft(inst: DagInstance) -> DagSolution:
    """PEFT (Arabnejad & Barbosa 2014, Algorithm 1): ready tasks by decreasing
    ``rank_oct(i)`` = mean of ``OCT(i, a)`` over the processors that can run
    i; each goes to the processor minimising ``O_EFT = EFT(i, a) + OCT(i, a)``
    (insertion-based; ties: smaller EFT, then processor index)."""
    oct_ = optimistic_cost_table(inst)
    rank = [sum(oct_[i][a] for a in inst.allowed(i)) / len(inst.allowed(i)) for i in range(inst.n)]

    def select(tl, i):
        _, _, b, s = tl.best_eft(i, True, oct_[i])
        return b, s

    return _ready_list(inst, rank, select)


HEURISTICS = {
    "heft": (lambda inst: heft(inst, True), "HEFT, insertion-based (Topcuoglu et al. 2002)"),
    "heft-noins": (lambda inst: heft(inst, False), "HEFT without insertion (append to processor)"),
    "cpop": (cpop, "CPOP, critical path on one processor (Topcuoglu et al. 2002)"),
    "peft": (peft, "PEFT, optimistic cost table (Arabnejad & Barbosa 2014)"),
}


def _result(inst: DagInstance, sol: DagSolution, info=None) -> Result:
    """Heuristic Result with the instance's lower bound as its bound."""
    ms, lb = sol.makespan(inst), lower_bound(inst)
    return Result(problem="dag", instance=inst.name, method="",
                  status=Status.OPTIMAL if ms <= lb else Status.FEASIBLE, objective=ms, bound=lb,
                  runtime=0.0, solution=sol, info=info or {})


def _register(name, fn, desc):
    @method("dag", name, "heuristic", desc)
    def _run(instance: DagInstance, options: Options, _fn=fn):
        return _result(instance, _fn(instance))


for _name, (_fn, _desc) in HEURISTICS.items():
    _register(_name, _fn, _desc)


@method("dag", "list-best", "heuristic", "best of HEFT, HEFT without insertion, CPOP and PEFT")
def list_best(instance: DagInstance, options: Options) -> Result:
    """Run the list schedulers of :data:`HEURISTICS` in turn, each while
    the time limit lasts (the first always); keep the shortest schedule
    (ties: the order of HEURISTICS). ``info`` lists the makespans, and
    ``skipped`` those not run (each is O(n²·q) with insertion: at 5 000
    tasks on 3 processors HEFT, CPOP and PEFT take about 8 s each, and as
    the 1 s warm start of ``cpsat`` they took 19.8 s)."""
    t0 = time.perf_counter()
    found = {}
    for name, (fn, _) in HEURISTICS.items():
        if found and options.time_limit is not None and time.perf_counter() - t0 >= options.time_limit:
            break
        found[name] = fn(instance)
    spans = {name: s.makespan(instance) for name, s in found.items()}
    best = min(spans, key=spans.get)
    info = {"makespans": spans, "chosen": best, "time": round(time.perf_counter() - t0, 4)}
    skipped = [name for name in HEURISTICS if name not in found]
    if skipped:
        info["skipped"] = skipped
        info["note"] = f"time limit reached; not run: {', '.join(skipped)}"
    return _result(instance, found[best], info)
