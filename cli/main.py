"""The ``schedcert`` command line (Click).

Every problem plugs in through the registry (reader, validator, methods,
generator, plot); nothing here is problem-specific. Exit codes: 0 success,
1 no solution found / proven infeasible / invalid schedule, 2 bad input or
usage, 3 (bench) a run returned a solution the validator rejects, 130
interrupted (Ctrl-C; :mod:`schedcert.interrupt`). Input errors
print one line naming file, line and what was expected, never a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections import Counter
from pathlib import Path

import click

from schedcert.errors import (InputError, make_folder, parse_json, read_text, require_file, require_keywords,
                              require_output_file, require_problem, write_output)
from schedcert.interrupt import interrupted
from schedcert.registry import (check_params, default_method_for, example_path, get_method, get_problem,
                                keyword_usage, param_listing, problem_keys, read_instance, run_method)
from schedcert.result import Options, Result, Status, false_claims, false_solution_facts, solution_of


INTERRUPTED = 130  # exit code after Ctrl-C, as shells report SIGINT
SHOWN_PER_KIND = 10  # violations listed per type by validate (all with --all)
SHOWN_ROWS = 200  # rows of the solution table solve prints (j120's 122 activities all fit)
_POSITIVE = click.IntRange(min=1)  # counts: jobs, instances
_WORKERS = click.IntRange(min=1, max=10_000)  # CP-SAT's num_workers range (100000 was a model-invalid traceback)
_SEED = click.IntRange(min=0, max=2**31 - 1)  # CP-SAT's random_seed is a 32-bit int; numpy wants >= 0


class _Seconds(click.ParamType):
    """A time limit: a finite number of seconds > 0 (``nan`` passed a range
    check and ``inf`` would let a budgeted heuristic run for ever)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        import math

        x = click.FLOAT.convert(value, param, ctx)
        if not (math.isfinite(x) and x > 0):
            self.fail(f"{value!r} is not a finite number of seconds > 0 (for a very long run give e.g. 86400)",
                      param, ctx)
        return x


_SECONDS = _Seconds()  # time limits
_PARAM_HELP = "Method parameter (repeatable); 'schedcert problems' lists each method's."


class _Group(click.Group):
    """Turns InputError, and a file the system refuses (OSError), into a
    one-line message and its exit code, and Ctrl-C outside a solve into
    "interrupted" and exit 130."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"schedcert: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:  # a file the system would not write or read (a full disk, no permission)
            if exc.errno == errno.EPIPE:  # `| head`: Click's own handling, exit 1 without a word
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"schedcert: error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(InputError.exit_code)
        except (KeyboardInterrupt, SystemError) as exc:
            # Ctrl-C inside numba-compiled code surfaces as SystemError "returned a result with an exception set"
            if isinstance(exc, SystemError) and not interrupted():
                raise
            click.echo("schedcert: interrupted", err=True)
            ctx.exit(INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 solved / feasible; 1 no solution, proven infeasible or an invalid schedule; "
                    "2 bad input or usage (one line naming file, line and what was expected); 3 (bench) a run "
                    "returned a solution the validator rejects (a defect); 130 interrupted "
                    "(Ctrl-C: solve and certify still print the best answer found).")
@click.version_option(package_name="schedcert")
def cli():
    """Certified scheduling: schedules with a proven bound, the optimality gap
    and an independent feasibility check."""


def main():
    """The ``schedcert`` console script: Ctrl-C handling installed, then the CLI."""
    from schedcert.interrupt import install

    install()
    cli(prog_name="schedcert")


# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------

def _parse_params(items, objective=None) -> dict:
    """``--param KEY=VALUE`` items (and ``--objective``) as a dict."""
    out = {} if objective is None else {"objective": objective}
    for it in items:
        if "=" not in it:
            raise InputError(f"--param expects KEY=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _options(time_limit, workers, seed, log, params, objective=None) -> Options:
    return Options(time_limit=time_limit, workers=workers or _cores(), seed=seed, log=log,
                   params=_parse_params(params, objective))



def _guard_overwrite(path: str | None, force: bool, what: str = "output file") -> None:
    """Before any work: InputError unless `path` can be written
    (:func:`require_output_file`); refuse to overwrite a user's file unless
    --force or they confirm."""
    if path is None:
        return
    require_output_file(path, what)
    if force or not Path(path).exists():
        return
    if sys.stdin.isatty() and click.confirm(f"{path} exists. Overwrite?", default=False, err=True):
        return
    raise InputError("exists; not overwritten (pass --force to overwrite)", path)


def _write_outputs(jobs) -> tuple[list, list]:
    """Run each ``(file, label, write)`` of `jobs` whose file is given.
    Returns the ``(file, label)`` pairs written and the InputErrors of
    those that could not be: the caller prints its answer first and then
    fails (:func:`_exit_if_failed`), so a long solve is never lost to an
    unwritable output file."""
    written, failed = [], []
    for path, label, write in jobs:
        if path is None:
            continue
        try:
            write()
            written.append((path, label))
        except InputError as exc:
            failed.append(exc)
    return written, failed


def _exit_if_failed(failed) -> None:
    """After the answer is printed: each failed write as an error line on
    stderr, exit code 2."""
    for exc in failed:
        click.echo(f"schedcert: error: {exc} (the answer is printed above)", err=True)
    if failed:
        sys.exit(failed[0].exit_code)


_INTERRUPTED_NOTE = ("Ctrl-C stopped the search early: the answer is the best found so far, the bound is "
                     "still proven (exit code 130)")


def _require_ending(path: str | None, endings: tuple, why: str) -> None:
    """Before any work: InputError unless `path` (if given) ends in one of
    `endings` — ``--out r.csv`` wrote JSON that ``validate`` then read as
    CSV."""
    if path is not None and not Path(path).is_dir() and Path(path).suffix.lower() not in endings:
        raise InputError(f"expected a file name ending in {' or '.join(endings)} ({why})", path)


def _require_chart_format(prob, path: str) -> None:
    """InputError unless `prob` draws charts and `path` ends in a format
    matplotlib writes (.png, .pdf, .svg, ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    if prob.plot is None:
        raise InputError(f"{prob.key} has no chart; --plot is not available")
    kinds = FigureCanvasBase.get_supported_filetypes()
    if Path(path).suffix.lower().lstrip(".") not in kinds:
        raise InputError("expected a chart file ending in " + ", ".join("." + k for k in sorted(kinds)), path)


def _read_instance(problem, file, fmt, example=False, **reader):
    """The instance named by FILE (or the bundled example); `reader` holds
    the reader options (--platform, --n, --pods, --max-pods)."""
    if example:
        if file:
            raise InputError("give either FILE or --example, not both")
        if fmt:
            raise InputError(f"--format {fmt} is for FILE; the bundled example is read in its own format")
        return read_instance(problem, str(example_path(problem)), None, **reader)
    if not file:
        raise InputError("missing FILE (or pass --example to use the bundled example)")
    return read_instance(problem, file, fmt, **reader)


def _fmt(v):
    if v is None:
        return "–"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def _summary_table(rows, title=None):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, show_header=False, box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()
    for k, v in rows:
        t.add_row(k, Text(str(v)))  # plain text: a name like "[red]setup" is the user's, not markup
    return t


def _pct(x: float) -> str:
    """`x` as a percentage, 2 decimals; below 0.005 % but not 0, two
    significant digits (podpack's weighted objective: one pod short of
    124 562 879 is 0.00089 %, not "0.00 %", which reads as optimal)."""
    p = 100 * x
    return f"{p:.2g} %" if 0 < abs(p) < 0.005 else f"{p:.2f} %"


def _time_unit(unit, *values) -> str:
    """The time unit row: `unit` seconds per time unit, and `values` (time
    units) in seconds."""
    secs = ", ".join(f"{_fmt(v)} = {v * unit:.6g} s" for v in dict.fromkeys(values) if v is not None)
    return f"{unit:g} s (times read in seconds, rounded to it){'; ' + secs if secs else ''}"


def _result_rows(res: Result, sense: str):
    g = res.gap
    unit = res.info.get("time_unit_s")
    return [
        ("instance", res.instance),
        ("method", res.method),
        ("status", str(res.status)),
        ("objective", _fmt(res.objective)),
        ("lower bound" if sense == "min" else "upper bound", _fmt(res.bound)),
        ("gap", "–" if g is None else _pct(g)),
        ("runtime", f"{res.runtime:.2f} s"),
        ("validated", "feasible (independent check)" if res.evaluation and res.evaluation.feasible
         else "no solution"),
    ] + ([("time unit", _time_unit(unit, res.objective))] if unit else [])


def _shortfall(prob, inst, objective, bound) -> str | None:
    """The gap in the problem's own terms, where it has them (podpack)."""
    return prob.shortfall(inst, objective, bound) if prob.shortfall else None


def _solution_table(headers, rows, width: int = 80):
    """Rows laid out in side-by-side column groups that fit `width`."""
    from rich.table import Table
    from rich.text import Text

    cell = max(len(str(c)) for r in rows[:50] for c in r) if rows else 1
    group_w = sum(max(len(h), cell) + 2 for h in headers) + 1
    groups = max(1, width // group_w)
    t = Table(box=None, header_style="bold", pad_edge=False)
    per = -(-len(rows) // groups) if len(rows) > 12 else len(rows)
    ngroups = -(-len(rows) // per) if per else 1
    for g in range(ngroups):
        for h in headers:
            t.add_column(h, justify="right", style=None if g % 2 else "cyan")
    for r in range(per):
        cells = []
        for g in range(ngroups):
            idx = g * per + r
            cells += [Text(str(c)) for c in rows[idx]] if idx < len(rows) else [""] * len(headers)
        t.add_row(*cells)
    return t


def _console():
    from rich.console import Console

    return Console()


def escape(text) -> str:
    """`text` (a user's file or activity name) safe inside rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(str(text))


reader_options = [
    click.option("--platform", default=None, help="Platform file or processor count (dag: WfFormat and STG inputs)."),
    click.option("--n", "n", type=_POSITIVE, default=None, help="Jobs per instance (smtt: OR-Library streams)."),
    click.option("--pods", default=None, help="Pods file (podpack: kubectl pods output or Alibaba pod list)."),
    click.option("--max-pods", type=_POSITIVE, default=None,
                 help="First N pods in creation order (podpack: Alibaba pod list)."),
]


def with_reader(f):
    """Add the reader options (--platform, --n, --pods, --max-pods) to a command."""
    for opt in reversed(reader_options):
        f = opt(f)
    return f


common = [
    click.option("--time-limit", type=_SECONDS, default=60.0, show_default=True, help="Seconds for the whole method."),
    click.option("--workers", type=_WORKERS, default=None, help="Solver threads [default: all cores]."),
    click.option("--seed", type=_SEED, default=0, show_default=True),
    click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
                 help=_PARAM_HELP),
    click.option("--objective", default=None,
                 help="Objective, the same as --param objective=... (rcpsp: makespan | feasibility)."),
    click.option("--log", is_flag=True, help="Stream the solver log to stderr."),
    click.option("--format", "fmt", default=None, help="Instance format (default: from the file ending)."),
    *reader_options,
]


def with_common(f):
    """Add the solving options (time limit, workers, seed, params, log, format, readers) to a command."""
    for opt in reversed(common):
        f = opt(f)
    return f


# --------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------

@cli.command()
@click.argument("problem", required=False)
def problems(problem):
    """List problems, their file formats and methods (only PROBLEM's when
    given)."""
    from rich.console import Console

    # piped (grep, a file): one line per entry; rich broke them at 80 columns, mid-entry
    con = Console(soft_wrap=not sys.stdout.isatty())
    for key in [get_problem(problem).key] if problem else problem_keys():
        p = get_problem(key)
        con.print(f"[bold]{key}[/bold]: {p.title}")
        con.print("  formats: " + "; ".join(f"{k} ({v})" for k, v in p.formats.items()))
        if p.generate is not None:
            con.print(f"  generate: {p.generate_help() if p.generate_help else keyword_usage(p.generate)}")
        note = f"; {p.default_note}" if p.default_note else ""
        con.print(f"  default: {p.default_method}{note} (warm-started by {p.default_heuristic})")
        for kind in ("exact", "heuristic"):
            ms = [m for m in p.methods.values() if m.kind == kind]
            con.print(f"  {kind} methods:")
            for m in ms:
                listed = "params:" in m.description or "; param " in m.description
                keys = "" if listed or not m.params else \
                    "; params: " + param_listing(m.params)
                con.print(f"    {m.name:<16} {m.description}{keys}")


@cli.command()
def schema():
    """Print the JSON Schema of what schedcert writes: Results (solve --out,
    --json), certificates (certify --out, --json), bench run records."""
    from importlib.resources import files

    click.echo(files("schedcert").joinpath("result.schema.json").read_text(), nl=False)


@cli.command()
@click.argument("problem")
@click.argument("file", required=False)
@click.option("--example", is_flag=True, help="Solve the bundled example instance of PROBLEM.")
@click.option("--method", "-m", default=None,
              help="Method name (default: the problem's strongest exact method for the instance; "
                   "see 'schedcert problems').")
@with_common
@click.option("--out", "-o", default=None, help="Write the Result JSON (with the solution) here.")
@click.option("--plot", default=None, help="Write a chart of the solution here (PNG/PDF/SVG).")
@click.option("--json", "as_json", is_flag=True, help="Print only the Result JSON on stdout.")
@click.option("--force", is_flag=True, help="Overwrite existing --out / --plot files.")
@click.option("--plan", "plan_file", default=None,
              help="Write the problem's change plan here (podpack: eviction commands, then Bindings for "
                   "kubectl create -f; not executed).")
def solve(problem, file, example, method, time_limit, workers, seed, params, objective, log, fmt, out, plot,
          as_json, force, plan_file, **reader):
    """Solve FILE; print the solution, its objective, a proven bound and the gap."""
    prob = get_problem(problem)
    if method:
        get_method(prob, method)  # an unknown name fails before the instance is read
    _require_ending(out, (".json",), "--out writes the Result JSON document")
    _guard_overwrite(out, force, "--out result")
    _guard_overwrite(plot, force, "--plot chart")
    if plan_file and prob.plan is None:
        raise InputError(f"{problem} has no change plan; --plan is for podpack")
    _require_ending(plan_file, (".yaml", ".yml"), "--plan writes YAML for kubectl create -f")
    _guard_overwrite(plan_file, force, "--plan file")
    if plot:
        _require_chart_format(prob, plot)
    inst = _read_instance(prob, file, fmt, example, **reader)
    method = method or default_method_for(prob, inst)
    opts = _options(time_limit, workers, seed, log, params, objective)
    check_params(prob, [method], opts.params)
    res = run_method(prob, method, inst, opts)
    doc = res.to_dict(lambda s: prob.solution_to_dict(s, inst))
    found = res.solution is not None
    written, failed = _write_outputs([
        (out, "result", lambda: write_output(out, json.dumps(doc, indent=1) + "\n", "--out result")),
        (plot if found else None, "chart",
         lambda: prob.plot(inst, res.solution, plot, f"{inst.name}: {method}, objective {_fmt(res.objective)}")),
        (plan_file if found else None, "plan (not executed)",
         lambda: write_output(plan_file, prob.plan(inst, res.solution), "--plan file"))])
    if as_json:
        click.echo(json.dumps(doc, indent=1))
    else:
        con = _console()
        if res.solution is not None and prob.describe is not None:
            headers, table = prob.describe(inst, res.solution)
            con.print(_solution_table(headers, table[:SHOWN_ROWS], width=con.width))
            if len(table) > SHOWN_ROWS:  # rich took 12 s to lay out 10 000 smtt jobs
                con.print(f"... {len(table) - SHOWN_ROWS} more rows (the first {SHOWN_ROWS} are shown; -o FILE.json "
                          "or --json writes the whole solution)", soft_wrap=True)
        rows = _result_rows(res, prob.sense)
        short = _shortfall(prob, inst, res.objective, res.bound)
        if short:
            rows.insert([k for k, _ in rows].index("gap") + 1, ("short of bound", short))
        con.print(_summary_table(rows))
        for key, label in (("explanation", "conflict"), ("failure", "no schedule"), ("note", "note"),
                           ("input_note", "input")):
            if res.info.get(key):
                con.print(f"[bold]{label}:[/bold] {escape(res.info[key])}")
        if res.info.get("interrupted"):
            con.print(f"[bold]interrupted:[/bold] {_INTERRUPTED_NOTE}")
        for f, what in written:
            con.print(f"{what} written to {escape(f)}", soft_wrap=True)
        for f, what in ((plot, "chart"), (plan_file, "plan")):
            if f and not found:
                con.print(f"{what} not written: no solution")
    _exit_if_failed(failed)
    if res.info.get("interrupted"):
        sys.exit(INTERRUPTED)
    sys.exit(0 if res.status in (Status.OPTIMAL, Status.FEASIBLE) else 1)


@cli.command()
@click.argument("problem")
@click.argument("file", required=False)
@click.option("--example", is_flag=True, help="Use the bundled example instance of PROBLEM.")
@click.option("--heuristic", "-H", default=None,
              help="Heuristic to certify (default: the problem's, the one `problems` names as warm start).")
@click.option("--solution", "-s", "solution_file", default=None,
              help="Certify this schedule instead of a heuristic's: one made elsewhere (the formats validate "
                   "reads: a solution or Result JSON; rcpsp also CSV activity,start).")
@click.option("--exact", "-e", default=None, help="Exact method (default: as solve's).")
@with_common
@click.option("--json", "as_json", is_flag=True, help="Print only the certificate JSON.")
@click.option("--out", "-o", default=None, help="Write the certificate JSON (both schedules) here.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def certify(problem, file, example, heuristic, solution_file, exact, time_limit, workers, seed, params, objective,
            log, fmt, as_json, out, force, **reader):
    """Prove how far HEURISTIC (or the schedule in --solution) is from
    optimal on FILE (--time-limit applies to each of the two runs). Exit 1
    when the heuristic finds no solution or the given one is infeasible."""
    from schedcert.certify import certify_result, exact_method

    prob = get_problem(problem)
    if heuristic and solution_file:
        raise InputError("give either --heuristic or --solution, not both")
    heuristic = heuristic or (None if solution_file else prob.default_heuristic)
    if heuristic:
        get_method(prob, heuristic)
    if exact:
        get_method(prob, exact)
    _require_ending(out, (".json",), "--out writes the certificate JSON document")
    _guard_overwrite(out, force, "--out certificate")
    inst = _read_instance(prob, file, fmt, example, **reader)
    opts = _options(time_limit, workers, seed, log, params, objective)
    exact = exact_method(prob, inst, exact)
    check_params(prob, [m for m in (heuristic, exact) if m], opts.params)
    if solution_file:
        h = _given_schedule(prob, inst, solution_file)
    else:
        h = run_method(prob, heuristic, inst, opts)
    cert = certify_result(prob, inst, h, exact, opts)
    h, e = cert["heuristic"], cert["exact"]
    short = _shortfall(prob, inst, h.objective, cert["bound"])
    doc = {
        "problem": prob.key, "instance": inst.name, "heuristic": h.method, "exact": e.method,
        "heuristic_objective": h.objective, "exact_objective": e.objective, "exact_status": e.status.value,
        "bound": cert["bound"], "heuristic_gap": cert["heuristic_gap"],
        "heuristic_deviation": cert["heuristic_deviation"], "heuristic_deviation_min": cert["heuristic_deviation_min"],
        "optimum_proven": cert["optimum_proven"],
        "heuristic_optimal": cert["heuristic_optimal"], "heuristic_shortfall": short,
        "heuristic_result": h.to_dict(lambda s: prob.solution_to_dict(s, inst)),
        "exact_result": e.to_dict(lambda s: prob.solution_to_dict(s, inst)),
    }
    code = 0 if h.objective is not None else 1  # as solve: 1 when there is no schedule to certify
    stopped = any(r.info.get("interrupted") for r in (h, e))
    code = INTERRUPTED if stopped else code
    written, failed = _write_outputs([
        (out, "certificate", lambda: write_output(out, json.dumps(doc, indent=1) + "\n", "--out certificate"))])
    if as_json:
        click.echo(json.dumps(doc, indent=1))
        _exit_if_failed(failed)
        sys.exit(code)
    hg, dev = cert["heuristic_gap"], cert["heuristic_deviation"]
    side = "above" if prob.sense == "min" else "below"
    if h.objective is None:
        verdict = f"without a solution ({h.status})" + \
            ("; none exists (proven infeasible)" if e.status == Status.INFEASIBLE else "")
    elif cert["heuristic_optimal"]:
        verdict = "PROVEN OPTIMAL"
    elif dev is not None and cert["optimum_proven"]:
        verdict = f"{_pct(dev)} {side} the optimum {_fmt(cert['bound'])} (proven)"
    elif dev is not None and cert["heuristic_deviation_min"]:  # the exact run found a better schedule
        verdict = f"{_pct(cert['heuristic_deviation_min'])} to {_pct(dev)} {side} the optimum (proven)"
    elif dev is not None:
        verdict = f"at most {_pct(dev)} {side} the optimum (proven)"
    elif cert["heuristic_deviation_min"]:  # no ratio to the bound, but a better schedule was found
        verdict = f"at least {_pct(cert['heuristic_deviation_min'])} {side} the optimum (proven)"
    else:
        verdict = "not proven optimal; no relative bound (the proven bound is not positive)" \
            if hg is not None else "no bound"
    if h.solver.get("name") == "file":  # certify --solution: a schedule made elsewhere
        role, made = "schedule", f"{h.solver['params']['path']}: {_fmt(h.objective)} (feasible, validated)"
    else:
        role, made = "heuristic", f"{h.method}: {_fmt(h.objective)} ({h.runtime:.2f} s)"
    rows = [("instance", inst.name), (role, made),
            ("exact", f"{e.method}: {_fmt(e.objective)}, {e.status} ({e.runtime:.2f} s)"),
            ("proven bound", _fmt(cert["bound"])), (f"{role} is", verdict)]
    if hg is not None and not cert["heuristic_optimal"]:
        rows.append(("gap", f"{_pct(hg)} (|{role} - bound| / {role})"))
    if short:
        rows.append(("short of bound", short))
    if h.info.get("time_unit_s"):
        rows.append(("time unit", _time_unit(h.info["time_unit_s"], h.objective, e.objective)))
    con = _console()
    con.print(_summary_table(rows, "certificate"))
    for who, r in ((role, h), ("exact", e)):
        if r.info.get("note"):
            con.print(f"[bold]note ({who}):[/bold] {escape(r.info['note'])}")
    if e.info.get("input_note"):
        con.print(f"[bold]input:[/bold] {escape(e.info['input_note'])}")
    if stopped:
        con.print(f"[bold]interrupted:[/bold] {_INTERRUPTED_NOTE}")
    for f, what in written:
        con.print(f"{what} written to {escape(f)}", soft_wrap=True)
    _exit_if_failed(failed)
    sys.exit(code)


def _given_schedule(prob, inst, path) -> Result:
    """The schedule in the file `path` as a certificate's heuristic Result
    (:func:`schedcert.certify.given_result`); an infeasible one is reported
    as validate would, exit 1."""
    from schedcert.certify import given_result

    sp = require_file(path, "solution file")
    data = _solution_document(prob, inst, sp, "certified")
    if _is_certificate(data):
        raise InputError("a certificate holds two schedules; expected one: a solution or a Result "
                         "(solve --out)", sp)
    sol = _solution_in(prob, inst, sp, data)
    try:
        return given_result(prob, inst, sol, str(sp))
    except InputError:
        click.echo(f"{sp}: nothing to certify, the schedule is not feasible:")
        _verdict(prob, inst, sol, None)
        sys.exit(1)


@cli.command()
@click.argument("problem")
@click.argument("file", required=False, metavar="[FILE]")
@click.argument("solution", required=False, metavar="SOLUTION")
@click.option("--example", is_flag=True, help="Check against the bundled example instance of PROBLEM.")
@click.option("--format", "fmt", default=None, help="Instance format (default: from the file ending).")
@click.option("--all", "show_all", is_flag=True,
              help=f"List every violation (default: the first {SHOWN_PER_KIND} of each type).")
@with_reader
def validate(problem, file, solution, example, fmt, show_all, **reader):
    """Check SOLUTION (a solution, a solve Result or a certify document,
    JSON; rcpsp also CSV activity,start) against FILE (or the bundled
    example) from the problem definition: the violations, counted by type,
    and every false claim; exit 0 if feasible and true, 1 if not."""
    if example and solution is None:  # validate PROBLEM --example SOLUTION
        file, solution = None, file
    if solution is None:
        raise InputError("missing SOLUTION (usage: validate PROBLEM FILE SOLUTION, or PROBLEM --example SOLUTION)")
    prob = get_problem(problem)
    inst = _read_instance(prob, file, fmt, example, **reader)
    sp = require_file(solution, "solution file")
    data = _solution_document(prob, inst, sp, "validated")
    if _is_certificate(data):
        ok = _check_certificate(prob, inst, data, sp, show_all)
    else:
        ok = _verdict(prob, inst, _solution_in(prob, inst, sp, data), data, show_all=show_all)[0]
    note = (getattr(inst, "meta", None) or {}).get("input_note")
    if note:  # what the verdict does not cover (podpack: pod constraints the reader reads past)
        click.echo(f"input: {note}")
    sys.exit(0 if ok else 1)


def _solution_document(prob, inst, sp: Path, verb: str):
    """The parsed JSON of the solution file `sp` (None for a CSV the
    problem reads itself); a note on stderr when it names another instance
    than `inst`'s. Raises InputError for a Result or certificate of
    another problem."""
    data = None
    if sp.suffix.lower() != ".csv" or prob.read_solution is None:
        data = parse_json(read_text(sp, "solution file"), sp)
    require_problem(data, prob.key, sp, "validate {} FILE SOLUTION" if verb == "validated"
                    else "certify {} FILE --solution SOLUTION")
    if isinstance(data, dict) and data.get("instance") not in (None, inst.name):
        click.echo(f"note: the result is for instance {data['instance']}, {verb} against {inst.name}", err=True)
    return data


def _is_certificate(data) -> bool:
    return isinstance(data, dict) and {"heuristic_result", "exact_result"} <= set(data)


def _solution_in(prob, inst, sp: Path, data):
    """The solution object in the file `sp` (`data`: its parsed JSON): a
    bare solution or a Result's (``solve --out``); rcpsp also CSV."""
    if prob.read_solution is not None:  # rcpsp: also CSV, and repeated JSON keys kept for the validator
        return prob.read_solution(inst, sp)
    return prob.solution_from_dict(inst, solution_of(data, sp), sp)


def _verdict(prob, inst, sol, data, label: str = "", show_all: bool = False) -> tuple[bool, object]:
    """Print the validator's verdict on `sol` (and on the claims of the
    Result `data` it came from): "feasible: objective ..." or the
    violations counted by type, the first :data:`SHOWN_PER_KIND` of each
    listed (all with `show_all`). Returns (feasible and every claim holds,
    the validator's Evaluation)."""
    ev = prob.evaluate(inst, sol)
    if ev.feasible:
        click.echo(f"{label}feasible: objective {_fmt(ev.objective)}")
        claims = false_claims(data, ev.objective, prob.sense)  # a Result's certificate, held to its own solution
        if prob.decision_keys and isinstance(data, dict):  # the makespan, completion times ... it states
            claims += false_solution_facts(solution_of(data), prob.solution_to_dict(sol, inst), prob.decision_keys)
        whose = "the result's" if isinstance(data, dict) and "schema" in data else "the solution's"
        return _list_claims(f"{label}{whose} claims", claims), ev
    heads = [v.split(":", 1)[0] for v in ev.violations]  # the type: every validator writes "type: detail"
    kinds = Counter(heads)
    by_type = f" ({', '.join(f'{k} {c}' for k, c in kinds.items())})" if kinds else ""
    click.echo(f"{label}infeasible: {len(ev.violations)} violation(s){by_type}")
    shown: Counter = Counter()
    for v, head in zip(ev.violations, heads):
        shown[head] += 1
        if show_all or shown[head] <= SHOWN_PER_KIND:
            click.echo(f"  - {v}")
    hidden = {k: c - SHOWN_PER_KIND for k, c in kinds.items() if c > SHOWN_PER_KIND and not show_all}
    if hidden:
        more = ", ".join(f"{c} more {k}" for k, c in hidden.items())
        click.echo(f"  ... {more} (validate --all lists every one)")
    return False, ev


def _check_certificate(prob, inst, cert: dict, path, show_all: bool = False) -> bool:
    """Validate both schedules of a ``certify --json`` document and what it
    states about them: each Result's claims (:func:`_verdict`), its
    ``heuristic_objective``/``exact_objective``, its ``bound`` against
    both objectives (``heuristic_optimal`` claims the heuristic meets it),
    ``heuristic_gap``, ``exact_status``, and what
    :func:`schedcert.certify.false_certificate_claims` checks
    (``heuristic_deviation``, ``heuristic_deviation_min``, ``optimum_proven``), and podpack's
    ``heuristic_shortfall``."""
    from schedcert.certify import false_certificate_claims

    ok, objectives = True, {}
    for role in ("heuristic", "exact"):
        doc = cert[role + "_result"]
        label = f"{role} ({doc.get('method') if isinstance(doc, dict) else '?'}): "
        if isinstance(doc, dict) and doc.get("solution") is None and cert.get(role + "_objective") is None:
            click.echo(f"{label}no solution (status {doc.get('status')})")
            continue
        sol = prob.solution_from_dict(inst, solution_of(doc, path), path)
        claimed = {"schema": 1, "objective": cert.get(role + "_objective"), "bound": cert.get("bound")}
        if role == "heuristic":
            claimed.update(gap=cert.get("heuristic_gap"),
                           status="optimal" if cert.get("heuristic_optimal") else "feasible")
        else:
            claimed["status"] = cert.get("exact_status")
        fine, ev = _verdict(prob, inst, sol, doc, label, show_all)
        ok &= fine
        objectives[role] = ev.objective if ev.feasible else None
        claims = false_claims(claimed, ev.objective, prob.sense) if ev.feasible else []
        ok &= _list_claims(f"{label}the certificate's claims", claims)
    h, bound = objectives.get("heuristic"), cert.get("bound")
    claims = false_certificate_claims(cert, h, objectives.get("exact"), prob.sense)
    stated = cert.get("heuristic_shortfall")
    if stated is not None and h is not None and type(bound) is int:  # podpack's bounds are integers
        short = _shortfall(prob, inst, h, bound)
        if stated != short:
            claims.append(f"heuristic_shortfall: the certificate states {stated!r}; the heuristic's objective "
                          f"and the bound give {short!r}")
    return _list_claims("the certificate's claims", claims) and ok


def _list_claims(head: str, claims: list[str]) -> bool:
    """Print `claims` under "HEAD: N false"; True when there are none."""
    if claims:
        click.echo(f"{head}: {len(claims)} false")
        for c in claims:
            click.echo(f"  - {c}")
    return not claims


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("problem")
@click.option("--seed", type=_SEED, default=0, show_default=True)
@click.option("--count", type=_POSITIVE, default=1, show_default=True, help="Instances (seeds seed..seed+count-1).")
@click.option("-o", "--out", "out_dir", required=True,
              help="Folder for the instance files (NAME.json, or another ending the problem writes: that one "
                   "file, when one instance is made).")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.pass_context
def generate(ctx, problem, seed, count, out_dir, force):
    """Generate seeded instances; generator parameters as --name value
    (e.g. rcpsp: --jobs 30 --resources 4 --complexity 1.5 --resource-factor 0.5
    --resource-strength 0.5; an R-ConstraintBench ramp: --ramp 10 --mix
    all [--allow-infeasible]); 'schedcert problems PROBLEM' lists each
    problem's with its defaults."""
    prob = get_problem(problem)
    if prob.generate is None:
        raise InputError(f"{problem} has no generator")
    params = _generator_params(ctx.args)
    require_keywords(prob.generate, params, f"{problem} generator")
    ending = Path(out_dir).suffix.lower()
    if ending in prob.suffixes and ending not in prob.write_suffixes and not Path(out_dir).is_dir():
        raise InputError(f"{problem} instances are written as {', '.join(prob.write_suffixes)}, not {ending}; "
                         "expected a folder or one of those endings", out_dir)
    one_file = ending in prob.write_suffixes and not Path(out_dir).is_dir()
    out = None if one_file else make_folder(out_dir, "--out folder")
    batch = []
    for s in range(seed, seed + count):
        try:
            made = prob.generate(seed=s, **params)
        except TypeError as exc:
            raise InputError(f"generator parameters: {exc}") from None
        batch += made if isinstance(made, list) else [made]
    if one_file and len(batch) > 1:
        raise InputError(f"--out names one file, but {len(batch)} instances were made; expected a folder", out_dir)
    paths = [Path(out_dir)] if one_file else [out / f"{inst.name}.json" for inst in batch]
    for path in paths:  # every name checked before the first file is written: all or nothing
        _guard_overwrite(str(path), force)
    for inst, path in zip(batch, paths):
        prob.write(inst, path)
        click.echo(str(path))


def _generator_params(args) -> dict:
    out, i = {}, 0
    while i < len(args):
        a = args[i]
        if not a.startswith("--"):
            raise InputError(f"expected generator parameters as --name value, got {a!r}")
        if i + 1 >= len(args) or args[i + 1].startswith("--"):  # a flag: --allow-infeasible
            out[a[2:].replace("-", "_")] = True
            i += 1
            continue
        key, val = a[2:].replace("-", "_"), args[i + 1]
        for conv in (int, float):
            try:
                val = conv(val)
                break
            except ValueError:
                pass
        out[key] = val
        i += 2
    return out


@cli.command()
@click.argument("problem")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--methods", "-m", required=True, help="Comma-separated method names.")
@click.option("--time-limit", type=_SECONDS, default=10.0, show_default=True, help="Seconds per run.")
@click.option("--workers", type=_WORKERS, default=1, show_default=True, help="Solver threads per run.")
@click.option("--jobs", "-j", type=_POSITIVE, default=1, show_default=True, help="Runs in parallel (processes).")
@click.option("--seed", type=_SEED, default=0, show_default=True)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE",
              help=_PARAM_HELP)
@click.option("--objective", default=None, help="Objective, as --param objective=... (rcpsp: makespan | feasibility).")
@click.option("--reference", default=None, help="CSV of known bounds/optima per instance.")
@click.option("--out", "-o", "out_dir", required=True, help="Output folder (resumable).")
@click.option("--limit", type=_POSITIVE, default=None, help="Only the first N instances.")
@click.option("--no-report", is_flag=True, help="Skip writing summary.md/csv/png.")
@with_reader
def bench(problem, inputs, methods, time_limit, workers, jobs, seed, params, objective, reference, out_dir, limit,
          no_report, **reader):
    """Run METHODS on every instance in INPUTS (files, folders, globs); append
    to OUT/runs.jsonl, resume on rerun (retrying runs that ended in an
    error), then write the summary. Exit 2 when a run ended in an input
    error, 3 when one returned a solution the validator rejects (a defect
    in schedcert); every other run is recorded."""
    from schedcert.bench import BenchConfig, expand_inputs, run_bench
    from schedcert.reference import read_reference, reference_for
    from schedcert.report import write_report

    prob = get_problem(problem)
    mlist = list(dict.fromkeys(m.strip() for m in methods.split(",") if m.strip()))  # heft,heft ran it twice
    if not mlist:
        raise InputError(f"--methods: expected comma-separated method names, got {methods!r}")
    for m in mlist:
        get_method(prob, m)
    paths = expand_inputs(inputs, prob.suffixes, prob.expand)
    if limit:
        paths = paths[:limit]
    refs = read_reference(reference) if reference else None
    if refs is not None and paths and not any(reference_for(refs, p) for p in paths):  # most likely the wrong file
        click.echo(f"schedcert: warning: {reference} names none of the {len(paths)} instance(s) (first: "
                   f"{paths[0].name}; the file has e.g. {next(iter(refs), 'no rows')}); no deviation from "
                   "it will be reported", err=True)
    cores = _cores()
    if jobs * workers > cores:  # time-limited runs then share cores: fewer proofs than each would get alone
        click.echo(f"schedcert: warning: --jobs {jobs} x --workers {workers} = {jobs * workers} solver threads on "
                   f"{cores} core(s); the runs compete for them, so time-limited results are worse than on a "
                   "machine of their own (jobs x workers <= cores keeps them comparable)", err=True)
    reader = {k: v for k, v in reader.items() if v is not None}
    if reader:
        read_instance(prob, paths[0], None, **reader)  # bad option or platform: fail before the bench starts
    cfg = BenchConfig(problem=problem, time_limit=time_limit, workers=workers, seed=seed,
                      params=_parse_params(params, objective), reader=reader)
    check_params(prob, mlist, cfg.params)
    try:
        records = run_bench(cfg, paths, mlist, out_dir, jobs=jobs, references=refs)
    except KeyboardInterrupt:
        click.echo(f"schedcert: interrupted; the runs that finished are in {Path(out_dir) / 'runs.jsonl'} "
                   "(none cut short is recorded); rerun the same command to resume", err=True)
        sys.exit(INTERRUPTED)
    if not no_report:
        write_report(out_dir)
        click.echo((Path(out_dir) / "summary.md").read_text())
    named = {(p.name, m) for p in paths for m in mlist}
    failed = [r for r in records if r["status"] == "error" and (r["instance"], r["method"]) in named]
    defects = sum(bool(r.get("defect")) for r in failed)
    errors = len(failed) - defects
    where = "under Errors in summary.md" if not no_report else 'with status "error" in runs.jsonl'
    if errors:  # the other runs are recorded; a script running the bench still learns of the bad input
        click.echo(f"schedcert: error: {errors} of {len(named)} runs ended in an input error (listed {where} "
                   f"of {out_dir}; fix the files and rerun to retry them)", err=True)
    if defects:
        click.echo(f"schedcert: DEFECT: {defects} of {len(named)} runs returned a solution the independent "
                   f"validator rejects, a defect in schedcert, not in the input (listed {where} of {out_dir} "
                   "with the violations; please report them with the instance and the command)", err=True)
    if errors or defects:
        sys.exit(3 if defects else 2)


@cli.command()
@click.argument("out_dir", type=click.Path())
@click.option("--no-plot", is_flag=True, help="Skip the charts (summary.png, gaps.png).")
@click.option("--group", default=None, metavar="REGEX",
              help="Group instances by this regex of their name (first group) in the gap table, e.g. 'v(\\d+)-'.")
def report(out_dir, no_plot, group):
    """Summarise a bench folder: summary.md, summary.csv, summary.png and
    bounds.csv (with several methods also the gap to the proven optimum:
    gaps.csv, gaps.png; some problems add their own tables); prints the
    files written."""
    import re

    from schedcert.report import write_report

    if group is not None:
        try:
            re.compile(group)
        except re.error as exc:
            raise InputError(f"--group: not a regular expression ({exc}): {group!r}") from None
    written = write_report(out_dir, make_plot=not no_plot, group=group)
    click.echo((Path(out_dir) / "summary.md").read_text())
    click.echo(f"written in {Path(out_dir)}: {', '.join(written)}")


if __name__ == "__main__":  # pragma: no cover
    main()
