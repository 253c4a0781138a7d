"""DAG instances: readers (CSV pair, JSON/YAML, WfFormat, STG), platform,
generator, validator."""

from __future__ import annotations

import json

import pytest

from schedcert.errors import InputError
from schedcert.instances.dag import DagSolution, evaluate, generate, lower_bound, to_dict, write
from schedcert.instances.dag_formats import from_dict, read

from dag_helpers import tiny


def test_csv_pair_reads_canonical_example(topcuoglu):
    inst = read(topcuoglu)
    assert (inst.n, inst.q, len(inst.edges)) == (10, 3, 15)
    assert inst.costs[0] == (14, 16, 9) and inst.tasks[9] == "n10"
    assert read(topcuoglu / "costs.csv").costs == inst.costs  # either file names the folder


def test_json_and_yaml_round_trip(tmp_path):
    inst = generate(seed=4, tasks=15, processors=3, ccr=2.0)
    for name in ("g.json", "g.yaml"):
        write(inst, tmp_path / name)
        back = read(tmp_path / name)
        assert (back.costs, back.edges, back.processors) == (inst.costs, inst.edges, inst.processors)
        assert back.meta["params"]["ccr"] == 2.0


def test_json_costs_as_mapping_with_forbidden_processor():
    inst = from_dict({"processors": ["cpu", "gpu"],
                      "tasks": [{"name": "a", "costs": {"cpu": 3}}, {"name": "b", "costs": [2, 1]}],
                      "edges": [{"source": "a", "target": "b", "data": 4}]})
    assert inst.costs == ((3, None), (2, 1)) and inst.allowed(0) == [0]


def test_generator_is_seeded_and_shaped():
    a, b = generate(seed=1, tasks=30, processors=4, ccr=5, beta=0.5), generate(seed=1, tasks=30, processors=4, ccr=5, beta=0.5)
    assert a == b and a != generate(seed=2, tasks=30, processors=4, ccr=5, beta=0.5)
    assert a.n == 30 and a.q == 4
    spread = [max(r) / min(r) for r in a.costs if min(r) >= 10]  # (small costs: rounding dominates)
    assert spread and max(spread) <= (1 + 0.25) / (1 - 0.25) + 0.1  # beta = 0.5 bounds the heterogeneity
    assert a.meta["params"] == dict(tasks=30, processors=4, ccr=5, alpha=1.0, beta=0.5, out_degree=3,
                                    mean_cost=20, seed=1)


def test_stg_with_processor_count(tmp_path):
    f = tmp_path / "g.stg"
    f.write_text("3\n0 0 0\n1 4 1 0\n2 5 1 0\n3 2 2 1 2\n4 0 1 3\n# comment\n")
    inst = read(f, platform="2")
    assert inst.n == 5 and inst.q == 2
    assert inst.costs[2] == (5, 5)
    assert sorted((i, j) for i, j, _ in inst.edges) == [(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)]


def test_stg_errors_name_the_line(tmp_path):
    f = tmp_path / "g.stg"
    f.write_text("2\n0 0 0\n1 4 1 0\n2 x 1 1\n3 0 1 2\n")
    with pytest.raises(InputError) as e:
        read(f, platform="2")
    assert e.value.line == 4 and "processing time of task 2" in e.value.message
    with pytest.raises(InputError, match="needs --platform"):
        read(f)
    f.write_text("2\n0 0 0\n1 4 1 0\n2 1" + "0" * 400 + " 1 1\n3 0 1 2\n")  # was an OverflowError traceback
    with pytest.raises(InputError, match=r"g.stg:4: STG: expected processing time of task 2 <= 2\^50, got a 401-digit"):
        read(f, platform="2")


def test_integers_past_a_floats_range(tmp_path):
    """math.isfinite(10**400) raises OverflowError: a 401-digit cost in a
    document (or time_unit in a platform file) was a traceback."""
    import json

    f = tmp_path / "g.json"
    f.write_text(json.dumps({"processors": ["P1"], "tasks": [{"name": "a", "costs": [10 ** 400]}], "edges": []}))
    with pytest.raises(InputError, match="g.json: costs and data add up to a 401-digit number time units"):
        read(f)
    stg = tmp_path / "g.stg"
    stg.write_text("1\n0 0 0\n1 3 1 0\n2 0 1 1\n")
    plat = tmp_path / "p.json"
    plat.write_text(json.dumps({"time_unit": 10 ** 400, "processors": [{"name": "cpu", "speed": 1}]}))
    with pytest.raises(InputError, match="p.json: time_unit: expected seconds > 0"):
        read(stg, platform=str(plat))


def test_wfformat_with_platform(instances_dir, tmp_path):
    f = instances_dir / "dag" / "wfinstances" / "srasearch-chameleon-10a-001.json"
    if not f.is_file():
        pytest.skip(f"{f} not found")
    plat = tmp_path / "p.yaml"
    plat.write_text("time_unit: 0.001\nbandwidth: 1000000\nlatency: 0\n"
                    "processors:\n - {name: slow, speed: 1}\n - {name: fast, speed: 2, task_speed: {merge: null}}\n")
    inst = read(f, platform=str(plat))
    doc = json.loads(f.read_text())
    spec = {t["id"]: t for t in doc["workflow"]["specification"]["tasks"]}
    runtime = {t["id"]: t["runtimeInSeconds"] for t in doc["workflow"]["execution"]["tasks"]}
    assert inst.n == len(spec) == 22
    i = inst.tasks.index("bowtie2-build_ID0000001")
    assert inst.costs[i] == (round(runtime["bowtie2-build_ID0000001"] * 1000),
                             round(runtime["bowtie2-build_ID0000001"] * 500))
    merge = [k for k, t in enumerate(inst.tasks) if t.startswith("merge")]
    assert merge and all(inst.costs[k][1] is None for k in merge)
    # data of an edge = sizes of the files the child reads from the parent
    sizes = {x["id"]: x["sizeInBytes"] for x in doc["workflow"]["specification"]["files"]}
    for a, b, d in inst.edges[:5]:
        shared = set(spec[inst.tasks[a]]["outputFiles"]) & set(spec[inst.tasks[b]]["inputFiles"])
        assert d == sum(sizes[x] for x in shared)
    assert inst.bandwidth[0][1] == 1000 and inst.comm(2500, 0, 1) == 3 and inst.comm(2500, 1, 1) == 0


def test_structural_slips_in_json_and_wfformat_are_named(tmp_path):
    """A string for a list (read letter by letter before: 'unknown child m'),
    a number for the edge list, a string for the task list (tracebacks)."""
    f = tmp_path / "w.json"
    spec = {"tasks": [{"id": "a", "children": "b", "parents": [], "inputFiles": [], "outputFiles": []},
                      {"id": "b", "children": [], "parents": ["a"], "inputFiles": [], "outputFiles": []}],
            "files": []}
    run = {"tasks": [{"id": "a", "runtimeInSeconds": 1.0}, {"id": "b", "runtimeInSeconds": 2.0}]}
    for doc, message in [
        ({"workflow": {"specification": spec, "execution": run}}, "WfFormat: task a: children: expected a list, found 'b'"),
        ({"workflow": {"specification": {"tasks": "x"}, "execution": run}}, r"WfFormat: malformed \(AttributeError"),
        ({"processors": ["P1"], "tasks": [{"name": "a", "costs": [1]}], "edges": 5},
         "edges: expected a list, found 5"),
    ]:
        f.write_text(json.dumps(doc))
        with pytest.raises(InputError, match=message):
            read(f, platform="2") if "workflow" in doc else read(f)


def test_misspelt_keys_in_the_document_and_platform_are_named(tmp_path):
    """An edge's 'dat' (for 'data') made a free transfer and a processor's
    'sped' left it at speed 1, both without a word."""
    f = tmp_path / "d.json"
    doc = {"processors": ["P1", "P2"], "tasks": [{"name": "a", "costs": [1, 2]}, {"name": "b", "costs": [3, 1]}],
           "edges": [{"source": "a", "target": "b", "dat": 5}]}
    f.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"d.json: edges\[0\]: unknown key 'dat' \(did you mean 'data'\?\)"):
        read(f)
    doc["edges"][0] = {"source": "a", "target": "b", "data": 5}
    f.write_text(json.dumps(doc | {"latancy": 1}))
    with pytest.raises(InputError, match="document: unknown key 'latancy' \\(did you mean 'latency'"):
        read(f)
    f.write_text(json.dumps(doc))
    assert read(f).edges == ((0, 1, 5),)
    plat = tmp_path / "p.yaml"
    plat.write_text("time_unit: 1\nprocessors:\n  - {name: fast, sped: 2.0}\n")
    stg = tmp_path / "g.stg"
    stg.write_text("1\n0 0 0\n1 4 1 0\n2 0 1 1\n")
    with pytest.raises(InputError, match=r"p.yaml: processors\[0\]: unknown key 'sped' \(did you mean 'speed'"):
        read(stg, platform=str(plat))


def test_bad_csv_cell_names_file_and_line(tmp_path):
    (tmp_path / "costs.csv").write_text("task,P1,P2\na,1,2\nb,3,oops\n")
    (tmp_path / "edges.csv").write_text("source,target,cost\na,b,1\n")
    with pytest.raises(InputError) as e:
        read(tmp_path)
    assert e.value.line == 3 and e.value.file.endswith("costs.csv")


def test_cycle_and_unrunnable_task_rejected(tmp_path):
    (tmp_path / "costs.csv").write_text("task,P1\na,1\nb,2\n")
    (tmp_path / "edges.csv").write_text("source,target,cost\na,b,1\nb,a,1\n")
    with pytest.raises(InputError, match="cycle"):
        read(tmp_path)
    with pytest.raises(InputError, match="no processor can run"):
        from_dict({"processors": ["P"], "tasks": [{"name": "a", "costs": [None]}]})


def test_an_edge_or_task_given_twice_is_refused(tmp_path):
    """Both copies of an edge were kept, so the larger data won without a
    word (a second line meant to correct the first changed nothing); two
    tasks of one name read "duplicate task names" without naming it."""
    (tmp_path / "costs.csv").write_text("task,P1\na,1\nb,2\n")
    (tmp_path / "edges.csv").write_text("source,target,cost\na,b,9\na,b,1\n")
    with pytest.raises(InputError, match="edge a->b is given twice \\(data 9 and 1\\); expected one edge per pair"):
        read(tmp_path)
    with pytest.raises(InputError, match="task a is given twice"):
        from_dict({"processors": ["P"], "tasks": [{"name": "a", "costs": [1]}, {"name": "a", "costs": [2]}]})


def test_validator_catches_communication_delay():
    inst = tiny([[2, 2], [3, 3]], [(0, 1, 4)])
    assert evaluate(inst, DagSolution((0, 0), (0, 2))).feasible  # same processor: no delay
    ev = evaluate(inst, DagSolution((0, 1), (0, 5)))  # needs 2 + 4 = 6 on the other processor
    assert not ev.feasible and "data needs 4 more" in ev.violations[0]
    assert evaluate(inst, DagSolution((0, 1), (0, 6))).objective == 9


def test_validator_catches_overlap_and_forbidden_processor():
    inst = tiny([[2, None], [3, 3]], [])
    assert any("overlap" in v for v in evaluate(inst, DagSolution((0, 0), (0, 1))).violations)
    assert any("cannot run" in v for v in evaluate(inst, DagSolution((1, 0), (0, 5))).violations)


def test_non_uniform_links_and_latency():
    inst = tiny([[1, 1, 1], [1, 1, 1]], [(0, 1, 10)], bandwidth=((0, 5, 1), (5, 0, 1), (1, 1, 0)), latency=2)
    assert inst.comm(10, 0, 1) == 4 and inst.comm(10, 0, 2) == 12 and not inst.uniform_links


def test_lower_bound_is_valid_on_canonical(topcuoglu):
    assert lower_bound(read(topcuoglu)) <= 73
    assert to_dict(read(topcuoglu))["tasks"][0]["costs"] == [14, 16, 9]


def test_infinite_and_nan_numbers_are_refused(tmp_path):
    """YAML's .inf/.nan and a CSV 'nan' were OverflowError/ValueError
    tracebacks (round(inf), int(nan))."""
    stg = tmp_path / "g.stg"
    stg.write_text("2\n0 0 0\n1 4 1 0\n2 3 1 1\n3 0 1 2\n")
    for text, message in [("processors: [{name: a, speed: .nan}]", r"speed: expected a number > 0, got nan"),
                          ("processors: [{name: a, speed: 1}]\nbandwidth: .inf", "bandwidth: expected finite numbers"),
                          ("processors: [{name: a, speed: 1}]\nlatency: .nan", "latency: expected seconds >= 0")]:
        plat = tmp_path / "p.yaml"
        plat.write_text(text + "\n")
        with pytest.raises(InputError, match=message):
            read(stg, platform=str(plat))
    (tmp_path / "costs.csv").write_text("task,P1,P2\na,1,2\nb,3,nan\n")
    (tmp_path / "edges.csv").write_text("source,target,cost\na,b,1\n")
    with pytest.raises(InputError, match="expected an integer, found nan") as e:
        read(tmp_path)
    assert e.value.line == 3


def test_costs_beyond_the_models_domains_are_refused(tmp_path):
    """A cost of 10^19 was a CP-SAT domain error deep in the model."""
    f = tmp_path / "d.json"
    f.write_text(json.dumps({"processors": ["P1"], "tasks": [{"name": "a", "costs": [10 ** 19]}], "edges": []}))
    with pytest.raises(InputError, match="beyond the 1.13e\\+15 the CP-SAT and MILP models take"):
        read(f)
