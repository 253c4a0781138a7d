"""podpack through the CLI: the example, certify, the plan, validate,
kubectl files, generate, bench, bad input."""

import json

import yaml

from test_instances_podpack import _kubectl


def test_example_solve_certify_and_plan(run, tmp_path):
    plan = tmp_path / "plan.yaml"
    doc = json.loads(run("solve", "podpack", "--example", "--json", "--plan", plan).output)
    assert doc["status"] == "optimal" and doc["objective"] == doc["bound"] == 518
    assert doc["solution"]["tiers"] == {"2000": "4/4", "1000": "4/5", "500": "4/5", "100": "2/2"}
    # train-1 needs 4 cores, the GPU node has 3.9 left: its free GPU is stranded
    assert doc["solution"]["gpu_free"] == doc["solution"]["gpu_stranded"] == 1
    docs = [d for d in yaml.safe_load_all(plan.read_text()) if d]
    assert {d["kind"] for d in docs} == {"Binding"} and "not executed" in plan.read_text()
    bound = {d["metadata"]["name"]: d["target"]["name"] for d in docs}
    pending = {"api-2", "batch-0", "batch-1", "train-1", "report-0", "report-1"}
    placed = {k: v for k, v in doc["solution"]["assignment"].items() if k in pending and v}
    assert bound == placed  # the plan binds exactly the solution's new placements
    assert {"api-2", "report-0", "report-1"} <= set(bound) and len({"batch-0", "batch-1"} & set(bound)) == 1
    res = run("solve", "podpack", "--example", "--plan", tmp_path / "plan.json")
    assert res.exit_code == 2 and "plan.json: expected a file name ending in .yaml or .yml" in res.output
    out = " ".join(run("solve", "podpack", "--example", "-m", "default").output.split())
    assert "gap 4.66 % short of bound priority 1000: 4 of 5 placed, at most 5 (20.00 % short);" in out
    cert = json.loads(run("certify", "podpack", "--example", "-H", "default", "--json").output)
    assert cert["heuristic_objective"] == 515 and not cert["heuristic_optimal"] and cert["bound"] == 518
    assert cert["heuristic_shortfall"].startswith("priority 500: 3 of 5 placed, at most 4")
    out = run("certify", "podpack", "--example", "-H", "default").output
    assert "0.58 % below the optimum 518 (proven)" in out
    # the scalar is an encoding: the certificate also says where the pods are missing
    assert "short of bound  priority 500: 3 of 5 placed, at most 4 (25.00 % short);" in out


def test_validate_and_kubectl_two_files(run, tmp_path):
    n, p = _kubectl(tmp_path)
    out = tmp_path / "r.json"
    res = run("solve", "podpack", n, "--pods", p, "-o", out)
    assert res.exit_code == 0 and "optimal" in res.output
    assert run("validate", "podpack", n, out, "--pods", p).exit_code == 0
    doc = json.loads(out.read_text())
    doc["solution"]["assignment"]["default/job"] = "n2"  # unschedulable, no selector match
    out.write_text(json.dumps(doc))
    res = run("validate", "podpack", n, out, "--pods", p)
    assert res.exit_code == 1 and "node is unschedulable" in res.output


def test_constraints_the_reader_reads_past_are_named(run, tmp_path):
    """A pod's required anti-affinity, DoNotSchedule topology spread or
    host port was dropped without a word, and the placement validated as
    feasible although it may break them; solve, certify, validate and the
    plan now name them."""
    spread = {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}
    extra = [{"kind": "Pod", "metadata": {"name": "db-0", "ownerReferences": [{"kind": "StatefulSet",
                                                                               "controller": True}]},
              "spec": {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                  {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}},
                       "topologySpreadConstraints": [spread, dict(spread, whenUnsatisfiable="ScheduleAnyway")],
                       "containers": [{"ports": [{"containerPort": 80, "hostPort": 8080}],
                                       "resources": {"requests": {"cpu": "100m"}}}]},
              "status": {"phase": "Pending"}}]
    n, p = _kubectl(tmp_path, extra)
    note = ("1 pod(s) carry hard constraints schedcert does not read: required pod anti-affinity (default/db-0); "
            "topology spread (DoNotSchedule) (default/db-0); host ports (default/db-0). A placement that moves or "
            "binds them may break them, and the validator does not check them")
    out, plan = tmp_path / "r.json", tmp_path / "plan.yaml"
    res = run("solve", "podpack", n, "--pods", p, "-o", out, "--plan", plan)
    assert res.exit_code == 0 and note in " ".join(res.output.split()), res.output
    assert json.loads(out.read_text())["info"]["input_note"] == note
    assert f"# NOTE: {note}." in plan.read_text()
    res = run("validate", "podpack", n, out, "--pods", p)
    assert res.exit_code == 0 and res.output.splitlines()[-1] == f"input: {note}"
    res = run("certify", "podpack", n, "--pods", p)
    assert res.exit_code == 0 and note in " ".join(res.output.split())
    n, p = _kubectl(tmp_path)  # none of them: no note
    res = run("solve", "podpack", n, "--pods", p)
    assert res.exit_code == 0 and "input:" not in res.output


def test_generate_and_bench(run, tmp_path):
    res = run("generate", "podpack", "--nodes", 4, "--pods-per-node", 4, "--priorities", 2,
              "--utilisation", 1.05, "--seed", 0, "--count", 2, "-o", tmp_path / "g")
    assert res.exit_code == 0 and len(list((tmp_path / "g").glob("*.json"))) == 2
    res = run("bench", "podpack", tmp_path / "g", "--methods", "default,cpsat", "--time-limit", 5,
              "-o", tmp_path / "b")
    assert res.exit_code == 0
    recs = [json.loads(x) for x in (tmp_path / "b" / "runs.jsonl").read_text().splitlines()]
    assert len(recs) == 4 and all(r["valid"] for r in recs)
    summary = (tmp_path / "b" / "summary.md").read_text()
    table = summary.split("## Pod packing vs the default scheduler")[1]
    assert table.count("\n| all |") == 1  # without --group the total row is written once


def test_bad_input_exit_2(run, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("nodes:\n  - {name: a, allocatable: {cpu: 4K, memory: 1Gi}}\npods: []\n")
    res = run("solve", "podpack", f)
    assert res.exit_code == 2 and "node a allocatable.cpu" in res.output and "case-sensitive" in res.output
    res = run("solve", "podpack", tmp_path / "missing.yaml")
    assert res.exit_code == 2 and "no such file" in res.output
    res = run("solve", "rcpsp", "--example", "--pods", f)
    assert res.exit_code == 2 and "take no --pods" in res.output
    f.write_text("nodes:\n  - name: a\n    allocatable: {cpu: 4, memory: 1Gi}\n    allocatable: {cpu: 8}\npods: []\n")
    res = run("solve", "podpack", f)  # the second allocatable replaced the first unseen
    assert res.exit_code == 2 and "c.yaml:4: invalid YAML: key 'allocatable' given twice (first on line 3)" \
        in res.output


def test_plan_evicts_by_command_and_binds_by_document():
    """The plan put Eviction objects among its documents and called itself
    kubectl-applicable: an Eviction is a pod subresource (POST
    .../pods/NAME/eviction), and a Binding can only be created."""
    from podpack_helpers import node, pod, snapshot

    from schedcert.instances.podpack import PodpackSolution, plan_yaml

    inst = snapshot([node("n1", 4000), node("n2", 4000)],
                    [pod("prod/a", 2000, 5, "n1"), pod("b", 2000, 1, "n2"), pod("c", 4000, 5)])
    text = plan_yaml(inst, PodpackSolution(("n2", None, "n1")))  # a moves to n2, b is evicted, c binds to n1
    lines = text.splitlines()
    assert lines[0].endswith("-- not executed; review it first.")
    evict_a = ("#   echo '{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"a\","
               "\"namespace\":\"prod\"}}' | kubectl create --raw /api/v1/namespaces/prod/pods/a/eviction -f -"
               "   # moved")
    assert evict_a in lines and any(ln.endswith("/namespaces/default/pods/b/eviction -f -   # evicted") for ln in lines)
    assert "# Step 2: bind, with this file's documents: kubectl create -f FILE" in lines
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert [(d["kind"], d["metadata"]["name"], d["target"]["name"]) for d in docs] == [("Binding", "a", "n2"),
                                                                                      ("Binding", "c", "n1")]
    assert docs[0]["metadata"]["annotations"] == {"schedcert/plan": "moved"}
    assert "annotations" not in docs[1]["metadata"]
    assert plan_yaml(inst, PodpackSolution(("n1", "n2", None))).splitlines()[1:] == ["# nothing to change"]
