"""The R-ConstraintBench ramp table from a bench folder of ramp instances
(names ``ramp-<mix>-L<level>-s<seed>[-x]``, from ``generate rcpsp --ramp``).

Per constraint mix and level, for each method:

* solved: runs that answered the question — a validated schedule, or a
  proof of infeasibility (``infeasible``); out of all runs;
* infeasible / explained: proofs of infeasibility, and those with a
  conflict explanation;
* median and max runtime (time to a schedule or to the proof);
* makespan vs precedence-only (methods run with ``objective=makespan``
  only): mean of makespan / makespan of the precedence-only instance of the
  same seed and level, over seeds where both have a schedule; and how many
  of those makespans are proven optimal.

Writes ``ramp.csv`` and ``ramp.png`` (median solve time against level, one
line per mix and method).
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from pathlib import Path

from schedcert.plots.figure import pyplot, save
from schedcert.report import write_csv

NAME = re.compile(r"ramp-(?P<mix>[a-z]+)-L(?P<level>\d+)-s(?P<seed>\d+)(?P<x>-x)?")
MIX_ORDER = ("precedence", "downtime", "windows", "disjunctive", "all")


def _key(rec):
    m = NAME.match(rec["instance"])
    return None if m is None else (m["mix"] + ("-x" if m["x"] else ""), int(m["level"]), int(m["seed"]))


def ramp_rows(records: list) -> list[dict]:
    """One row per (mix, level, method); see the module docstring."""
    by = defaultdict(list)
    ms = {}
    for r in records:
        k = _key(r)
        if k is None:
            continue
        by[(k[0], k[1], r["method"])].append(r)
        if r.get("status") in ("optimal", "feasible"):
            ms[(k[0], k[1], k[2], r["method"])] = (r["objective"], r["status"] == "optimal")
    makespan_methods = {r["method"] for r in records
                        if (r.get("info") or {}).get("objective") == "makespan"}
    rows = []
    order = {m: i for i, m in enumerate(MIX_ORDER)}
    for (mix, level, method), recs in sorted(by.items(), key=lambda kv: (order.get(kv[0][0].removesuffix("-x"), 9),
                                                                            kv[0][0], kv[0][1], kv[0][2])):
        times = [r["runtime"] for r in recs]
        solved = [r for r in recs if r["status"] in ("optimal", "feasible", "infeasible")]
        infeasible = [r for r in recs if r["status"] == "infeasible"]
        row = {"mix": mix, "level": level, "method": method, "runs": len(recs), "solved": len(solved),
               "infeasible": len(infeasible),
               "explained": sum(1 for r in infeasible if (r.get("info") or {}).get("explanation")),
               "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}
        if method in makespan_methods and not mix.endswith("-x"):
            ratios, proven = [], 0
            for r in recs:
                seed = _key(r)[2]
                a, b = ms.get((mix, level, seed, method)), ms.get(("precedence", level, seed, method))
                if a and b:
                    ratios.append(a[0] / b[0])
                    proven += a[1]
            row["makespan_ratio"] = round(statistics.mean(ratios), 3) if ratios else None
            row["makespan_proven"] = proven
        rows.append(row)
    return rows


def table(rows: list) -> str:
    """Markdown table of :func:`ramp_rows`: one line per (mix, level), per
    method ``solved/runs, median s (max s)``, then the infeasibility and
    makespan columns."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    by = defaultdict(dict)
    for r in rows:
        by[(r["mix"], r["level"])][r["method"]] = r
    with_ms = [m for m in methods if any("makespan_ratio" in r for r in rows if r["method"] == m)]
    head = ["mix", "level"] + [f"{m}: solved, median s (max)" for m in methods] + ["infeasible (explained)"]
    head += [f"{m}: makespan / precedence-only (proven)" for m in with_ms]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (mix, level), per in by.items():
        cells = [mix, str(level)]
        for m in methods:
            r = per.get(m)
            cells.append("–" if r is None else f"{r['solved']}/{r['runs']}, {r['median_s']:.3f} ({r['max_s']:.2f})")
        inf = max(per.values(), key=lambda r: r["infeasible"])
        cells.append(f"{inf['infeasible']} ({inf['explained']})")
        for m in with_ms:
            r = per.get(m) or {}
            ratio = r.get("makespan_ratio")
            cells.append("–" if ratio is None else f"{ratio:.3f} ({r.get('makespan_proven', 0)}/{r['runs']})")
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def plot(rows: list, path: Path, title: str) -> None:
    """Median runtime against level: one panel per method, one line per
    mix."""
    plt = pyplot()

    methods = list(dict.fromkeys(r["method"] for r in rows))
    mixes = list(dict.fromkeys(r["mix"] for r in rows))
    fig, axes = plt.subplots(1, len(methods), figsize=(3.6 * len(methods) + 1.2, 3.6), sharey=True, squeeze=False)
    for ax, method in zip(axes[0], methods):
        for c, mix in enumerate(mixes):
            pts = sorted((r["level"], max(r["median_s"], 1e-3)) for r in rows if r["method"] == method and r["mix"] == mix)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=f"C{c}", label=mix)
        ax.set_title(method)
        ax.set_xlabel("level")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("median runtime (s)")
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, path, dpi=120)


def report(records: list, out_dir: Path, group: str | None = None) -> str:
    """The ramp section of ``schedcert report`` (empty without ramp runs)."""
    rows = ramp_rows(records)
    if not rows:
        return ""
    out_dir = Path(out_dir)
    write_csv(out_dir / "ramp.csv", rows)
    plot(rows, out_dir / "ramp.png", f"{out_dir.name}: time to a schedule or a proof")
    return ("\n## R-ConstraintBench ramp\n\nPer constraint mix and level (instances `ramp-<mix>-L<level>-s<seed>`)."
            " solved = a validated schedule or a proof of infeasibility. Also in `ramp.csv`; plot `ramp.png`.\n\n"
            + table(rows))
