"""Simulation of the default kube-scheduler for ``podpack``.

Modelled (Kubernetes v1.33–v1.35 default profile,
pkg/scheduler/framework/plugins; v1.36 scores BalancedAllocation by the
change in balance the pod makes, kubernetes#135573, which is not modelled):

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
  weights 1; a resource with allocatable 0 leaves the sum and the weight
  sum), ``MostAllocated`` (``min(req_r, alloc_r)·100 // alloc_r``) or
  ``RequestedToCapacityRatio`` (broken-linear shape, default
  0→0, 100→10, scaled ×10; only resources scoring above 0 count, the
  mean rounded); these use *non-zero* requests (each
  container requesting no cpu counts 100m, no memory 200 MiB:
  ``Pod.scored_requests``);
  NodeResourcesBalancedAllocation weight 1 (``int((1 − std)·100)`` of the
  cpu and memory fractions of the actual requests, each capped at 1;
  skipped for a best-effort pod, one requesting neither, since v1.33,
  kubernetes#130260);
  TaintToleration weight 3 (intolerable PreferNoSchedule taints, normalised
  and reversed); PodTopologySpread weight 2 with its system-default
  constraints (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) for a
  pod with an ``owner_uid`` (owned by a ReplicaSet, ReplicationController
  or StatefulSet: kubectl input, or ``ownerUid`` in the compact format):
  siblings are counted by owner (:func:`spread_scores`).
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

Assumed off / not modelled: a pod's own topologySpreadConstraints,
InterPodAffinity (no pod affinities are read; the kubectl reader names the
pods that carry hard ones), the system-default spreading of pods that only
a Service selects, ImageLocality, volume
plugins, preferred node affinity, PodDisruptionBudgets (no victim violates
one), ``percentageOfNodesToScore`` (every feasible node is scored) and the
preemption candidate sampling (every node is a candidate), nominated-node
reservations against higher-priority pods, per-container non-zero requests
(applied to the pod's effective request).
"""

from __future__ import annotations

import heapq
import math
import time

import numpy as np

from schedcert.instances.podpack import (PodpackInstance, PodpackSolution, affinity_matches, demand,
                                         filter_signature, lex_upper_bound, lex_value, passing_nodes, placed_counts,
                                         summary, tier_sizes, tolerates)
from schedcert.errors import InputError
from schedcert.params import FLAG, Kind, choice
from schedcert.registry import method
from schedcert.result import Options, Result, Status

MAX_NODE_SCORE = 100
PRIORITY_OFFSET = 2 ** 31  # MaxInt32 + 1, as in pickOneNodeForPreemption
WEIGHTS = {"fit": 1, "balanced": 1, "taint": 3, "spread": 2}
#: PodTopologySpread's system-default constraints: (topology key, maxSkew), ScheduleAnyway
SPREAD_DEFAULTS = (("kubernetes.io/hostname", 3), ("topology.kubernetes.io/zone", 5))


def least_allocated(req, alloc):
    """NodeResourcesFit LeastAllocated per resource: ``(alloc − req)·100 //
    alloc``, 0 when req > alloc or alloc = 0. Arrays (per node) or ints."""
    req, alloc = np.asarray(req, dtype=np.int64), np.asarray(alloc, dtype=np.int64)
    safe = np.where(alloc == 0, 1, alloc)
    return np.where((alloc == 0) | (req > alloc), 0, (alloc - req) * MAX_NODE_SCORE // safe)


def most_allocated(req, alloc):
    """MostAllocated per resource: ``min(req, alloc)·100 // alloc`` (a
    request above allocatable, which the non-zero defaults can make, counts
    as full: 100, as ``mostRequestedScore`` clamps it since Kubernetes
    1.22), 0 when alloc = 0."""
    req, alloc = np.asarray(req, dtype=np.int64), np.asarray(alloc, dtype=np.int64)
    safe = np.where(alloc == 0, 1, alloc)
    return np.where(alloc == 0, 0, np.minimum(req, alloc) * MAX_NODE_SCORE // safe)


def broken_linear(shape, util):
    """RequestedToCapacityRatio's piecewise-linear function of utilisation
    (0–100) through ``shape`` = [(utilisation, score 0–10)], scores scaled
    by 10 (MaxNodeScore / MaxCustomPriorityScore), integer interpolation."""
    util = np.asarray(util, dtype=np.int64)
    pts = [(u, sc * 10) for u, sc in shape]
    out = np.full(util.shape, pts[-1][1], dtype=np.int64)
    done = np.zeros(util.shape, dtype=bool)
    first = util < pts[0][0]
    out[first], done = pts[0][1], first
    for (u0, s0), (u1, s1) in zip(pts, pts[1:]):
        here = ~done & (util <= u1)
        out = np.where(here, s0 + (s1 - s0) * (util - u0) // max(1, u1 - u0), out)
        done = done | here
    return out


def ratio_score(shape, req, alloc):
    """RequestedToCapacityRatio per resource (utilisation 100 when req >
    alloc or alloc = 0)."""
    req, alloc = np.asarray(req, dtype=np.int64), np.asarray(alloc, dtype=np.int64)
    util = np.where((alloc == 0) | (req > alloc), 100, req * 100 // np.where(alloc == 0, 1, alloc))
    return broken_linear(shape, util)


def resource_mean(scores, allocs, positive_only: bool = False, rounded: bool = False):
    """The weight-1 mean of per-resource `scores` (list of arrays, one per
    resource, over nodes) as the NodeResourcesFit scorers take it: a
    resource whose allocatable (`allocs`, same shape) is 0 is left out of
    the sum and the weight sum, and with `positive_only`
    (RequestedToCapacityRatio) so is a resource scoring 0; floor division
    (LeastAllocated, MostAllocated) or, with `rounded`, ``math.Round``
    (half away from zero); 0 when no resource is left."""
    total = np.zeros(np.shape(scores[0]), dtype=np.int64)
    count = np.zeros_like(total)
    for sc, al in zip(scores, allocs):
        used = np.asarray(al) != 0
        if positive_only:
            used &= np.asarray(sc) > 0
        total += np.where(used, sc, 0)
        count += used
    safe = np.maximum(count, 1)
    mean = (total + safe // 2) // safe if rounded else total // safe
    return np.where(count == 0, 0, mean)


def balanced_allocation(req_cpu, alloc_cpu, req_mem, alloc_mem):
    """NodeResourcesBalancedAllocation: ``int((1 − std)·100)`` of the cpu and
    memory request fractions (each capped at 1; a resource with allocatable
    0 is skipped, and with fewer than two fractions std = 0)."""
    a_c, a_m = np.asarray(alloc_cpu, dtype=float), np.asarray(alloc_mem, dtype=float)
    f_c = np.minimum(1.0, np.asarray(req_cpu, dtype=float) / np.where(a_c == 0, 1, a_c))
    f_m = np.minimum(1.0, np.asarray(req_mem, dtype=float) / np.where(a_m == 0, 1, a_m))
    std = np.where((a_c > 0) & (a_m > 0), np.abs((f_c - f_m) / 2), 0.0)
    return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)


class ClusterState:
    """Node-indexed arrays: ``used[n, r]`` (requests, resources in
    ``inst.resources`` order, a slot per pod), ``nonzero[n, 0/1]`` (cpu and
    memory with the non-zero defaults), and the pods on each node."""

    def __init__(self, inst: PodpackInstance):
        self.inst = inst
        res = inst.resources
        self.alloc = np.array([[nd.allocatable.get(r, 0) for r in res] for nd in inst.nodes], dtype=np.int64)
        self.req = np.array([[demand(p, r) for r in res] for p in inst.pods], dtype=np.int64).reshape(-1, len(res))
        self.nzreq = np.array([p.scored_requests() for p in inst.pods], dtype=np.int64).reshape(-1, 2)
        self.used = np.zeros_like(self.alloc)
        self.nonzero = np.zeros((len(inst.nodes), 2), dtype=np.int64)
        self.where: list = [None] * len(inst.pods)
        self.on = [set() for _ in inst.nodes]
        self.start: list = [None] * len(inst.pods)
        self.name_rank = np.argsort(np.argsort([nd.name for nd in inst.nodes], kind="stable"))
        self.by_prio = {prio: np.zeros_like(self.alloc) for prio in inst.tiers}  # used[n, r] per priority
        self.req_list = self.req.tolist()  # the same as Python ints, for per-pod arithmetic
        self.version = 0  # counts binds and unbinds: equal versions, equal cluster state
        codes: dict = {}
        self.owner_code = [-1 if p.owner_uid is None else codes.setdefault(p.owner_uid, len(codes))
                           for p in inst.pods]
        self.owned = np.zeros((len(codes), len(inst.nodes)), dtype=np.int64)  # pods per owner and node
        self.domain = []  # per SPREAD_DEFAULTS key: each node's label value as a code, -1 without the label
        for k, (key, _) in enumerate(SPREAD_DEFAULTS):
            values: dict = {}  # the kubelet labels every node with its hostname: a compact node lacking it has its name
            labels = [nd.labels.get(key, nd.name if k == 0 else None) for nd in inst.nodes]
            self.domain.append(np.array([-1 if v is None else values.setdefault(v, len(values)) for v in labels],
                                        dtype=np.int64))

    def bind(self, i: int, n: int, start) -> None:
        self.version += 1
        self.where[i], self.start[i] = n, start
        self.on[n].add(i)
        self.used[n] += self.req[i]
        self.nonzero[n] += self.nzreq[i]
        self.by_prio[self.inst.pods[i].priority][n] += self.req[i]
        if self.owner_code[i] >= 0:
            self.owned[self.owner_code[i], n] += 1

    def unbind(self, i: int) -> None:
        self.version += 1
        n = self.where[i]
        self.on[n].discard(i)
        self.used[n] -= self.req[i]
        self.nonzero[n] -= self.nzreq[i]
        self.by_prio[self.inst.pods[i].priority][n] -= self.req[i]
        if self.owner_code[i] >= 0:
            self.owned[self.owner_code[i], n] -= 1
        self.where[i] = None

    def fit_mask(self, i: int) -> np.ndarray:
        """NodeResourcesFit over all nodes: every resource the pod requests
        (and a pod slot) within allocatable."""
        q = self.req[i]
        need = q > 0
        return np.all(self.used[:, need] + q[need] <= self.alloc[:, need], axis=1)


def node_scores(state: ClusterState, i: int, strategy: str, shape) -> np.ndarray:
    """Weighted NodeResourcesFit + BalancedAllocation score of pod i on every
    node (TaintToleration is added by the caller after normalisation)."""
    res = state.inst.resources
    ci, mi = res.index("cpu"), res.index("memory")
    nz = state.nonzero + state.nzreq[i]
    a_c, a_m = state.alloc[:, ci], state.alloc[:, mi]
    if strategy == "LeastAllocated":
        fit = resource_mean([least_allocated(nz[:, 0], a_c), least_allocated(nz[:, 1], a_m)], [a_c, a_m])
    elif strategy == "MostAllocated":
        fit = resource_mean([most_allocated(nz[:, 0], a_c), most_allocated(nz[:, 1], a_m)], [a_c, a_m])
    else:  # RequestedToCapacityRatio: resources scoring 0 leave the weight sum; math.Round(nodeScore / weightSum)
        fit = resource_mean([ratio_score(shape, nz[:, 0], a_c), ratio_score(shape, nz[:, 1], a_m)], [a_c, a_m],
                            positive_only=True, rounded=True)
    if state.req[i, ci] == 0 and state.req[i, mi] == 0:  # a best-effort pod: BalancedAllocation skips it (1.33)
        return WEIGHTS["fit"] * fit
    bal = balanced_allocation(state.used[:, ci] + state.req[i, ci], a_c, state.used[:, mi] + state.req[i, mi], a_m)
    return WEIGHTS["fit"] * fit + WEIGHTS["balanced"] * bal


def intolerable_counts(inst: PodpackInstance, pod) -> np.ndarray:
    """PreferNoSchedule taints of each node that `pod` does not tolerate."""
    return np.array([sum(1 for t in nd.taints if t[2] == "PreferNoSchedule"
                         and not any(tolerates(tol, t) for tol in pod.tolerations)) for nd in inst.nodes],
                    dtype=np.int64)


def taint_scores(counts: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """TaintToleration score: the counts normalised over the feasible nodes
    to 0–100 and reversed (DefaultNormalizeScore with reverse)."""
    mx = int(counts[feasible].max()) if feasible.any() else 0
    if mx == 0:
        return np.full(len(counts), MAX_NODE_SCORE, dtype=np.int64)
    return MAX_NODE_SCORE - MAX_NODE_SCORE * counts // mx


def spread_scores(state: ClusterState, i: int, feasible: np.ndarray, included: np.ndarray) -> np.ndarray:
    """PodTopologySpread's score of pod i with the system-default
    constraints (:data:`SPREAD_DEFAULTS`, which apply to a pod with an
    ``owner_uid``; 0 everywhere for any other) on the `feasible` nodes,
    normalised (kubernetes pkg/scheduler/framework/plugins/
    podtopologyspread/scoring.go): per constraint whose topology label the
    node has, ``count · log(domains + 2) + maxSkew − 1``, where count is
    the pods of its owner on the node (hostname) or in the node's zone over
    the nodes matching the pod's node affinity (`included`,
    nodeAffinityPolicy Honor) and domains the feasible nodes (hostname) or
    their distinct zone values (a node without the label counting as the
    value ""); summed, rounded half away from zero; then ``100·(max + min −
    s) // max`` over the feasible nodes (100 when max = 0)."""
    out = np.zeros(len(feasible), dtype=np.int64)
    code = state.owner_code[i]
    if code < 0:
        return out
    counts = state.owned[code]
    feas = np.flatnonzero(feasible)
    raw = np.zeros(len(feas))
    for k, ((_, max_skew), codes) in enumerate(zip(SPREAD_DEFAULTS, state.domain)):
        here = codes[feas]  # -1: no label, which counts as the value "" among the domains
        if k == 0:  # hostname: one domain per node, counted on the node itself
            cnt, domains = counts[feas], len(feas)
        else:
            domains = len(np.unique(here))
            per_value = np.bincount(codes[included] + 1, weights=counts[included], minlength=int(codes.max()) + 2)
            cnt = per_value[here + 1]
        raw += np.where(here >= 0, cnt * math.log(domains + 2) + (max_skew - 1), 0.0)
    score = np.floor(raw + 0.5).astype(np.int64)
    lo, hi = int(score.min()), int(score.max())
    out[feas] = MAX_NODE_SCORE if hi == 0 else MAX_NODE_SCORE * (hi + lo - score) // hi
    return out


def select_node(state: ClusterState, i: int, strategy: str, shape, passing: np.ndarray, taints: np.ndarray,
                included: np.ndarray):
    """Filter + Score + Select for pod i: among nodes passing the filters
    (`passing`: non-resource filters; resources checked here) the one of
    highest total score, ties to the first node name; None if none fits.
    `taints`: :func:`intolerable_counts` of the pod; `included`: the nodes
    matching its node affinity (for :func:`spread_scores`)."""
    feasible = passing & state.fit_mask(i)
    if not feasible.any():
        return None
    total = node_scores(state, i, strategy, shape) + WEIGHTS["taint"] * taint_scores(taints, feasible)
    if state.owner_code[i] >= 0:
        total = total + WEIGHTS["spread"] * spread_scores(state, i, feasible, included)
    total = np.where(feasible, total, -1)
    cand = np.flatnonzero(total == total.max())
    return int(cand[np.argmin(state.name_rank[cand])])


def _more_important_key(state: ClusterState, v: int):
    return (-state.inst.pods[v].priority, state.start[v])


def preempt(state: ClusterState, i: int, passing):
    """DefaultPreemption for pod i over the node indices `passing` (those
    that pass the non-resource filters): (node, victims) or None."""
    pods = state.inst.pods
    prio = pods[i].priority
    if all(p >= prio for p in state.by_prio):  # no lower tier: no victims
        return None
    lower_used = sum((u for p, u in state.by_prio.items() if p < prio), np.zeros_like(state.alloc))
    q = state.req[i]
    need = q > 0
    room = np.all(state.used[:, need] - lower_used[:, need] + q[need] <= state.alloc[:, need], axis=1)
    some = lower_used[:, state.inst.resources.index("pods")] > 0
    mask = np.zeros(len(state.alloc), dtype=bool)
    mask[passing] = True
    best = None
    reqs, qi = state.req_list, [r for r, x in enumerate(state.req_list[i]) if x]
    free = (state.alloc - state.used + lower_used).tolist()  # free capacity once every lower pod is removed
    for n in np.flatnonzero(mask & room & some):  # nodes where removing every lower pod makes room
        lower = [v for v in state.on[n] if pods[v].priority < prio]
        victims, left = [], [free[n][r] - reqs[i][r] for r in qi]  # room beside the preemptor, what it requests
        for v in sorted(lower, key=lambda v: _more_important_key(state, v)):  # reprieve while it still fits
            rv = reqs[v]
            if all(rv[r] <= x for r, x in zip(qi, left)):
                left = [x - rv[r] for r, x in zip(qi, left)]
            else:
                victims.append(v)
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
             preemption: bool = True, time_limit: float | None = None) -> tuple[PodpackSolution, dict]:
    """Run the default scheduler on the snapshot; see the module docstring.

    Returns the final placement and counters (``scheduled``, ``preemptions``,
    ``victims``, ``attempts``). With `time_limit` (seconds) the simulation
    stops when it runs out: the placement so far (a feasible one; pods not
    yet tried stay pending) and ``stopped_at_time_limit`` with the number of
    pods still in the queue (``pods_queued``).
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    state = ClusterState(inst)
    idx = inst.node_index()
    for i, p in enumerate(inst.pods):
        if p.node is not None:
            state.bind(i, idx[p.node], (0, p.created))
    masks: dict = {}  # filter signature -> (nodes passing the non-resource filters, intolerable taints,
    #                                        nodes matching the node affinity)

    def filters(i):
        p = inst.pods[i]
        key = filter_signature(p)
        if key not in masks:
            masks[key] = (np.array(passing_nodes(inst, p), dtype=bool), intolerable_counts(inst, p),
                          np.array([affinity_matches(nd, p) for nd in inst.nodes], dtype=bool))
        return masks[key]

    # Whether a pod is placed (by Filter or by preemption) depends only on the
    # cluster state and on its requests, filters, priority and preemption
    # policy; a pod like one that failed at the current state version fails
    # too, so it goes to the unschedulable pool without the search.
    failed: dict = {}

    def failure_key(i):
        p = inst.pods[i]
        return filter_signature(p), state.req[i].tobytes(), p.priority, preemption and p.preemption_policy != "Never"

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
        if deadline is not None and stats["attempts"] % 64 == 0 and time.perf_counter() > deadline:
            stats["stopped_at_time_limit"], stats["pods_queued"] = True, len(queue) + len(arrivals)
            break
        if not queue:
            i = arrivals.pop()
            heapq.heappush(queue, (-inst.pods[i].priority, (1, step), i))
        _, _, i = heapq.heappop(queue)
        step += 1
        stats["attempts"] += 1
        fkey = failure_key(i)
        if failed.get(fkey) == state.version:
            unschedulable.append(i)
            continue
        passing, taints, included = filters(i)
        n = select_node(state, i, strategy, shape, passing, taints, included)
        if n is not None:
            state.bind(i, n, (1, step))
            stats["scheduled"] += 1
            continue
        if preemption and inst.pods[i].preemption_policy != "Never":
            pick = preempt(state, i, np.flatnonzero(passing))
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
        failed[fkey] = state.version
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
        raise InputError(f"--param shape: expected 'utilisation:score,...' such as 0:0,100:10, got {text!r}") from None


def _valid_shape(text) -> bool:
    try:
        _shape(str(text))
        return True
    except InputError:
        return False


@method("podpack", "default", "heuristic",
        "default kube-scheduler simulation, v1.33-v1.35 (PrioritySort, Filter, LeastAllocated+BalancedAllocation"
        "+TaintToleration+default PodTopologySpread, preemption)",
        params={"strategy": choice("least", "most", "ratio"), "preemption": FLAG,
                "shape": Kind("points 'utilisation:score,...' such as 0:0,100:10", _valid_shape)})
def default_scheduler(inst: PodpackInstance, options: Options) -> Result:
    """The default kube-scheduler's placement of the snapshot.

    Parameters (``--param``): ``strategy`` = least (default) | most | ratio;
    ``shape`` = RequestedToCapacityRatio points ``u:s,...`` (default
    ``0:0,100:10``); ``preemption`` = 1 (default) | 0. The simulation stops
    at ``options.time_limit`` (info ``stopped_at_time_limit``; the placement
    so far is returned: a warm start gets at most 2 s).

    The bound is :func:`~schedcert.instances.podpack.lex_upper_bound`.
    """
    key = str(options.params.get("strategy", "least"))
    if key not in STRATEGIES:
        raise InputError(f"--param strategy: expected one of {', '.join(STRATEGIES)}, got {key!r}")
    shape = _shape(str(options.params.get("shape", "0:0,100:10")))
    pre = str(options.params.get("preemption", "1")) not in ("0", "false", "no")
    sol, stats = simulate(inst, STRATEGIES[key], shape, pre, options.time_limit)
    counts = placed_counts(inst, sol)
    obj = lex_value(counts, tier_sizes(inst))
    bound = lex_upper_bound(inst, counts)
    status = Status.OPTIMAL if obj >= bound else Status.FEASIBLE
    info = {**summary(inst, sol), **stats}
    if stats.get("stopped_at_time_limit"):
        info["note"] = (f"the simulation stopped at the time limit with {stats['pods_queued']} pod(s) still queued "
                        "(left pending); a longer --time-limit gives the default scheduler's whole placement")
    return Result(problem="podpack", instance=inst.name, method="default", status=status, objective=obj,
                  bound=bound, runtime=0.0, solver={"name": "schedcert-kube-scheduler-sim", "version": "1",
                                                    "params": {"strategy": STRATEGIES[key], "preemption": pre}},
                  solution=sol, info=info)
