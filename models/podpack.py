"""Optimal pod packing with priorities: a lexicographic CP-SAT model.

Formulation (after Christensen, Giallorenzo & Mauro, arXiv 2511.08373, §4,
with identical pods aggregated). Pods with equal requests, priority,
placeable node set, current node and movability form a *class* c of size
``m_c``; ``x[c, n] ∈ {0..min(m_c, fit_cn)}`` counts the pods of c on node n,
created only for the nodes c may use (filters and requests within
allocatable; a protected running pod only on its own node)::

    Σ_n x[c, n] ≤ m_c                                   each pod at most once
    Σ_c req[c, r] · x[c, n] ≤ alloc[n, r]               every node n, resource r (pods: 1 each)
    P_t = Σ_{c in tier t} Σ_n x[c, n]                   placed pods of tier t

Tiers are solved highest priority first: try greedy vector packings of all
the tier's pods, each run ending in the swap search of
:mod:`schedcert.models.podpack_ejection` (:mod:`schedcert.models.podpack_greedy`,
``GREEDY_SHARE`` of the tier's share; all placed = proven); bound ``P_t`` by the pattern LP
(:mod:`schedcert.models.podpack_bound`), and where that bound is below the
tier's size try the greedy packings and swaps again with it as target
(``GREEDY_BOUND_SHARE``); when column generation converged
on that bound (bound ≤ ⌊LP⌋), dive on the pattern LP for a placement that
reaches it (:mod:`schedcert.models.podpack_dive`, ``DIVE_SHARE`` of the
tier's share; found = proven); when the bound is still at most
``ENUMERATION_GAP`` pods above the incumbent, first search briefly with
CP-SAT (``PROBE_SHARE`` of the tier's share, at most ``PROBE_LIMIT`` s:
it often reaches the bound at once, where the integer program below can
stall on thousands of patterns), and if the bound is still open enumerate the patterns whose
reduced cost allows a better placement and solve the integer program over
them (:mod:`schedcert.models.podpack_master`), which either places the
bound (proven optimal) or lowers it; then maximise ``P_t`` with CP-SAT
within what is left of its share
of the budget (the remaining time split evenly over the remaining tiers,
as the paper splits its window, the disruption phase counting
``DISRUPTION_SHARE`` of a tier), then freeze it (``P_t = P_t*`` when proven,
``P_t ≥`` the value found otherwise). A last phase minimises disruption of
running pods, ``w_move · moved + w_evict · evicted`` with
``moved_c = Σ_{n ≠ home} x[c, n]`` and ``evicted_c = m_c − Σ_n x[c, n]``.
Every phase is hinted with the incumbent (first the warm start, by default
the default scheduler's placement); a tier whose pods the incumbent already
places all is optimal without a search and is frozen at once.

Symmetry: identical pods are aggregated into classes (always). Nodes with
identical allocatable, labels, taints and schedulability that hold no
running pod are interchangeable; ``--param symmetry=1`` orders their loads
``Σ_c (cpu_c + 1) · x[c, n]`` non-increasingly (valid: any placement can be
permuted into that order). It is **off by default** because it hurts:
measured on ``generate podpack --nodes 8 --pods-per-node 4 --priorities 3
--utilisation 1.05`` seeds 0–5 (10 s, 1 worker), without it 5/6 are proven
(0.5–5.8 s), with it 0/6 (CP-SAT's own symmetry handling does better).

Certificate: the status is ``optimal`` when every tier was proven; else the
bound is the lexicographic vector (proven values, then the first unproven
tier's CP-SAT bound, then the sizes of the tiers below) encoded by
:func:`~schedcert.instances.podpack.lex_value`.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import numpy as np

from ortools.sat.python import cp_model

from schedcert.cpsat import solve_cpsat, solver_info
from schedcert.instances.podpack import (PodpackInstance, PodpackSolution, demand, lex_upper_bound, lex_value,
                                         placed_counts, summary, tier_sizes)
from schedcert.models.podpack_bound import PatternLP, add_capacity, node_types, relaxed_keys, tier_bound
from schedcert.models.podpack_dive import dive
from schedcert.models.podpack_greedy import greedy_packing
from schedcert.models.podpack_rmh import restricted_master
from schedcert.models.podpack_master import exact_tier
from schedcert.params import CPSAT, FLAG, choice, integer
from schedcert.registry import method
from schedcert.result import Options, Result, Status


def pod_classes(inst: PodpackInstance) -> list:
    """Classes of identical pods: list of (key, pod indices, allowed node
    indices); key = (requests, priority, current node, movable)."""
    groups: dict = defaultdict(list)
    allowed_of: dict = {}
    for i, (p, nodes) in enumerate(zip(inst.pods, inst.placeable_nodes)):
        key = (tuple(sorted(p.requests.items())), p.priority, p.node, p.movable, nodes)
        groups[key].append(i)
        allowed_of[key] = nodes
    return [(k, idx, allowed_of[k]) for k, idx in groups.items()]


class PackingModel:
    """The aggregated CP-SAT model of one snapshot (see module docstring)."""

    def __init__(self, inst: PodpackInstance, symmetry: bool = True, allow_moves: bool = True,
                 allow_evictions: bool = True):
        self.inst = inst
        self.model = m = cp_model.CpModel()
        self.classes = pod_classes(inst)
        self.x: dict = {}
        self.cap: dict = {}
        res = inst.resources
        per_node = defaultdict(list)
        node_of = inst.node_index()
        # demand vector of each class, allocatable vector of each node (resources in `res` order)
        dem = [[demand(inst.pods[idx[0]], r) for r in res] for _, idx, _ in self.classes]
        alloc = [[nd.allocatable.get(r, 0) for r in res] for nd in inst.nodes]
        for c, (key, idx, nodes) in enumerate(self.classes):
            pod = inst.pods[idx[0]]
            home = node_of.get(pod.node) if pod.node else None
            need = [(k, q) for k, q in enumerate(dem[c]) if q]
            for n in nodes:
                if home is not None and n != home and not allow_moves:
                    continue
                cap = min([len(idx)] + [alloc[n][k] // q for k, q in need])
                if cap > 0:
                    self.x[c, n] = m.new_int_var(0, cap, f"x{c}_{n}")
                    self.cap[c, n] = cap
                    per_node[n].append(c)
            total = cp_model.LinearExpr.sum([self.x[c, n] for n in nodes if (c, n) in self.x])
            if home is not None and not allow_evictions:
                m.add(total == len(idx))
            else:
                m.add(total <= len(idx))
        for n, cs in per_node.items():
            for k in range(len(res)):
                add_capacity(m, [(dem[c][k], self.x[c, n], self.cap[c, n]) for c in cs], alloc[n][k])
        per_tier = defaultdict(list)
        for (c, n), v in self.x.items():
            per_tier[self.classes[c][0][1]].append(v)
        self.tier_expr = {prio: cp_model.LinearExpr.sum(per_tier[prio]) if per_tier[prio] else 0
                          for prio in inst.tiers}
        self.groups: list = []
        self.symmetry_groups = self._break_symmetry(per_node) if symmetry else 0

    def tier_counts(self, values: dict, tiers) -> tuple:
        """Placed pods per tier in `tiers` (order kept) under counts `values`."""
        per = defaultdict(int)
        for (c, n), v in values.items():
            per[self.classes[c][0][1]] += v
        return tuple(per[p] for p in tiers)

    def resource_expr(self, prio: int):
        """Requested resources of the tier's placed pods: Σ over pods of
        Σ_r 1000 · request_r / cluster allocatable_r (cpu, memory, extended),
        rounded to integers."""
        inst = self.inst
        total = {r: sum(n.allocatable.get(r, 0) for n in inst.nodes) for r in inst.resources if r != "pods"}
        terms = []
        for (c, n), v in self.x.items():
            if self.classes[c][0][1] == prio:
                pod = inst.pods[self.classes[c][1][0]]
                w = sum(1000 * pod.requests.get(r, 0) // t for r, t in total.items() if t)
                terms.append(max(1, w) * v)
        return sum(terms)

    def _break_symmetry(self, per_node) -> int:
        inst = self.inst  # node types are single nodes when a pod's affinity names nodes (matchFields)
        busy = {p.node for p in inst.pods if p.node}
        free_types = [[n for n in ns if inst.nodes[n].name not in busy] for ns in node_types(inst)]
        for nodes in free_types:
            if len(nodes) < 2:
                continue
            self.groups.append(nodes)
            loads = [sum(self._key(c) * self.x[c, n] for c in per_node.get(n, [])) for n in nodes]
            for a, b in zip(loads, loads[1:]):
                self.model.add(a >= b)
        return len(self.groups)

    def _key(self, c: int) -> int:
        """Weight of class c in the load that orders identical nodes."""
        return self.inst.pods[self.classes[c][1][0]].requests.get("cpu", 0) + 1

    def canonical(self, counts: dict) -> dict:
        """`counts` with the contents of identical nodes permuted into the
        symmetry-breaking order (non-increasing load), so a hint stays
        feasible."""
        out = dict(counts)
        for nodes in self.groups:
            contents = [{c: v for (c, n2), v in counts.items() if n2 == n and v} for n in nodes]
            contents.sort(key=lambda d: -sum(self._key(c) * v for c, v in d.items()))
            for n in nodes:
                for key in [k for k in out if k[1] == n]:
                    del out[key]
            for n, d in zip(nodes, contents):
                out.update({(c, n): v for c, v in d.items()})
        return out

    def disruption_expr(self, w_move: int, w_evict: int):
        idx_of = self.inst.node_index()
        terms = []
        for c, (key, idx, nodes) in enumerate(self.classes):
            home = key[2]
            if home is None:
                continue
            h = idx_of[home]
            placed = [v for (cc, n), v in self.x.items() if cc == c]
            moved = [v for (cc, n), v in self.x.items() if cc == c and n != h]
            if w_move and moved:
                terms.append(w_move * sum(moved))
            if w_evict:
                terms.append(w_evict * (len(idx) - sum(placed)))
        return sum(terms) if terms else None

    def hint(self, counts: dict) -> None:
        """Hint every count variable with `counts` (0 where absent); set in
        bulk on the model's proto (``add_hint`` per variable took 0.6 s for
        the 245 k variables of an Alibaba pod list)."""
        self.model.clear_hints()
        counts = self.canonical(counts)
        hint = self.model.proto.solution_hint
        hint.vars.extend([v.index for v in self.x.values()])
        hint.values.extend([counts.get(key, 0) for key in self.x])

    def counts_of(self, sol: PodpackSolution) -> dict:
        """(class, node) -> pods of `sol` there (for hints)."""
        cls_of = {i: c for c, (_, idx, _) in enumerate(self.classes) for i in idx}
        idx_of = self.inst.node_index()
        out: dict = defaultdict(int)
        for i, where in enumerate(sol.assignment):
            if where is not None:
                out[cls_of[i], idx_of[where]] += 1
        return out

    def decode(self, values: dict) -> PodpackSolution:
        """Pods from class counts; running pods stay home first."""
        inst = self.inst
        assign: list = [None] * len(inst.pods)
        idx_of = inst.node_index()
        for c, (key, idx, nodes) in enumerate(self.classes):
            todo = list(idx)
            home = idx_of[key[2]] if key[2] else None
            order = ([home] if home is not None else []) + [n for n in nodes if n != home]
            for n in order:
                for _ in range(values.get((c, n), 0)):
                    assign[todo.pop(0)] = inst.nodes[n].name
        return PodpackSolution(tuple(assign))


def _patterns(pm: PackingModel, values: dict) -> list:
    """The incumbent's nodes as start columns of the pattern bound:
    (node type index, {(priority, demand vector): count})."""
    inst = pm.inst
    type_of = {n: k for k, ns in enumerate(node_types(inst)) for n in ns}
    per_node: dict = defaultdict(lambda: defaultdict(int))
    for (c, n), v in values.items():
        if v:
            p = inst.pods[pm.classes[c][1][0]]
            per_node[n][(p.priority, tuple(demand(p, r) for r in inst.resources))] += v
    return [(type_of[n], dict(pat)) for n, pat in per_node.items()]


ENUMERATION_GAP = 8  # pods between incumbent and pattern bound up to which the enumeration is tried
PROBE_SHARE, PROBE_LIMIT = 0.15, 0.5  # the CP-SAT search before the enumeration: share of the tier's time, cap in s
RMH_SHARE = 0.3  # the integer program over the LP's patterns: share of the tier's time
DIVE_SHARE = 0.8  # diving on the pattern LP: share of the tier's time
GREEDY_SHARE, GREEDY_LIMIT = 0.1, 0.5  # greedy vector packings: share of the tier's time, cap in s
GREEDY_BOUND_SHARE = 0.3  # the same, run again with the bound as target (then its swap search matters most)
DISRUPTION_SHARE = 0.25  # weight of the disruption phase against a tier's in the budget split
MAX_WEIGHT = 10**6  # move_weight, evict_weight; 10^18 overflowed CP-SAT's objective ("model invalid" traceback)


def placement_of_packing(pm: PackingModel, packing: list, keep: dict | None = None) -> dict | None:
    """Class counts ``(class, node) -> pods`` realising a pattern packing of
    :func:`~schedcert.models.podpack_bound.tier_bound` on real nodes: each
    pattern goes to the free node of its type that already runs most of its
    pods, and takes pods of each relaxed class running there first, then
    pending ones, then others. The pods the packing leaves out (lower tiers
    above all) are then added where they fit, highest priority first: on
    their node in `keep` (counts, e.g. the incumbent) first, then on the
    first node that takes them. None when the packing needs something the
    model forbids (a protected pod away from its node, a move that is off)."""
    inst = pm.inst
    types = node_types(inst)
    node_of = inst.node_index()
    running: dict = defaultdict(lambda: defaultdict(list))  # relaxed key -> node name (None: pending) -> pods
    for i, key in enumerate(relaxed_keys(inst, types)):
        running[key][inst.pods[i].node].append(i)
    hosts: dict = defaultdict(set)  # relaxed key -> nodes running pods of it
    for key, by_node in running.items():
        hosts[key] = {node_of[name] for name in by_node if name is not None and name in node_of}
    free = [set(ns) for ns in types]
    assign: list = [None] * len(inst.pods)
    for k, pat in sorted(packing, key=lambda e: -sum(e[1].values())):
        if not free[k]:
            return None
        cand = sorted(set().union(*(hosts[key] for key in pat)) & free[k])

        def home_here(n):
            name = inst.nodes[n].name
            return sum(min(a, len(running[key].get(name, ()))) for key, a in pat.items())
        n = max(cand, key=home_here) if cand else min(free[k])
        free[k].remove(n)
        name = inst.nodes[n].name
        for key, a in pat.items():
            by_node = running[key]
            for src in [name, None] + [m for m in by_node if m not in (name, None)]:
                pods = by_node.get(src)
                while a and pods:
                    assign[pods.pop()] = name
                    a -= 1
                if not a:
                    break
            if a:
                return None
    counts = pm.counts_of(PodpackSolution(tuple(assign)))
    if any(v > pm.cap.get(key, 0) for key, v in counts.items()):
        return None
    return _fill(pm, counts, keep or {})


def _fill(pm: PackingModel, counts: dict, keep: dict) -> dict:
    """Add the pods `counts` leaves out where they fit (see
    :func:`placement_of_packing`); counts only grow."""
    inst, res = pm.inst, pm.inst.resources
    rem = np.array([[nd.allocatable.get(r, 0) for r in res] for nd in inst.nodes], dtype=np.int64)
    dem = [np.array([demand(inst.pods[idx[0]], r) for r in res], dtype=np.int64) for _, idx, _ in pm.classes]
    placed = defaultdict(int)
    for (c, n), v in counts.items():
        rem[n] -= v * dem[c]
        placed[c] += v
    counts = defaultdict(int, counts)
    for c in sorted(range(len(pm.classes)), key=lambda c: -pm.classes[c][0][1]):
        left = len(pm.classes[c][1]) - placed[c]
        nodes = [n for n in pm.classes[c][2] if (c, n) in pm.cap]
        nodes.sort(key=lambda n: counts[c, n] - keep.get((c, n), 0))  # the incumbent's nodes first
        d = dem[c]
        for n in nodes:
            if left <= 0:
                break
            fit = min([left, pm.cap[c, n] - counts[c, n]] + [int(rem[n, r] // d[r]) for r in range(len(res)) if d[r]])
            if fit > 0:
                counts[c, n] += fit
                rem[n] -= fit * d
                left -= fit
    return {key: v for key, v in counts.items() if v}


def _param_int(options: Options, key: str, default: int) -> int:
    from schedcert.errors import InputError

    try:
        return int(options.params.get(key, default))
    except ValueError:
        raise InputError(f"--param {key}: expected an integer, got {options.params[key]!r}") from None


@method("podpack", "cpsat", "exact",
        "CP-SAT packer: lexicographic over priority tiers (classes of identical pods), then least disruption",
        params={"tier_objective": choice("pods", "resources"), "evict_weight": integer(0, MAX_WEIGHT),
                "move_weight": integer(0, MAX_WEIGHT),
                **{k: FLAG for k in ("symmetry", "moves", "evictions", "disruption", "pattern_bound", "master",
                                     "probe", "dive", "restricted_master", "greedy")}, CPSAT: None})
def cpsat(inst: PodpackInstance, options: Options) -> Result:
    """Lexicographically optimal placement (module docstring).

    Parameters (``--param``): ``tier_objective`` pods (default) | resources
    (maximise the tier's requested resources, :meth:`PackingModel.resource_expr`;
    then only the cheap count bound is reported); ``symmetry`` 0|1 (node-order symmetry breaking, default off); ``moves`` 1|0 (may running
    pods move); ``evictions`` 1|0 (may running pods be evicted);
    ``move_weight``, ``evict_weight`` (default 1, 1; at most 10^6) of the disruption phase;
    ``pattern_bound`` 1|0: before searching a tier the incumbent has not
    filled, the column-generation bound of :mod:`schedcert.models.podpack_bound`
    (up to 40 % of the tier's share) is computed; when the incumbent meets it
    the tier is proven without a search, else the search starts with
    ``P_t ≤ bound``;
    ``master`` 1|0: after the pattern bound and a short CP-SAT probe, the reduced-cost pattern
    enumeration of :mod:`schedcert.models.podpack_master` (up to 60 % of the
    tier's share; only with moves and evictions allowed, whose absence the
    relaxation does not model); ``probe`` 1|0: that short CP-SAT search
    before the enumeration;
    ``dive`` 1|0: when column generation converged on the certified bound,
    the dive of :mod:`schedcert.models.podpack_dive` (up to 80 % of the
    tier's share) before the probe; ``greedy`` 1|0: the greedy packings of
    :mod:`schedcert.models.podpack_greedy` before the bound and after it
    (up to 10 % and 30 % of the tier's share, at most 0.5 s; only with ``pattern_bound``; the node
    patterns of all their packings start the column generation);
    ``disruption`` 1|0 (run that phase); ``sat.FIELD=VALUE``.
    """
    t0 = time.perf_counter()
    pm = PackingModel(inst, symmetry=bool(_param_int(options, "symmetry", 0)),
                      allow_moves=bool(_param_int(options, "moves", 1)),
                      allow_evictions=bool(_param_int(options, "evictions", 1)))
    build_time = time.perf_counter() - t0
    sizes = tier_sizes(inst)
    best: dict = pm.counts_of(options.warm_start) if options.warm_start is not None else {}
    if options.warm_start is not None:  # the warm start may use a move/eviction the options forbid
        ok = all(k in pm.x for k, v in best.items() if v)
        best = best if ok else {}
    values_best = dict(best)
    active = [t for t, prio in enumerate(inst.tiers) if not isinstance(pm.tier_expr[prio], int)]
    w_move, w_evict = _param_int(options, "move_weight", 1), _param_int(options, "evict_weight", 1)
    dis = pm.disruption_expr(w_move, w_evict) if _param_int(options, "disruption", 1) else None
    phases = len(active) + DISRUPTION_SHARE * (dis is not None)
    bound_vec, proven_all, found = [], True, {}
    tier_info = {}
    use_bound = bool(_param_int(options, "pattern_bound", 1))
    master = bool(_param_int(options, "master", 1)) and bool(_param_int(options, "moves", 1)) \
        and bool(_param_int(options, "evictions", 1))
    probe = bool(_param_int(options, "probe", 1))
    dive_on = bool(_param_int(options, "dive", 1)) and use_bound
    rmh_on = bool(_param_int(options, "restricted_master", 1)) and use_bound
    greedy_on = bool(_param_int(options, "greedy", 1)) and use_bound
    objective = str(options.params.get("tier_objective", "pods"))
    if objective not in ("pods", "resources"):
        from schedcert.errors import InputError

        raise InputError(f"--param tier_objective: expected pods or resources, got {objective!r}")
    by_resources = objective == "resources"

    def time_left():
        return None if options.time_limit is None else max(0.05, options.time_limit - (time.perf_counter() - t0))

    def phase_time(fraction=1.0, default=None):
        """`fraction` of this phase's share of the time left (`default` without a limit): the
        time left split evenly over the tiers still to solve, the disruption phase counting
        ``DISRUPTION_SHARE`` of a tier."""
        left = time_left()
        return default if left is None else max(0.05, fraction * left / (phases + 1))

    def greedy_time(share=GREEDY_SHARE):
        return min(GREEDY_LIMIT, phase_time(share, GREEDY_LIMIT))

    for t, prio in enumerate(inst.tiers):
        expr = pm.tier_expr[prio]
        if isinstance(expr, int):
            found[t] = expr
            bound_vec.append(expr if proven_all else sizes[t])
            continue
        val = sum(v for k, v in values_best.items() if pm.classes[k[0]][0][1] == prio)
        ub, info_t = sizes[t], {"time": 0.0}
        phases -= 1
        if by_resources:  # requested resources of the tier: no count certificate, frozen at what is found
            pm.model.maximize(pm.resource_expr(prio))
            if values_best:
                pm.hint(values_best)
            out = solve_cpsat(pm.model, options, phase_time())
            if out.has_solution:
                values_best = {k: out.solver.value(v) for k, v in pm.x.items()}
                val = sum(values_best.get(k, 0) for k in pm.x if pm.classes[k[0]][0][1] == prio)
            tier_info[str(prio)] = {"placed": val, "resources": None if out.objective is None else int(out.objective),
                                    "status": str(out.status), "time": round(out.info["wall_time"], 3)}
            if out.has_solution:
                pm.model.add(pm.resource_expr(prio) >= int(round(out.objective)))
            found[t] = val
            bound_vec.append(sizes[t])
            proven_all = False
            continue
        def search(seconds):  # maximise P_t with CP-SAT; returns (val, ub, wall time)
            nonlocal values_best
            t_set = time.perf_counter()
            pm.model.maximize(expr)
            if values_best:
                pm.hint(values_best)
            # reading the solution back costs about what setting the objective and hint did:
            # both come out of the share (145 k variables on the Alibaba trace: about 1 s each)
            overhead = time.perf_counter() - t_set
            out = solve_cpsat(pm.model, options, max(0.05, seconds - 2 * overhead))
            v, u = val, ub
            if out.has_solution:
                cand = {k: out.solver.value(x) for k, x in pm.x.items()}
                # CP-SAT ignores the tiers below this one: keep the incumbent on ties there
                if pm.tier_counts(cand, inst.tiers[t:]) > pm.tier_counts(values_best, inst.tiers[t:]):
                    values_best = cand
                v = pm.tier_counts(values_best, [prio])[0]
            if out.status == Status.OPTIMAL:
                u = v
            elif out.bound is not None:
                u = max(v, min(u, math.floor(round(out.bound, 6))))
            return v, u, out.info["wall_time"]

        def adopt(packing, key):  # a packing of the relaxation, if it maps to real nodes and is better
            nonlocal values_best, val
            cand = placement_of_packing(pm, packing, values_best) if packing else None
            if cand is not None and all(c >= f for c, f in zip(pm.tier_counts(cand, inst.tiers[:t]),
                                                                [found[s] for s in range(t)])) \
                    and pm.tier_counts(cand, inst.tiers[t:]) > pm.tier_counts(values_best, inst.tiers[t:]):
                values_best = cand
                val = pm.tier_counts(values_best, [prio])[0]
                info_t[key] = True

        if val < ub and use_bound:  # certified pattern bound first: may prove the incumbent at once
            cg_time = phase_time(0.4, 10.0)
            frozen = {inst.tiers[s]: found[s] for s in range(t)}
            lp = PatternLP(inst, prio, frozen, _patterns(pm, values_best))
            lp.deadline = None if options.time_limit is None else t0 + options.time_limit  # the method's end
            tried = None
            if greedy_on:  # greedy vector packings: where every pod fits they usually find it at once
                pool: set = set()
                packing, info_t["greedy"] = greedy_packing(lp, ub, time.perf_counter() + greedy_time(),
                                                           seed=options.seed or 0, pool=pool)
                adopt(packing, "from_greedy")
                tried = ub
                for k, pat in pool:  # their node patterns start the column generation (much faster convergence)
                    lp.add_pattern(k, dict(pat))
            gg, cg_info, cert = (None, {"lp": None}, None) if val >= ub else \
                tier_bound(inst, prio, frozen, [], cg_time, lp=lp)
            if val < ub:
                info_t["pattern_bound"] = {"bound": gg, **cg_info}
            if gg is not None:
                ub = max(val, min(ub, gg))
                pm.model.add(expr <= ub)
            lp_floor = math.floor(cg_info["lp"] + 1e-6) if cg_info["lp"] is not None else None
            if tried is not None and val < ub < tried:  # again, for the lower target the bound set
                packing, info_t["greedy_bound"] = greedy_packing(lp, ub, time.perf_counter() + greedy_time(
                    GREEDY_BOUND_SHARE),
                                                                 seed=options.seed or 0)
                adopt(packing, "from_greedy")
            if rmh_on and lp_floor is not None and val < ub <= lp_floor:
                # converged: the integer program over the LP's patterns (few patterns: small nodes)
                packing, info_t["restricted_master"] = restricted_master(
                    lp, ub, time.perf_counter() + phase_time(RMH_SHARE, 10.0 * RMH_SHARE))
                adopt(packing, "from_restricted_master")
            if dive_on and lp_floor is not None and val < ub <= lp_floor:
                # column generation converged on the certified bound: diving on the pattern LP
                # often places it outright (a proof), where CP-SAT's search stalls
                packing, info_t["dive"] = dive(lp, ub, time.perf_counter() + phase_time(DIVE_SHARE, 10.0))
                adopt(packing, "from_dive")
            if cert is not None and master and probe and val < ub <= val + ENUMERATION_GAP:
                # a short search first: CP-SAT often reaches the bound at once, where the
                # integer program over many patterns can stall
                val, ub, wall = search(min(PROBE_LIMIT, phase_time(PROBE_SHARE, 10.0 * PROBE_SHARE)))
                info_t["probe"] = {"placed": val, "time": round(wall, 3)}
            if cert is not None and master and val < ub <= val + ENUMERATION_GAP:
                ex_time = phase_time(0.6, 10.0)
                limit = int(1500 * max(1.0, ex_time / 0.5))  # the integer program grows with the patterns
                gg, packing, info_t["enumeration"] = exact_tier(cert, val, ex_time, limit)
                adopt(packing, "from_master")
                if gg is not None and gg < ub:
                    ub = max(val, gg)
                    pm.model.add(expr <= ub)
        if val < ub:
            val, ub, wall = search(phase_time())
            info_t["time"] = round(wall, 3)
        tier_info[str(prio)] = {"placed": val, "bound": ub, "status": "optimal" if ub == val else "feasible",
                                **info_t}
        pm.model.add(expr == val if ub == val else expr >= val)
        found[t] = val
        bound_vec.append(ub if proven_all else sizes[t])
        proven_all = proven_all and ub == val
    if dis is not None:
        pm.model.minimize(dis)
        if values_best:
            pm.hint(values_best)
        out = solve_cpsat(pm.model, options, time_left())
        if out.has_solution:
            values_best = {k: out.solver.value(v) for k, v in pm.x.items()}
        tier_info["disruption"] = {"value": None if out.objective is None else int(round(out.objective)),
                                   "status": str(out.status)}
    sol = pm.decode(values_best)
    counts = placed_counts(inst, sol)
    obj = lex_value(counts, sizes)
    bound = lex_value(bound_vec, sizes) if not by_resources else lex_upper_bound(inst, counts)
    status = Status.OPTIMAL if proven_all or obj >= bound else Status.FEASIBLE
    info = {**summary(inst, sol), "per_tier": tier_info, "build_time": round(build_time, 3), "classes": len(pm.classes), "variables": len(pm.x),
            "symmetry_groups": pm.symmetry_groups}
    return Result(problem="podpack", instance=inst.name, method="cpsat", status=status, objective=obj,
                  bound=bound, runtime=0.0, solver=solver_info({"num_workers": options.workers}),
                  solution=sol, info=info)
