"""The R-ConstraintBench side of the CLI: --objective feasibility, the
conflict on an infeasible instance, validating a hand-written CSV schedule,
generate --ramp."""

import json
from importlib.resources import files

EXAMPLE = str(files("schedcert").joinpath("examples/rcpsp-dc-migration.yaml"))


def test_solve_example_and_validate_its_csv(run, tmp_path):
    out = tmp_path / "r.json"
    res = run("solve", "rcpsp", EXAMPLE, "--time-limit", "30", "--workers", "1", "-o", out)
    assert res.exit_code == 0 and "optimal" in res.output and "39" in res.output, res.output
    starts = json.loads(out.read_text())["solution"]["starts"]
    csv = tmp_path / "s.csv"
    csv.write_text("activity,start\n" + "".join(f"{a},{s}\n" for a, s in starts.items()))
    ok = run("validate", "rcpsp", EXAMPLE, csv)
    assert ok.exit_code == 0 and "feasible: objective 39" in ok.output
    # a Gantt export: columns found by name in any order (Start,Activity read 'Start' as an activity name)
    from schedcert.registry import get_problem, read_instance

    inst = read_instance(get_problem("rcpsp"), EXAMPLE)
    p = dict(zip(inst.activity_names, inst.durations))
    csv.write_text("Start,Finish,Activity\n" + "".join(f"{s},{s + p[a]},{a}\n" for a, s in starts.items()))
    ok = run("validate", "rcpsp", EXAMPLE, csv)
    assert ok.exit_code == 0 and "feasible: objective 39" in ok.output
    # its finish times are checked: one a period short was a schedule made with another duration (ignored before)
    t, d = starts["transport-a"], p["transport-a"]
    csv.write_text(csv.read_text().replace(f"{t},{t + d},transport-a", f"{t},{t + d - 1},transport-a"))
    res = run("validate", "rcpsp", EXAMPLE, csv)
    assert res.exit_code == 1 and res.output.splitlines()[0] == "infeasible: 1 violation(s) (finish 1)"
    assert (f"finish: activity transport-a: the schedule states finish {t + d - 1}, but start {t} + duration "
            f"{d} = {t + d}") in res.output
    # a spreadsheet in a locale with a decimal comma writes semicolons; a tab-separated export tabs
    for sep in (";", "\t"):
        csv.write_text(f"Activity{sep}Start\n" + "".join(f"{a}{sep}{s}\n" for a, s in starts.items()))
        ok = run("validate", "rcpsp", EXAMPLE, csv)
        assert ok.exit_code == 0 and "feasible: objective 39" in ok.output, (sep, ok.output)
    csv.write_text("start,end\n0,1\n")
    res = run("validate", "rcpsp", EXAMPLE, csv)
    assert res.exit_code == 2 and "s.csv:1: header start,end: expected columns 'activity' and 'start'" in res.output
    # an LLM-style schedule: cable-a before the core switch is in, the dock used in its closure,
    # verify-a after its deadline, rerack-c and rerack-d together, dns-switch given twice, unrack-a missing
    bad = dict(starts)
    bad["cable-a"] = 0
    bad["load-b"] = 31
    bad["verify-a"] = 50
    bad["rerack-d"] = bad["rerack-c"]
    del bad["unrack-a"]
    rows = "".join(f"{a},{s}\n" for a, s in bad.items()) + f"dns-switch,{bad['dns-switch']}\n"
    csv.write_text("activity,start\n" + rows)
    res = run("validate", "rcpsp", EXAMPLE, csv)
    assert res.exit_code == 1
    head = res.output.splitlines()[0]
    for kind in ("missing", "duplicate", "precedence", "window", "disjunctive", "downtime"):
        assert kind in head, head
    assert "verify-a finishes at 52 after its deadline 44" in res.output


def test_feasibility_objective_and_explained_infeasibility(run, tmp_path):
    res = run("solve", "rcpsp", EXAMPLE, "--objective", "feasibility", "--workers", "1")
    assert res.exit_code == 0 and "feasible (independent check)" in res.output
    late = tmp_path / "late.yaml"
    late.write_text(open(EXAMPLE).read().replace("- {name: verify-a, duration: 2, demands: {server-crew: 1, "
                                                 "network-crew: 1}, successors: [final-cutover], deadline: 44}",
                                                 "- {name: verify-a, duration: 2, demands: {server-crew: 1, "
                                                 "network-crew: 1}, successors: [final-cutover], deadline: 12}"))
    res = run("solve", "rcpsp", late, "--objective", "feasibility", "--workers", "1")
    assert res.exit_code == 1 and "infeasible" in res.output
    assert "conflict: activity verify-a's deadline 12 and the precedences" in " ".join(res.output.split())


def test_unknown_objective_is_an_input_error(run):
    res = run("solve", "rcpsp", EXAMPLE, "--objective", "cost")
    assert res.exit_code == 2 and "--objective: expected one of makespan, feasibility, got 'cost'" in res.output


def test_generate_ramp(run, tmp_path):
    res = run("generate", "rcpsp", "--ramp", "3", "--mix", "precedence,all", "--count", "2", "-o", tmp_path)
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 12 and "ramp-all-L03-s1.json" in names
    res = run("generate", "rcpsp", "--level", "5", "--allow-infeasible", "-o", tmp_path)
    assert res.exit_code == 0 and "ramp-all-L05-s0-x.json" in res.output
    doc = json.loads((tmp_path / "ramp-all-L05-s0-x.json").read_text())
    assert doc["metadata"]["params"]["allow_infeasible"] is True


def test_chart_draws_the_capacity_calendar():
    """The dashed capacity line follows each resource's calendar (it was a
    constant line at the default capacity): forklift 1 of 2 on [10, 16),
    network crew 0 in its downtime [20, 24), dock 0 on [30, 34)."""
    import matplotlib.pyplot as plt

    from schedcert.instances.rcpsp import read
    from schedcert.plots.rcpsp import draw_schedule
    from schedcert.registry import run_method
    from schedcert.result import Options

    inst = read(EXAMPLE)
    sol = run_method("rcpsp", "sgs-lft", inst, Options()).solution
    fig = draw_schedule(inst, sol)
    try:
        names = list(inst.resource_names)
        for res, (t0, t1), cap, default in [("forklift", (10, 16), 1, 2), ("network-crew", (20, 24), 0, 2),
                                             ("dock", (30, 34), 0, 1)]:
            line = fig.axes[1 + names.index(res)].get_lines()[1]
            profile = dict(zip(line.get_xdata(), line.get_ydata()))
            assert profile[t0] == cap and profile[t1] == default and profile[0] == default, (res, profile)
    finally:
        plt.close(fig)
