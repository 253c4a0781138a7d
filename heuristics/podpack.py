"""Simulation of the default kube-scheduler for ``podpack``.

Modelled (Kubernetes ≥ 1.29 default profile, pkg/scheduler/framework/plugins):

* **Queue — PrioritySort**: higher ``priority`` first, then earlier creation
  (queue-entry) time. With ``arrival`` instances the pending pods enter the
  queue one at a time in creation order (each is scheduled before the next
  arrives). A pod that fails waits in the unschedulable pool and is retried
  after a pod is deleted (an eviction), as the scheduling queue's
  move-on-cluster-event does.
* **Filter**: NodeResourcesFit (every resource the pod requests, and the
  ``pods`` slot count), NodeUnschedulable, TaintToleration (NoSchedule,
  NoExecute), NodeAffinity (nodeSelector and required terms).
* **Score** (integer arithmetic of the real plugins, MaxNodeScore 100):
  NodeResourcesFit weight 1 with strategy ``LeastAllocated`` (default:
  ``Σ_r w_r·(alloc_r − req_r)·100 // alloc_r // Σ w_r`` over cpu, memory,
  weights 1), ``MostAllocated`` (``req_r·100 // alloc_r``) or
  ``RequestedToCapacityRatio`` (broken-linear shape, default
  0→0, 100→10, scaled ×10, rounded); these use *non-zero* requests (a pod
  requesting no cpu counts 100m, no memory 200 MiB);
  NodeResourcesBalancedAllocation weight 1 (``int((1 − std)·100)`` of the
  cpu and memory fractions of the actual requests, each capped at 1);
  TaintToleration weight 3 (intolerable PreferNoSchedule taints, normalised
  and reversed).
* **Select**: highest total score; ties go to the node whose name sorts
  first (the real scheduler samples among ties at random).
* **DefaultPreemption** (policy ≠ ``Never``): on each node that passes the
  non-resource filters, remove every lower-priority pod; if the preemptor
  then fits, reprieve victims from most to least important (higher priority,
  then earlier start) while it still fits. Pick the node by: lowest
  highest-victim priority, lowest Σ (priority + 2^31), fewest victims,
  latest earliest-start among the highest-priority victims, node name.
  Victims are deleted; controller-owned victims are recreated pending and
  re-queued; the preemptor is bound to the chosen node at once (its
  nomination is honoured).

Assumed off / not modelled: PodTopologySpread and InterPodAffinity (no
topology constraints or pod affinities are read), ImageLocality, volume
plugins, preferred node affinity, PodDisruptionBudgets (no victim violates
one), ``percentageOfNodesToScore`` (every feasible node is scored) and the
preemption candidate sampling (every node is a candidate), nominated-node
reservations against higher-priority pods, per-container non-zero requests
(applied to the pod's effective request).
"""

from __future__ import annotations

import heapq
import math

from schedcert.instances.podpack import (PodpackInstance, PodpackSolution, demand, filter_reasons, tolerates,
                                         lex_upper_bound, placed_counts, summary, tier_sizes, lex_value)
from schedcert.registry import method
from schedcert.result import Options, Result, Status

MAX_NODE_SCORE = 100
NONZERO = {"cpu": 100, "memory": 200 * 2 ** 20}  # DefaultMilliCPURequest, DefaultMemoryRequest
PRIORITY_OFFSET = 2 ** 31  # MaxInt32 + 1, as in pickOneNodeForPreemption
WEIGHTS = {"fit": 1, "balanced": 1, "taint": 3}


def least_allocated(req: int, alloc: int) -> int:
    """``(alloc − req)·100 // alloc`` (0 when req > alloc or alloc = 0)."""
    if alloc == 0 or req > alloc:
        return 0
    return (alloc - req) * MAX_NODE_SCORE // alloc


def most_allocated(req: int, alloc: int) -> int:
    """``req·100 // alloc`` (0 when req > alloc or alloc = 0)."""
    if alloc == 0 or req > alloc:
        return 0
    return req * MAX_NODE_SCORE // alloc


def broken_linear(shape, util: int) -> int:
    """RequestedToCapacityRatio's piecewise-linear function of utilisation
    (0–100) through the points ``shape`` = [(utilisation, score 0–10)],
    scores scaled by 10 (MaxNodeScore / MaxCustomPriorityScore)."""
    pts = [(u, s * 10) for u, s in shape]
    if util < pts[0][0]:
        return pts[0][1]
    for (u0, s0), (u1, s1) in zip(pts, pts[1:]):
        if util <= u1:
            return s0 + (s1 - s0) * (util - u0) // (u1 - u0)
    return pts[-1][1]


def ratio_score(shape, req: int, alloc: int) -> int:
    if alloc == 0 or req > alloc:
        return broken_linear(shape, 100)
    return broken_linear(shape, req * 100 // alloc)


def balanced_allocation(req: dict, alloc: dict) -> int:
    """``int((1 − std)·100)`` of the cpu and memory request fractions."""
    fr = [min(1.0, req[r] / alloc[r]) for r in ("cpu", "memory") if alloc.get(r, 0)]
    std = 0.0
    if len(fr) == 2:
        std = abs((fr[0] - fr[1]) / 2)
    return int((1 - std) * MAX_NODE_SCORE)


class ClusterState:
    """Per node: pods on it, summed requests and non-zero requests."""

    def __init__(self, inst: PodpackInstance):
        self.inst = inst
        self.where: list = [None] * len(inst.pods)
        self.on = [set() for _ in inst.nodes]
        self.used = [dict() for _ in inst.nodes]
        self.nonzero = [{"cpu": 0, "memory": 0} for _ in inst.nodes]
        self.start: list = [None] * len(inst.pods)

    def nz(self, i: int) -> dict:
        req = self.inst.pods[i].requests
        return {r: req.get(r, 0) or NONZERO[r] for r in NONZERO}

    def bind(self, i: int, n: int, start) -> None:
        self.where[i], self.start[i] = n, start
        self.on[n].add(i)
        for r in self.inst.resources:
            self.used[n][r] = self.used[n].get(r, 0) + demand(self.inst.pods[i], r)
        for r, q in self.nz(i).items():
            self.nonzero[n][r] += q

    def unbind(self, i: int) -> None:
        n = self.where[i]
        self.on[n].discard(i)
        for r in self.inst.resources:
            self.used[n][r] -= demand(self.inst.pods[i], r)
        for r, q in self.nz(i).items():
            self.nonzero[n][r] -= q
        self.where[i] = None

    def fits(self, i: int, n: int, without=()) -> bool:
        """NodeResourcesFit: every requested resource and a pod slot."""
        pod, alloc = self.inst.pods[i], self.inst.nodes[n].allocatable
        for r in self.inst.resources:
            q = demand(pod, r)
            if q == 0:
                continue
            have = self.used[n].get(r, 0) - sum(demand(self.inst.pods[v], r) for v in without)
            if have + q > alloc.get(r, 0):
                return False
        return True


def node_score(state: ClusterState, i: int, n: int, strategy: str, shape) -> int:
    """Weighted sum of the modelled score plugins for pod i on node n
    (TaintToleration is added after normalisation by the caller)."""
    alloc = state.inst.nodes[n].allocatable
    nz_pod = state.nz(i)
    parts = []
    for r in ("cpu", "memory"):
        req = state.nonzero[n][r] + nz_pod[r]
        a = alloc.get(r, 0)
        parts.append(least_allocated(req, a) if strategy == "LeastAllocated" else
                     most_allocated(req, a) if strategy == "MostAllocated" else ratio_score(shape, req, a))
    fit = sum(parts) // 2 if strategy != "RequestedToCapacityRatio" else int(math.floor(sum(parts) / 2 + 0.5))
    pod = state.inst.pods[i]
    actual = {r: state.used[n].get(r, 0) + pod.requests.get(r, 0) for r in ("cpu", "memory")}
    return WEIGHTS["fit"] * fit + WEIGHTS["balanced"] * balanced_allocation(actual, alloc)


def _taint_scores(inst: PodpackInstance, i: int, feasible: list) -> dict:
    pod = inst.pods[i]
    counts = {n: sum(1 for t in inst.nodes[n].taints if t[2] == "PreferNoSchedule"
                     and not any(tolerates(tol, t) for tol in pod.tolerations)) for n in feasible}
    mx = max(counts.values(), default=0)
    if mx == 0:
        return {n: MAX_NODE_SCORE for n in feasible}
    return {n: MAX_NODE_SCORE - MAX_NODE_SCORE * c // mx for n, c in counts.items()}


def select_node(state: ClusterState, i: int, strategy: str, shape, passing: list):
    """Filter + Score + Select for pod i; None if no node fits."""
    feasible = [n for n in passing if state.fits(i, n)]
    if not feasible:
        return None
    taint = _taint_scores(state.inst, i, feasible)
    names = state.inst.nodes
    return min(feasible, key=lambda n: (-(node_score(state, i, n, strategy, shape) + WEIGHTS["taint"] * taint[n]),
                                        names[n].name))


def _more_important_key(state: ClusterState, v: int):
    return (-state.inst.pods[v].priority, state.start[v])


def preempt(state: ClusterState, i: int, passing: list):
    """DefaultPreemption for pod i: (node, victims) or None."""
    pods = state.inst.pods
    prio = pods[i].priority
    best = None
    for n in passing:
        lower = [v for v in state.on[n] if pods[v].priority < prio]
        if not lower or not state.fits(i, n, without=lower):
            continue
        victims = set(lower)
        for v in sorted(lower, key=lambda v: _more_important_key(state, v)):  # reprieve
            victims.discard(v)
            if not state.fits(i, n, without=victims):
                victims.add(v)
        top = max(pods[v].priority for v in victims)
        earliest = min(state.start[v] for v in victims if pods[v].priority == top)
        key = (top, sum(pods[v].priority + PRIORITY_OFFSET for v in victims), len(victims),
               _Desc(earliest), state.inst.nodes[n].name)
        if best is None or key < best[0]:
            best = (key, n, sorted(victims))
    return None if best is None else (best[1], best[2])


class _Desc:
    """Reverses the order of a key (latest start time first)."""

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return other.v < self.v

    def __eq__(self, other):
        return self.v == other.v


def simulate(inst: PodpackInstance, strategy: str = "LeastAllocated", shape=((0, 0), (100, 10)),
             preemption: bool = True) -> tuple[PodpackSolution, dict]:
    """Run the default scheduler on the snapshot; see the module docstring.

    Returns the final placement and counters (``scheduled``, ``preemptions``,
    ``victims``, ``attempts``).
    """
    state = ClusterState(inst)
    idx = inst.node_index()
    for i, p in enumerate(inst.pods):
        if p.node is not None:
            state.bind(i, idx[p.node], (0, p.created))
    passing = {}  # pod -> nodes passing the non-resource filters

    def nodes_for(i):
        if i not in passing:
            passing[i] = [n for n, node in enumerate(inst.nodes) if not filter_reasons(node, inst.pods[i])]
        return passing[i]

    pending = [i for i, p in enumerate(inst.pods) if p.node is None]
    if inst.arrival:
        arrivals = sorted(pending, key=lambda i: (inst.pods[i].created, i))
        queue: list = []
    else:
        arrivals = []
        queue = [(-inst.pods[i].priority, (0, inst.pods[i].created), i) for i in pending]
        heapq.heapify(queue)
    unschedulable: list = []
    step, stats = 0, {"scheduled": 0, "preemptions": 0, "victims": 0, "attempts": 0}
    arrivals.reverse()
    while queue or arrivals:
        if not queue:
            i = arrivals.pop()
            heapq.heappush(queue, (-inst.pods[i].priority, (1, step), i))
        _, _, i = heapq.heappop(queue)
        step += 1
        stats["attempts"] += 1
        n = select_node(state, i, strategy, shape, nodes_for(i))
        if n is not None:
            state.bind(i, n, (1, step))
            stats["scheduled"] += 1
            continue
        if preemption and inst.pods[i].preemption_policy != "Never":
            pick = preempt(state, i, nodes_for(i))
            if pick is not None:
                n, victims = pick
                for v in victims:
                    state.unbind(v)
                    if inst.pods[v].movable:  # recreated by its controller, pending again
                        heapq.heappush(queue, (-inst.pods[v].priority, (1, step), v))
                state.bind(i, n, (1, step))
                stats["preemptions"] += 1
                stats["victims"] += len(victims)
                for u in unschedulable:  # a pod was deleted: retry the unschedulable pool
                    heapq.heappush(queue, (-inst.pods[u].priority, (1, step), u))
                unschedulable = []
                continue
        unschedulable.append(i)
    assignment = tuple(None if w is None else inst.nodes[w].name for w in state.where)
    return PodpackSolution(assignment), stats


STRATEGIES = {"least": "LeastAllocated", "most": "MostAllocated", "ratio": "RequestedToCapacityRatio"}


def _shape(text: str):
    try:
        pts = [tuple(int(x) for x in p.split(":")) for p in text.split(",")]
        assert pts and all(len(p) == 2 for p in pts)
        return tuple(pts)
    except (ValueError, AssertionError):
        from schedcert.errors import InputError

        raise InputError(f"--param shape: expected 'utilisation:score,...' such as 0:0,100:10, got {text!r}") from None


@method("podpack", "default", "heuristic",
        "default kube-scheduler simulation (PrioritySort, Filter, LeastAllocated+BalancedAllocation, preemption)")
def default_scheduler(inst: PodpackInstance, options: Options) -> Result:
    """The default kube-scheduler's placement of the snapshot.

    Parameters (``--param``): ``strategy`` = least (default) | most | ratio;
    ``shape`` = RequestedToCapacityRatio points ``u:s,...`` (default
    ``0:0,100:10``); ``preemption`` = 1 (default) | 0.

    The bound is :func:`~schedcert.instances.podpack.lex_upper_bound`.
    """
    from schedcert.errors import InputError

    key = str(options.params.get("strategy", "least"))
    if key not in STRATEGIES:
        raise InputError(f"--param strategy: expected one of {', '.join(STRATEGIES)}, got {key!r}")
    shape = _shape(str(options.params.get("shape", "0:0,100:10")))
    pre = str(options.params.get("preemption", "1")) not in ("0", "false", "no")
    sol, stats = simulate(inst, STRATEGIES[key], shape, pre)
    counts = placed_counts(inst, sol)
    obj = lex_value(counts, tier_sizes(inst))
    bound = lex_upper_bound(inst, counts)
    status = Status.OPTIMAL if obj >= bound else Status.FEASIBLE
    return Result(problem="podpack", instance=inst.name, method="default", status=status, objective=obj,
                  bound=bound, runtime=0.0, solver={"name": "schedcert-kube-scheduler-sim", "version": "1",
                                                    "params": {"strategy": STRATEGIES[key], "preemption": pre}},
                  solution=sol, info={**summary(inst, sol), **stats})
