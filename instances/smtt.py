"""Single-machine (weighted) total tardiness: data model, readers, writer,
generator, validator and problem registration.

Problem (1||ΣTj, and 1||ΣwjTj when weights are given)
    ``n`` jobs with integer processing times ``p_j > 0``, integer due dates
    ``d_j`` (may be negative) and integer weights ``w_j >= 1`` (default 1)
    are sequenced on one machine from time 0 without idle time or
    preemption. Job ``j`` completes at ``C_j`` (sum of the processing times
    up to and including ``j``) and is ``T_j = max(0, C_j - d_j)`` late.
    Minimise ``Σ w_j T_j``. Internally jobs are numbered 0..n-1; files and
    solutions number them 1..n (line order).

Formats
    ``lines``: one job per line, ``p d`` or ``p d w`` (the test sets of
    Çetinkaya et al., arXiv 2510.24013), spaces or commas, an optional
    header line naming the columns (:func:`read_lines`); ``orlib``: the OR-Library weighted
    tardiness stream (Beasley: per instance n processing times, n weights,
    n due dates), one instance selected as ``FILE#k`` (k from 1), n from the
    file name (``wt40.txt``) or ``--n``; ``json``: the project's format.
"""

from __future__ import annotations

import json
import numbers
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from schedcert.errors import (InputError, integer_expected, parse_json, read_text, reject_unknown_keys, require_file,
                              magnitude, require_problem, require_sizes)
from schedcert.registry import Problem, register_problem
from schedcert.result import Evaluation


@dataclass(frozen=True)
class SmttInstance:
    """A single-machine total (weighted) tardiness instance.

    Attributes
    ----------
    name : str
    p, d, w : tuple of int, shape (n,)
        Processing times (> 0), due dates, weights (>= 1; all 1 for 1||ΣTj).
    meta : dict
        Provenance (source file, generator parameters).
    """

    name: str
    p: tuple
    d: tuple
    w: tuple
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return len(self.p)

    @property
    def weighted(self) -> bool:
        return any(x != 1 for x in self.w)

    def tardiness(self, sequence) -> int:
        """``Σ w_j max(0, C_j - d_j)`` of a sequence of job indices."""
        t = total = 0
        for j in sequence:
            t += self.p[j]
            if t > self.d[j]:
                total += self.w[j] * (t - self.d[j])
        return total

    def to_dict(self) -> dict:
        doc = {"problem": "smtt", "name": self.name, "p": list(self.p), "d": list(self.d)}
        if self.weighted:
            doc["w"] = list(self.w)
        if self.meta:
            doc["meta"] = self.meta
        return doc


@dataclass(frozen=True)
class SmttSolution:
    """A job sequence (0-based job indices, first processed first)."""

    sequence: tuple


def _integers(values, what: str, source) -> tuple:
    """`values` as a tuple of ints; InputError naming `what` for anything
    else (a number for a list, a word or a fraction in it)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InputError(f"{what}: expected a list of integers, found {values!r}", source)
    out = []
    for j, x in enumerate(values):
        if isinstance(x, bool) or not isinstance(x, numbers.Integral):  # numpy integers pass
            raise InputError(integer_expected(f"{what}: job {j + 1}", x), source)
        out.append(int(x))
    return tuple(out)


def make(name, p, d, w=None, meta=None, source=None) -> SmttInstance:
    """Build and check an instance; InputError (naming `source`) if p <= 0,
    w < 1, lengths differ or there are no jobs."""
    p, d = _integers(p, "processing times", source), _integers(d, "due dates", source)
    w = _integers(w, "weights", source) if w is not None else (1,) * len(p)
    if not p:
        raise InputError("expected at least one job", source)
    if not len(p) == len(d) == len(w):
        raise InputError(f"expected as many due dates and weights as processing times ({len(p)})", source)
    for j in range(len(p)):
        if p[j] <= 0:
            raise InputError(f"job {j + 1}: processing time must be a positive integer, found {p[j]}", source)
        if w[j] < 1:
            raise InputError(f"job {j + 1}: weight must be an integer >= 1, found {w[j]}", source)
    worst = sum(w) * (sum(p) + max(0, -min(d)))  # Σ w_j T_j of any sequence is at most this
    if worst >= 2 ** 62:
        raise InputError(f"processing times, due dates and weights this large (Σw·Σp ≈ {magnitude(worst)}) "
                         "overflow the 64-bit integers of the methods; scale the time unit", source)
    late = max(range(len(d)), key=lambda j: d[j])
    if d[late] > 2 ** 62:  # past what the methods' 64-bit arithmetic takes; any d >= Σp means: never late
        raise InputError(f"job {late + 1}: due date {magnitude(d[late])} is past 2^62, what the methods' 64-bit "
                         f"integers take; every due date from Σp = {sum(p)} on means the same (never late): "
                         "write that", source)
    return SmttInstance(name, p, d, w, meta or {})


# ---------------------------------------------------------------- readers

def _int(tok: str, path, line: int, what: str) -> int:
    try:
        return int(tok)
    except ValueError:
        raise InputError(integer_expected(what, tok), path, line) from None


# Column names a header line of the lines format may use (any case), by field.
_HEADER = {"p": ("p", "processing_time", "duration"), "d": ("d", "due_date", "due"), "w": ("w", "weight")}


def _header(toks: list, path, line: int) -> list | None:
    """The field order ('p', 'd', 'w') a header line gives, or None when the
    line holds a number (a job line)."""
    if any(t.lstrip("+-").isdigit() for t in toks):
        return None
    names = {n: f for f, ns in _HEADER.items() for n in ns}
    order = [names.get(t.lower()) for t in toks]
    if None in order or len(set(order)) != len(order) or not {"p", "d"} <= set(order):
        raise InputError(f"header {' '.join(toks)!r}: expected the columns p and d (and w) by these names: "
                         + "; ".join(f"{f}: {', '.join(ns)}" for f, ns in _HEADER.items()), path, line)
    return order


def read_lines(path: Path) -> SmttInstance:
    """One job per line, ``p d`` or ``p d w`` separated by spaces or commas
    (blank lines and ``#`` comments skipped); every job line must have the
    same number of columns. A first line of column names (``p,d,w``,
    ``processing_time due_date weight``, any order) is read as a header."""
    p, d, w = [], [], []
    cols, order = None, None
    for ln, raw in enumerate(read_text(path).splitlines(), start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        toks = text.replace(",", " ").split()
        if cols is None and order is None and (order := _header(toks, path, ln)) is not None:
            continue
        if len(toks) not in (2, 3):
            raise InputError(f"expected 'processing_time due_date [weight]', found {len(toks)} columns", path, ln)
        if cols is None:
            cols = len(toks)
        elif len(toks) != cols:
            raise InputError(f"expected {cols} columns like the first job line, found {len(toks)}", path, ln)
        if order is not None and len(order) != cols:
            raise InputError(f"expected {len(order)} columns like the header, found {cols}", path, ln)
        field = dict(zip(order or ("p", "d", "w"), toks))
        p.append(_int(field["p"], path, ln, "processing time"))
        d.append(_int(field["d"], path, ln, "due date"))
        if cols == 3:
            w.append(_int(field["w"], path, ln, "weight"))
        # checked here, not only in make(), so that the message names the line
        if p[-1] <= 0:
            raise InputError(f"job {len(p)}: processing time: expected a positive integer, found {p[-1]}", path, ln)
        if cols == 3 and w[-1] < 1:
            raise InputError(f"job {len(p)}: weight: expected an integer >= 1, found {w[-1]}", path, ln)
    if not p:
        raise InputError("expected one job per line ('processing_time due_date'), found no jobs", path)
    return make(path.stem, p, d, w if cols == 3 else None, {"source": str(path)}, path)


#: an OR-Library weighted tardiness stream's name; the number is the jobs per instance
_ORLIB_NAME = re.compile(r"wt(\d+)\.txt")


def orlib_n(path: Path, n: int | None) -> int:
    """Jobs per instance of an OR-Library stream: `n`, else the number in the
    file name (``wt40.txt`` -> 40); InputError if neither is given, or if
    both are and differ for a file named as OR-Library names them
    (``wt40.txt --n 50`` split its 15 000 integers into 100 instances of
    50 jobs, every one wrong)."""
    named = _ORLIB_NAME.fullmatch(path.name.lower())
    if n is not None:
        if named and int(named.group(1)) != int(n):
            raise InputError(f"--n {n}, but the file name says {named.group(1)} jobs per instance; drop --n "
                             "(or rename the file if it is not OR-Library's)", path)
        return int(n)
    m = re.match(r"[a-z]*?(\d+)", path.name.lower())
    if not m:
        raise InputError("cannot tell the number of jobs from the file name; give --n", path)
    return int(m.group(1))


def read_orlib_stream(path: Path, n: int | None = None) -> list[tuple[list, list, list]]:
    """All instances of an OR-Library weighted tardiness file as
    ``(p, w, d)`` lists; InputError if the integers do not split into
    instances of ``3 n``."""
    n = orlib_n(path, n)
    nums = []
    for ln, raw in enumerate(read_text(path).splitlines(), start=1):
        nums += [_int(tok, path, ln, "value") for tok in raw.split()]
    if not nums or len(nums) % (3 * n):
        raise InputError(f"expected a multiple of 3 x {n} integers (n = {n} jobs per instance), found {len(nums)}",
                         path)
    return [(nums[i:i + n], nums[i + n:i + 2 * n], nums[i + 2 * n:i + 3 * n])
            for i in range(0, len(nums), 3 * n)]


def is_orlib_stream(path: Path) -> bool:
    """OR-Library weighted tardiness streams are named ``wt<n>.txt``."""
    return _ORLIB_NAME.fullmatch(path.name.lower()) is not None


def split_selector(path) -> tuple[Path, int | None]:
    """``FILE#k`` -> (FILE, k); plain paths -> (path, None)."""
    text = str(path)
    m = re.fullmatch(r"(.*)#(\d+)", text)
    if m and not Path(text).exists():
        return Path(m.group(1)), int(m.group(2))
    return Path(text), None


def read(path, format=None, n=None) -> SmttInstance:
    """Read an instance (see the module docstring for formats). ``n`` is the
    OR-Library jobs per instance. Raises InputError naming file and line."""
    file, k = split_selector(path)
    require_file(file, "instance file")
    fmt = format or ("orlib" if k is not None or is_orlib_stream(file)
                     else "json" if file.suffix.lower() == ".json" else "lines")
    if n is not None and fmt != "orlib":  # it was ignored without a word
        raise InputError(f"--n applies to OR-Library streams only; this is a {fmt} file", file)
    if fmt == "orlib":
        stream = read_orlib_stream(file, n)
        if k is None:
            by_name = "" if format else "; a 'p d [w]' file of that name: --format lines"
            raise InputError(f"an OR-Library file holds {len(stream)} instances; select one as "
                             f"{file.name}#k (k = 1..{len(stream)}){by_name}", file)
        if not 1 <= k <= len(stream):
            raise InputError(f"instance #{k} requested, the file holds {len(stream)}", file)
        p, w, d = stream[k - 1]
        return make(f"{file.name}#{k}", p, d, w, {"source": str(file), "index": k}, file)
    if fmt == "json":
        doc = parse_json(read_text(file), file)
        require_problem(doc, "smtt", file)
        if not isinstance(doc, dict) or not all(k in doc for k in ("p", "d")):
            raise InputError("expected a JSON object with lists 'p' and 'd' (and optionally 'w')", file)
        reject_unknown_keys(doc, ("problem", "name", "p", "d", "w", "meta"), "document", file)
        return make(doc.get("name", file.stem), doc["p"], doc["d"], doc.get("w"), doc.get("meta"), file)
    if fmt == "lines":
        return read_lines(file)
    raise InputError(f"unknown smtt format {fmt!r}; expected lines, orlib or json")


def expand(path: Path) -> list[str]:
    """Instances held by one file for ``bench``: an OR-Library stream
    (``wt*.txt``) expands to ``FILE#1 .. FILE#m``; other files are one."""
    if is_orlib_stream(path):
        return [f"{path}#{k}" for k in range(1, len(read_orlib_stream(path)) + 1)]
    return [str(path)]


def write(inst: SmttInstance, path) -> None:
    """The project's JSON format (``.json``) or the ``p d [w]`` lines format."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(inst.to_dict(), indent=1) + "\n")
    else:
        rows = zip(inst.p, inst.d, inst.w) if inst.weighted else zip(inst.p, inst.d)
        path.write_text("".join(" ".join(map(str, r)) + "\n" for r in rows))


def lower_bound(inst: SmttInstance) -> int:
    """A cheap lower bound on Σ w_j T_j, from the definition alone.

    The k-th job to finish in any sequence ends no earlier than the sum of
    the k shortest processing times, and pairing those completion times
    with the due dates in increasing order minimises Σ max(0, C - d) over
    all pairings, so ``Σ_k max(0, SPT_k - d_(k))`` bounds Σ T_j (the pairing
    bound the ``bb`` search also uses at its root); Σ w_j T_j >= min w · Σ T_j.
    """
    total, c = 0, 0
    for p, d in zip(sorted(inst.p), sorted(inst.d)):
        c += p
        total += max(0, c - d)
    return min(inst.w) * total


# ---------------------------------------------------------------- solutions & validator

def solution_to_dict(sol: SmttSolution, inst: SmttInstance | None = None) -> dict:
    """``{"sequence": [job numbers 1..n]}`` plus completion times when the
    instance is given."""
    doc = {"sequence": [j + 1 for j in sol.sequence]}
    if inst is not None:
        t, comp = 0, []
        for j in sol.sequence:
            t += inst.p[j]
            comp.append(t)
        doc["completion"] = comp
    return doc


def solution_from_dict(inst: SmttInstance, data, source=None) -> SmttSolution:
    """Accepts ``{"sequence": [...]}`` (job numbers 1..n); the validator
    reports duplicates and missing jobs."""
    seq = data.get("sequence") if isinstance(data, dict) else data
    if not isinstance(seq, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in seq):
        raise InputError("expected 'sequence': a list of job numbers 1..n", source)
    return SmttSolution(tuple(x - 1 for x in seq))


def evaluate(inst: SmttInstance, sol: SmttSolution) -> Evaluation:
    """Validator written from the definition: the sequence must hold every
    job 1..n exactly once; the objective ``Σ w_j max(0, C_j - d_j)`` is
    recomputed with ``C_j`` the running sum of processing times.
    Violations are typed ``unknown: ...``, ``duplicate: ...``,
    ``missing: ...`` (one per job)."""
    violations = []
    seen = set()
    for pos, j in enumerate(sol.sequence):
        if not 0 <= j < inst.n:
            violations.append(f"unknown: position {pos + 1}: job {j + 1} does not exist (jobs are 1..{inst.n})")
        elif j in seen:
            violations.append(f"duplicate: position {pos + 1}: job {j + 1} appears twice")
        seen.add(j)
    violations += [f"missing: job {j + 1} is not in the sequence" for j in range(inst.n) if j not in seen]
    if violations:
        return Evaluation(None, violations)
    t = total = 0
    for j in sol.sequence:
        t += inst.p[j]
        total += inst.w[j] * max(0, t - inst.d[j])
    return Evaluation(total, [])


# ---------------------------------------------------------------- generator

def generate(seed: int = 0, jobs: int = 20, tf: float = 0.6, rdd: float = 0.6, weighted: bool = False,
             pmax: int = 100, wmax: int = 10) -> SmttInstance:
    """Random instance (Potts & Van Wassenhove 1982; Beasley's OR-Library
    sets): ``p ~ U{1..pmax}``, ``w ~ U{1..wmax}`` when `weighted`,
    ``d ~ U{P(1 - tf - rdd/2) .. P(1 - tf + rdd/2)}`` with ``P = Σ p``
    (tf: tardiness factor, rdd: relative range of due dates). Parameters are
    recorded in ``meta``."""
    if jobs < 1 or pmax < 1 or wmax < 1 or rdd < 0:
        raise InputError("generator: need jobs >= 1, pmax >= 1, wmax >= 1, rdd >= 0")
    require_sizes("generate smtt", jobs=(jobs, 1_000_000))
    rng = random.Random(seed)
    p = [rng.randint(1, pmax) for _ in range(jobs)]
    w = [rng.randint(1, wmax) for _ in range(jobs)] if weighted else None
    big = sum(p)
    lo, hi = round(big * (1 - tf - rdd / 2)), round(big * (1 - tf + rdd / 2))
    d = [rng.randint(lo, hi) for _ in range(jobs)]
    params = dict(jobs=jobs, tf=tf, rdd=rdd, weighted=weighted, pmax=pmax, wmax=wmax, seed=seed)
    name = f"smtt{'w' if weighted else ''}-n{jobs}-tf{tf:g}-rdd{rdd:g}-s{seed}"
    return make(name, p, d, w, {"generator": "potts-vanwassenhove1982", "params": params})


def describe(inst: SmttInstance, sol: SmttSolution):
    """The sequence as ``(headers, rows)``: position, job, p, d, w, C, T."""
    rows, t = [], 0
    for pos, j in enumerate(sol.sequence, start=1):
        t += inst.p[j]
        rows.append((pos, j + 1, inst.p[j], inst.d[j], inst.w[j], t, max(0, t - inst.d[j])))
    return ("position", "job", "p", "d", "w", "completion", "tardiness"), rows


def _plot(inst, sol, path, title=None):
    from schedcert.plots.smtt import plot_schedule

    plot_schedule(inst, sol, path, title=title)


def _report(records, out_dir, group=None):
    from schedcert.reports.smtt import report

    return report(records, out_dir, group)


def _default_method(inst: SmttInstance) -> str:
    """``bb`` for 1||ΣTj; ``lrdp`` for 1||ΣwjTj up to its horizon, else ``cpsat``."""
    from schedcert.models.smtt_lagrange import MAX_TOTAL_TIME

    if not inst.weighted:
        return "bb"
    return "lrdp" if sum(inst.p) <= MAX_TOTAL_TIME else "cpsat"


PROBLEM = register_problem(Problem(
    key="smtt",
    title="Single-machine total (weighted) tardiness, 1||ΣTj and 1||ΣwjTj",
    sense="min",
    formats={
        "lines": "one job per line: 'p d' or 'p d w', spaces or commas; optional header line p,d,w (.txt)",
        "orlib": "OR-Library wt stream (wt40.txt ...); select an instance as FILE#k; --n jobs if not in the name",
        "json": "schedcert JSON (.json): {p: [...], d: [...], w: [...]}",
    },
    read=read,
    write=write,
    evaluate=evaluate,
    solution_to_dict=solution_to_dict,
    solution_from_dict=solution_from_dict,
    decision_keys=("sequence",),
    generate=generate,
    plot=_plot,
    describe=describe,
    suffixes=(".txt", ".json"),
    write_suffixes=(".json", ".txt"),
    example="smtt-example.txt",
    default_method="bb",
    default_heuristic="mddc+dynasearch",
    default_for=_default_method,
    default_note="lrdp on weighted instances (cpsat when Σp > 10^6, beyond lrdp's time-indexed bound)",
    reader_options=("n",),
    expand=expand,
    report=_report,
))
