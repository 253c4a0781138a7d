"""smtt through the CLI: example, certify, OR-Library selection and bench
expansion with a one-value-per-line reference, bad input."""

import itertools
import json

from schedcert.registry import example_path, get_problem


def test_example_solve_and_certify(run):
    doc = json.loads(run("solve", "smtt", "--example", "--json").output)
    assert doc["status"] == "optimal" and doc["objective"] == doc["bound"] == 731
    cert = json.loads(run("certify", "smtt", "--example", "-H", "edd", "--json").output)
    assert cert["exact_status"] == "optimal" and cert["heuristic_objective"] > 731


def test_orlib_selection_and_bench(run, instances_dir, tmp_path):
    lib = instances_dir / "orlib"
    doc = json.loads(run("solve", "smtt", f"{lib / 'wt40.txt'}#1", "-m", "mdd+dynasearch", "--json").output)
    assert doc["objective"] >= 913  # wtopt40 line 1
    out = tmp_path / "b"
    res = run("bench", "smtt", lib / "wt40.txt", "--methods", "mdd,mdd+dynasearch", "--limit", "3",
              "--reference", lib / "wtopt40.txt", "-o", out)
    assert res.exit_code == 0
    recs = [json.loads(x) for x in (out / "runs.jsonl").read_text().splitlines()]
    assert sorted({r["instance"] for r in recs}) == ["wt40.txt#1", "wt40.txt#2", "wt40.txt#3"]
    assert {r["reference"]["upper_bound"] for r in recs if r["instance"] == "wt40.txt#1"} == {913}
    assert "aggregate %" in (out / "summary.md").read_text()
    # single instances of the stream, as solve takes them
    opt = (lib / "wtopt40.txt").read_text().split()
    res = run("bench", "smtt", f"{lib / 'wt40.txt'}#9", f"{lib / 'wt40.txt'}#7", "--methods", "mdd",
              "--reference", lib / "wtopt40.txt", "-o", tmp_path / "sel")
    assert res.exit_code == 0
    recs = [json.loads(x) for x in (tmp_path / "sel" / "runs.jsonl").read_text().splitlines()]
    assert [r["instance"] for r in recs] == ["wt40.txt#7", "wt40.txt#9"]
    assert [r["reference"]["upper_bound"] for r in recs] == [int(opt[6]), int(opt[8])]
    # the whole stream named without '#k' says how to pick one; the default method proves a weighted one
    res = run("solve", "smtt", lib / "wt40.txt")
    assert res.exit_code == 2 and "select one as wt40.txt#k (k = 1..125" in res.output
    doc = json.loads(run("solve", "smtt", f"{lib / 'wt40.txt'}#7", "--time-limit", "30", "--json").output)
    assert doc["method"] == "lrdp" and doc["status"] == "optimal" and doc["objective"] == int(opt[6]) == 6324


def test_weighted_instance_takes_lrdp_by_default(run, tmp_path):
    """bb solves 1||ΣTj only; solve and certify pick lrdp for 1||ΣwjTj and
    prove the optimum found by enumerating all 7! sequences."""
    p, d, w = (4, 7, 2, 5, 3, 6, 1), (6, 9, 3, 20, 8, 12, 2), (3, 1, 4, 2, 5, 1, 2)
    f = tmp_path / "w.txt"
    f.write_text("".join(f"{a} {b} {c}\n" for a, b, c in zip(p, d, w)))

    def cost(seq):
        t = total = 0
        for j in seq:
            t += p[j]
            total += w[j] * max(0, t - d[j])
        return total

    best = min(cost(s) for s in itertools.permutations(range(7)))
    doc = json.loads(run("solve", "smtt", f, "--json").output)
    assert doc["method"] == "lrdp" and doc["status"] == "optimal" and doc["objective"] == best
    cert = json.loads(run("certify", "smtt", f, "-H", "edd", "--json").output)
    assert cert["exact"] == "lrdp" and cert["optimum_proven"] and cert["bound"] == best
    assert cert["heuristic_objective"] == cost(sorted(range(7), key=lambda j: (d[j], j)))
    res = run("solve", "smtt", f, "-m", "bb")
    assert res.exit_code == 2 and "use --method lrdp" in res.output


def test_bad_input_exit_2(run, tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("3 5\nx 4\n")
    res = run("solve", "smtt", f)
    assert res.exit_code == 2 and "bad.txt:2" in res.output and "expected an integer" in res.output


def test_validate_result_json_and_violations(run, tmp_path):
    out = tmp_path / "r.json"
    run("solve", "smtt", "--example", "-m", "mddc", "-o", out)
    example = json.loads(out.read_text())
    inst = str(example_path(get_problem("smtt")))
    res = run("validate", "smtt", inst, out)
    assert res.exit_code == 0 and f"objective {example['objective']}" in res.output
    seq = example["solution"]["sequence"]
    (tmp_path / "bad.json").write_text(json.dumps({"sequence": [seq[1]] + seq[1:]}))
    res = run("validate", "smtt", inst, tmp_path / "bad.json")
    assert res.exit_code == 1 and res.output.splitlines()[0] == "infeasible: 2 violation(s) (duplicate 1, missing 1)"
    assert "appears twice" in res.output and f"missing: job {seq[0]} is not in the sequence" in res.output
