"""Bench engine: run methods over many instances, append-only and resumable.

Layout of an output folder ``OUT``:

* ``OUT/bench.json``: the settings (problem, time limit, workers, seed,
  params). A rerun with other settings is refused, so one folder never mixes
  runs made under different limits. It also lists the methods in the order
  the commands named them (the report's row order).
* ``OUT/runs.jsonl``: one Result document per (instance, method) run,
  appended, flushed and fsynced as each run finishes. A killed bench loses at
  most the runs in flight; rerunning the same command skips every run already
  recorded (a torn last line is dropped first) except those that ended in an
  input error: their records are removed and the runs retried, so a file
  fixed after a bench is run on the rerun. A run cut short by Ctrl-C is
  never recorded (:mod:`schedcert.interrupt`): the bench stops instead.
  One bench at a time writes to a folder (:func:`bench_lock`); ``report``
  reads it at any time.

Runs execute in worker processes (``--jobs``); each gets its own time limit
and solver worker count. :class:`Executor` is the seam where a distributed
executor (e.g. Dask's ``Client.submit``/``as_completed``) can be plugged in.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from schedcert.errors import InfeasibleInstance, InputError, ValidationError, make_folder, parse_json, read_text
from schedcert.reference import Reference, reference_for
from schedcert.result import is_number

RUNS = "runs.jsonl"
CONFIG = "bench.json"


@dataclass(frozen=True)
class BenchConfig:
    """Settings every run of one bench folder shares."""

    problem: str
    time_limit: float | None
    workers: int = 1
    seed: int = 0
    params: dict = field(default_factory=dict)
    reader: dict = field(default_factory=dict)  # reader options, e.g. {"platform": "hetero4.json"}

    def key(self) -> dict:
        d = asdict(self)
        if not d["reader"]:  # folders written before reader options existed stay valid
            del d["reader"]
        return d


def natural_key(s: str):
    """Sort ``j301_2`` before ``j301_10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def expand_inputs(inputs: Iterable[str], suffixes: Iterable[str], expand=None) -> list[Path]:
    """Instances named by `inputs`: files, folders (their files with one of
    `suffixes`, not recursive), glob patterns and ``FILE#k`` (instance k of
    a multi-instance file, as ``solve`` takes it). ``expand(file) -> [spec]``
    (the problem's hook) turns a file holding several instances into one
    spec each (e.g. ``wt40.txt#1``). InputError if none match."""
    suffixes = tuple(s.lower() for s in suffixes)
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        sel = re.fullmatch(r"(.+)#\d+", item)
        if sel and Path(sel.group(1)).is_file() and not p.exists():  # one instance of a multi-instance file
            out.append(p)
        elif p.is_dir():
            out += [f for f in p.iterdir() if f.is_file() and f.suffix.lower() in suffixes]
        elif p.is_file():
            out.append(p)
        else:
            matches = [Path(m) for m in glob.glob(item) if Path(m).is_file()]
            if not matches:
                raise InputError(f"no instance files match {item!r}")
            out += matches
    if not out:
        subs = sorted((d.name for i in inputs if Path(i).is_dir() for d in Path(i).iterdir() if d.is_dir()),
                      key=natural_key)
        hint = (f"; folders are not searched below their top level (here: {', '.join(subs[:6])}"
                f"{' ...' if len(subs) > 6 else ''}): name them, or a pattern such as 'DIR/*/*{suffixes[0]}'"
                if subs else "")
        raise InputError(f"no instance files (expected endings {', '.join(suffixes)}) in {', '.join(inputs)}{hint}")
    if expand is not None:
        out = [Path(spec) for f in out for spec in expand(f)]
    uniq = sorted(set(out), key=lambda p: natural_key(str(p)))
    names = {}
    for p in uniq:
        if p.name in names:
            raise InputError(f"two instances named {p.name} ({names[p.name]} and {p}); bench them separately")
        names[p.name] = p
    return uniq


def read_runs(out_dir: Path, repair: bool = False) -> list[dict]:
    """All complete records of ``runs.jsonl``.

    Every record is written with its newline, so a last line without one is
    a record torn by a kill, or one a running bench is still writing: it is
    left out, and with `repair` (the bench, holding :func:`bench_lock`) cut
    from the file (our own unfinished write, never user data) so that the
    run is redone. A complete line that is not JSON is an InputError naming
    the line.
    """
    path = Path(out_dir) / RUNS
    if not path.exists():
        return []
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raw = raw[: raw.rfind(b"\n") + 1]
        if repair:
            with path.open("r+b") as fh:
                fh.truncate(len(raw))
    records = []
    for ln, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            raise InputError("corrupt record (not JSON)", path, ln) from None
        _check_record(rec, path, ln)
        records.append(rec)
    return records


def _check_record(rec, path: Path, line: int) -> None:
    """InputError unless `rec` has the shape of a run record: text
    ``instance``, ``method``, ``status``; a number ``runtime``; numbers (or
    null) for ``objective``, ``bound`` and ``gap``, a number
    ``objective`` for a run with a solution (status optimal or feasible);
    objects (or null) for ``info`` and ``reference``, the latter with
    numbers (or null; both numbers when ``optimal``) for ``lower_bound``
    and ``upper_bound``."""
    shape = "expected a run written by `schedcert bench` (text instance, method, status; a number for runtime; " \
            "numbers or null for objective, bound, gap; objects for info, reference)"

    def number(v):
        return v is None or is_number(v)

    if not isinstance(rec, dict):
        raise InputError(f"record is {type(rec).__name__}; {shape}", path, line)
    for key in ("instance", "method", "status"):
        if not isinstance(rec.get(key), str):
            raise InputError(f"record: {key} is {rec.get(key)!r}; {shape}", path, line)
    for key in ("objective", "bound", "gap", "runtime"):
        if not number(rec.get(key)) or key == "runtime" and rec.get(key) is None:
            raise InputError(f"record: {key} is {rec.get(key)!r}; {shape}", path, line)
    if rec["status"] in ("optimal", "feasible") and rec.get("objective") is None:
        raise InputError(f"record: status {rec['status']} without an objective; {shape}", path, line)
    for key in ("info", "reference"):
        if rec.get(key) is not None and not isinstance(rec[key], dict):
            raise InputError(f"record: {key} is {rec[key]!r}; {shape}", path, line)
    ref = rec.get("reference") or {}
    for key in ("lower_bound", "upper_bound"):
        if ref and not number(ref.get(key)) or ref.get("optimal") and ref.get(key) is None:
            raise InputError(f"record: reference {key} is {ref.get(key)!r}"
                             f"{' for an optimal reference' if ref.get('optimal') else ''}; {shape}", path, line)


def read_config(out_dir: Path) -> dict | None:
    """The settings ``bench.json`` of `out_dir` (None when absent);
    InputError when it is not a JSON object."""
    cfg_path = Path(out_dir) / CONFIG
    if not cfg_path.exists():
        return None
    cfg = parse_json(read_text(cfg_path, "bench settings file"), cfg_path)
    if not isinstance(cfg, dict):
        raise InputError("expected a JSON object of bench settings (written by `schedcert bench`)", cfg_path, 1)
    return cfg


def _check_config(out_dir: Path, config: BenchConfig, methods: list[str]) -> None:
    """Refuse a folder made with other settings; record `methods` in the
    order given (after those of earlier commands) for the report's rows."""
    cfg_path = out_dir / CONFIG
    listed: list[str] = []
    old = read_config(out_dir)
    if old is not None:
        listed = old.pop("methods", [])
        if old != config.key():
            diff = {k: (old.get(k), v) for k, v in config.key().items() if old.get(k) != v}
            raise InputError(
                f"{out_dir} holds runs made with other settings {diff} (was, now); "
                "rerun with the same settings to resume, or choose another --out", cfg_path)
    else:
        foreign = sorted(p.name for p in out_dir.iterdir() if not p.name.startswith("."))
        if foreign and not (out_dir / RUNS).exists():  # someone's folder: summary.md etc. would be overwritten
            raise InputError(f"not a bench folder (no {CONFIG} or {RUNS}) and not empty ({', '.join(foreign[:3])}"
                             f"{' ...' if len(foreign) > 3 else ''}); give a new or empty folder", out_dir)
    listed += [m for m in methods if m not in listed]
    cfg_path.write_text(json.dumps({**config.key(), "methods": listed}, indent=1) + "\n")


#: how the record of a run whose solution the validator rejected begins its error
DEFECT = "defect in schedcert, not in the input (please report it)"


def run_one(config: dict, path: str, method: str, reference: dict | None) -> dict:
    """One (instance, method) run -> its JSONL record. Runs in a worker
    process; input errors become an ``error`` record instead of a crash, an
    instance proven infeasible as it is read an ``infeasible`` one, and a
    solution the validator rejects (a ValidationError: a defect in
    schedcert) an ``error`` record with ``defect: true`` and the violations,
    so one defect does not stop a batch (the CLI exits 3 at the end)."""
    from schedcert.registry import get_problem, own_version, read_instance, run_method
    from schedcert.result import Options, Result, Status

    prob = get_problem(config["problem"])
    t0 = time.perf_counter()
    rec = {"instance": Path(path).name, "method": method, "path": str(path)}
    try:
        inst = read_instance(prob, path, None, **config.get("reader", {}))
        opts = Options(time_limit=config["time_limit"], workers=config["workers"],
                       seed=config["seed"], params=dict(config["params"]))
        res = run_method(prob, method, inst, opts)
        doc = res.to_dict(lambda s: prob.solution_to_dict(s, inst))
        doc["instance"] = rec["instance"]
        rec = {**doc, "path": str(path)}
    except InfeasibleInstance as exc:  # proven as it was read (rcpsp: a demand above every capacity)
        res = Result(problem=prob.key, instance=rec["instance"], method=method, status=Status.INFEASIBLE,
                     objective=None, bound=None, runtime=time.perf_counter() - t0,
                     solver={"name": "schedcert", "version": own_version(), "params": dict(config["params"])},
                     info={"explanation": exc.message, "note": "proven infeasible when the instance was read"})
        rec = {**res.to_dict(), "path": str(path)}
    except InputError as exc:
        rec.update(status="error", error=str(exc), runtime=round(time.perf_counter() - t0, 4))
    except ValidationError as exc:  # a defect: recorded and counted loudly, so the batch gets past it
        rec.update(status="error", defect=True, error=f"{DEFECT}: {exc}", runtime=round(time.perf_counter() - t0, 4))
    if reference is not None:
        rec["reference"] = reference
    return rec


class Executor:
    """Runs tasks and yields their records as they finish.

    ``jobs == 1`` runs in this process; otherwise a process pool (spawned
    workers, so no solver threads are forked). Subclass and override
    :meth:`map_unordered` to distribute runs elsewhere.
    """

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, int(jobs))

    def map_unordered(self, tasks: list[tuple]) -> Iterator[dict]:
        if self.jobs == 1:
            for t in tasks:
                yield run_one(*t)
            return
        import multiprocessing as mp

        from schedcert.interrupt import install

        with ProcessPoolExecutor(self.jobs, mp_context=mp.get_context("spawn"), initializer=install) as pool:
            futures = [pool.submit(run_one, *t) for t in tasks]
            try:
                for f in as_completed(futures):
                    yield f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                _interrupt_workers(pool)  # runs in flight stop now instead of at their time limit
                raise


def _interrupt_workers(pool) -> None:
    """Send SIGINT to the pool's worker processes: each stops its CP-SAT
    search at once (:mod:`schedcert.interrupt`) and its run is not recorded.
    A terminal's Ctrl-C reaches them anyway; ``kill -INT`` of the main
    process alone did not, and the bench waited for every run in flight
    and the ones queued behind them (62 s for two 30 s runs)."""
    import signal

    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            os.kill(proc.pid, signal.SIGINT)
        except (OSError, AttributeError):
            pass


@contextmanager
def bench_lock(out_dir: Path):
    """Hold an exclusive lock on the folder `out_dir` (``flock`` on the
    folder itself, so nothing is added to it) while a bench writes there.

    Raises
    ------
    InputError
        Another bench holds it: two benches appending to one ``runs.jsonl``
        would run every missing pair twice, and the second one's repair of
        a torn last line could cut a record the first was still writing.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (the folder is still resumable)
        yield
        return
    fd = os.open(out_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InputError("another `schedcert bench` is writing to this folder; wait for it to finish "
                             "(`schedcert report` reads it meanwhile) or choose another --out", out_dir) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def run_bench(config: BenchConfig, paths: list[Path], methods: list[str], out_dir: str | Path,
              jobs: int = 1, references: dict[str, Reference] | None = None,
              progress: bool = True, executor: Executor | None = None) -> list[dict]:
    """Run every (instance, method) pair not yet in ``out_dir/runs.jsonl``.

    Returns all records (old and new). Raises InputError on a settings
    mismatch with an existing folder, or when another bench is writing to
    it (:func:`bench_lock`).
    """
    out_dir = make_folder(out_dir, "--out folder of the bench")
    with bench_lock(out_dir):
        return _run_locked(config, paths, methods, out_dir, jobs, references, progress, executor)


def _run_locked(config, paths, methods, out_dir: Path, jobs, references, progress, executor) -> list[dict]:
    _check_config(out_dir, config, methods)
    records = read_runs(out_dir, repair=True)
    retried = drop_error_runs(out_dir, {(p.name, m) for p in paths for m in methods})
    if retried:
        records = read_runs(out_dir)
    done = {(r["instance"], r["method"]) for r in records}
    refs = references or {}
    known = {p: reference_for(refs, p) for p in paths}
    tasks = [(config.key(), str(p), m, known[p].to_dict() if known[p] else None)
             for p in paths for m in methods if (p.name, m) not in done]
    executor = executor or Executor(jobs)
    counts = {s: sum(r.get("status") == s for r in records) for s in ("optimal", "feasible", "infeasible")}
    bar = _Progress(len(tasks), len(done), counts, enabled=progress, retried=retried)
    with bar, (out_dir / RUNS).open("a") as fh:
        for rec in executor.map_unordered(tasks):
            if (rec.get("info") or {}).get("interrupted"):  # cut short by Ctrl-C: not a run at its time limit
                raise KeyboardInterrupt
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            records.append(rec)
            if rec.get("status") in counts:
                counts[rec["status"]] += 1
            bar.advance(rec)
    return records


def drop_error_runs(out_dir: Path, pairs: set) -> int:
    """Remove from ``runs.jsonl`` the ``error`` records of the (instance,
    method) `pairs` a bench is about to run, so that they are retried;
    every other line is kept byte for byte. The file is replaced
    atomically (a kill leaves the old one or the new one). Call with
    :func:`bench_lock` held, after ``read_runs(repair=True)``. Returns how
    many records were removed."""
    path = Path(out_dir) / RUNS
    if not path.exists():
        return 0
    keep, dropped = [], 0
    for line in path.read_bytes().splitlines(keepends=True):
        rec = json.loads(line) if line.strip() else None
        if isinstance(rec, dict) and rec.get("status") == "error" and (rec["instance"], rec["method"]) in pairs:
            dropped += 1
        else:
            keep.append(line)
    if dropped:
        tmp = path.with_name(RUNS + ".tmp")
        with tmp.open("wb") as fh:
            fh.write(b"".join(keep))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return dropped


class _Progress:
    """rich progress bar on stderr: runs done, ETA, running optimal/feasible
    (and infeasible, once a run proves it) counts."""

    def __init__(self, total: int, skipped: int, counts: dict, enabled: bool = True, retried: int = 0):
        self.total, self.skipped, self.counts, self.retried = total, skipped, counts, retried
        self.enabled = enabled and total > 0
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                               console=Console(file=sys.stderr))
            self._p.__enter__()
            if self.skipped:
                self._p.console.print(f"resuming: {self.skipped} runs already recorded")
            if self.retried:
                self._p.console.print(f"retrying {self.retried} runs that ended in an error")
            self._task = self._p.add_task(self._desc(), total=self.total)
        return self

    def _desc(self) -> str:
        infeasible = f" infeasible {self.counts['infeasible']}" if self.counts.get("infeasible") else ""
        return f"optimal {self.counts['optimal']} feasible {self.counts['feasible']}{infeasible}"

    def advance(self, rec: dict):
        if self._p is not None:
            self._p.update(self._task, advance=1, description=self._desc())

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.__exit__(*exc)
        return False
