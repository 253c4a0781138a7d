"""Kubernetes pod packing with priorities: data model, filters, readers,
generator, validator and problem registration.

Problem (``podpack``)
    Nodes with ``allocatable`` resources (cpu in millicores, memory in bytes,
    ``pods`` = pod slots, extended resources such as ``nvidia.com/gpu`` in
    units), labels and taints; pods with effective requests, a priority,
    node selector / required node affinity / tolerations, and either bound to
    a node (running) or pending. A placement puts each pod on at most one
    node such that, per node and resource, Σ requests ≤ allocatable (every
    pod takes one ``pods`` slot); a pod put on a node other than its current
    one must pass the node's filters (unschedulable, NoSchedule/NoExecute
    taints, nodeSelector, required node affinity); a protected pod (no
    controller, a DaemonSet or mirror pod) cannot be recreated elsewhere: it
    stays on its node or is evicted (deleted), never moved.

Objective (the same for every method)
    Priority tiers are the distinct priorities, highest first; ``c_t`` is
    the number of placed pods of tier t and ``n_t`` its size. Placements are
    compared lexicographically on ``(c_0, c_1, ...)``; the scalar objective
    is the exact mixed-radix encoding ``Σ_t c_t · Π_{s>t} (n_s + 1)``, so a
    larger scalar is exactly a lexicographically better placement
    (:func:`lex_value`). Moves and evictions of running pods are reported
    beside it, not in it.

Formats: the project's compact YAML/JSON (see :func:`read_compact`), kubectl
``get nodes/pods -o json|yaml`` output (one file, or nodes + ``--pods``),
and the Alibaba ``openb`` CSV trace (node list + ``--pods`` pod list).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from schedcert.errors import (InputError, entry_errors, parse_json, parse_yaml, read_text, reject_unknown_keys,
                              magnitude, require_file, require_list, require_problem, require_sizes)
from schedcert.instances.podpack_formats import (GPU, KUBELET_MAX_PODS, NONZERO, node_allocatable, read_alibaba,
                                                 read_kubectl, resource_map, unmodelled_note)
from schedcert.registry import Problem, register_problem
from schedcert.reports.podpack import report as podpack_report
from schedcert.result import Evaluation


@dataclass(frozen=True)
class Node:
    """A node. ``allocatable``: resource -> int (cpu millicores, memory
    bytes, ``pods`` slots, extended resources in units); ``taints``:
    (key, value, effect) triples."""

    name: str
    allocatable: dict
    labels: dict = field(default_factory=dict)
    taints: tuple = ()
    unschedulable: bool = False


@dataclass(frozen=True)
class Pod:
    """A pod. ``requests``: effective requests (resource -> int, same units
    as :class:`Node`); ``node``: the node it is bound to, None if pending;
    ``affinity``: required node-affinity terms (ORed), each a tuple of
    (kind ``label``/``field``, key, operator, values) expressions (ANDed);
    ``tolerations``: (key, operator, value, effect); ``created``: sortable
    creation time; ``movable``: False for protected pods (no controller,
    DaemonSet, mirror), which must stay where they are;
    ``nonzero_requests``: cpu and memory as the default scheduler's
    resource scoring counts them (100m / 200 MiB for each container that
    requests none), set by the kubectl reader, which sees the containers;
    empty: the pod is one container, ``requests`` with 100m / 200 MiB for
    a missing or zero cpu / memory (see :meth:`scored_requests`);
    ``owner_uid``: its first owner reference (namespace/kind/uid), set by
    the kubectl reader when a ReplicaSet, ReplicationController or
    StatefulSet owns it, so that the default scheduler spreads it with
    its siblings (PodTopologySpread's system defaults); None: no
    spreading."""

    name: str
    requests: dict
    priority: int = 0
    node: str | None = None
    node_selector: dict = field(default_factory=dict)
    affinity: tuple = ()
    tolerations: tuple = ()
    preemption_policy: str = "PreemptLowerPriority"
    created: str = ""
    owner: str | None = "ReplicaSet"
    movable: bool = True
    nonzero_requests: dict = field(default_factory=dict)
    owner_uid: str | None = None

    def scored_requests(self) -> tuple[int, int]:
        """``(cpu, memory)`` as the scheduler's resource scoring counts them."""
        if self.nonzero_requests:
            return self.nonzero_requests["cpu"], self.nonzero_requests["memory"]
        return self.requests.get("cpu", 0) or NONZERO["cpu"], self.requests.get("memory", 0) or NONZERO["memory"]


@dataclass(frozen=True)
class PodpackInstance:
    """A cluster snapshot.

    Attributes
    ----------
    nodes, pods : tuple
    arrival : bool
        True when the pending pods arrive one at a time in creation order
        (the paper's experiment: ReplicaSets created one after another);
        False for a snapshot where they wait in the queue together.
    meta : dict
        Provenance and generator parameters.
    """

    name: str
    nodes: tuple
    pods: tuple
    arrival: bool = False
    meta: dict = field(default_factory=dict, compare=False)

    @cached_property
    def resources(self) -> tuple:
        """Resources checked: cpu, memory, pods, then every other resource a
        pod requests (sorted)."""
        extra = sorted({r for p in self.pods for r in p.requests} - {"cpu", "memory", "pods"})
        return ("cpu", "memory", "pods", *extra)

    @cached_property
    def tiers(self) -> tuple:
        """Distinct pod priorities, highest first."""
        return tuple(sorted({p.priority for p in self.pods}, reverse=True))

    @cached_property
    def placeable_nodes(self) -> tuple:
        """:func:`placeable_all`, computed once per instance (the bound and
        the model both need it; about 0.3 s on an 8152-pod Alibaba list)."""
        return tuple(placeable_all(self))

    def node_index(self) -> dict:
        return {n.name: i for i, n in enumerate(self.nodes)}


@dataclass(frozen=True)
class PodpackSolution:
    """``assignment[i]``: node name of pod i, or None (not placed)."""

    assignment: tuple


def demand(pod: Pod, resource: str) -> int:
    """What `pod` takes of `resource` (one ``pods`` slot per pod)."""
    return 1 if resource == "pods" else pod.requests.get(resource, 0)


# ---------------------------------------------------------------- filters (definition)

def tolerates(tol: tuple, taint: tuple) -> bool:
    """Kubernetes toleration matching: an empty effect matches every effect;
    ``Exists`` with an empty key matches every taint; ``Equal`` needs equal
    key and value."""
    key, op, value, effect = tol
    t_key, t_value, t_effect = taint
    if effect and effect != t_effect:
        return False
    if op == "Exists":
        return not key or key == t_key
    return key == t_key and value == t_value


def _expr_ok(node: Node, expr: tuple) -> bool:
    kind, key, op, values = expr
    if kind == "field":
        have, present = node.name, True
    else:
        present = key in node.labels
        have = node.labels.get(key)
    if op == "In":
        return present and have in values
    if op == "NotIn":
        return not present or have not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    try:
        return present and (int(have) > int(values[0]) if op == "Gt" else int(have) < int(values[0]))
    except (ValueError, IndexError):
        return False


def affinity_matches(node: Node, pod: Pod) -> bool:
    """Does `node` match the pod's nodeSelector and required node affinity
    (taints and unschedulable aside)?"""
    return all(node.labels.get(k) == str(v) for k, v in pod.node_selector.items()) and \
        (not pod.affinity or any(all(_expr_ok(node, e) for e in term) for term in pod.affinity))


def filter_reasons(node: Node, pod: Pod) -> list:
    """Why `pod` may not be scheduled onto `node`, resources aside
    (NodeUnschedulable, TaintToleration, NodeAffinity incl. nodeSelector).
    Empty list: it may."""
    out = []
    unsched = ("node.kubernetes.io/unschedulable", "", "NoSchedule")
    if node.unschedulable and not any(tolerates(t, unsched) for t in pod.tolerations):
        out.append("node is unschedulable")
    for taint in node.taints:
        if taint[2] in ("NoSchedule", "NoExecute") and not any(tolerates(t, taint) for t in pod.tolerations):
            out.append(f"untolerated taint {taint[0]}={taint[1]}:{taint[2]}")
    for k, v in pod.node_selector.items():
        if node.labels.get(k) != str(v):
            out.append(f"nodeSelector {k}={v} not matched")
    if pod.affinity and not any(all(_expr_ok(node, e) for e in term) for term in pod.affinity):
        out.append("required node affinity not matched")
    return out


def allowed(node: Node, pod: Pod) -> bool:
    """May `pod` be placed on `node` (its own node always; others must pass
    :func:`filter_reasons`)? Resources are checked separately."""
    return pod.node == node.name or not filter_reasons(node, pod)


# ---------------------------------------------------------------- objective

def tier_sizes(inst: PodpackInstance) -> list:
    """Number of pods per tier (highest priority first)."""
    pos = {p: i for i, p in enumerate(inst.tiers)}
    sizes = [0] * len(pos)
    for p in inst.pods:
        sizes[pos[p.priority]] += 1
    return sizes


def lex_value(counts, sizes) -> int:
    """Mixed-radix encoding ``Σ_t c_t · Π_{s>t}(n_s + 1)`` of per-tier
    counts (highest tier first); order-preserving for ``0 ≤ c_t ≤ n_t``."""
    value = 0
    for c, n in zip(counts, sizes):
        value = value * (n + 1) + c
    return value


def lex_counts(value: int, sizes) -> list:
    """Inverse of :func:`lex_value`."""
    out = []
    for n in reversed(sizes):
        value, c = divmod(value, n + 1)
        out.append(c)
    return out[::-1]


def shortfall(inst: PodpackInstance, objective, bound) -> str | None:
    """The gap in placed pods: the first tier (highest priority first) where
    the placement's count (`objective`, a :func:`lex_value`) is below the
    proven `bound`'s, e.g. ``priority 1000: 89 of 100 placed, at most 100
    (11.00 % short)``; the tiers below it are not bounded by a
    lexicographic bound. None when they agree or a value is missing. (The
    scalar gap of the encoding says little: 1161 unplaced best-effort pods
    of 8152 are a gap of 0.00 %.)"""
    if objective is None or bound is None:
        return None
    sizes = tier_sizes(inst)
    tiers = list(zip(inst.tiers, lex_counts(int(objective), sizes), lex_counts(int(bound), sizes), sizes))
    for t, (prio, c, b, n) in enumerate(tiers):
        if c != b:
            short = f" ({100 * (b - c) / b:.2f} % short)" if b > 0 else ""
            below = "; the tiers below are not bounded" if t + 1 < len(tiers) else ""
            return f"priority {prio}: {c} of {n} placed, at most {b}{short}{below}"
    return None


def placeable(inst: PodpackInstance, pod: Pod, passes=None) -> list:
    """Indices of the nodes `pod` may go to (filters, and its requests alone
    within allocatable; a protected pod only on its own node). `passes`:
    :func:`passing_nodes` of the pod, when already known."""
    passes = passing_nodes(inst, pod) if passes is None else passes
    out = []
    for i, node in enumerate(inst.nodes):
        if pod.node is not None and not pod.movable and node.name != pod.node:
            continue
        if (passes[i] or pod.node == node.name) and all(demand(pod, r) <= node.allocatable.get(r, 0)
                                                         for r in inst.resources):
            out.append(i)
    return out


def filter_signature(pod: Pod) -> tuple:
    """What :func:`filter_reasons` reads of a pod: equal signatures, equal
    verdicts on every node."""
    return tuple(sorted(pod.node_selector.items())), pod.affinity, pod.tolerations


def passing_nodes(inst: PodpackInstance, pod: Pod) -> list:
    """Per node: does `pod` pass :func:`filter_reasons` there (resources and
    its own node aside)?"""
    return [not filter_reasons(node, pod) for node in inst.nodes]


def placeable_all(inst: PodpackInstance) -> list:
    """:func:`placeable` of every pod, computed once per distinct (requests,
    filters, current node) signature, the filters once per
    :func:`filter_signature`."""
    cache: dict = {}
    passes: dict = {}
    out = []
    for p in inst.pods:
        sig = filter_signature(p)
        key = (tuple(sorted(p.requests.items())), sig, p.node, p.movable)
        if key not in cache:
            if sig not in passes:
                passes[sig] = passing_nodes(inst, p)
            cache[key] = tuple(placeable(inst, p, passes[sig]))
        out.append(cache[key])
    return out


def lex_upper_bound(inst: PodpackInstance, counts) -> int:
    """A cheap proven upper bound on the lexicographic objective, given a
    placement with per-tier `counts`.

    Tier t may place at most ``k_t`` pods of tiers ≤ t, where ``k_t`` is the
    largest k such that, for every resource, the k smallest demands among
    those tiers' placeable pods fit in the cluster's total allocatable. While
    the counts equal the bound, the optimum equals them too, so tier t's
    bound is ``k_t − Σ_{s<t} c_s``; after the first tier below its bound,
    every lower tier is bounded by its size. Returns :func:`lex_value` of
    the bound vector.
    """
    total = {r: sum(n.allocatable.get(r, 0) for n in inst.nodes) for r in inst.resources}
    sizes = tier_sizes(inst)
    ok = [p for p, nodes in zip(inst.pods, inst.placeable_nodes) if nodes]
    ub, tight, placed_above = [], True, 0
    for t, prio in enumerate(inst.tiers):
        n_t = sum(p.priority == prio for p in ok)
        if tight:
            subset = [p for p in ok if p.priority >= prio]
            k = len(subset)
            for r in inst.resources:
                acc, kr = 0, 0
                for q in sorted(demand(p, r) for p in subset):
                    if acc + q > total[r]:
                        break
                    acc, kr = acc + q, kr + 1
                k = min(k, kr)
            u = max(0, min(n_t, k - placed_above))
        else:
            u = sizes[t]
        ub.append(u)
        if counts[t] < u:
            tight = False
        placed_above += counts[t]
    return lex_value(ub, sizes)


# ---------------------------------------------------------------- validator

def evaluate(inst: PodpackInstance, sol: PodpackSolution) -> Evaluation:
    """Validator written from the problem definition (module docstring).

    Checks: one entry per pod, every named node exists, per node and
    resource Σ requests ≤ allocatable (a ``pods`` slot per pod), filters for
    pods placed away from their current node, no protected pod on another node.
    Objective: :func:`lex_value` of the per-tier placed counts. Violations
    are typed ``length``, ``unknown``, ``protected``, ``filter``, ``capacity``.
    """
    v = []
    if len(sol.assignment) != len(inst.pods):
        return Evaluation(None, [f"length: assignment has {len(sol.assignment)} entries for {len(inst.pods)} pods"])
    nodes = {n.name: n for n in inst.nodes}
    used: dict = {n: {} for n in nodes}
    for pod, where in zip(inst.pods, sol.assignment):
        if where is None:  # pending, or evicted (any pod may be deleted, as preemption does)
            continue
        if not isinstance(where, str) or where not in nodes:
            v.append(f"unknown: pod {pod.name} on unknown node {where!r}")
            continue
        if pod.node is not None and not pod.movable and where != pod.node:
            v.append(f"protected: protected pod {pod.name} moved from {pod.node} to {where}")
        if where != pod.node:
            for why in filter_reasons(nodes[where], pod):
                v.append(f"filter: pod {pod.name} on {where}: {why}")
        u = used[where]
        u["pods"] = u.get("pods", 0) + 1
        for r, q in pod.requests.items():
            u[r] = u.get(r, 0) + q
    for name, u in used.items():
        alloc = nodes[name].allocatable
        for r, q in sorted(u.items()):
            if q > alloc.get(r, 0):
                v.append(f"capacity: node {name}: {r} requested {q} > allocatable {alloc.get(r, 0)} "
                         f"(over by {q - alloc.get(r, 0)})")
    if v:
        return Evaluation(None, v)
    return Evaluation(lex_value(placed_counts(inst, sol), tier_sizes(inst)), [])


def placed_counts(inst: PodpackInstance, sol: PodpackSolution) -> list:
    """Placed pods per tier (highest first)."""
    pos = {p: i for i, p in enumerate(inst.tiers)}
    out = [0] * len(pos)
    for pod, where in zip(inst.pods, sol.assignment):
        if where is not None:
            out[pos[pod.priority]] += 1
    return out


def disruption(inst: PodpackInstance, sol: PodpackSolution) -> dict:
    """Running pods moved to another node / evicted (not placed), and pending
    pods bound."""
    moved = evicted = bound = 0
    for pod, where in zip(inst.pods, sol.assignment):
        if pod.node is None:
            bound += where is not None
        elif where is None:
            evicted += 1
        elif where != pod.node:
            moved += 1
    return {"moved": moved, "evicted": evicted, "bound": bound}


def gpu_fragmentation(inst: PodpackInstance, sol: PodpackSolution) -> dict:
    """``gpu_free``: unallocated GPUs; ``gpu_stranded``: free GPUs on nodes
    where no unplaced GPU pod fits (its GPUs, cpu, memory or pod slot do
    not fit there, or its filters reject the node)."""
    nodes = {n.name: n for n in inst.nodes}
    used = {n: {} for n in nodes}
    for pod, where in zip(inst.pods, sol.assignment):
        if where is not None:
            for r in inst.resources:
                used[where][r] = used[where].get(r, 0) + demand(pod, r)
    waiting = {}  # one pending GPU pod per (requests, filters, own node): equal pods fit the same nodes
    for p, w in zip(inst.pods, sol.assignment):
        if w is None and p.requests.get(GPU, 0):
            waiting.setdefault((tuple(sorted(p.requests.items())), filter_signature(p), p.node), p)
    waiting = list(waiting.values())
    free = stranded = 0
    for name, node in nodes.items():
        f = node.allocatable.get(GPU, 0) - used[name].get(GPU, 0)
        if f <= 0:
            continue
        free += f
        fits = any(all(used[name].get(r, 0) + demand(p, r) <= node.allocatable.get(r, 0) for r in inst.resources)
                   and allowed(node, p) for p in waiting)
        stranded += 0 if fits else f
    return {"gpu_free": free, "gpu_stranded": stranded}


def summary(inst: PodpackInstance, sol: PodpackSolution) -> dict:
    """Facts reported with every result: per-tier placed counts (priority ->
    placed / total), moves, evictions, bindings, and with GPUs
    :func:`gpu_fragmentation`."""
    sizes = tier_sizes(inst)
    out = {"tiers": {str(p): f"{c}/{n}" for p, c, n in zip(inst.tiers, placed_counts(inst, sol), sizes)},
           **disruption(inst, sol)}
    if GPU in inst.resources:
        out.update(gpu_fragmentation(inst, sol))
    return out


# ---------------------------------------------------------------- readers & writer

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
TOLERATION_OPERATORS = ("Equal", "Exists")
AFFINITY_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


def _scheduling_fields_error(x) -> str | None:
    """What in node or pod `x` the Kubernetes API would refuse among the
    fields the filters read: labels and selectors are maps of strings,
    taint effects NoSchedule | PreferNoSchedule | NoExecute, toleration
    operators Equal | Exists (effect: one of those or empty), node-affinity
    operators In | NotIn | Exists | DoesNotExist | Gt | Lt, preemption
    policy PreemptLowerPriority | Never. None: all is well."""
    def strings(d, what):
        bad = [(k, v) for k, v in d.items() if not isinstance(k, str) or not isinstance(v, str)]
        return f"{what}: keys and values must be strings, got {bad[0][0]!r}: {bad[0][1]!r}" if bad else None

    if isinstance(x, Node):
        for key, value, effect in x.taints:
            if not isinstance(key, str) or not isinstance(value, str) or effect not in TAINT_EFFECTS:
                return (f"taint {(key, value, effect)!r}: expected a string key and value and an effect in "
                        f"{', '.join(TAINT_EFFECTS)}")
        return strings(x.labels, "labels")
    for key, op, value, effect in x.tolerations:
        if not isinstance(key, str) or not isinstance(value, str) or op not in TOLERATION_OPERATORS \
                or effect not in ("", *TAINT_EFFECTS):
            return (f"toleration {(key, op, value, effect)!r}: expected a string key and value, an operator in "
                    f"{', '.join(TOLERATION_OPERATORS)} and an effect in {', '.join(TAINT_EFFECTS)} or none")
    for term in x.affinity:
        for _, key, op, values in term:
            if not isinstance(key, str) or op not in AFFINITY_OPERATORS \
                    or not all(isinstance(v, str) for v in values):
                return (f"node affinity expression {(key, op, values)!r}: expected a string key, an operator in "
                        f"{', '.join(AFFINITY_OPERATORS)} and string values")
    if x.preemption_policy not in ("PreemptLowerPriority", "Never"):
        return f"preemptionPolicy {x.preemption_policy!r}: expected PreemptLowerPriority or Never"
    return strings(x.node_selector, "nodeSelector")


#: bound on the sum of all requests and allocatables of one resource
MAX_TOTAL = 2 ** 62


def _make(name, nodes, pods, arrival=False, meta=None, source=None, pod_source=None) -> PodpackInstance:
    """The instance of node and pod field dicts, checked as the Kubernetes
    API and the kubelet would (InputError naming `source`, or `pod_source`
    for a pod's own fields when the pods came from a second file)."""
    pod_source = pod_source or source
    if not nodes:  # nothing could be placed; always a slip (an empty list, a CSV with its header only)
        raise InputError("no nodes: expected at least one node to place the pods on", source)
    nodes = tuple(Node(**n) for n in nodes)
    pods = tuple(Pod(**p) for p in pods)
    for x in nodes + pods:
        kind, src = type(x).__name__.lower(), source if isinstance(x, Node) else pod_source
        if not isinstance(x.name, str):
            raise InputError(f"a {kind} name must be a string, got {x.name!r}", src)
        problem = _scheduling_fields_error(x)
        if problem:
            raise InputError(f"{kind} {x.name}: {problem}", src)
    names = {}
    for n in nodes:
        if n.name in names:
            raise InputError(f"two nodes named {n.name}", source)
        names[n.name] = n
    seen = set()
    for p in pods:
        if p.name in seen:
            raise InputError(f"two pods named {p.name}", pod_source)
        seen.add(p.name)
        if p.node is not None and not isinstance(p.node, str):
            raise InputError(f"pod {p.name}: its node must be a node's name, got {p.node!r}", pod_source)
        if p.node is not None and p.node not in names:
            raise InputError(f"pod {p.name} is bound to unknown node {p.node!r}", pod_source)
    inst = PodpackInstance(name, nodes, pods, bool(arrival), dict(meta or {}))
    _check_amounts(inst, source)
    return inst


def _check_amounts(inst: PodpackInstance, source) -> None:
    """InputError unless every resource's requests and allocatables together
    stay below :data:`MAX_TOTAL` (every sum the packers form in 64-bit
    integers is part of that one) and the pods bound to each node fit it, as
    the kubelet admits a pod only if it fits (NodeResourcesFit at admission)."""
    for r in inst.resources:
        total = sum(demand(p, r) for p in inst.pods) + sum(n.allocatable.get(r, 0) for n in inst.nodes)
        if total >= MAX_TOTAL:
            raise InputError(f"{r}: requests and allocatables add up to {magnitude(total)}, past the 2^62 "
                             "that the packers' 64-bit sums hold", source)
    bound_to: dict = {}
    for p in inst.pods:
        bound_to.setdefault(p.node, []).append(p)
    for node in inst.nodes:
        bound = bound_to.get(node.name, [])
        for r in inst.resources:
            need = sum(demand(p, r) for p in bound)
            have = node.allocatable.get(r, 0)
            if need > have:
                over = (f"{need} pods are bound to it > allocatable pods {have}" if r == "pods" else
                        f"the pods bound to it request {need} {r} > allocatable {have}")
                raise InputError(f"node {node.name}: {over}; a snapshot the kubelet would not admit "
                                 "(raise the allocatable or lower the requests)", source)


def read_compact(path: Path) -> PodpackInstance:
    """The project's compact YAML/JSON::

        arrival: false            # optional; true = pods arrive in creation order
        nodes:
          - {name: n1, allocatable: {cpu: "4", memory: 8Gi, pods: 110},
             labels: {zone: a}, taints: [{key: k, value: v, effect: NoSchedule}], unschedulable: false}
        pods:
          - {name: web, replicas: 3, requests: {cpu: 500m, memory: 1Gi}, priority: 100,
             node: n1, nodeSelector: {zone: a}, tolerations: [{key: k, operator: Equal, value: v}],
             protected: false, preemptionPolicy: PreemptLowerPriority, created: 1, ownerUid: rs-web}

    ``replicas: k`` expands to pods ``web-0 .. web-(k-1)``; ``node`` binds
    (running), absent = pending; quantities as Kubernetes writes them;
    ``ownerUid`` (optional) names the ReplicaSet or StatefulSet that owns
    the pod: pods of one owner are spread by the default scheduler's
    system-default topology spreading (none without it).
    """
    text = read_text(path)
    data = parse_json(text, path) if path.suffix.lower() == ".json" else parse_yaml(text, path)
    require_problem(data, "podpack", path)
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise InputError("expected a mapping with 'nodes' (and 'pods') lists", path)
    reject_unknown_keys(data, ("problem", "arrival", "meta", "nodes", "pods"), "document", path)
    nodes, pods = _compact_nodes(data, path), _compact_pods(data, path)
    return _make(path.stem, nodes, pods, data.get("arrival", False), data.get("meta"), path)


_NODE_KEYS = ("name", "allocatable", "labels", "taints", "unschedulable")
_POD_KEYS = ("name", "replicas", "requests", "priority", "node", "nodeSelector", "affinity", "tolerations",
             "protected", "preemptionPolicy", "created", "nonzeroRequests", "ownerUid")
_NODE_SHAPE = "labels a mapping and taints a list of {key, value, effect}"
_POD_SHAPE = ("requests and nodeSelector mappings, tolerations a list of {key, operator, value, effect} and "
              "affinity a list of terms, each a list of {key, operator, values}")


def _compact_nodes(data: dict, path: Path) -> list:
    nodes = []
    for i, n in enumerate(data["nodes"]):
        if not isinstance(n, dict) or "name" not in n or "allocatable" not in n:
            raise InputError(f"nodes[{i}]: expected name and allocatable", path)
        reject_unknown_keys(n, _NODE_KEYS, f"node {n['name']}", path)
        with entry_errors(f"node {n['name']}", _NODE_SHAPE, path):
            nodes.append(_compact_node(n))
    return nodes


def _entries(items, keys: tuple, what: str) -> list:
    """The mappings of a compact node's or pod's list `items` (taints,
    tolerations, affinity expressions), each holding only `keys`."""
    items = require_list(items, what)
    for e in items:
        reject_unknown_keys(e, keys, what)
    return items


def _text(value):
    """A label or taint value as YAML gave it: a number or boolean as its
    text (``zone: 1`` is ``"1"``); a list or mapping unchanged, for
    :func:`_make` to refuse (it read as ``"['a', 'b']"``)."""
    return value if isinstance(value, (list, dict)) else str(value)


def _text_map(data) -> dict:
    """Labels or a nodeSelector with :func:`_text` keys and values."""
    return {_text(k): _text(v) for k, v in (data or {}).items()}


def _compact_node(n: dict) -> dict:
    return dict(name=str(n["name"]), allocatable=node_allocatable(n["allocatable"], f"node {n['name']} allocatable"),
                labels=_text_map(n.get("labels")),
                taints=tuple((t.get("key", ""), _text(t.get("value", "") or ""), t.get("effect", "NoSchedule"))
                             for t in _entries(n.get("taints"), ("key", "value", "effect"),
                                               f"node {n['name']} taints")),
                unschedulable=bool(n.get("unschedulable", False)))


#: the most pods a compact document may expand to (``replicas``)
MAX_PODS = 1_000_000


def _compact_pods(data: dict, path: Path) -> list:
    pods = []
    for i, p in enumerate(require_list(data.get("pods"), "pods", path)):
        if not isinstance(p, dict) or "name" not in p:
            raise InputError(f"pods[{i}]: expected a mapping with a name", path)
        what = f"pod {p['name']}"
        reject_unknown_keys(p, _POD_KEYS, what, path)
        reps = p.get("replicas")
        if reps is not None and (not isinstance(reps, int) or reps < 1):
            raise InputError(f"{what}: replicas must be a positive integer", path)
        if len(pods) + (reps or 1) > MAX_PODS:  # a slip of zeros would fill the memory
            raise InputError(f"{what}: replicas {reps} make more than {MAX_PODS:,} pods in all (Kubernetes "
                             "supports 150,000 per cluster)", path)
        prio = p.get("priority", 0)
        if isinstance(prio, bool) or not isinstance(prio, int):
            raise InputError(f"{what}: priority must be an integer (a PriorityClass value), got {prio!r}", path)
        with entry_errors(what, _POD_SHAPE, path):
            base = _compact_pod(p, i, prio)
        names = [str(p["name"])] if reps is None else [f"{p['name']}-{k}" for k in range(reps)]
        pods += [dict(name=nm, **base) for nm in names]
    return pods


def _compact_pod(p: dict, i: int, prio: int) -> dict:
    """The fields of pod entry `p` (the `i`-th) but its name."""
    what = f"pod {p['name']}"
    affinity = tuple(tuple(("label", e["key"], e["operator"], tuple(str(x) for x in e.get("values") or ()))
                           for e in _entries(term, ("key", "operator", "values"), f"{what} affinity"))
                     for term in require_list(p.get("affinity"), f"{what} affinity"))
    return dict(requests=resource_map(p.get("requests"), f"{what} requests"), priority=prio, node=p.get("node"),
                node_selector=_text_map(p.get("nodeSelector")),
                affinity=affinity,
                tolerations=tuple((t.get("key", ""), t.get("operator") or "Equal", _text(t.get("value", "") or ""),
                                   t.get("effect", ""))
                                  for t in _entries(p.get("tolerations"), ("key", "operator", "value", "effect"),
                                                    f"{what} tolerations")),
                preemption_policy=p.get("preemptionPolicy", "PreemptLowerPriority"),
                created=f"{p.get('created', i)}".zfill(12), movable=not p.get("protected", False),
                owner=None if p.get("protected") else "ReplicaSet",
                nonzero_requests=_nonzero(p.get("nonzeroRequests"), what),
                owner_uid=None if p.get("ownerUid") is None else _text(p["ownerUid"]))


def _nonzero(data, what: str) -> dict:
    """A compact pod's ``nonzeroRequests`` (cpu and memory both, or none)."""
    found = resource_map(data, f"{what} nonzeroRequests")
    if found and set(found) != set(NONZERO):
        raise InputError(f"{what} nonzeroRequests: expected cpu and memory, got {', '.join(sorted(found))}")
    return found


def _is_kubectl(path: Path) -> bool:
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        return False
    head = read_text(path)[:4000]
    return '"kind"' in head or "kind:" in head


def read(path, format=None, pods=None, max_pods=None) -> PodpackInstance:
    """Read a snapshot.

    Parameters
    ----------
    path : str or Path
        The compact YAML/JSON, a kubectl file (nodes, or nodes and pods), or
        the Alibaba node list CSV.
    format : {"compact", "kubectl", "alibaba"}, optional
        Guessed from the file: ``.csv`` -> alibaba; a file with ``kind``
        fields -> kubectl; else compact.
    pods : str or Path, optional
        A second file with the pods (kubectl or Alibaba pod list).
    max_pods : int, optional
        Alibaba: keep the first pods in creation order.

    Raises
    ------
    InputError
        Missing file, malformed content (file, line/object and field named).
    """
    path = require_file(path)
    pods_path = require_file(pods, "file (--pods)") if pods else None
    fmt = format or ("alibaba" if path.suffix.lower() == ".csv" else "kubectl" if _is_kubectl(path) else "compact")
    if max_pods and fmt != "alibaba":  # it was ignored without a word
        raise InputError(f"--max-pods applies to Alibaba pod lists only; this is a {fmt} input", path)
    if fmt == "compact":
        if pods_path is not None:
            raise InputError("the compact format holds nodes and pods in one file; --pods is for kubectl and "
                             "Alibaba inputs", pods_path)
        return read_compact(path)
    if fmt == "kubectl":
        nodes, plist, dropped, unmodelled = read_kubectl(path, pods_path)
        meta = {"source": "kubectl", "dropped_finished_pods": len(dropped)}
        if unmodelled:
            meta["input_note"] = unmodelled_note(unmodelled)
        return _make(path.stem if pods_path is None else f"{path.stem}+{pods_path.stem}", nodes, plist, False,
                     meta, path, pods_path)
    if fmt == "alibaba":
        if pods_path is None:  # the node list alone is an instance with nothing to place
            raise InputError("an Alibaba node list holds no pods: give the pod list with --pods FILE "
                             "(e.g. openb_pod_list_default.csv)", path)
        nodes, plist, meta = read_alibaba(path, pods_path, int(max_pods) if max_pods else None)
        name = pods_path.stem + (f"-{max_pods}" if max_pods else "")
        return _make(name, nodes, plist, True, meta, path, pods_path)
    raise InputError(f"unknown format {fmt!r}; expected compact, kubectl or alibaba", path)


def _qty(resource: str, v: int) -> str:
    return f"{v}m" if resource == "cpu" else str(v)


def to_compact(inst: PodpackInstance) -> dict:
    """The compact document of `inst` (quantities in millicores / bytes)."""
    pods = []
    for p in inst.pods:
        d = {"name": p.name, "requests": {r: _qty(r, q) for r, q in p.requests.items()}, "priority": p.priority,
             "created": p.created}
        if p.node:
            d["node"] = p.node
        if p.node_selector:
            d["nodeSelector"] = p.node_selector
        if p.affinity:
            d["affinity"] = [[{"key": k, "operator": op, "values": list(vals)} for _, k, op, vals in t]
                             for t in p.affinity]
        if p.tolerations:
            d["tolerations"] = [dict(zip(("key", "operator", "value", "effect"), t)) for t in p.tolerations]
        if not p.movable:
            d["protected"] = True
        if p.preemption_policy != "PreemptLowerPriority":
            d["preemptionPolicy"] = p.preemption_policy
        if p.nonzero_requests and p.scored_requests() != replace(p, nonzero_requests={}).scored_requests():
            d["nonzeroRequests"] = {r: _qty(r, q) for r, q in p.nonzero_requests.items()}
        if p.owner_uid is not None:
            d["ownerUid"] = p.owner_uid
        pods.append(d)
    nodes = [{"name": n.name, "allocatable": {r: _qty(r, q) for r, q in n.allocatable.items()},
              **({"labels": n.labels} if n.labels else {}),
              **({"taints": [dict(zip(("key", "value", "effect"), t)) for t in n.taints]} if n.taints else {}),
              **({"unschedulable": True} if n.unschedulable else {})} for n in inst.nodes]
    return {"problem": "podpack", "arrival": inst.arrival, "meta": inst.meta, "nodes": nodes, "pods": pods}


def write(inst: PodpackInstance, path) -> None:
    """The compact format, JSON for ``.json`` else YAML."""
    path = Path(path)
    doc = to_compact(inst)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(doc, indent=1) + "\n")
    else:
        import yaml

        path.write_text(yaml.safe_dump(doc, sort_keys=False))


# ---------------------------------------------------------------- generator

def generate(seed: int = 0, nodes: int = 4, pods_per_node: int = 4, priorities: int = 2,
             utilisation: float = 1.0) -> PodpackInstance:
    """The benchmark grid of Christensen, Giallorenzo & Mauro (arXiv
    2511.08373): identical nodes; ReplicaSets of 1–4 replicas (uniform) with
    cpu ~ U[100, 1000] millicores, memory ~ U[100, 1000] MB (10^6 bytes) and
    priority ~ U{1..priorities}, drawn until ``nodes × pods_per_node`` pods
    exist; node cpu and memory sized so that total requests /
    total allocatable = ``utilisation`` (rounded down, so at least that;
    from 0.01 to 100).
    Pods arrive in creation order (``arrival``), all pending.
    """
    if nodes < 1 or pods_per_node < 1 or priorities < 1 or not 0.01 <= utilisation <= 100:
        # 1e-300 was an OverflowError traceback (allocatable = requests / utilisation); above 100 no pod fits
        raise InputError("generate podpack: nodes, pods-per-node, priorities >= 1 and utilisation from 0.01 to 100 "
                         f"expected; got {nodes}, {pods_per_node}, {priorities}, {utilisation}")
    # Kubernetes' own limits: 5 000 nodes per cluster, 110 pods per node (the kubelet's --max-pods)
    require_sizes("generate podpack", nodes=(nodes, 5_000), pods_per_node=(pods_per_node, KUBELET_MAX_PODS))
    rng = random.Random(seed)
    target = nodes * pods_per_node
    pods, rs = [], 0
    while len(pods) < target:
        reps = min(rng.randint(1, 4), target - len(pods))
        cpu, mem, prio = rng.randint(100, 1000), rng.randint(100, 1000) * 10 ** 6, rng.randint(1, priorities)
        for k in range(reps):
            pods.append(dict(name=f"rs{rs}-{k}", requests={"cpu": cpu, "memory": mem}, priority=prio,
                             created=f"{len(pods):012d}"))
        rs += 1
    cap_cpu = int(sum(p["requests"]["cpu"] for p in pods) / (nodes * utilisation))
    cap_mem = int(sum(p["requests"]["memory"] for p in pods) / (nodes * utilisation))
    node_list = [dict(name=f"node-{i:02d}", allocatable={"cpu": cap_cpu, "memory": cap_mem, "pods": KUBELET_MAX_PODS})
                 for i in range(nodes)]
    name = f"podpack-n{nodes}-k{pods_per_node}-p{priorities}-u{utilisation:g}-s{seed}"
    meta = {"generator": "christensen2025", "seed": seed, "nodes": nodes, "pods_per_node": pods_per_node,
            "priorities": priorities, "utilisation": utilisation, "replicasets": rs}
    return _make(name, node_list, pods, True, meta)


# ---------------------------------------------------------------- solutions

def solution_to_dict(sol: PodpackSolution, inst: PodpackInstance | None = None) -> dict:
    """``{"assignment": {pod: node or null}}`` plus per-tier counts and the
    moves / evictions / bindings when the instance is given."""
    if inst is None:
        return {"assignment": list(sol.assignment)}
    doc = {"assignment": {p.name: where for p, where in zip(inst.pods, sol.assignment)}}
    doc.update(summary(inst, sol))
    return doc


def solution_from_dict(inst: PodpackInstance, data, source=None) -> PodpackSolution:
    """Accepts ``{"assignment": {pod name: node or null}}`` (pods not named
    are not placed) or the list form."""
    a = data.get("assignment") if isinstance(data, dict) else data
    if isinstance(a, list):
        return PodpackSolution(tuple(a))
    if not isinstance(a, dict):
        raise InputError("expected 'assignment': a mapping of pod name to node name (or null)", source)
    names = {p.name for p in inst.pods}
    unknown = sorted(set(a) - names)
    if unknown:
        raise InputError(f"assignment names unknown pod(s): {', '.join(unknown[:5])}", source)
    return PodpackSolution(tuple(a.get(p.name) for p in inst.pods))


def describe(inst: PodpackInstance, sol: PodpackSolution):
    """Per tier: priority, pods, placed before (bound in the snapshot) and
    after, moved, evicted."""
    rows = []
    for prio in inst.tiers:
        idx = [i for i, p in enumerate(inst.pods) if p.priority == prio]
        before = sum(inst.pods[i].node is not None for i in idx)
        after = sum(sol.assignment[i] is not None for i in idx)
        moved = sum(inst.pods[i].node is not None and sol.assignment[i] not in (None, inst.pods[i].node) for i in idx)
        evicted = sum(inst.pods[i].node is not None and sol.assignment[i] is None for i in idx)
        rows.append((prio, len(idx), before, after, moved, evicted))
    return ("priority", "pods", "running before", "placed after", "moved", "evicted"), rows


def _plot(inst, sol, path, title=None):
    from schedcert.plots.podpack import plot_placement

    plot_placement(inst, sol, path, title=title)


def plan_yaml(inst: PodpackInstance, sol: PodpackSolution) -> str:
    """The change plan of `sol`, **not executed**: YAML whose documents are
    the ``Binding`` objects (v1) of the pods placed on a new node, for
    ``kubectl create -f`` (a Binding can only be created, so not
    ``kubectl apply``), headed by comments giving, first, one command per
    running pod to evict (moved or evicted): the Eviction API (policy/v1)
    is a subresource of the pod, POSTed to
    ``/api/v1/namespaces/NS/pods/NAME/eviction`` (Kubernetes docs,
    "API-initiated Eviction"), so it cannot be a document of the file. A
    moved pod's Binding names the evicted pod; its controller recreates it
    under a new name, which the Binding must be given before it is created
    (it carries the annotation ``schedcert/plan: moved``)."""
    import json

    import yaml

    evictions, bindings = [], []
    for pod, where in zip(inst.pods, sol.assignment):
        ns, _, name = pod.name.rpartition("/")
        ns = ns or "default"
        if pod.node is not None and where != pod.node:
            body = json.dumps({"apiVersion": "policy/v1", "kind": "Eviction",
                               "metadata": {"name": name, "namespace": ns}}, separators=(",", ":"))
            evictions.append(f"#   echo '{body}' | kubectl create --raw "
                             f"/api/v1/namespaces/{ns}/pods/{name}/eviction -f -   # {'moved' if where else 'evicted'}")
        if where is not None and where != pod.node:
            meta = {"name": name, "namespace": ns}
            if pod.node is not None:
                meta["annotations"] = {"schedcert/plan": "moved"}
            bindings.append({"apiVersion": "v1", "kind": "Binding", "metadata": meta,
                             "target": {"apiVersion": "v1", "kind": "Node", "name": where}})
    head = [f"# schedcert podpack PLAN for {inst.name} -- not executed; review it first."]
    if inst.meta.get("input_note"):
        head.append(f"# NOTE: {inst.meta['input_note']}.")
    if evictions:
        head += ["# Step 1: evict (the Eviction API is a pod subresource; PodDisruptionBudgets are respected):",
                 *evictions]
    if bindings:
        head += [f"# Step {2 if evictions else 1}: bind, with this file's documents: kubectl create -f FILE",
                 *(["#   (a Binding annotated 'schedcert/plan: moved' names an evicted pod: give it the name of",
                    "#   the pod its controller creates in its place first)"]
                   if any(b["metadata"].get("annotations") for b in bindings) else [])]
    if not evictions and not bindings:
        head.append("# nothing to change")
    text = "\n".join(head) + "\n"
    return text + yaml.safe_dump_all(bindings, sort_keys=False) if bindings else text


PROBLEM = register_problem(Problem(
    key="podpack",
    title="Kubernetes pod packing with priorities (lexicographic placed pods per priority tier)",
    sense="max",
    formats={
        "compact": "schedcert YAML/JSON with nodes and pods (.yaml, .json)",
        "kubectl": "kubectl get nodes/pods -o json|yaml output, one file or nodes + --pods FILE",
        "alibaba": "Alibaba openb node list CSV + --pods pod list CSV (--max-pods N: first N by creation time)",
    },
    read=read,
    write=write,
    evaluate=evaluate,
    solution_to_dict=solution_to_dict,
    solution_from_dict=solution_from_dict,
    decision_keys=("assignment",),
    generate=generate,
    describe=describe,
    plot=_plot,
    shortfall=shortfall,
    suffixes=(".yaml", ".yml", ".json"),
    write_suffixes=(".json", ".yaml", ".yml"),
    example="podpack-example.yaml",
    default_method="cpsat",
    default_heuristic="default",
    reader_options=("pods", "max_pods"),
    plan=plan_yaml,
    report=podpack_report,
))
