"""The default kube-scheduler simulation: scoring arithmetic, hand-built
placements, preemption."""

from schedcert.heuristics.podpack import (balanced_allocation, broken_linear, least_allocated, most_allocated,
                                          resource_mean, simulate)
from schedcert.registry import run_method
from schedcert.result import Options
from podpack_helpers import fragmentation, node, pod, snapshot


def test_score_arithmetic():
    # (4000 - 3000) * 100 // 4000 = 25; integer division truncates 2/3 -> 66
    assert least_allocated(3000, 4000) == 25 and least_allocated(1000, 3000) == 66
    assert least_allocated(5000, 4000) == 0 and least_allocated(1, 0) == 0
    # a request above allocatable (non-zero defaults) counts as full, as mostRequestedScore clamps it
    assert most_allocated(3000, 4000) == 75 and most_allocated(5000, 4000) == 100 and most_allocated(1, 0) == 0
    # cpu 3/4, memory 1/2: std = 0.125 -> int(87.5) = 87; fractions cap at 1
    assert balanced_allocation(3000, 4000, 5000, 10000) == 87
    assert balanced_allocation(8000, 4000, 10000, 10000) == 100
    # default bin-packing shape 0->0, 100->10 (x10): 55 % -> 55; a falling shape
    assert broken_linear(((0, 0), (100, 10)), 55) == 55
    assert broken_linear(((0, 10), (50, 0), (100, 10)), 25) == 50


def test_resource_mean_leaves_out_what_the_plugins_leave_out():
    """leastResourceScorer / mostResourceScorer skip a resource with
    allocatable 0; requestedToCapacityRatio also one scoring 0, and
    rounds (kubernetes pkg/scheduler/framework/plugins/noderesources)."""
    assert list(resource_mean([[40, 40, 0], [51, 0, 0]], [[1, 1, 0], [1, 0, 0]])) == [45, 40, 0]
    assert list(resource_mean([[50, 50, 3], [0, 1, 0]], [[1, 1, 1], [1, 1, 0]], positive_only=True,
                              rounded=True)) == [50, 26, 3]


def _placed(nodes, pods, strategy="LeastAllocated"):
    return dict(zip((p["name"] for p in pods), simulate(snapshot(nodes, pods), strategy)[0].assignment))


def test_scores_follow_the_plugins_on_edge_cases():
    """Three cases where the simulation scored differently from the
    kube-scheduler: MostAllocated gave 0, not 100, to a node whose non-zero
    requests exceed allocatable; RequestedToCapacityRatio halved a score
    whose other resource scores 0; BalancedAllocation scored a best-effort
    pod (skipped since kubernetes#130260)."""
    mi = 2 ** 20
    # 12 pods without a cpu request count 1200m on a 1000m node: full, so MostAllocated packs there
    idle = [pod(f"i{k}", 0, at="a") for k in range(12)]
    got = _placed([node("a", 1000), node("b", 1000)], idle + [pod("new", 100)], "MostAllocated")
    assert got["new"] == "a"
    # 100 Mi on 100 Gi is utilisation 0: only cpu counts on a (50), b scores round((50 + 1) / 2) = 26
    got = _placed([node("a", 1000, mem=100 * 1024 * mi), node("b", 1000, mem=5 * 1024 * mi)],
                  [pod("new", 500, mem=100 * mi)], "RequestedToCapacityRatio")
    assert got["new"] == "a"
    # a best-effort pod goes by LeastAllocated alone (b: 49 against a: 46; BalancedAllocation preferred a)
    got = _placed([node("a", 4000, mem=4096 * mi), node("b", 4000, mem=4096 * mi)],
                  [pod("x", 2000, at="a", mem=2048 * mi), pod("y", 1000, at="b", mem=2800 * mi),
                   pod("be", 0, mem=0)])
    assert got["be"] == "b"


def test_replicas_spread_by_the_system_default_topology_spread():
    """PodTopologySpread's system defaults (hostname maxSkew 3, weight 2)
    spread a ReplicaSet's pods: with two siblings on a, the third goes to
    b although a scores 491 against 489 without it (spread: a round(2 ln 4
    + 2) = 5 -> 100 (5 + 2 - 5) // 5 = 40, b 2 -> 100)."""
    hosts = [node(n, 4000, labels={"kubernetes.io/hostname": n}) for n in ("a", "b")]
    rs = dict(owner_uid="ns/ReplicaSet/u1")
    pods = [pod("r-0", 100, at="a", **rs), pod("r-1", 100, at="a", **rs), pod("x", 300, at="b"),
            pod("r-2", 100, **rs)]
    assert _placed(hosts, pods)["r-2"] == "b"
    assert _placed(hosts, [dict(p, owner_uid=None) for p in pods])["r-2"] == "a"  # no owner: no spreading
    assert _placed([node("a", 4000), node("b", 4000)], pods)["r-2"] == "b"  # every node has its hostname label
    # zones (maxSkew 5): z2 holds both siblings (on c), so a in z1 wins although b is emptier (196 against
    # 171): spread a 6 -> 100, b round(2 + 2 ln 4 + 4) = 9 -> 75, c 12 -> 50; by hostname alone a and b tie
    zoned = [node(n, 4000, labels={"kubernetes.io/hostname": n, "topology.kubernetes.io/zone": z})
             for n, z in (("a", "z1"), ("b", "z2"), ("c", "z2"))]
    pods = [pod("r-0", 100, at="c", **rs), pod("r-1", 100, at="c", **rs), pod("y", 1000, at="a"),
            pod("r-2", 100, **rs)]
    assert _placed(zoned, pods)["r-2"] == "a"
    assert _placed(hosts + [node("c", 4000, labels={"kubernetes.io/hostname": "c"})], pods)["r-2"] == "b"


def test_least_allocated_spreads_and_ties_go_to_first_name():
    inst = snapshot([node("b", 4000), node("a", 4000)], [pod("p1", 1000, created="1"), pod("p2", 1000, created="2")],
                    arrival=True)
    sol, _ = simulate(inst)
    assert sol.assignment == ("a", "b")  # tie on empty nodes -> "a"; then the emptier "b"


def test_most_allocated_packs():
    inst = snapshot([node("a", 4000), node("b", 4000)], [pod("p1", 1000, created="1"), pod("p2", 1000, created="2")],
                    arrival=True)
    sol, _ = simulate(inst, "MostAllocated")
    assert sol.assignment == ("a", "a")


def test_priority_queue_order_and_filters():
    inst = snapshot([node("a", 2000, labels={"disk": "ssd"}), node("b", 4000, taints=(("gpu", "", "NoSchedule"),))],
                    [pod("low", 2000, 1, created="1"), pod("high", 2000, 9, created="2", node_selector={"disk": "ssd"})])
    sol, st = simulate(inst)  # snapshot: both queued, high first -> takes a; low cannot tolerate b's taint
    assert sol.assignment == (None, "a") and st["preemptions"] == 0


def test_preemption_picks_node_and_minimal_victims():
    # a holds two priority-1 pods, b two priority-5 pods; the priority-10 pod
    # preempts on a (lowest highest-victim priority) and needs one victim: the
    # reprieve keeps the more important (earlier started) pod
    inst = snapshot([node("a", 2000), node("b", 2000)],
                    [pod("a-old", 1000, 1, "a", created="1"), pod("a-new", 1000, 1, "a", created="2"),
                     pod("b1", 1000, 5, "b", created="1"), pod("b2", 1000, 5, "b", created="2"),
                     pod("urgent", 1000, 10, created="3")])
    sol, st = simulate(inst)
    assert sol.assignment == ("a", None, "b", "b", "a")
    assert st["preemptions"] == 1 and st["victims"] == 1


def test_preemption_never_and_disabled():
    base = [pod("x", 2000, 1, "a", created="1")]
    never = snapshot([node("a", 2000)], base + [pod("y", 2000, 9, preemption_policy="Never")])
    assert simulate(never)[0].assignment == ("a", None)
    ok = snapshot([node("a", 2000)], base + [pod("y", 2000, 9)])
    assert simulate(ok)[0].assignment == (None, "a")
    assert simulate(ok, preemption=False)[0].assignment == ("a", None)


def test_default_method_reports_bound_and_validates():
    res = run_method("podpack", "default", fragmentation(), Options())
    assert res.objective == 2 and res.bound == 3 and res.evaluation.feasible  # c stays pending
    assert res.info["tiers"] == {"5": "2/3"}


def test_pods_like_a_failed_one_are_retried_after_the_cluster_changes():
    # w1 and w2 (priority 0) cannot be placed and cannot preempt: w2, like
    # w1, goes to the unschedulable pool without a search. u preempts x; the
    # pool is retried in the changed cluster: w1 now fits, w2 does not, and
    # the recreated x (2000m) finds no room and no lower-priority victim.
    inst = snapshot([node("a", 2000)],
                    [pod("x", 2000, 1, "a", created="0"), pod("w1", 1000, 0, created="1"),
                     pod("w2", 1000, 0, created="2"), pod("u", 1000, 5, created="3")], arrival=True)
    sol, st = simulate(inst)
    assert sol.assignment == (None, "a", None, "a")
    assert st["preemptions"] == 1 and st["attempts"] == 6


def test_simulation_stops_at_the_time_limit_with_a_feasible_placement():
    inst = snapshot([node("a", 4000)], [pod("r", 1000, 1, "a"), pod("p1", 1000), pod("p2", 1000)])
    res = run_method("podpack", "default", inst, Options(time_limit=0.0))
    assert res.info["stopped_at_time_limit"] and res.info["pods_queued"] == 2
    assert res.info["tiers"] == {"1": "1/1", "0": "0/2"} and res.evaluation.feasible  # the running pod stays
    assert "stopped at the time limit" in res.info["note"]
    full = run_method("podpack", "default", inst, Options(time_limit=60.0))
    assert "stopped_at_time_limit" not in full.info and full.info["tiers"]["0"] == "2/2"


def test_scoring_counts_the_default_request_per_container():
    """NodeResourcesFit scores with non-zero requests, applied per container
    (Kubernetes' NonMissingContainerRequests): a running pod of six
    containers without requests counts 600m cpu and 1200 MiB, not the
    100m / 200 MiB of one. Counted per pod, the pending pod went to n1."""
    six = dict(name="batch", requests={}, node="n1", created="0", owner="ReplicaSet",
               nonzero_requests={"cpu": 600, "memory": 6 * 200 * 2 ** 20})
    one = pod("web", 200, at="n2", mem=0, created="1")
    inst = snapshot([node("n1", 1000), node("n2", 1000)], [six, one, pod("new", 100, mem=0, created="2")])
    sol, _ = simulate(inst)
    assert sol.assignment[2] == "n2"
    per_pod = snapshot([node("n1", 1000), node("n2", 1000)], [dict(six, nonzero_requests={}), one,
                                                              pod("new", 100, mem=0, created="2")])
    assert simulate(per_pod)[0].assignment[2] == "n1"
