"""The dag problem through the CLI: folder input, platform option, generate,
validate, certify."""

import json

import pytest


def test_solve_folder_heft_and_cpsat(run, topcuoglu):
    d = topcuoglu
    res = run("solve", "dag", d, "--method", "heft", "--json")
    assert json.loads(res.output)["objective"] == 80
    res = run("solve", "dag", d, "--time-limit", "20", "--workers", "2", "--json")
    doc = json.loads(res.output)
    assert doc["status"] == "optimal" and doc["objective"] == 73 and doc["bound"] == 73


def test_example_certify_and_plot(run, tmp_path):
    res = run("certify", "dag", "--example", "-H", "heft", "--time-limit", "20", "--workers", "2", "--json")
    doc = json.loads(res.output)
    assert doc["exact_status"] == "optimal" and doc["exact_objective"] == 122 and doc["heuristic_objective"] == 136
    assert doc["optimum_proven"] and doc["heuristic_deviation"] == pytest.approx(14 / 122)  # not the gap, 14 / 136
    res = run("certify", "dag", "--example", "-H", "heft", "--time-limit", "20", "--workers", "2")
    assert "11.48 % above the optimum 122 (proven)" in res.output and "gap           10.29 %" in res.output
    res = run("solve", "dag", "--example", "--method", "peft", "--plot", tmp_path / "g.png")
    assert res.exit_code == 0 and (tmp_path / "g.png").stat().st_size > 1000


def test_chart_labels_only_bars_they_fit():
    """montage's 1 s tasks beside its 540 s ones were labelled too: their
    names piled up into one black blot at the end of every row."""
    import matplotlib.pyplot as plt

    from schedcert.instances.dag import DagInstance, DagSolution
    from schedcert.plots.dag import draw_schedule

    names = ("mProject_ID0000001",) + tuple(f"mBackground_ID00000{k:02d}" for k in range(10))
    inst = DagInstance("blot", names, ("P1",), tuple((540 if i == 0 else 1,) for i in range(11)), ())
    sol = DagSolution((0,) * 11, (0,) + tuple(540 + k for k in range(10)))
    fig = draw_schedule(inst, sol)
    try:
        assert [t.get_text() for t in fig.axes[0].texts] == ["mProject_ID0000001"]
    finally:
        plt.close(fig)


def test_generate_then_validate_catches_violation(run, tmp_path):
    res = run("generate", "dag", "--tasks", "8", "--processors", "2", "--ccr", "5", "--seed", "3", "-o", tmp_path)
    assert res.exit_code == 0
    inst = res.output.strip()
    res = run("solve", "dag", inst, "--method", "heft", "--json")
    sol = json.loads(res.output)["solution"]
    (tmp_path / "ok.json").write_text(json.dumps(sol))
    assert run("validate", "dag", inst, tmp_path / "ok.json").exit_code == 0
    # move every task to one processor at its old start: overlaps or missing data
    for e in sol["schedule"].values():
        e["processor"] = "P1"
        e["start"] = 0
    (tmp_path / "bad.json").write_text(json.dumps(sol))
    res = run("validate", "dag", inst, tmp_path / "bad.json")
    assert res.exit_code == 1 and "overlap" in res.output
    # a task left out is a violation (exit 1), as in rcpsp and smtt; it was refused as bad input (exit 2)
    del sol["schedule"][next(iter(sol["schedule"]))]
    (tmp_path / "part.json").write_text(json.dumps(sol))
    part = run("validate", "dag", inst, tmp_path / "part.json")
    assert part.exit_code == 1 and part.output.startswith("infeasible: 1 violation(s) (missing 1)\n  - missing: task ")
    # violations are typed, so the first line counts them (it said only "infeasible: N violation(s)")
    head = res.output.splitlines()[0]
    assert head.startswith("infeasible: ") and "(overlap " in head and "precedence " in head, head


def test_platform_errors_exit_2(run, tmp_path):
    stg = tmp_path / "g.stg"
    stg.write_text("1\n0 0 0\n1 3 1 0\n2 0 1 1\n")
    res = run("solve", "dag", stg, "--method", "heft")
    assert res.exit_code == 2 and "g.stg: STG input needs --platform" in res.output
    res = run("solve", "dag", stg, "--method", "heft", "--platform", "3", "--json")
    assert res.exit_code == 0 and json.loads(res.output)["objective"] == 3
    res = run("solve", "rcpsp", "--example", "--platform", "3")
    assert res.exit_code == 2 and "no --platform" in res.output
    res = run("solve", "dag", stg, "--platform", tmp_path / "missing.yaml")
    assert res.exit_code == 2 and "platform file not found" in res.output


def test_time_unit_of_a_workflow_is_stated(run, tmp_path):
    """WfFormat runtimes are seconds, scaled to the platform's time unit and
    rounded: a makespan of 7 in units of 0.5 s is 3.5 s, and the output
    said neither (nor the chart's axis)."""
    spec = {"tasks": [{"id": "a", "children": ["b"], "parents": [], "inputFiles": [], "outputFiles": []},
                      {"id": "b", "children": [], "parents": ["a"], "inputFiles": [], "outputFiles": []}],
            "files": []}
    execution = {"tasks": [{"id": "a", "runtimeInSeconds": 1.2}, {"id": "b", "runtimeInSeconds": 2.4}]}
    wf = tmp_path / "w.json"
    wf.write_text(json.dumps({"workflow": {"specification": spec, "execution": execution}}))
    plat = tmp_path / "p.yaml"
    plat.write_text("time_unit: 0.5\nprocessors:\n - {name: cpu, speed: 1}\n")
    doc = json.loads(run("solve", "dag", wf, "--platform", plat, "-m", "heft", "--json").output)
    assert doc["objective"] == 7 and doc["info"]["time_unit_s"] == 0.5  # round(2.4) + round(4.8)
    out = run("solve", "dag", wf, "--platform", plat, "-m", "heft", "--plot", tmp_path / "g.png").output
    assert "time unit    0.5 s (times read in seconds, rounded to it); 7 = 3.5 s" in out
    out = run("certify", "dag", wf, "--platform", plat, "-H", "heft", "--time-limit", "5").output
    assert "time unit     0.5 s (times read in seconds, rounded to it); 7 = 3.5 s" in out
    assert "time unit" not in run("solve", "dag", "--example", "-m", "heft").output
    assert "time_unit_s" not in json.loads(run("solve", "dag", "--example", "-m", "heft", "--json").output)["info"]
    res = run("bench", "dag", wf, "--platform", plat, "-m", "heft", "-o", tmp_path / "b", "--no-report")
    assert res.exit_code == 0, res.output
    run("report", tmp_path / "b")
    assert "Objectives and bounds are in time units of 0.5 s" in (tmp_path / "b" / "summary.md").read_text()
    from schedcert.instances.dag_formats import read
    from schedcert.plots.dag import draw_schedule
    from schedcert.registry import run_method

    inst = read(wf, platform=str(plat))
    assert draw_schedule(inst, run_method("dag", "heft", inst).solution).axes[0].get_xlabel() == \
        "time (units of 0.5 s)"
