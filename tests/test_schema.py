"""Every document schedcert writes matches schedcert/result.schema.json
(`schedcert schema`): Results, certificates, bench run records."""

import json

import pytest

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the [test] extra")

PROBLEMS = ("rcpsp", "dag", "smtt", "podpack")


@pytest.fixture(scope="module")
def validator():
    from click.testing import CliRunner

    from schedcert.cli.main import cli

    schema = json.loads(CliRunner().invoke(cli, ["schema"]).output)  # the shipped file, as a user gets it
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator, doc):
    return [e.message for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("problem", PROBLEMS)
def test_solve_and_certify_documents_match_the_schema(run, validator, problem, tmp_path):
    result = json.loads(run("solve", problem, "--example", "--time-limit", "5", "--json").output)
    assert _errors(validator, result) == [] and result["solver"].get("name")
    cert = json.loads(run("certify", problem, "--example", "--time-limit", "5", "--json").output)
    assert _errors(validator, cert) == []
    # the project's own heuristics name themselves too ({} for HEFT, dynasearch ... before)
    assert cert["heuristic_result"]["solver"]["name"] and "params" in cert["heuristic_result"]["solver"]
    mine = tmp_path / "mine.json"  # certify --solution: a schedule made elsewhere
    mine.write_text(json.dumps(result))
    given = json.loads(run("certify", problem, "--example", "-s", mine, "--time-limit", "5", "--json").output)
    assert _errors(validator, given) == [] and given["heuristic"] == "file:mine.json"


def test_bench_records_match_the_schema(run, validator, tmp_path):
    from schedcert.bench import read_runs
    from schedcert.registry import example_path, get_problem

    bad = tmp_path / "bad.json"
    bad.write_text("{")
    over = tmp_path / "over.json"  # a demand above the capacity: proven infeasible as it is read
    over.write_text(json.dumps({"problem": "rcpsp", "resources": [{"name": "R", "capacity": 2}], "activities": [
        {"name": "a", "duration": 1, "demands": {"R": 3}}]}))
    out = tmp_path / "b"
    res = run("bench", "rcpsp", example_path(get_problem("rcpsp")), bad, over, "-m", "sgs-lft", "-o", out)
    assert res.exit_code == 2 and "1 of 3 runs ended in an input error" in res.output
    assert "optimal 0 feasible 1 infeasible 1" in res.output  # the progress bar's running counts
    records = read_runs(out)
    assert sorted(r["status"] for r in records) == ["error", "feasible", "infeasible"]
    assert all(_errors(validator, r) == [] for r in records)
    proof = next(r for r in records if r["status"] == "infeasible")  # was an "error" run, as if the file were bad
    assert proof["info"]["explanation"] == "infeasible: activity a demands 3 of resource R whose capacity is 2"


@pytest.mark.parametrize("change", [
    lambda d: d.pop("bound"),
    lambda d: d.update(status="done"),
    lambda d: d.update(gap=-0.1),
    lambda d: d["solution"]["starts"].update({"1": "zero"}),
    lambda d: d.update(problem="jobshop"),
])
def test_a_document_off_the_schema_is_refused(run, validator, change):
    doc = json.loads(run("solve", "rcpsp", "--example", "-m", "sgs-lft", "--json").output)
    assert _errors(validator, doc) == []
    change(doc)
    assert _errors(validator, doc) != []
