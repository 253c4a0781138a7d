"""podpack inputs: Kubernetes quantities, effective requests, kubectl and
Alibaba readers, the objective encoding, the generator and the validator."""

import json
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from schedcert.errors import InputError
from schedcert.instances.podpack import (PodpackSolution, evaluate, generate, gpu_fragmentation, lex_counts,
                                         lex_upper_bound, lex_value, placeable_all, read, shortfall, tier_sizes)
from schedcert.instances.podpack_formats import effective_requests, parse_quantity, quantity_int
from podpack_helpers import fragmentation, node, pod, snapshot

VALID = [
    ("cpu", "500m", 500), ("cpu", "1.5", 1500), ("cpu", "2", 2000), ("cpu", 2, 2000), ("cpu", 0.25, 250),
    ("cpu", "100n", 1),  # 0.0001 millicores rounds up
    ("cpu", "1e-3", 1), ("memory", "1Gi", 2 ** 30), ("memory", "129e6", 129_000_000),
    ("memory", "129E6", 129_000_000), ("memory", "123Mi", 123 * 2 ** 20), ("memory", "128974848", 128974848),
    ("memory", "1k", 1000), ("memory", "1M", 10 ** 6), ("memory", "1E", 10 ** 18), ("memory", "0.1", 1),
    ("memory", "1.5Gi", 3 * 2 ** 29), ("memory", ".5Ki", 512), ("memory", "+1Ki", 1024),
    ("nvidia.com/gpu", "2", 2), ("pods", "110", 110),
]
INVALID = ["1K", "1gi", "1GI", "abc", "", "1.2.3", "1 Gi", "Mi", "1Gib", "1e", "--1", "1e400", "9223372036854775808"]


@pytest.mark.parametrize("resource,text,want", VALID)
def test_quantity_valid(resource, text, want):
    assert quantity_int(resource, text, "x") == want


@pytest.mark.parametrize("text", INVALID)
def test_quantity_invalid(text):
    with pytest.raises(InputError, match="pod web requests.memory"):
        quantity_int("memory", text, "pod web requests.memory")


def test_negative_request_rejected():
    with pytest.raises(InputError, match=">= 0"):
        quantity_int("cpu", "-1", "pod x")


@given(st.integers(0, 10 ** 6), st.sampled_from([("Ki", 2 ** 10), ("Mi", 2 ** 20), ("Gi", 2 ** 30), ("m", Fraction(1, 1000)),
                                                  ("k", 1000), ("G", 10 ** 9), ("", 1)]))
def test_quantity_suffix_property(n, suffix):
    s, mult = suffix
    assert parse_quantity(f"{n}{s}") == n * mult


def test_effective_requests_sidecar_rule():
    spec = {"containers": [{"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
                           {"resources": {"requests": {"cpu": "200m"}}}],
            "initContainers": [{"restartPolicy": "Always", "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}}},
                               {"resources": {"requests": {"cpu": "500m", "memory": "16Mi"}}}],
            "overhead": {"cpu": "10m"}}
    # cpu: max(100+200+50, 500+50) + 10 = 560; memory: max(64+32, 16+32) Mi = 96 Mi
    assert effective_requests(spec, "pod p") == {"cpu": 560, "memory": 96 * 2 ** 20}
    # a plain init container before the sidecar does not see it
    spec["initContainers"].reverse()
    assert effective_requests(spec, "pod p")["cpu"] == 500 + 10


def test_effective_requests_limits_and_pod_level_resources():
    """A limit without a request is the request (API defaulting); pod-level
    requests (KEP-2837) replace the containers' before the overhead; a
    pod-level limit is the request only where no container requests the
    resource. Before, limits were ignored: a pod with limits only counted 0."""
    only_limits = {"containers": [{"resources": {"limits": {"cpu": "2", "memory": "1Gi"}}},
                                  {"resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}}],
                   "initContainers": [{"resources": {"limits": {"cpu": "3"}}}]}
    # cpu: max(2000 + 500, 3000) = 3000 (the init container's limit is its request too)
    assert effective_requests(only_limits, "pod p") == {"cpu": 3000, "memory": 2 ** 30}
    pod_level = {"containers": [{"resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}},
                                {"resources": {"requests": {"cpu": "200m"}}}],
                 "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi", "ephemeral-storage": "1Gi"}},
                 "overhead": {"cpu": "10m", "memory": "1Mi"}}
    # cpu: the pod-level request 1000 replaces 300, + 10 overhead; memory: containers request it, so
    # the pod-level limit does not default the request: 64 Mi + 1 Mi; ephemeral-storage is no pod-level resource
    assert effective_requests(pod_level, "pod p") == {"cpu": 1010, "memory": 65 * 2 ** 20}
    no_container_requests = {"containers": [{"name": "a"}, {"name": "b"}],
                             "resources": {"limits": {"cpu": "4", "memory": "8Gi"}}}
    assert effective_requests(no_container_requests, "pod p") == {"cpu": 4000, "memory": 8 * 2 ** 30}
    with pytest.raises(InputError, match=r"pod p.spec.containers\[0\].resources.limits.cpu"):
        effective_requests({"containers": [{"resources": {"limits": {"cpu": "two"}}}]}, "pod p")
    with pytest.raises(InputError, match=r"pod p.spec.resources: expected a mapping"):
        effective_requests({"containers": [], "resources": "4"}, "pod p")


def test_nonzero_requests_per_container_and_compact_round_trip(tmp_path):
    """What the scheduler's scoring counts: 100m / 200 MiB for each
    container lacking a cpu / memory request (an explicit 0 stays 0), then
    pod-level requests and overhead as for the requests themselves."""
    from schedcert.instances.podpack import read_compact, to_compact, write
    from schedcert.instances.podpack_formats import nonzero_requests

    spec = {"containers": [{"name": "a"}, {"name": "b", "resources": {"requests": {"cpu": "0"}}},
                           {"name": "c", "resources": {"limits": {"memory": "1Gi"}}}],
            "overhead": {"cpu": "5m"}}
    assert effective_requests(spec, "pod p") == {"cpu": 5, "memory": 2 ** 30}
    assert nonzero_requests(spec, "pod p") == {"cpu": 100 + 0 + 100 + 5, "memory": 2 * 200 * 2 ** 20 + 2 ** 30}
    pod_level = {"containers": [{"name": "a"}, {"name": "b"}], "resources": {"requests": {"cpu": "2"}}}
    assert nonzero_requests(pod_level, "pod p") == {"cpu": 2000, "memory": 400 * 2 ** 20}
    inst = snapshot([node("n1", 4000)], [dict(name="six", requests={}, created="0",
                                              nonzero_requests={"cpu": 600, "memory": 1200 * 2 ** 20}),
                                         dict(name="one", requests={}, created="1",
                                              nonzero_requests={"cpu": 100, "memory": 200 * 2 ** 20})])
    doc = to_compact(inst)
    assert "nonzeroRequests" in doc["pods"][0] and "nonzeroRequests" not in doc["pods"][1]  # one: the default
    write(inst, tmp_path / "c.yaml")
    back = read_compact(tmp_path / "c.yaml")
    assert [p.scored_requests() for p in back.pods] == [(600, 1200 * 2 ** 20), (100, 200 * 2 ** 20)]
    (tmp_path / "bad.yaml").write_text((tmp_path / "c.yaml").read_text().replace("memory: '1258291200'", "x: '1'"))
    with pytest.raises(InputError, match="pod six nonzeroRequests: expected cpu and memory"):
        read_compact(tmp_path / "bad.yaml")


def _kubectl(tmp_path, pods_extra=None):
    nodes = {"apiVersion": "v1", "kind": "List", "items": [
        {"kind": "Node", "metadata": {"name": "n1", "labels": {"zone": "a"}},
         "spec": {"taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]},
         "status": {"allocatable": {"cpu": "3900m", "memory": "15Gi", "pods": "110", "nvidia.com/gpu": "1"}}},
        {"kind": "Node", "metadata": {"name": "n2"}, "spec": {"unschedulable": True},
         "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}}}]}
    pods = {"kind": "List", "items": [
        {"kind": "PriorityClass", "metadata": {"name": "high"}, "value": 1000},
        {"kind": "Pod", "metadata": {"name": "web-1", "namespace": "prod",
                                     "ownerReferences": [{"kind": "ReplicaSet", "controller": True}]},
         "spec": {"nodeName": "n1", "priorityClassName": "high",
                  "containers": [{"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]},
         "status": {"phase": "Running"}},
        {"kind": "Pod", "metadata": {"name": "done"}, "spec": {"containers": []}, "status": {"phase": "Succeeded"}},
        {"kind": "Pod", "metadata": {"name": "bare"}, "spec": {"containers": [], "nodeName": "n2"},
         "status": {"phase": "Running"}},
        {"kind": "Pod", "metadata": {"name": "job"},
         "spec": {"priority": 7, "preemptionPolicy": "Never", "nodeSelector": {"zone": "a"},
                  "tolerations": [{"key": "gpu", "operator": "Exists"}],
                  "containers": [{"resources": {"requests": {"cpu": "1", "nvidia.com/gpu": "1"}}}]},
         "status": {"phase": "Pending"}},
    ] + (pods_extra or [])}
    (tmp_path / "nodes.json").write_text(json.dumps(nodes))
    (tmp_path / "pods.json").write_text(json.dumps(pods))
    return tmp_path / "nodes.json", tmp_path / "pods.json"


def test_kubectl_reader(tmp_path):
    n, p = _kubectl(tmp_path)
    inst = read(n, pods=p)
    assert [x.name for x in inst.nodes] == ["n1", "n2"]
    assert inst.nodes[0].allocatable == {"cpu": 3900, "memory": 15 * 2 ** 30, "pods": 110, "nvidia.com/gpu": 1}
    assert inst.nodes[1].unschedulable and inst.nodes[0].taints == (("gpu", "yes", "NoSchedule"),)
    by = {x.name: x for x in inst.pods}
    assert set(by) == {"prod/web-1", "default/bare", "default/job"}  # Succeeded holds nothing
    assert by["prod/web-1"].priority == 1000 and by["prod/web-1"].node == "n1" and by["prod/web-1"].movable
    assert not by["default/bare"].movable  # no controller: protected
    assert by["default/job"].preemption_policy == "Never" and by["default/job"].requests == {"cpu": 1000, "nvidia.com/gpu": 1}
    assert inst.resources == ("cpu", "memory", "pods", "nvidia.com/gpu")


def test_kubectl_owner_identity_for_spreading(tmp_path):
    """Pods of one ReplicaSet (its uid) are siblings for PodTopologySpread's
    system defaults; a Job's pod, one without an owner and one with its own
    topologySpreadConstraints have none."""
    def owned(name, kind, uid):
        return {"kind": "Pod", "metadata": {"name": name, "ownerReferences": [
            {"kind": kind, "name": "o", "uid": uid, "controller": True}]}, "spec": {"containers": []}}

    own = owned("d", "ReplicaSet", "u1")
    own["spec"]["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "zone",
                                                 "whenUnsatisfiable": "ScheduleAnyway"}]
    n, p = _kubectl(tmp_path, [owned("a", "ReplicaSet", "u1"), owned("b", "ReplicaSet", "u1"),
                               owned("c", "Job", "u2"), own])
    by = {x.name: x.owner_uid for x in read(n, pods=p).pods}
    assert by["default/a"] == by["default/b"] == "default/ReplicaSet/u1"
    assert by["default/c"] is None and by["default/job"] is None
    assert by["default/d"] is None  # its own constraints replace the system defaults (not modelled)
    from schedcert.instances.podpack import read_compact, write

    write(read(n, pods=p), tmp_path / "c.yaml")  # the compact format keeps it
    assert {x.name: x.owner_uid for x in read_compact(tmp_path / "c.yaml").pods} == by


def test_kubectl_errors_name_object_and_field(tmp_path):
    n, p = _kubectl(tmp_path, [{"kind": "Pod", "metadata": {"name": "bad"},
                                "spec": {"containers": [{"resources": {"requests": {"memory": "1gb"}}}]}}])
    with pytest.raises(InputError, match=r"pod default/bad\.spec\.containers\[0\]\.resources\.requests\.memory"):
        read(n, pods=p)
    n, p = _kubectl(tmp_path, [{"kind": "Pod", "metadata": {"name": "x"}, "spec": {"priorityClassName": "nope"}}])
    with pytest.raises(InputError, match="unknown priorityClassName 'nope'"):
        read(n, pods=p)


def test_malformed_entries_name_file_and_entry(tmp_path):
    """A word for a priority, a string where a mapping belongs, 'items' that
    is not a list: one line naming the file and the node or pod (these were
    ValueError/AttributeError tracebacks)."""
    n, p = _kubectl(tmp_path, [{"kind": "Pod", "metadata": {"name": "hi"}, "spec": {"priority": "high"}}])
    with pytest.raises(InputError, match=r"pods.json: pod default/hi: spec.priority must be an integer, got 'high'"):
        read(n, pods=p)
    n, p = _kubectl(tmp_path, [{"kind": "Pod", "metadata": {"name": "t"}, "spec": {"tolerations": ["gpu"]}}])
    with pytest.raises(InputError, match=r"pods.json: pod t: malformed \(AttributeError: .*\); expected the object"):
        read(n, pods=p)
    (tmp_path / "items.json").write_text('{"kind": "List", "items": "x"}')
    with pytest.raises(InputError, match=r"items.json: expected 'items' to be a list"):
        read(tmp_path / "items.json")
    compact = tmp_path / "c.yaml"
    for text, message in [
        ("nodes: [{name: a, allocatable: {cpu: 1}}]\npods: [{name: p, priority: high}]",
         r"c.yaml: pod p: priority must be an integer \(a PriorityClass value\), got 'high'"),
        ("nodes: [{name: a, allocatable: {cpu: 1}, taints: [dedicated]}]",
         r"c.yaml: node a: malformed \(AttributeError: .*\); expected labels a mapping and taints a list"),
        ("nodes: [{name: a, allocatable: {cpu: 1x}}]", r"c.yaml: node a allocatable.cpu: unknown quantity suffix"),
    ]:
        compact.write_text(text)
        with pytest.raises(InputError, match=message):
            read(compact)


def test_fields_the_filters_read_are_checked(tmp_path):
    """Values the Kubernetes API refuses (a list as a nodeSelector value, a
    mapping as a toleration operator, an unknown taint effect or preemption
    policy) are input errors; the first two passed the kubectl reader and
    crashed the scheduler (TypeError: unhashable type)."""
    job = {"kind": "Pod", "metadata": {"name": "j"}, "spec": {"containers": []}}
    for spec, message in [
        ({"nodeSelector": {"zone": ["a"]}}, r"pod default/j: nodeSelector: keys and values must be strings"),
        ({"tolerations": [{"key": "gpu", "operator": {"a": 1}}]}, r"pod default/j: toleration .*an operator in Equal"),
        ({"preemptionPolicy": "Sometimes"}, r"pod default/j: preemptionPolicy 'Sometimes': expected"),
        ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "Is", "values": ["a"]}]}]}}}},
         r"pod default/j: node affinity expression .*an operator in In, NotIn"),
    ]:
        n, p = _kubectl(tmp_path, [{**job, "spec": {**job["spec"], **spec}}])
        with pytest.raises(InputError, match=r"pods.json: " + message):
            read(n, pods=p)
    _refused(tmp_path, "nodes: [{name: a, allocatable: {cpu: 1}, taints: [{key: k, value: v, effect: NoRun}]}]",
             r"c.yaml: node a: taint .*an effect in NoSchedule, PreferNoSchedule")
    _refused(tmp_path, "nodes: [{name: a, allocatable: {cpu: 1}, labels: {zone: 1}}]\n"
             "pods: [{name: p, nodeSelector: {zone: [1, 2]}}]",  # was the label "[1, 2]"
             r"c.yaml: pod p: nodeSelector: keys and values must be strings, got 'zone'")
    compact = tmp_path / "c.yaml"
    compact.write_text("nodes: [{name: a, allocatable: {cpu: 1}, labels: {zone: 1}}]\n"
                       "pods: [{name: p, nodeSelector: {zone: 1}}]\n")
    assert read(compact).pods[0].node_selector == read(compact).nodes[0].labels == {"zone": "1"}


def test_bound_pods_must_fit_their_node(tmp_path):
    """A snapshot whose running pods exceed their node's allocatable is one
    the kubelet never admits; it made the default scheduler's placement
    fail validation (a ValidationError traceback, 'a bug in schedcert')."""
    _refused(tmp_path, "nodes: [{name: a, allocatable: {cpu: 1}}, {name: b, allocatable: {cpu: 2}}]\n"
             "pods: [{name: x, requests: {cpu: 2}, node: a}, {name: y, requests: {cpu: 1}}]",
             r"c.yaml: node a: the pods bound to it request 2000 cpu > allocatable 1000")
    _refused(tmp_path, "nodes: [{name: a, allocatable: {cpu: 1, pods: 1}}]\n"
             "pods: [{name: x, node: a, protected: true}, {name: y, node: a}]",
             r"node a: 2 pods are bound to it > allocatable pods 1")


def _refused(tmp_path, text: str, message: str) -> None:
    """The compact document `text` is an InputError matching `message`."""
    (tmp_path / "c.yaml").write_text(text + "\n")
    with pytest.raises(InputError, match=message):
        read(tmp_path / "c.yaml")


def test_replicas_beyond_a_million_pods_are_refused(tmp_path):
    compact = tmp_path / "c.yaml"  # expanding them filled the memory until the process was killed
    compact.write_text("nodes: [{name: a, allocatable: {cpu: 4}}]\npods: [{name: x, replicas: 4611686018427387904}]\n")
    with pytest.raises(InputError, match=r"c.yaml: pod x: replicas 4611686018427387904 make more than 1,000,000 pods"):
        read(compact)


def test_pod_slots_default_to_the_kubelets_110(tmp_path):
    """A node whose allocatable names no 'pods' held no pod at all (solve
    said: optimal, 0 placed); the kubelet's default --max-pods is 110."""
    compact = tmp_path / "c.yaml"
    compact.write_text("nodes: [{name: a, allocatable: {cpu: 4}}, {name: b, allocatable: {cpu: 4, pods: 0}}]\n"
                       "pods: [{name: x, requests: {cpu: 1}}]\n")
    inst = read(compact)
    assert [nd.allocatable["pods"] for nd in inst.nodes] == [110, 0]
    from schedcert.heuristics.podpack import default_scheduler
    from schedcert.result import Options
    assert default_scheduler(inst, Options()).solution.assignment == ("a",)
    n, p = _kubectl(tmp_path)
    doc = json.loads(n.read_text())
    del doc["items"][0]["status"]["allocatable"]["pods"]
    n.write_text(json.dumps(doc))
    assert read(n, pods=p).nodes[0].allocatable["pods"] == 110


def test_misspelt_keys_in_the_compact_format_are_named(tmp_path):
    """'toleration' (for 'tolerations') or a taint's 'efect' changed where a
    pod may go without a word; 'limits' (kubectl's habit) was ignored."""
    compact = tmp_path / "c.yaml"
    node = "{name: a, allocatable: {cpu: 1}, taints: [{key: gpu, value: x, effect: NoSchedule}]}"
    for text, message in [
        (f"nodes: [{node}]\npods: [{{name: p, toleration: [{{key: gpu}}]}}]",
         r"c.yaml: pod p: unknown key 'toleration' \(did you mean 'tolerations'\?\)"),
        (f"nodes: [{node}]\npods: [{{name: p, tolerations: [{{key: gpu, efect: NoSchedule}}]}}]",
         r"c.yaml: pod p tolerations: unknown key 'efect' \(did you mean 'effect'\?\)"),
        ("nodes: [{name: a, allocatable: {cpu: 1}, taints: [{key: gpu, efect: NoExecute}]}]",
         r"c.yaml: node a taints: unknown key 'efect'"),
        (f"nodes: [{node}]\npods: [{{name: p, limits: {{cpu: 1}}}}]", r"c.yaml: pod p: unknown key 'limits'; expected"),
        (f"nodes: [{node}]\npod: []", r"c.yaml: document: unknown key 'pod' \(did you mean 'pods'"),
    ]:
        compact.write_text(text)
        with pytest.raises(InputError, match=message):
            read(compact)
    compact.write_text(f"nodes: [{node}]\npods: [{{name: p, tolerations: [{{key: gpu, operator: Exists}}]}}]")
    assert read(compact).pods[0].tolerations == (("gpu", "Exists", "", ""),)


def test_lex_encoding_roundtrip_and_order():
    sizes = [3, 5, 2]
    vals = [lex_value(c, sizes) for c in [(0, 5, 2), (1, 0, 0), (1, 0, 1), (3, 5, 2)]]
    assert vals == sorted(vals) and len(set(vals)) == 4
    assert lex_counts(vals[2], sizes) == [1, 0, 1]


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=2))
def test_lex_order_property(pairs):
    sizes = [6, 6]
    (a0, a1), (b0, b1) = pairs
    assert ((a0, a1) < (b0, b1)) == (lex_value((a0, a1), sizes) < lex_value((b0, b1), sizes))


def test_validator_catches_each_violation():
    inst = snapshot([node("n1", 4000, labels={"zone": "a"}, taints=(("gpu", "", "NoSchedule"),)),
                     node("n2", 3500)],
                    [pod("a", 3000, 1, "n2", movable=False), pod("b", 1000, 1, node_selector={"zone": "b"}),
                     pod("c", 1000, 1)])
    def viol(assign):
        return evaluate(inst, PodpackSolution(assign)).violations
    assert viol(("n2", None, None)) == []
    assert any("protected pod a moved" in v for v in viol(("n1", None, None)))
    assert any("untolerated taint gpu=:NoSchedule" in v for v in viol(("n2", None, "n1")))
    assert any("nodeSelector zone=b" in v for v in viol(("n2", "n2", None)))
    assert any("node n2: cpu requested 4000 > allocatable 3500 (over by 500)" in v for v in viol(("n2", None, "n2")))
    kinds = {v.split(":", 1)[0] for sol in (("n1", None, None), ("n2", None, "n1"), ("n2", None, "n2"),
                                            ("n9", None, None), ("n2",)) for v in viol(sol)}
    assert kinds == {"protected", "filter", "capacity", "unknown", "length"}  # typed, as validate counts them
    assert any("unknown node 'n9'" in v for v in viol(("n2", None, "n9")))
    assert "entries" in viol(("n2",))[0]


def test_objective_counts_tiers():
    inst = fragmentation()
    ev = evaluate(inst, PodpackSolution(("n1", "n2", None)))
    assert ev.feasible and ev.objective == 2 and tier_sizes(inst) == [3]
    # 2 + 2 + 4 cores requested, 8 allocatable in all: the cheap bound cannot exclude 3
    assert lex_upper_bound(inst, [2]) == 3
    tight = snapshot([node("n1", 4000), node("n2", 4000)],
                     [pod("x", 3000, 9), pod("y", 3000, 9), pod("z", 3000, 9), pod("w", 100, 1)])
    # at most 2 of the three 3-core pods fit in 8 cores; tier 1 is then bounded by 8000 - 6000 >= 100: 1
    assert lex_upper_bound(tight, [2, 0]) == lex_value([2, 1], [3, 1])
    assert lex_upper_bound(tight, [1, 0]) == lex_value([2, 1], [3, 1])


def test_gpu_fragmentation_and_placeable_nodes_follow_each_pods_filters():
    gpu = "nvidia.com/gpu"
    nodes = [dict(name=f"g{m}", allocatable={"cpu": 4000, "memory": 2 ** 30, "pods": 110, gpu: 1},
                  labels={"model": m}) for m in "AB"]
    def gpu_pod(name, model, n=1):
        return dict(name=name, requests={"cpu": 1000, gpu: n}, node_selector={"model": model}, created=name)
    # pa and pb have the same requests but different selectors: pa fits g1 only, pb g2 only
    inst = snapshot(nodes, [gpu_pod("pa", "A"), gpu_pod("pb2", "B", 2)])
    assert gpu_fragmentation(inst, PodpackSolution((None, None))) == {"gpu_free": 2, "gpu_stranded": 1}
    inst = snapshot(nodes, [gpu_pod("pa", "A"), gpu_pod("pb2", "B", 2), gpu_pod("pb", "B")])
    assert gpu_fragmentation(inst, PodpackSolution((None, None, None))) == {"gpu_free": 2, "gpu_stranded": 0}
    assert placeable_all(inst) == [(0,), (), (1,)]


def test_generator_deterministic_and_sized():
    a, b = generate(seed=3, nodes=8, pods_per_node=4, priorities=2, utilisation=0.95), \
        generate(seed=3, nodes=8, pods_per_node=4, priorities=2, utilisation=0.95)
    assert a == b and len(a.pods) == 32 and a.arrival
    cpu = sum(p.requests["cpu"] for p in a.pods)
    cap = sum(n.allocatable["cpu"] for n in a.nodes)
    assert cpu / cap >= 0.95 and cpu / (cap + 8) < 0.95
    assert {p.priority for p in a.pods} <= {1, 2}
    assert a != generate(seed=4, nodes=8, pods_per_node=4, priorities=2, utilisation=0.95)


def test_compact_roundtrip(tmp_path):
    inst = generate(seed=1, nodes=4, pods_per_node=4, priorities=3)
    from schedcert.instances.podpack import write
    for suffix in (".yaml", ".json"):
        write(inst, tmp_path / f"g{suffix}")
        back = read(tmp_path / f"g{suffix}")
        assert back.nodes == inst.nodes and back.pods == inst.pods and back.arrival


def test_alibaba_pod_list_without_qos_spec_or_times(tmp_path):
    # the trace's sampled lists (multigpu*) have only these five columns
    (tmp_path / "nodes.csv").write_text("sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,8,V100M32\n")
    (tmp_path / "pods.csv").write_text("name,cpu_milli,memory_mib,num_gpu,gpu_milli\n"
                                       "p-b,8000,1024,2,1000\np-a,4000,2048,0,0\n")
    inst = read(tmp_path / "nodes.csv", pods=tmp_path / "pods.csv")
    assert [p.name for p in inst.pods] == ["p-b", "p-a"]  # file order
    assert [p.priority for p in inst.pods] == [0, 0] and all(not p.affinity for p in inst.pods)
    assert inst.pods[0].requests == {"cpu": 8000, "memory": 1024 * 2 ** 20, "nvidia.com/gpu": 2}
    with pytest.raises(InputError, match="nodes.csv: an Alibaba node list holds no pods: give the pod list"):
        read(tmp_path / "nodes.csv")
    (tmp_path / "bad.csv").write_text("name,cpu_milli,num_gpu\np,1,0\n")
    with pytest.raises(InputError, match="bad.csv:1: missing column.*memory_mib"):
        read(tmp_path / "nodes.csv", pods=tmp_path / "bad.csv")


def test_quantities_whose_sums_overflow_64_bits_are_refused(tmp_path):
    """Each below 2^63, together past it: the scheduler's used + request
    wrapped around, pods of 6 + 6 EiB went onto a 7 EiB node and the
    validator refused the placement (a ValidationError traceback); a
    20-digit cpu_milli in an Alibaba list was an OverflowError."""
    _refused(tmp_path, "nodes: [{name: n, allocatable: {cpu: 4, memory: 7Ei}}]\n"
             "pods: [{name: a, requests: {memory: 6Ei}}, {name: b, requests: {memory: 6Ei}}]",
             r"c.yaml: memory: requests and allocatables add up to 2.19e\+19, past the 2\^62")
    (tmp_path / "nodes.csv").write_text("sn,cpu_milli,memory_mib,gpu,model\nn0,18446744073709551617,1024,0,\n")
    (tmp_path / "pods.csv").write_text("name,cpu_milli,memory_mib,num_gpu\np,1000,1024,0\n")
    with pytest.raises(InputError, match=r"nodes.csv:2: column cpu_milli: 1.84e\+19 is too large"):
        read(tmp_path / "nodes.csv", pods=tmp_path / "pods.csv")


def test_no_nodes_is_an_input_error(tmp_path):
    # both used to pass the reader and crash the scheduler (IndexError on an empty node array)
    (tmp_path / "e.yaml").write_text("nodes: []\npods:\n  - {name: a, requests: {cpu: 1}}\n")
    (tmp_path / "nodes.csv").write_text("sn,cpu_milli,memory_mib,gpu,model\n")
    (tmp_path / "pods.csv").write_text("name,cpu_milli,memory_mib,num_gpu\np,1000,1024,0\n")
    for args in (("e.yaml",), ("nodes.csv", "pods.csv")):
        with pytest.raises(InputError, match=rf"{args[0]}: no nodes: expected at least one node"):
            read(tmp_path / args[0], pods=tmp_path / args[1] if len(args) > 1 else None)


def test_alibaba_reader(instances_dir):
    d = instances_dir / "k8s" / "alibaba-openb"
    if not (d / "openb_node_list_all_node.csv").is_file():
        pytest.skip(f"Alibaba openb trace not found under {d}")
    inst = read(d / "openb_node_list_all_node.csv", pods=d / "openb_pod_list_default.csv", max_pods=100)
    assert len(inst.nodes) == 1523 and len(inst.pods) == 100
    assert inst.nodes[0].allocatable == {"cpu": 32000, "memory": 262144 * 2 ** 20, "pods": 110}
    first = inst.pods[0]  # openb-pod-0000: 12000 mcpu, 16384 MiB, 1 GPU, LS
    assert first.name == "openb-pod-0000" and first.requests == {"cpu": 12000, "memory": 16384 * 2 ** 20,
                                                                 "nvidia.com/gpu": 1}
    assert first.priority == 2000 and inst.arrival
    assert sum(n.allocatable.get("nvidia.com/gpu", 0) for n in inst.nodes) == 6212
    multi = read(d / "openb_node_list_all_node.csv", pods=d / "openb_pod_list_multigpu50.csv")
    assert len(multi.pods) == 9061 and {p.priority for p in multi.pods} == {0}


def test_shortfall_names_the_first_tier_below_the_bound():
    """On the whole Alibaba list the default scheduler leaves 1161 BE pods
    unplaced, a scalar gap of 0.00 %: the shortfall states it in pods."""
    inst = snapshot([node("a", 4000)], [pod(f"h{k}", 1000, prio=10) for k in range(3)]
                    + [pod(f"l{k}", 1000, prio=0) for k in range(5)])
    sizes = tier_sizes(inst)
    assert sizes == [3, 5]
    assert shortfall(inst, lex_value([3, 1], sizes), lex_value([3, 1], sizes)) is None
    assert shortfall(inst, lex_value([3, 1], sizes), lex_value([3, 4], sizes)) == \
        "priority 0: 1 of 5 placed, at most 4 (75.00 % short)"  # the last tier: nothing below it
    assert shortfall(inst, lex_value([2, 5], sizes), lex_value([3, 5], sizes)) == \
        "priority 10: 2 of 3 placed, at most 3 (33.33 % short); the tiers below are not bounded"
    assert shortfall(inst, None, 7) is None
