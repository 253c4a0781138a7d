"""Summaries of a bench folder: markdown table, CSV and plots.

Per method: runs, errors, #optimal (proven), #feasible (solution, no proof),
#infeasible (proven) and #unknown (neither) where a run has them, mean and
median gap to the method's own proven bound, mean deviation of the
objective from the reference's best known objective (where a reference is
known; :func:`ref_deviation`), how many runs match or beat it, and runtime
median / p90 / max (seconds).

Certified gaps (:func:`certified`): when a folder holds several methods, each
instance's optimum is *proven* when the best objective found by any method
equals the best bound proven by any method; every method's gap to that
proven optimum ``|obj - opt| / opt`` is then tabulated (optionally per group
of instances, e.g. per DAG size) and drawn as ``gaps.png``.
"""

from __future__ import annotations

import csv
import re
import statistics
from pathlib import Path

from schedcert.bench import read_config, read_runs
from schedcert.errors import InputError
from schedcert.plots.figure import pyplot, save


def _pct(values, q):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


#: per sense: which reference bound is the best known objective, and the sign that beats it
_REF = {"min": ("UB", "<"), "max": ("LB", ">")}


def ref_best(ref: dict | None, sense: str = "min") -> float | None:
    """The best known objective a reference records: its upper bound for a
    minimisation, its lower bound for a maximisation (a single-value
    reference sets both)."""
    return (ref or {}).get("upper_bound" if sense == "min" else "lower_bound")


def ref_deviation(objective: float, best: float, sense: str = "min") -> float | None:
    """Relative deviation from the reference's best known objective,
    positive when worse: ``(obj - best) / best`` for a minimisation,
    ``(best - obj) / best`` for a maximisation; None for a best of 0."""
    if not best:
        return None
    return (objective - best) / best if sense == "min" else (best - objective) / best


def summarise(records: list[dict], sense: str = "min") -> list[dict]:
    """One summary row per method, in first-seen order; `sense` ("min" or
    "max") decides which reference bound is the best known objective and
    which direction beats it. ``infeasible`` (proofs) and ``unknown`` (no
    solution, no proof) are counted in columns of their own when a run of
    the folder has that status."""
    extra = [s for s in ("infeasible", "unknown") if any(r.get("status") == s for r in records)]
    methods: dict[str, list[dict]] = {}
    for r in records:
        methods.setdefault(r["method"], []).append(r)
    rows = []
    for m, recs in methods.items():
        ok = [r for r in recs if r.get("status") in ("optimal", "feasible")]
        gaps = [r["gap"] for r in ok if r.get("gap") is not None]
        devs, match, beat = [], 0, 0
        for r in ok:
            best = ref_best(r.get("reference"), sense)
            if best is None:
                continue
            match += r["objective"] == best
            beat += r["objective"] < best if sense == "min" else r["objective"] > best
            dev = ref_deviation(r["objective"], best, sense)
            if dev is not None:  # a relative deviation from a reference of 0 is undefined
                devs.append(dev)
        times = [r["runtime"] for r in recs if r.get("runtime") is not None]
        rows.append({
            "method": m,
            "runs": len(recs),
            "errors": sum(r.get("status") == "error" for r in recs),
            "optimal": sum(r.get("status") == "optimal" for r in recs),
            "feasible": sum(r.get("status") == "feasible" for r in recs),
            **{s: sum(r.get("status") == s for r in recs) for s in extra},
            "mean_gap_pct": None if not gaps else 100 * statistics.fmean(gaps),
            "median_gap_pct": None if not gaps else 100 * statistics.median(gaps),
            "with_reference": len(devs),
            "mean_dev_ref_pct": None if not devs else 100 * statistics.fmean(devs),
            "equal_ref": match,
            "better_than_ref": beat,
            "time_median_s": _pct(times, 0.5),
            "time_p90_s": _pct(times, 0.9),
            "time_max_s": max(times) if times else None,
        })
    return rows


def _group_of(name: str, group: str | None) -> str:
    if not group:
        return "all"
    m = re.search(group, name)
    if not m:
        return "other"
    return m.group(1) if m.groups() else m.group(0)


def best_bounds(records: list[dict], sense: str = "min") -> dict[str, tuple[float | None, float | None]]:
    """instance -> (best proven bound, best objective) over every run of a
    bench folder and its references (``bench --reference``); for a
    minimisation the pair is (lower bound, upper bound)."""
    best_obj, best_bound = {}, {}
    pick = min if sense == "min" else max
    other = max if sense == "min" else min
    for r in records:
        if r.get("status") not in ("optimal", "feasible"):
            continue
        i = r["instance"]
        ref = r.get("reference") or {}
        if ref.get("optimal"):
            best_obj[i] = ref["upper_bound"] if i not in best_obj else pick(best_obj[i], ref["upper_bound"])
            best_bound[i] = ref["lower_bound"] if i not in best_bound else other(best_bound[i], ref["lower_bound"])
        if r.get("objective") is not None:
            best_obj[i] = r["objective"] if i not in best_obj else pick(best_obj[i], r["objective"])
        if r.get("bound") is not None:
            best_bound[i] = r["bound"] if i not in best_bound else other(best_bound[i], r["bound"])
    return {i: (best_bound.get(i), best_obj.get(i)) for i in {*best_obj, *best_bound}}


def proven_optima(records: list[dict], sense: str = "min") -> dict[str, float]:
    """instance -> optimum, for instances where the best objective of any
    run equals the best proven bound of any run, or where the run's
    reference (``bench --reference``) records a known optimum."""
    return {i: o for i, (b, o) in best_bounds(records, sense).items()
            if b is not None and o is not None and abs(o - b) < 1e-9}


def bounds_rows(records: list[dict], sense: str = "min") -> list[dict]:
    """Rows of ``bounds.csv``: instance, lower_bound, upper_bound, optimal
    (yes/no) — the format of ``shared/instances/psplib/bounds/*.csv``, so
    a run's proven optima serve as ``bench --reference`` for later runs."""
    rows = []
    for i, (b, o) in sorted(best_bounds(records, sense).items(), key=lambda kv: _natural(kv[0])):
        lo, hi = (b, o) if sense == "min" else (o, b)
        rows.append({"instance": i, "lower_bound": "" if lo is None else lo, "upper_bound": "" if hi is None else hi,
                     "optimal": "yes" if lo is not None and hi is not None and abs(hi - lo) < 1e-9 else "no"})
    return rows


def certified(records: list[dict], sense: str = "min", group: str | None = None) -> list[dict]:
    """Rows per (group, method): instances, how many have a proven optimum,
    and over those the method's gap to it in % (mean, median, max) and how
    often it hits it. `group` is a regex whose first group (or match) labels
    an instance by its name (``v(\\d+)-``); None puts all in one group."""
    opt = proven_optima(records, sense)
    cells: dict[tuple, list] = {}
    for r in records:
        g = _group_of(r["instance"], group)
        cells.setdefault((g, r["method"]), []).append(r)
    rows = []
    for (g, m), recs in sorted(cells.items(), key=lambda kv: (_natural(kv[0][0]), list(cells).index(kv[0]))):
        known = [r for r in recs if r["instance"] in opt and r.get("objective") is not None]
        gaps = [abs(r["objective"] - opt[r["instance"]]) / abs(opt[r["instance"]])
                for r in known if opt[r["instance"]] != 0]
        total_opt = sum(opt[r["instance"]] for r in known)
        rows.append({"group": g, "method": m, "instances": len(recs),
                     "proven_optimum": sum(r["instance"] in opt for r in recs),
                     "hits_optimum": sum(abs(r["objective"] - opt[r["instance"]]) < 1e-9 for r in known),
                     "mean_gap_opt_pct": 100 * statistics.fmean(gaps) if gaps else None,
                     "median_gap_opt_pct": 100 * statistics.median(gaps) if gaps else None,
                     "max_gap_opt_pct": 100 * max(gaps) if gaps else None,
                     "aggregate_gap_pct": _aggregate_gap(sum(r["objective"] for r in known), total_opt, sense)})
    return rows


def _aggregate_gap(total_objective: float, total_optimum: float, sense: str) -> float | None:
    """Σ objective / Σ optimum − 1 in % (maximisation: 1 − Σ objective /
    Σ optimum), so that, like the per-instance gap, it is >= 0 for a method
    that never beats the optimum; None when Σ optimum is 0."""
    if not total_optimum:
        return None
    ratio = total_objective / total_optimum
    return 100 * (ratio - 1 if sense == "min" else 1 - ratio)


def _natural(s: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def certified_markdown(rows: list[dict]) -> str:
    """The "Gap to the proven optimum" section of summary.md: one table row
    per (group, method) dict of `rows` (:func:`certified`)."""
    cols = [("group", "group"), ("method", "method"), ("instances", "instances"),
            ("proven_optimum", "optimum proven"), ("hits_optimum", "= optimum"),
            ("mean_gap_opt_pct", "mean gap to opt. %"), ("median_gap_opt_pct", "median %"),
            ("max_gap_opt_pct", "max %"), ("aggregate_gap_pct", "aggregate %")]
    out = ["## Gap to the proven optimum", "",
           "Optimum proven = best objective of any method equals the best bound proven by any method, or a "
           "reference optimum (--reference). Gap % = |objective − optimum| / optimum per instance, over instances "
           "with a nonzero optimum; aggregate % = Σ objective / Σ optimum − 1 (maximisation: 1 − Σ objective / "
           "Σ optimum).", "",
           "| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(_fmt(r[k], 2) for k, _ in cols) + " |")
    return "\n".join(out) + "\n"


def plot_gaps(records: list[dict], path: Path, title: str, sense: str = "min") -> None:
    """Box plot per method of the gap (%) to the proven optimum."""
    plt = pyplot()

    opt = proven_optima(records, sense)
    data: dict[str, list] = {}
    for r in records:
        if r["instance"] in opt and r.get("objective") is not None and opt[r["instance"]] != 0:
            o = opt[r["instance"]]
            data.setdefault(r["method"], []).append(100 * abs(r["objective"] - o) / abs(o))
    fig, ax = plt.subplots(figsize=(max(5, 1.3 * len(data) + 2), 4))
    ax.boxplot(list(data.values()), showfliers=True)
    ax.set_xticks(range(1, len(data) + 1), list(data), rotation=20, ha="right")
    ax.set_ylabel("gap to proven optimum (%)")
    ax.set_title(f"{title} ({len(opt)} instances with a proven optimum)", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save(fig, path, dpi=120)


def _fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def markdown(rows: list[dict], title: str, config: dict | None = None, sense: str = "min") -> str:
    """summary.md's head and per-method table: `rows` one dict per method
    (:func:`summarise`), `config` the bench settings, `sense` min or max
    (which reference bound the deviation is to)."""
    bound, better = _REF[sense]
    cols = [("method", "method"), ("runs", "runs"), ("optimal", "optimal"), ("feasible", "feasible"),
            *[(s, s) for s in ("infeasible", "unknown") if rows and s in rows[0]], ("errors", "errors"),
            ("mean_gap_pct", "mean gap %"), ("median_gap_pct", "median gap %"),
            ("mean_dev_ref_pct", f"mean dev. ref {bound} %"), ("equal_ref", "= ref"),
            ("better_than_ref", f"{better} ref"),
            ("time_median_s", "time median s"), ("time_p90_s", "p90 s"), ("time_max_s", "max s")]
    out = [f"# {title}", ""]
    if config:
        out += ["Settings: " + ", ".join(f"{k}={v}" for k, v in config.items()), ""]
    out.append("| " + " | ".join(h for _, h in cols) + " |")
    out.append("|" + "---|" * len(cols))
    for r in rows:
        out.append("| " + " | ".join(_fmt(r[k], 3 if "gap" in k or "dev" in k else 2) for k, _ in cols) + " |")
    dev = ("(objective − reference upper bound) / reference upper bound" if sense == "min" else
           "(reference lower bound − objective) / reference lower bound (maximisation: the best known objective)")
    out += ["", "gap = |objective − bound| / max(|objective|, 1) with the method's own proven bound; "
            f"dev. ref {bound} = {dev}, "
            f"over runs with a solution and a nonzero reference; = ref and {better} ref count every run with a reference."]
    return "\n".join(out) + "\n"


def plot(records: list[dict], path: Path, title: str, sense: str = "min") -> None:
    """Two panels: runtime ECDF per method; deviation from the reference's
    best known objective (:func:`ref_deviation`; or the own gap when there is
    no reference) per method as a box plot."""
    plt = pyplot()

    methods: dict[str, list[dict]] = {}
    for r in records:
        methods.setdefault(r["method"], []).append(r)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    labels, data = [], []
    use_ref = any(ref_best(r.get("reference"), sense) for r in records)
    for m, recs in methods.items():
        t = sorted(r["runtime"] for r in recs if r.get("runtime") is not None)
        if t:
            a1.step(t, [(i + 1) / len(recs) for i in range(len(t))], where="post", label=m)
        vals = []
        for r in recs:
            if r.get("status") not in ("optimal", "feasible"):
                continue
            best = ref_best(r.get("reference"), sense)
            if use_ref and best:
                vals.append(100 * ref_deviation(r["objective"], best, sense))
            elif not use_ref and r.get("gap") is not None:
                vals.append(100 * r["gap"])
        labels.append(m)
        data.append(vals or [0.0])
    longest = max((r["runtime"] for r in records if r.get("runtime") is not None), default=0.0)
    if longest > 0.1:  # below that the symlog axis is all linear part and ran its ticks into negative times
        a1.set_xscale("symlog", linthresh=0.1)
    a1.set_xlim(left=0)
    a1.set_xlabel("runtime (s)")
    a1.set_ylabel("fraction of runs finished")
    a1.grid(alpha=0.3)
    a1.legend(fontsize=7)
    a2.boxplot(data, showfliers=True)
    a2.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right", fontsize=7)
    a2.set_ylabel(f"deviation from reference {_REF[sense][0]} (%)" if use_ref else "gap to own bound (%)")
    a2.grid(alpha=0.3, axis="y")
    fig.suptitle(title)
    fig.tight_layout()
    save(fig, path, dpi=120)


def write_csv(path: Path, rows: list[dict]) -> None:
    """`rows` as CSV with a header (the union of their keys, in order)."""
    with Path(path).open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        w.writeheader()
        w.writerows(rows)


def time_unit_note(records: list[dict]) -> str:
    """A line saying in what unit objectives and bounds are, when the runs
    record one (``info.time_unit_s``: dag WfFormat runtimes, read in seconds
    and scaled), else ""."""
    units = sorted({r["info"]["time_unit_s"] for r in records if (r.get("info") or {}).get("time_unit_s")})
    if not units:
        return ""
    return ("\nObjectives and bounds are in time units of " + " / ".join(f"{u:g} s" for u in units)
            + " (times read in seconds, scaled and rounded; `info.time_unit_s` of each run).\n")


def errors_markdown(records: list[dict], limit: int = 30) -> str:
    """A section naming the runs that ended in an error (instance, method,
    message; the first `limit`, defects in schedcert first), or "" when
    there are none."""
    errs = sorted((r for r in records if r.get("status") == "error"), key=lambda r: not r.get("defect"))
    if not errs:
        return ""
    runs = f"{len(errs)} run{'' if len(errs) == 1 else 's'}"
    lines = ["", f"## Errors ({runs})", "", "| instance | method | error |", "|---|---|---|"]
    for r in errs[:limit]:
        msg = str(r.get("error", "")).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {r['instance']} | {r['method']} | {msg} |")
    if len(errs) > limit:
        lines.append(f"\n{len(errs) - limit} more in runs.jsonl (status \"error\").")
    return "\n".join(lines) + "\n"


def write_report(out_dir: str | Path, make_plot: bool = True, group: str | None = None) -> list[str]:
    """Write ``summary.md``, ``summary.csv`` (and ``summary.png``) and the
    best bounds per instance (``bounds.csv``, see :func:`bounds_rows`) into
    `out_dir` from its ``runs.jsonl``; with several methods also the gap to
    the proven optimum (``gaps.csv``, ``gaps.png``; per `group` regex of the
    instance name), and the problem's own tables. Returns the names of the
    files written (those whose modification time changed), sorted. Raises
    InputError when there is no run."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InputError("no such folder (expected the --out folder of `schedcert bench`)"
                         if not out_dir.exists() else "is a file; expected the --out folder of `schedcert bench`",
                         out_dir)
    before = _stamps(out_dir)
    _write_report(out_dir, make_plot, group)
    return sorted(name for name, t in _stamps(out_dir).items() if before.get(name) != t)


def _stamps(folder: Path) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()}


def _write_report(out_dir: Path, make_plot: bool, group: str | None) -> None:
    records = read_runs(out_dir)
    if not records:
        raise InputError("no runs recorded (expected runs.jsonl from `schedcert bench`)", out_dir)
    config = read_config(out_dir)
    if config:  # rows in the order the bench commands named the methods, not the order runs finished
        rank = {m: i for i, m in enumerate(config.pop("methods", []))}
        records.sort(key=lambda r: rank.get(r["method"], len(rank)))
    sense, prob = "min", None
    if config and config.get("problem"):
        from schedcert.registry import get_problem

        prob = get_problem(config["problem"])
        sense = prob.sense
    rows = summarise(records, sense)
    n = len({r["instance"] for r in records})
    title = f"{out_dir.name}: {n} instance{'' if n == 1 else 's'}"
    text = markdown(rows, title, config, sense) + time_unit_note(records)
    if len(rows) > 1:
        crows = certified(records, sense, group)
        text += "\n" + certified_markdown(crows)
        write_csv(out_dir / "gaps.csv", crows)
        if make_plot:
            plot_gaps(records, out_dir / "gaps.png", title, sense)
    if prob is not None and prob.report is not None:
        text += prob.report(records, out_dir, group)
    text += errors_markdown(records)
    (out_dir / "summary.md").write_text(text)
    write_csv(out_dir / "summary.csv", rows)
    write_csv(out_dir / "bounds.csv", bounds_rows(records, sense))
    if make_plot:
        plot(records, out_dir / "summary.png", title, sense)
