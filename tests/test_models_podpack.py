"""The CP-SAT packer: fragmentation, tier freezing, disruption, brute force
cross-check, symmetry breaking, never worse than the default."""

import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from schedcert.instances.podpack import PodpackSolution, evaluate, generate
from schedcert.registry import run_method
from schedcert.result import Options, Status
from podpack_helpers import fragmentation, node, pod, snapshot


def _solve(inst, method="cpsat", **params):
    return run_method("podpack", method, inst, Options(time_limit=20, workers=1, params=params))


def test_fragmentation_needs_one_move():
    res = _solve(fragmentation())
    assert res.status == Status.OPTIMAL and res.objective == res.bound == 3
    assert res.info["moved"] == 1 and res.info["evicted"] == 0
    assert _solve(fragmentation(), moves=0).objective == 2  # without moves the default's 2 is optimal


def test_tiers_are_lexicographic():
    # one high pod (3 cores) or two low pods (2 cores each) fit on a 4-core node: the high pod wins
    inst = snapshot([node("n", 4000)], [pod("h", 3000, 10), pod("l1", 2000, 1), pod("l2", 2000, 1)])
    res = _solve(inst)
    assert res.solution.assignment[0] == "n" and res.info["tiers"] == {"10": "1/1", "1": "0/2"}
    assert res.status == Status.OPTIMAL


def test_disruption_prefers_staying():
    # the pending pod fits on the free node: nothing running should move
    inst = snapshot([node("a", 4000), node("b", 4000)], [pod("r", 2000, 1, "a"), pod("p", 4000, 1)])
    res = _solve(inst)
    assert res.solution.assignment == ("a", "b") and res.info["moved"] == 0
    assert res.info["per_tier"]["disruption"]["value"] == 0


def _brute_force(inst):
    choices = [[None] + [n.name for n in inst.nodes]] * len(inst.pods)
    best = None
    for a in itertools.product(*choices):
        ev = evaluate(inst, PodpackSolution(a))
        if ev.feasible and (best is None or ev.objective > best):
            best = ev.objective
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.sampled_from([None, "n0", "n1"]), st.booleans()),
                min_size=1, max_size=5),
       st.lists(st.integers(2, 5), min_size=2, max_size=2))
def test_cpsat_and_default_against_brute_force(pods, caps):
    nodes = [node(f"n{i}", c * 1000) for i, c in enumerate(caps)]
    load = {f"n{i}": 0 for i in range(2)}
    plist = []
    for k, (cpu, prio, at, movable) in enumerate(pods):
        if at is not None and load[at] + cpu > caps[int(at[1])]:
            at = None  # keep the snapshot consistent: running pods fit where they are
        if at is not None:
            load[at] += cpu
        plist.append(pod(f"p{k}", cpu * 1000, prio, at, movable=movable or at is None, created=str(k)))
    inst = snapshot(nodes, plist)
    opt = _brute_force(inst)
    res = _solve(inst)
    assert res.status == Status.OPTIMAL and res.objective == opt
    default = _solve(inst, "default")
    assert default.objective <= opt <= default.bound


def _filtered_snapshot(rnd):
    """1-3 nodes with memory, pod slots, an optional GPU, a zone label and a
    taint; 1-6 pods with selectors, tolerations, a GPU request,
    preemptionPolicy Never, some bound (movable or protected) where they
    fit."""
    nodes = []
    for i in range(rnd.randint(1, 3)):
        kw = {}
        if rnd.random() < 0.4:
            kw["labels"] = {"zone": rnd.choice("ew")}
        if rnd.random() < 0.3:
            kw["taints"] = (("d", "g", rnd.choice(["NoSchedule", "PreferNoSchedule", "NoExecute"])),)
        n = node(f"n{i}", rnd.randint(1, 5) * 1000, mem=rnd.randint(1, 4) * 2 ** 30, pods=rnd.choice([110, 2, 3]), **kw)
        if rnd.random() < 0.3:
            n["allocatable"]["nvidia.com/gpu"] = rnd.randint(1, 2)
        nodes.append(n)
    used = {n["name"]: dict.fromkeys(n["allocatable"], 0) for n in nodes}
    pods = []
    for k in range(rnd.randint(1, 6)):
        kw = {}
        if rnd.random() < 0.3:
            kw["node_selector"] = {"zone": rnd.choice("ew")}
        if rnd.random() < 0.3:
            operator, effect = rnd.choice(["Exists", "Equal"]), rnd.choice(["", "NoSchedule"])
            kw["tolerations"] = (("d", operator, rnd.choice("gh"), effect),)
        if rnd.random() < 0.2:
            kw["preemption_policy"] = "Never"
        p = pod(f"p{k}", rnd.randint(1, 3) * 1000, rnd.choice([0, 1, 2]), mem=rnd.randint(1, 2) * 2 ** 29,
                created=str(k), **kw)
        if rnd.random() < 0.2:
            p["requests"]["nvidia.com/gpu"] = 1
        at = rnd.choice([None, None] + [n["name"] for n in nodes])
        need = {**p["requests"], "pods": 1}
        if at is not None and all(used[at].get(r, 0) + v <= nodes[int(at[1])]["allocatable"].get(r, 0)
                                  for r, v in need.items()):
            for r, v in need.items():
                used[at][r] += v
            movable = rnd.random() < 0.7
            p.update(node=at, movable=movable, owner="ReplicaSet" if movable else None)
        pods.append(p)
    return snapshot(nodes, pods)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_filters_and_resources_against_brute_force(rnd):
    """The brute force above knows one resource and no filters; here every
    Filter the validator applies (memory, pod slots, a GPU, nodeSelector,
    taints against tolerations, protected pods) and preemptionPolicy Never:
    CP-SAT's optimum is the best of every assignment the validator accepts,
    and the default scheduler's placement lies between no more and the
    bounds both claim (300 such instances checked once, all agreeing)."""
    inst = _filtered_snapshot(rnd)
    opt = _brute_force(inst)
    res, default = _solve(inst), _solve(inst, "default")
    assert res.status == Status.OPTIMAL and res.objective == opt
    assert default.objective <= opt <= min(res.bound, default.bound)


def test_symmetry_breaking_keeps_the_optimum():
    inst = generate(seed=5, nodes=8, pods_per_node=4, priorities=3, utilisation=1.05)
    # 1 s alone; the generous limit keeps the proof when the tests share the cores
    off = run_method("podpack", "cpsat", inst, Options(time_limit=60, workers=1))
    on = run_method("podpack", "cpsat", inst, Options(time_limit=3, workers=1, params={"symmetry": 1}))
    assert off.status == Status.OPTIMAL and on.objective <= off.objective <= on.bound
    assert on.info["symmetry_groups"] == 1 and off.info["symmetry_groups"] == 0


def test_never_worse_than_default_on_generated():
    for seed in range(3):
        inst = generate(seed=seed, nodes=8, pods_per_node=8, priorities=2, utilisation=1.0)
        d, c = _solve(inst, "default"), run_method("podpack", "cpsat", inst, Options(time_limit=3, workers=1))
        assert d.objective <= c.objective <= c.bound <= d.bound


def test_pattern_bound_certifies():
    from schedcert.models.podpack_bound import tier_bound

    # 8 identical 4-pod nodes: the pattern LP bounds the lowest tier at 13 (LP 13.89),
    # which the packer's search reaches: proven optimal only with the bound's help at 5 s
    inst = generate(seed=5, nodes=8, pods_per_node=4, priorities=3, utilisation=1.05)
    bound, info, _ = tier_bound(inst, 1, {3: 3, 2: 13}, [], 5.0)
    assert bound == 13 and 13.8 < info["lp"] < 13.9
    res = run_method("podpack", "cpsat", inst, Options(time_limit=10, workers=2))
    assert res.status == Status.OPTIMAL and res.info["tiers"]["1"] == "13/16"


def test_tier_objective_resources_prefers_bigger_pods():
    # one slot of 3 cores: by count any pod will do; by requested resources the 3-core pod
    inst = snapshot([node("n", 3000)], [pod("small", 1000, 1), pod("big", 3000, 1)])
    res = _solve(inst, tier_objective="resources")
    assert res.solution.assignment == (None, "n") and res.evaluation.feasible
    assert res.bound >= res.objective


def test_bound_stays_valid_when_the_search_finds_nothing():
    # regression: CP-SAT stopping with UNKNOWN reports a best bound of 0, which
    # once became a tier's "proven" upper bound; the bound must never fall
    # below a placement that exists (the default's)
    inst = generate(seed=0, nodes=32, pods_per_node=8, priorities=4, utilisation=1.05)
    d = _solve(inst, "default")
    for limit in (0.05, 0.2):
        c = run_method("podpack", "cpsat", inst, Options(time_limit=limit, workers=1, params={"warm": 0}))
        assert c.bound >= d.objective and c.bound >= c.objective


def test_pattern_enumeration_steps_down_from_a_loose_bound():
    import dataclasses
    import math
    from fractions import Fraction

    from schedcert.models.podpack_bound import SCALE, tier_bound
    from schedcert.models.podpack_master import exact_tier

    # 8 identical nodes, 32 pods, one tier: at most 31 fit (CP-SAT alone
    # proves it in about 20 s on two workers; the converged pattern LP is
    # 31.29). A capped column generation can leave the dual bound at 32;
    # loosen the converged certificate to that (μ raised: still a valid
    # dual) and the enumeration must prove 32 impossible, then place 31.
    inst = generate(seed=0, nodes=8, pods_per_node=4, priorities=1, utilisation=1.0)
    bound, info, cert = tier_bound(inst, 1, {}, [], 10.0)
    assert bound == 31 and 31.2 < info["lp"] < 31.3
    ub, packing, info = exact_tier(cert, 0, 60.0)
    assert ub == 31 and info["targets"][0][::2] == [31, "found"]
    delta = math.ceil((32 - cert.value) * SCALE / 8)
    loose = dataclasses.replace(cert, ubs=[cert.ubs[0] + delta], value=cert.value + Fraction(8 * delta, SCALE))
    ub, packing, info = exact_tier(loose, 0, 60.0)
    assert ub == 31 and [t[0] for t in info["targets"]] == [32, 31]
    assert [t[2] for t in info["targets"]] == ["none", "found"]
    assert len(packing) <= 8 and sum(sum(p.values()) for _, p in packing) >= 31
    res = run_method("podpack", "cpsat", inst, Options(time_limit=20, workers=1))
    assert res.status == Status.OPTIMAL and res.info["tiers"] == {"1": "31/32"}
    assert res.evaluation.feasible


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), prios=st.integers(1, 3), util=st.sampled_from([0.95, 1.0, 1.05]))
def test_pattern_enumeration_agrees_with_cpsat(seed, prios, util):
    # two independent exact routes to the same lexicographic optimum: CP-SAT
    # on the assignment model alone, and the pattern enumeration first
    inst = generate(seed=seed, nodes=4, pods_per_node=4, priorities=prios, utilisation=util)
    plain = _solve(inst, master=0, dive=0, greedy=0)
    enum = _solve(inst, master=1, probe=0, dive=0, greedy=0)  # no probe, dive or greedy: the enumeration closes the tier
    dived = _solve(inst)  # the default: greedy packings and the dive first
    assert plain.status == enum.status == dived.status == Status.OPTIMAL
    assert plain.info["tiers"] == enum.info["tiers"] == dived.info["tiers"]
    assert enum.evaluation.feasible and dived.evaluation.feasible


def test_probe_closes_what_the_integer_program_stalls_on():
    # regression: 4 nodes, 8 pods/node, tier 1 one pod short of its pattern
    # bound (9); the enumeration finds 12 557 patterns and HiGHS' integer
    # program over them ran 12 s past a 5.5 s limit without a solution.
    # CP-SAT reaches 9 in milliseconds: the probe must close the tier first.
    # (The dive, which runs before the probe, closes it too: checked without it;
    # the greedy packings, before both, are off here.)
    inst = generate(seed=1, nodes=4, pods_per_node=8, priorities=4, utilisation=0.95)
    res = run_method("podpack", "cpsat", inst, Options(time_limit=10, workers=2, params={"dive": 0, "greedy": 0}))
    tier = res.info["per_tier"]["1"]
    assert res.status == Status.OPTIMAL and tier["placed"] == tier["bound"] == 9
    assert tier["probe"]["placed"] == 9 and "enumeration" not in tier
    res = run_method("podpack", "cpsat", inst, Options(time_limit=10, workers=2, params={"greedy": 0}))
    tier = res.info["per_tier"]["1"]
    assert res.status == Status.OPTIMAL and tier["placed"] == tier["bound"] == 9
    assert tier["dive"]["found"] and "probe" not in tier and "enumeration" not in tier


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_pattern_search_against_brute_force(data):
    from schedcert.models.podpack_bound import knapsack_arrays, pattern_search
    from schedcert.models.podpack_pricing import bound_tables, no_tables

    # random classes (demand on cpu, memory, pods; size; integer weight) on one node
    n = data.draw(st.integers(1, 5))
    cap = [data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12)), 110]
    classes = [(1, (data.draw(st.integers(1, 6)), data.draw(st.integers(0, 6)), 1), data.draw(st.integers(1, 3)), (0,))
               for _ in range(n)]
    weights = [data.draw(st.integers(0, 20)) for _ in range(n)]
    arr = knapsack_arrays(cap, classes, list(range(n)), weights)
    if arr is None:
        return
    items, W, D, M, capv, orders = arr
    ranges = [range(min(classes[c][2], min(cp // d for cp, d in zip(cap, classes[c][1]) if d)) + 1) for c in items]
    fits = [a for a in itertools.product(*ranges)
            if all(sum(a[j] * classes[c][1][r] for j, c in enumerate(items)) <= cap[r] for r in range(3))]
    value = [sum(W[j] * a[j] for j in range(len(items))) for a in fits]
    # pruned by the fractional bounds alone, and with the Lagrangian suffix tables too
    none = no_tables()
    tables = bound_tables(W, D[:, :3], M, cap)
    for tabs, spec in (none, tables):
        best, counts, _, exact = pattern_search(W, D, M, capv, orders, 0, 3, 0, 10 ** 6, False, tabs, spec)
        assert exact and best == max(value) and sum(W * counts) == best

    def maximal(a):
        return not any(a[j] < classes[c][2] and all(
            sum(a[i] * classes[cc][1][r] for i, cc in enumerate(items)) + classes[c][1][r] <= cap[r] for r in range(3))
            for j, c in enumerate(items))

    need = data.draw(st.integers(0, max(value)))
    want = sorted(a for a, v in zip(fits, value) if v >= need and maximal(a))
    for tabs, spec in (none, tables):
        _, _, got, complete = pattern_search(W, D, M, capv, orders, need, 3, 10 ** 4, 10 ** 6, True, tabs, spec)
        assert complete and sorted(tuple(int(x) for x in v) for v in got) == want


def test_dive_places_the_certified_bound():
    import time

    from schedcert.instances.podpack import placed_counts
    from schedcert.models.podpack import PackingModel, placement_of_packing
    from schedcert.models.podpack_bound import PatternLP, tier_bound
    from schedcert.models.podpack_dive import TRIES, dive

    # 8 identical nodes, 32 pods, one tier: the converged pattern LP is 29.33, so
    # at most 29 fit; the dive must place 29 (its first search, TRIES roundings
    # per depth, is exhausted without a packing and the widened one finds it)
    inst = generate(seed=3, nodes=8, pods_per_node=4, priorities=1, utilisation=1.05)
    lp = PatternLP(inst, 1, {}, [])
    bound, info, _ = tier_bound(inst, 1, {}, [], 10.0, lp=lp)
    assert bound == 29 and 29.3 < info["lp"] < 29.4
    packing, dinfo = dive(lp, 29, time.perf_counter() + 30)
    assert packing is not None and dinfo["tries"] > TRIES and len(packing) <= 8
    for k, pat in packing:  # the relaxation's packing, checked from the definition
        for r, cap in enumerate(lp.caps[k]):
            assert sum(key[1][r] * a for key, a in pat.items()) <= cap
    assert sum(a for _, pat in packing for key, a in pat.items() if key[0] == 1) == 29
    pm = PackingModel(inst)
    sol = pm.decode(placement_of_packing(pm, packing))
    assert evaluate(inst, sol).feasible and placed_counts(inst, sol) == [29]
    res = run_method("podpack", "cpsat", inst, Options(time_limit=5, workers=1))
    assert res.status == Status.OPTIMAL and res.info["tiers"] == {"1": "29/32"}


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_lagrangian_pricing_bound_against_brute_force(data):
    import numpy as np

    from schedcert.models.podpack_bound import table_bound
    from schedcert.models.podpack_pricing import bound_tables

    # random two-resource knapsacks (plus a pod count that rarely binds): the suffix
    # tables of the pricing search bound every suffix of the items, at every capacity
    # left, and at the root equal the optimum when a single resource can bind
    n = data.draw(st.integers(1, 5))
    cap = [data.draw(st.integers(1, 30)), data.draw(st.integers(1, 30)), 110]
    D = np.array([[data.draw(st.integers(1, 9)), data.draw(st.integers(0, 9)), 1] for _ in range(n)])
    M = np.array([data.draw(st.integers(1, 3)) for _ in range(n)])
    W = np.array([data.draw(st.integers(0, 10 ** 6)) for _ in range(n)])

    def optimum(i, rem):
        return max(sum(int(W[j]) * a[j - i] for j in range(i, n))
                   for a in itertools.product(*[range(m + 1) for m in M[i:]])
                   if all(sum(a[j - i] * D[j, r] for j in range(i, n)) <= rem[r] for r in range(3)))

    tabs, spec = bound_tables(W, D, M, cap)
    root = np.array(cap, np.int64)
    assert table_bound(0, root, tabs, spec) >= optimum(0, root) - 1e-6
    for i in range(n + 1):
        rem = np.array([data.draw(st.integers(0, cap[0])), data.draw(st.integers(0, cap[1])), 110], np.int64)
        assert table_bound(i, rem, tabs, spec) >= optimum(i, rem) - 1e-6
    if int((D[:, 1] * M).sum()) <= cap[1] and int((D[:, 0] * M).sum()) > cap[0]:  # only CPU can bind:
        assert table_bound(0, root, tabs, spec) == optimum(0, root)  # the table is an exact DP over CPU


def test_pod_count_implied_by_cpu():
    import numpy as np

    from schedcert.models.podpack_pricing import _implied

    # 110 pods of at least 100 millicores never fit on a 4.5-core node: CPU implies the pod count
    d_pods, d_cpu, M = np.ones(3, np.int64), np.array([100, 500, 900]), np.array([60, 60, 60])
    assert _implied(d_pods, d_cpu, M, 110, 4535)
    assert not _implied(d_pods, d_cpu, M, 40, 4535)  # 45 of the smallest fit: 40 pods can bind


def test_greedy_packing_places_every_pod_at_once():
    from schedcert.models.podpack_bound import PatternLP

    from schedcert.models.podpack_greedy import greedy_packing

    # 16 nodes, 128 pods, one tier at 95 % utilisation: the default leaves pods
    # pending; the dot-product rule packs all 128, so the tier is proven without
    # column generation (the bound is the tier's size)
    inst = generate(seed=0, nodes=16, pods_per_node=8, priorities=1, utilisation=0.95)
    assert _solve(inst, "default").info["tiers"]["1"] != "128/128"
    lp, pool = PatternLP(inst, 1, {}, []), set()
    packing, info = greedy_packing(lp, 128, 0.0, pool=pool)
    assert info["placed"] == 128 and len(packing) <= 16
    assert len(pool) >= 16  # every node pattern of every attempt, each within a node's allocatable
    for k, pat in pool:
        for r, cap in enumerate(lp.caps[k]):
            assert sum(lp.classes[c][1][r] * a for c, a in pat) <= cap
    res = run_method("podpack", "cpsat", inst, Options(time_limit=5, workers=1))
    tier = res.info["per_tier"]["1"]
    assert res.status == Status.OPTIMAL and tier["placed"] == 128 and tier.get("from_greedy")
    assert "pattern_bound" not in tier and res.evaluation.feasible


def test_restricted_master_places_the_certified_bound():
    import time

    from schedcert.instances.podpack import placed_counts
    from schedcert.models.podpack import PackingModel, placement_of_packing
    from schedcert.models.podpack_bound import PatternLP, tier_bound
    from schedcert.models.podpack_rmh import MAX_COLUMNS, restricted_master

    # 16 nodes of about four pods, four tiers, U = 1.0 (the grid's n16-k4-p4-u1-s4):
    # with the three upper tiers frozen at their size, the converged pattern LP is
    # 13.40, so at most 13 pods of the lowest tier fit; the integer program over
    # the LP's few hundred patterns places 13 — proven optimal
    inst = generate(seed=4, nodes=16, pods_per_node=4, priorities=4, utilisation=1.0)
    frozen = {p: sum(1 for q in inst.pods if q.priority == p) for p in inst.tiers[:-1]}
    lp = PatternLP(inst, 1, frozen, [])
    bound, info, _ = tier_bound(inst, 1, frozen, [], 20.0, lp=lp)
    assert bound == 13 and 13.4 < info["lp"] < 13.41 and len(lp.patterns) <= MAX_COLUMNS
    packing, rinfo = restricted_master(lp, 13, time.perf_counter() + 20)
    assert packing is not None and rinfo["found"] and len(packing) <= 16
    pm = PackingModel(inst)
    sol = pm.decode(placement_of_packing(pm, packing, {}))
    assert evaluate(inst, sol).feasible
    assert placed_counts(inst, sol) == [frozen[p] for p in inst.tiers[:-1]] + [13]
    assert lp.solve() and abs(lp.lp - info["lp"]) < 1e-6  # the LP is continuous again


def test_ejection_insertion_makes_room():
    import numpy as np

    from schedcert.models.podpack_bound import PatternLP
    from schedcert.models.podpack_ejection import eject
    from schedcert.models.podpack_greedy import _Items, _nodes

    # node 0 holds 1 + 2 cores of its 4, node 1 holds 1.9: the pending 3-core pod
    # fits only once the 2-core pod of node 0 moves to node 1
    inst = snapshot([node("n0", 4000), node("n1", 4000)],
                    [pod("a", 1000, 1), pod("b", 2000, 1), pod("c", 1900, 1), pod("u", 3000, 1)])
    lp = PatternLP(inst, 1, {}, [])
    items = _Items(lp)
    kind, cap = _nodes(lp)
    cpu = list(items.dem[:, inst.resources.index("cpu")])
    where = np.full(len(cpu), -1)
    where[cpu.index(1000)], where[cpu.index(2000)], where[cpu.index(1900)] = 0, 0, 1
    where = eject(items, kind, cap, where, 4, 0.0)
    assert (where >= 0).all() and where[cpu.index(2000)] == 1 and where[cpu.index(3000)] == 0


def _check_packing(items, kind, cap, where):
    """Per-node capacity, allowed types and the frozen counts, from the definitions."""
    import numpy as np

    used = np.zeros_like(cap)
    for i in np.nonzero(where >= 0)[0]:
        assert items.ok[i, kind[where[i]]]
        used[where[i]] += items.dem[i]
    assert (used <= cap).all()
    counts = np.bincount(items.rank[where >= 0], minlength=items.tiers)
    assert (counts[:-1] >= items.need[:-1]).all()
    return int(counts[-1])


def test_ejection_reaches_the_certified_optimum():
    import time

    import numpy as np

    from schedcert.models.podpack_bound import PatternLP, tier_bound
    from schedcert.models.podpack_ejection import eject
    from schedcert.models.podpack_greedy import _Items, _nodes, first_fit

    # 8 nodes, 64 pods, one tier at 100 % utilisation (the grid's n8-k8-p1-u1-s0):
    # column generation certifies at most 63 pods; first fit decreasing places 61,
    # the swap search 63 — the optimum, by two independent methods
    inst = generate(seed=0, nodes=8, pods_per_node=8, priorities=1, utilisation=1.0)
    lp = PatternLP(inst, 1, {}, [])
    bound, _, _ = tier_bound(inst, 1, {}, [], 20.0, lp=lp)
    assert bound == 63
    items = _Items(lp)
    kind, cap = _nodes(lp)
    start = first_fit(items, kind, cap, items.norm.max(axis=1), np.ones(len(items.cls), dtype=bool))
    assert _check_packing(items, kind, cap, start) < 63
    where = eject(items, kind, cap, start, 63, time.perf_counter() + 10.0)
    assert _check_packing(items, kind, cap, where) == 63


def test_ejection_steps_stop_at_the_deadline():
    """The compiled search reads the clock before every step but the first:
    one call of STEPS steps took 8.5 s of a 10 s limit on a 4 000-pod,
    200-node tier, and the run ended after 68 s."""
    import numpy as np

    from schedcert.models.podpack_bound import PatternLP
    from schedcert.models.podpack_ejection import STEPS, ejection_steps
    from schedcert.models.podpack_greedy import _Items, _nodes, first_fit

    inst = generate(seed=0, nodes=8, pods_per_node=8, priorities=1, utilisation=1.0)  # at most 63 of 64 fit
    items = _Items(lp := PatternLP(inst, 1, {}, []))
    kind, cap = _nodes(lp)
    ran = {}
    for deadline in (-np.inf, np.inf):
        where = first_fit(items, kind, cap, items.norm.max(axis=1), np.ones(len(items.cls), dtype=bool))
        rem = cap.copy()
        for i in np.nonzero(where >= 0)[0]:
            rem[where[i]] -= items.dem[i]
        weight, tabu = np.ones(len(where)), np.zeros(len(where), dtype=np.int64)
        best, best_where, ran[deadline] = ejection_steps(items.dem, items.ok, kind, rem, where, items.rank,
                                                         items.need[:-1], weight, tabu, 0, STEPS, 0, deadline)
        assert _check_packing(items, kind, cap, best_where) == best
    assert ran == {-np.inf: 1, np.inf: STEPS}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 2)), min_size=2, max_size=14),
       st.integers(2, 4), st.integers(0, 10 ** 6))
def test_ejection_keeps_packings_valid(pods, nodes, seed):
    import time

    import numpy as np

    from schedcert.models.podpack_bound import PatternLP
    from schedcert.models.podpack_ejection import eject
    from schedcert.models.podpack_greedy import _Items, _nodes, first_fit

    # two tiers on nodes of 10 × 10 units: the higher one frozen at what first fit
    # places of it; the search never loses a pod of either tier
    inst = snapshot([node(f"n{j}", 10_000, 10 * 2 ** 20) for j in range(nodes)],
                    [pod(f"p{i}", 1000 * c, prio, mem=m * 2 ** 20) for i, (c, m, prio) in enumerate(pods)])
    lp = PatternLP(inst, 1, {2: 0} if any(p[2] == 2 for p in pods) else {}, [])
    items = _Items(lp)
    kind, cap = _nodes(lp)
    start = first_fit(items, kind, cap, items.norm.sum(axis=1), np.ones(len(items.cls), dtype=bool))
    if items.tiers == 2:
        items.need[0] = int(((start >= 0) & (items.rank == 0)).sum())
    before = _check_packing(items, kind, cap, start)
    where = eject(items, kind, cap, start, len(pods), time.perf_counter() + 0.05, seed)
    assert _check_packing(items, kind, cap, where) >= before


