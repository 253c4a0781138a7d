"""Bench engine: results, report, and resume after a kill."""

import json

import pytest

from click.testing import CliRunner

from schedcert.bench import read_runs
from schedcert.cli.main import cli
from schedcert.registry import example_path, get_problem


def _bench(out, files, *extra):
    return CliRunner().invoke(cli, ["bench", "rcpsp", *map(str, files), "--methods", "sgs-lft,cpsat",
                                    "--time-limit", "5", "--out", str(out), *extra], catch_exceptions=False)


def test_bench_report_and_resume(psplib, tmp_path):
    files = [psplib / "j30" / f"j301_{k}.sm" for k in (1, 2, 3)]
    ref = psplib / "bounds" / "j30.csv"
    out = tmp_path / "b"
    res = _bench(out, files, "--reference", ref)
    assert res.exit_code == 0, res.output
    recs = read_runs(out)
    assert len(recs) == 6 and {r["status"] for r in recs} <= {"optimal", "feasible"}
    cp = [r for r in recs if r["method"] == "cpsat"]
    assert all(r["objective"] == r["reference"]["upper_bound"] for r in cp)
    md = (out / "summary.md").read_text()
    assert "| cpsat | 3 | 3 |" in md and (out / "summary.png").exists()
    # the run's best bounds, readable as a reference for the next run
    from schedcert.reference import read_reference

    again = read_reference(out / "bounds.csv")
    known = read_reference(ref)
    assert sorted(again) == [f.name for f in files]
    assert all(again[k].optimal and again[k].upper_bound == known[k].upper_bound for k in again)

    # simulate a kill: drop the last two records and tear the one before
    lines = (out / "runs.jsonl").read_text().splitlines(keepends=True)
    torn = lines[3][: len(lines[3]) // 2]
    (out / "runs.jsonl").write_text("".join(lines[:3]) + torn)
    assert len(read_runs(out)) == 3  # torn tail dropped
    res = _bench(out, files, "--reference", ref)
    assert res.exit_code == 0
    recs = read_runs(out)
    keys = [(r["instance"], r["method"]) for r in recs]
    assert len(keys) == 6 and len(set(keys)) == 6  # nothing lost, no duplicates
    assert all(json.loads(l) for l in (out / "runs.jsonl").read_text().splitlines())

    # a rerun with other settings is refused instead of mixing runs
    res = CliRunner().invoke(cli, ["bench", "rcpsp", str(files[0]), "--methods", "cpsat", "--time-limit", "7",
                                   "--out", str(out)])
    assert res.exit_code == 2 and "other settings" in res.output


def test_bench_records_bad_instances_as_errors(tmp_path):
    good = tmp_path / "ok.json"
    bad = tmp_path / "bad.json"
    res = CliRunner().invoke(cli, ["generate", "rcpsp", "--jobs", "5", "-o", str(tmp_path)])
    gen = next(tmp_path.glob("gen-*.json"))
    gen.rename(good)
    bad.write_text("{ nope")
    out = tmp_path / "b"
    res = _bench(out, [good, bad])  # every run made and recorded; exit 2 says that some input was bad
    assert res.exit_code == 2 and "2 of 4 runs ended in an input error (listed under Errors in summary.md" \
        in res.output, res.output
    errs = [r for r in read_runs(out) if r["status"] == "error"]
    assert len(errs) == 2 and "invalid JSON" in errs[0]["error"]
    summary = (out / "summary.md").read_text()  # which runs failed and why, not only a count
    assert "## Errors (2 runs)" in summary and f"| {bad.name} |" in summary and "invalid JSON" in summary

    # a rerun retries the runs that ended in an input error (a rerun used to skip them as recorded,
    # so a file fixed after the bench kept its error); every other line stays as it was
    before = (out / "runs.jsonl").read_bytes().splitlines(keepends=True)
    assert _bench(out, [good]).exit_code == 0  # the broken file not named: its errors are kept
    assert (out / "runs.jsonl").read_bytes().splitlines(keepends=True) == before
    bad.write_bytes(good.read_bytes())
    res = _bench(out, [good, bad])
    assert res.exit_code == 0 and "retrying 2 runs that ended in an error" in res.output
    after = (out / "runs.jsonl").read_bytes().splitlines(keepends=True)
    assert [line for line in before if b'"status": "error"' not in line] == after[:2]
    recs = read_runs(out)
    assert sorted((r["instance"], r["method"]) for r in recs) == sorted(
        (f.name, m) for f in (good, bad) for m in ("sgs-lft", "cpsat"))
    assert all(r["status"] in ("optimal", "feasible") for r in recs) and not (out / "runs.jsonl.tmp").exists()
    assert "## Errors" not in (out / "summary.md").read_text()


def test_a_defect_is_recorded_and_the_bench_goes_on(monkeypatch, tmp_path):
    """A method whose solution the validator rejects (a defect in schedcert)
    stopped the bench with a traceback, and a rerun stopped at the same run
    again: the batch could not get past it. It is now an error run marked
    ``defect``, listed first under Errors, the other runs are made, and the
    bench exits 3 with a line saying so."""
    from schedcert.instances.rcpsp import RcpspSolution
    from schedcert.registry import Method
    from schedcert.result import Result, Status

    def broken(inst, options):  # every activity at 0: breaks the precedences
        return Result(problem="rcpsp", instance=inst.name, method="", status=Status.FEASIBLE,
                      objective=max(inst.durations), bound=0, runtime=0.0, solution=RcpspSolution((0,) * inst.n))

    monkeypatch.setitem(get_problem("rcpsp").methods, "broken",
                        Method("broken", broken, "heuristic", "test: returns an infeasible schedule", False, {}))
    out = tmp_path / "b"
    example = str(example_path(get_problem("rcpsp")))
    res = CliRunner().invoke(cli, ["bench", "rcpsp", example, "--methods", "broken,sgs-lft", "--out", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 3, res.output
    assert "DEFECT: 1 of 2 runs returned a solution the independent validator rejects" in res.output
    recs = {r["method"]: r for r in read_runs(out)}
    assert recs["sgs-lft"]["status"] in ("optimal", "feasible")
    assert recs["broken"]["status"] == "error" and recs["broken"]["defect"] is True
    assert "defect in schedcert" in recs["broken"]["error"] and "precedence" in recs["broken"]["error"]
    assert "| broken | defect in schedcert" in (out / "summary.md").read_text()


def test_top_level_help_lists_every_exit_code():
    """``schedcert --help`` names every exit code a command can return,
    including bench's 3 for a defect (README "Exit codes")."""
    text = " ".join(CliRunner().invoke(cli, ["--help"]).output.split())
    for code in ("0 solved", "1 no solution", "2 bad input", "3 (bench)", "130 interrupted"):
        assert code in text, code


def test_summary_counts_a_reference_of_zero():
    """A reference optimum of 0 (common in OR-Library wt40/wt50) is matched
    or beaten like any other; only the relative deviation skips it."""
    from schedcert.report import summarise

    def rec(obj, ub):
        return {"method": "m", "status": "optimal", "objective": obj, "gap": 0.0, "runtime": 1.0,
                "reference": {"upper_bound": ub, "lower_bound": ub}}

    row, = summarise([rec(0, 0), rec(10, 10), rec(12, 10), rec(5, None)])
    assert (row["equal_ref"], row["better_than_ref"], row["with_reference"]) == (2, 0, 2)
    assert abs(row["mean_dev_ref_pct"] - 10.0) < 1e-9
    # maximisation (podpack): 8 against a best known 10 is 20 % worse, 12 beats it
    row, = summarise([rec(8, 10), rec(12, 10), rec(10, 10)], sense="max")
    assert (row["equal_ref"], row["better_than_ref"], row["with_reference"]) == (1, 1, 3)
    row, = summarise([rec(8, 10), rec(10, 10)], sense="max")
    assert abs(row["mean_dev_ref_pct"] - 10.0) < 1e-9  # (10 - 8) / 10 and 0, positive = worse


def test_summary_counts_proofs_of_infeasibility_and_runs_without_an_answer():
    """The per-method table showed optimal, feasible and errors only: on the
    R-ConstraintBench infeasible ramp, CP-SAT's 87 proofs and the
    heuristics' 87-91 runs without a schedule were in no column."""
    from schedcert.report import markdown, summarise

    def rec(method, status):
        return {"method": method, "status": status, "objective": 5 if status == "feasible" else None,
                "bound": None, "gap": None, "runtime": 0.1}

    rows = summarise([rec("cpsat", "infeasible"), rec("cpsat", "feasible"), rec("sgs", "unknown"),
                      rec("sgs", "feasible"), rec("sgs", "error")])
    assert [(r["method"], r["infeasible"], r["unknown"], r["errors"], r["runs"]) for r in rows] == [
        ("cpsat", 1, 0, 0, 2), ("sgs", 0, 1, 1, 3)]
    assert "| method | runs | optimal | feasible | infeasible | unknown | errors |" in markdown(rows, "t")
    row, = summarise([rec("sgs", "feasible")])  # neither status in the folder: no column, as before
    assert "infeasible" not in row and "unknown" not in row
    assert "| method | runs | optimal | feasible | errors |" in markdown([row], "t")


def test_gap_to_the_proven_optimum_is_nonnegative_in_both_senses():
    """Per instance |objective − optimum| / optimum; aggregate Σ objective /
    Σ optimum − 1, or 1 − that ratio when maximising (podpack): a method
    below the optimum of a maximisation is 1/3 short, not −1/3."""
    from schedcert.report import certified

    def rec(inst, method, obj, bound):
        return {"instance": inst, "method": method, "status": "feasible", "objective": obj, "bound": bound}

    runs = [rec("a", "exact", 6, 6), rec("a", "greedy", 4, None), rec("b", "exact", 3, 3), rec("b", "greedy", 2, None)]
    rows = {r["method"]: r for r in certified(runs, "max")}
    assert rows["greedy"]["proven_optimum"] == 2 and rows["greedy"]["hits_optimum"] == 0
    assert abs(rows["greedy"]["aggregate_gap_pct"] - 100 / 3) < 1e-9  # 1 - 6/9
    assert abs(rows["greedy"]["mean_gap_opt_pct"] - 100 / 3) < 1e-9  # 2/6 and 1/3
    assert rows["exact"]["aggregate_gap_pct"] == 0
    low = {r["method"]: r for r in certified([rec("a", "exact", 4, 4), rec("a", "greedy", 6, None)], "min")}
    assert abs(low["greedy"]["aggregate_gap_pct"] - 50) < 1e-9


def test_a_folder_of_folders_names_its_subfolders(tmp_path):
    """`bench rcpsp ../shared/instances/psplib` (j30/, j60/, j120/ inside)
    used to say only "no instance files"."""
    from schedcert.bench import expand_inputs
    from schedcert.errors import InputError

    for sub in ("j30", "j120", "bounds"):
        (tmp_path / sub).mkdir()
    (tmp_path / "j30" / "a.sm").write_text("")
    with pytest.raises(InputError, match=r"not searched below their top level \(here: bounds, j30, j120\): "
                                         r"name them, or a pattern such as 'DIR/\*/\*\.sm'"):
        expand_inputs([str(tmp_path)], [".sm", ".rcp"])
    assert expand_inputs([str(tmp_path / "*" / "*.sm")], [".sm"]) == [tmp_path / "j30" / "a.sm"]
    empty = tmp_path / "j120"
    with pytest.raises(InputError) as err:
        expand_inputs([str(empty)], [".sm"])
    assert "not searched" not in str(err.value)


def test_report_rows_follow_the_methods_as_named(tmp_path):
    """With --jobs 2 the rows came in the order runs finished (sgs-lft,
    cpsat, sampling for `--methods sgs-lft,sampling,cpsat`)."""
    import re

    from schedcert.instances.rcpsp import generate, write

    inst = tmp_path / "g.json"
    write(generate(seed=2, jobs=8), inst)
    out = tmp_path / "b"
    for methods in ("sgs-lft,sampling", "psgs-lft,sgs-lft"):  # a second command adds its new method last
        res = CliRunner().invoke(cli, ["bench", "rcpsp", str(inst), "--methods", methods, "--time-limit", "2",
                                       "--out", str(out)])
        assert res.exit_code == 0, res.output
    # the runs as if they had finished in another order
    lines = (out / "runs.jsonl").read_text().splitlines(keepends=True)
    (out / "runs.jsonl").write_text("".join(reversed(lines)))
    res = CliRunner().invoke(cli, ["report", str(out), "--no-plot"])
    # it named summary.png under --no-plot, and neither bounds.csv nor gaps.csv
    assert res.exit_code == 0 and res.output.splitlines()[-1] == \
        f"written in {out}: bounds.csv, gaps.csv, summary.csv, summary.md"
    md = (out / "summary.md").read_text()
    assert re.findall(r"^\| (\S+) \| 1 \|", md, re.M) == ["sgs-lft", "sampling", "psgs-lft"]
    assert json.loads((out / "bench.json").read_text())["methods"] == ["sgs-lft", "sampling", "psgs-lft"]
    assert "methods=" not in md  # the settings line lists settings only


def test_a_method_named_twice_runs_once(tmp_path):
    """`--methods heft,heft` ran every instance twice and counted 2 runs
    each; `--methods ,` started a bench of nothing."""
    from schedcert.instances.rcpsp import generate, write

    inst = tmp_path / "g.json"
    write(generate(seed=2, jobs=8), inst)
    out = tmp_path / "b"
    res = CliRunner().invoke(cli, ["bench", "rcpsp", str(inst), str(inst), "--methods", "sgs-lft, sgs-lft",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert [(r["instance"], r["method"]) for r in read_runs(out)] == [("g.json", "sgs-lft")]
    res = CliRunner().invoke(cli, ["bench", "rcpsp", str(inst), "--methods", ",", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "--methods: expected comma-separated method names, got ','" in res.output


@pytest.mark.parametrize("longest, scale", [(0.004, "linear"), (12.0, "symlog")])
def test_runtime_axis_starts_at_zero(monkeypatch, tmp_path, longest, scale):
    """Runs of a few milliseconds (smtt rules) drew the runtime axis from
    -2.15e-4 s with symlog ticks at both ends; it starts at 0 and is linear
    when every run took under 0.1 s."""
    import schedcert.report as R

    drawn = []
    monkeypatch.setattr(R, "save", lambda fig, path, dpi=110: drawn.append(fig))
    recs = [{"method": m, "runtime": longest * k / 4, "status": "feasible", "objective": 10, "bound": 8, "gap": 0.2}
            for m in ("edd", "mddc") for k in range(1, 5)]
    R.plot(recs, tmp_path / "s.png", "t")
    ax = drawn[0].axes[0]
    assert ax.get_xscale() == scale and ax.get_xlim()[0] == 0 and ax.get_xlim()[1] >= longest


@pytest.mark.parametrize("runs,config,message", [
    ('{"x": 1}\n', None, "runs.jsonl:1: record: instance is None; expected a run written by `schedcert bench`"),
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": 7, "runtime": 1}\n[1]\n', None,
     "runs.jsonl:2: record is list"),
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": "7", "runtime": 1}\n', None,
     "runs.jsonl:1: record: objective is '7'"),
    (b'\xff\xfe{\n', None, "runs.jsonl:1: corrupt record (not JSON)"),
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": 7, "runtime": 1}\n', "x",
     "bench.json:1: invalid JSON"),
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": 7, "runtime": 1}\n', "[]",
     "bench.json:1: expected a JSON object of bench settings"),
    # edited by hand: each of these was a TypeError, KeyError or AttributeError traceback in report
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": 7}\n', None,
     "runs.jsonl:1: record: runtime is None"),
    ('{"instance": "a", "method": "m", "status": "feasible", "runtime": 1}\n', None,
     "runs.jsonl:1: record: status feasible without an objective"),
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": 7, "runtime": 1, "gap": "x"}\n', None,
     "runs.jsonl:1: record: gap is 'x'"),
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": 7, "runtime": 1, "info": [1]}\n', None,
     "runs.jsonl:1: record: info is [1]"),
    ('{"instance": "a", "method": "m", "status": "feasible", "objective": 7, "runtime": 1, '
     '"reference": {"upper_bound": 7, "optimal": true}}\n', None,
     "runs.jsonl:1: record: reference lower_bound is None for an optimal reference"),
])
def test_report_on_a_foreign_folder_names_the_line(run, tmp_path, runs, config, message):
    """A runs.jsonl of other records (or a non-UTF-8 one, or a broken
    bench.json) was a KeyError / UnicodeDecodeError traceback in report."""
    out = tmp_path / "b"
    out.mkdir()
    (out / "runs.jsonl").write_bytes(runs if isinstance(runs, bytes) else runs.encode())
    if config is not None:
        (out / "bench.json").write_text(config)
    example = example_path(get_problem("rcpsp"))
    for args in (("report", out), ("bench", "rcpsp", example, "-m", "sgs-lft", "-o", out)):
        res = run(*args)
        assert res.exit_code == 2 and message in res.output, (args, res.output)


def test_bench_leaves_a_folder_of_other_files_alone(run, tmp_path):
    """`bench -o FOLDER` into a user's folder overwrote their summary.md."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.md").write_text("my notes\n")
    example = example_path(get_problem("rcpsp"))
    res = run("bench", "rcpsp", example, "-m", "sgs-lft", "-o", mine)
    assert res.exit_code == 2 and "mine: not a bench folder (no bench.json or runs.jsonl) and not empty" in res.output
    assert (mine / "summary.md").read_text() == "my notes\n"
    assert sorted(p.name for p in mine.iterdir()) == ["summary.md"]
    (tmp_path / "empty").mkdir()
    assert run("bench", "rcpsp", example, "-m", "sgs-lft", "-o", tmp_path / "empty").exit_code == 0
    again = run("bench", "rcpsp", example, "-m", "sgs-lft", "-o", tmp_path / "empty")  # its own folder: resumes
    assert again.exit_code == 0 and len(read_runs(tmp_path / "empty")) == 1


def test_one_bench_at_a_time_and_report_reads_a_running_one(run, tmp_path):
    """Two benches on one folder both ran every missing pair (duplicate
    records), and a second bench or a `report` cut the torn last line — a
    record the first bench could still be writing."""
    import fcntl
    import os

    example = example_path(get_problem("rcpsp"))
    out = tmp_path / "b"
    assert run("bench", "rcpsp", example, "-m", "sgs-lft", "-o", out).exit_code == 0
    (out / "runs.jsonl").write_text((out / "runs.jsonl").read_text() + '{"instance": "x", "met')  # being written
    before = (out / "runs.jsonl").read_bytes()
    assert len(read_runs(out)) == 1 and run("report", out).exit_code == 0
    assert (out / "runs.jsonl").read_bytes() == before  # readers leave a line being written alone
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a bench at work
    try:
        res = run("bench", "rcpsp", example, "-m", "sgs-lft,psgs-lft", "-o", out)
        assert res.exit_code == 2 and "b: another `schedcert bench` is writing to this folder" in res.output
        assert (out / "runs.jsonl").read_bytes() == before
    finally:
        os.close(fd)
    assert run("bench", "rcpsp", example, "-m", "sgs-lft,psgs-lft", "-o", out).exit_code == 0
    assert [r["method"] for r in read_runs(out)] == ["sgs-lft", "psgs-lft"]  # torn tail cut, then resumed
