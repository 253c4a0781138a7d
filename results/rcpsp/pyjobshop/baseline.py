"""PyJobShop's generic CP-SAT model on PSPLIB, as a baseline for `schedcert`'s `cpsat`.

Not part of the package: PyJobShop is a third-party library and is not a
dependency of schedcert. Run it from its own virtual environment:

    python3 -m venv /tmp/pjs && /tmp/pjs/bin/pip install pyjobshop psplib
    S=../shared/instances/psplib
    /tmp/pjs/bin/python results/rcpsp/pyjobshop/baseline.py run $S/j60 results/rcpsp/pyjobshop/j60.csv
    python results/rcpsp/pyjobshop/baseline.py compare results/rcpsp/pyjobshop/j60.csv \
        results/rcpsp/j60-pace/runs.jsonl $S/bounds/j60.csv >> results/rcpsp/pyjobshop/summary.md

`run` solves every `*.sm` file of a folder (sorted by name) with PyJobShop's
own PSPLIB reader and its OR-Tools (CP-SAT) model: makespan objective, 10 s
and 2 workers per instance, the settings of the `cpsat` rows in the README.
It appends one CSV row per instance (instance, status, objective,
lower_bound, runtime in seconds) and skips instances already in the file,
so a rerun resumes.

`compare` reads that CSV, a `schedcert bench` `runs.jsonl` of the same set
and the reference bounds CSV (instance, lower_bound, upper_bound, ...) and
prints a markdown table: proven optimal, mean deviation from the reference
upper bound in %, runtime median / p90 / max, and instance by instance which
method proves or ends lower. It needs only the standard library.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
from pathlib import Path

TIME_LIMIT_S = 10.0
WORKERS = 2


def run(folder: Path, out: Path) -> None:
    """Solve every PSPLIB file of `folder` with PyJobShop; append rows to `out`."""
    from pyjobshop import read, solve  # third-party, only needed here

    done: set[str] = set()
    if out.exists():
        with out.open(newline="") as f:
            done = {row["instance"] for row in csv.DictReader(f)}
    write_header = not out.exists()
    with out.open("a", newline="") as f:
        writer = csv.writer(f)
        if write_header:
            writer.writerow(["instance", "status", "objective", "lower_bound", "runtime"])
        for path in sorted(folder.glob("*.sm")):
            if path.stem in done:
                continue
            result = solve(read(path, "psplib"), "ortools", time_limit=TIME_LIMIT_S, num_workers=WORKERS)
            writer.writerow([path.stem, result.status.value, result.objective, result.lower_bound,
                             round(result.runtime, 3)])
            f.flush()


def _p90(values: list[float]) -> float:
    """90th percentile, linear interpolation (the definition `schedcert report` uses)."""
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def compare(baseline_csv: Path, runs_jsonl: Path, reference_csv: Path) -> str:
    """Markdown comparison of the PyJobShop rows against a schedcert bench run."""
    with reference_csv.open(newline="") as f:
        upper = {row["instance"].removesuffix(".sm"): int(row["upper_bound"]) for row in csv.DictReader(f)}
    with baseline_csv.open(newline="") as f:
        theirs = {row["instance"]: row for row in csv.DictReader(f)}
    ours = {}
    with runs_jsonl.open() as f:
        for line in f:
            run_ = json.loads(line)
            ours[run_["instance"].removesuffix(".sm")] = run_
    names = sorted(set(theirs) & set(ours))

    def deviation(objective: float, name: str) -> float:
        return 100.0 * (objective - upper[name]) / upper[name]

    rows = {
        "PyJobShop 0.0.9 (`ortools`)": (
            {n for n in names if theirs[n]["status"] == "Optimal"},
            [deviation(float(theirs[n]["objective"]), n) for n in names],
            [float(theirs[n]["runtime"]) for n in names],
        ),
        "schedcert `cpsat`": (
            {n for n in names if ours[n]["status"] == "optimal"},
            [deviation(ours[n]["objective"], n) for n in names],
            [ours[n]["runtime"] for n in names],
        ),
    }
    lines = [f"### {baseline_csv.stem} ({len(names)} instances; schedcert run: `{runs_jsonl.parent.name}`)", "",
             "| method | proven optimal | mean dev. from reference UB | time median / p90 / max |",
             "|---|---|---|---|"]
    for label, (proven, devs, times) in rows.items():
        lines.append(f"| {label} | {len(proven)} | {statistics.mean(devs):.3f} % | "
                     f"{statistics.median(times):.2f} / {_p90(times):.2f} / {max(times):.2f} s |")
    theirs_proven, ours_proven = rows["PyJobShop 0.0.9 (`ortools`)"][0], rows["schedcert `cpsat`"][0]
    lower = sum(ours[n]["objective"] < float(theirs[n]["objective"]) for n in names)
    higher = sum(ours[n]["objective"] > float(theirs[n]["objective"]) for n in names)
    open_both = [n for n in names if n not in theirs_proven | ours_proven]
    bound_up = sum(ours[n]["bound"] > float(theirs[n]["lower_bound"]) for n in open_both)
    bound_down = sum(ours[n]["bound"] < float(theirs[n]["lower_bound"]) for n in open_both)
    lines += ["",
              f"- proven by schedcert only: {', '.join(sorted(ours_proven - theirs_proven)) or 'none'}",
              f"- proven by PyJobShop only: {', '.join(sorted(theirs_proven - ours_proven)) or 'none'}",
              f"- schedcert's makespan lower on {lower}, higher on {higher}",
              f"- unproven by both: {len(open_both)}; schedcert's bound higher on {bound_up}, "
              f"lower on {bound_down}", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "run":
        run(Path(argv[1]), Path(argv[2]))
        return 0
    if len(argv) == 4 and argv[0] == "compare":
        print(compare(Path(argv[1]), Path(argv[2]), Path(argv[3])))
        return 0
    print("usage: baseline.py run FOLDER OUT.csv | compare OUT.csv RUNS.jsonl REFERENCE.csv", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
