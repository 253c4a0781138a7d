"""Error types shared by every problem.

`InputError` is raised for anything the *user* got wrong (a malformed file, an
unknown method, an impossible instance). The CLI turns it into a one-line
message and exit code 2 — never a traceback. `InfeasibleInstance` is an
`InputError` whose instance is well formed but provably has no solution
(exit code 1). `ValidationError` means a method returned an infeasible
solution: that is a bug in schedcert, not in the input, and it is allowed to
surface loudly.

`require_file`, `read_text`, `parse_json`, `parse_yaml` and
`require_keywords` are the checks every reader and the generators share: a
path that must be a regular file of UTF-8 text holding valid JSON or YAML
(each key once per mapping),
``--name value`` options that must match a function's keyword
parameters; `require_list`, `reject_unknown_keys`, `require_problem` and
`entry_errors` turn a slip inside a nested document into such a message,
`integer_expected` words a number that must be an integer and `did_you_mean`
names the nearest of the valid names.
`require_output_file` and `make_folder` check where results go before any
work is done.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path


class SchedcertError(Exception):
    """Base class of all schedcert errors."""


class InputError(SchedcertError):
    """Bad user input: names the file, the line (1-based, when there is one)
    and what was expected.

    Parameters
    ----------
    message : str
        What is wrong / what was expected, in the user's terms.
    file : str or Path, optional
        The file the problem was found in.
    line : int, optional
        1-based line number within `file`.
    """

    exit_code = 2

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        return where + self.message


class InfeasibleInstance(InputError):
    """The instance is well formed but provably has no feasible solution
    (e.g. an activity demands more of a resource than its capacity)."""

    exit_code = 1


class ValidationError(SchedcertError):
    """A method returned a solution that the independent validator rejects.

    This is a defect in schedcert (the model disagrees with the problem
    definition) and is never silenced.
    """


def require_file(path: str | Path, what: str = "file") -> Path:
    """`path` as a Path if it names a regular file, else InputError naming
    it: "no such <what>", "is a folder; expected a <what>" or "not a
    regular file; expected a <what>" (a device, a socket, ...)."""
    p = Path(path)
    if p.is_file():
        return p
    a = "an" if what[:1] in "aeiou" else "a"
    if p.is_dir():
        raise InputError(f"is a folder; expected {a} {what}", p)
    if p.exists():
        raise InputError(f"not a regular file; expected {a} {what}", p)
    raise InputError(f"no such {what}", p)


def read_text(path: str | Path, what: str = "instance file") -> str:
    """The text of the file `path` (:func:`require_file`): UTF-8, a leading
    byte-order mark dropped (Excel's "CSV UTF-8" writes one). InputError
    naming the line of the first byte that is not UTF-8 (a binary file, a
    spreadsheet, a UTF-16 or Latin-1 export)."""
    p = require_file(path, what)
    data = p.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        a = "an" if what[:1] in "aeiou" else "a"
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x}); expected {a} {what} in UTF-8", p,
                         line) from None


class _DuplicateKey(Exception):
    pass


def _unique_object(pairs):
    """``object_pairs_hook`` refusing a key given twice in one JSON object
    (``json.loads`` keeps the last and drops the first unseen)."""
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key, out.get("name") if key != "name" else None)
        out[key] = value
    return out


def parse_json(text: str, path: str | Path | None = None, **kwargs):
    """``json.loads(text, **kwargs)``; a syntax error, or a key given twice
    in one object (unless `kwargs` has its own ``object_pairs_hook``),
    becomes an InputError naming `path` (and the line of a syntax error;
    of a repeated key, the object's ``name`` if it has one)."""
    import json

    kwargs.setdefault("object_pairs_hook", _unique_object)
    try:
        return json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    except _DuplicateKey as exc:
        key, name = exc.args
        where = f" (the one named {name!r})" if isinstance(name, (str, int)) else ""
        raise InputError(f"key {key!r} given twice in one object{where}; expected each key once "
                         "(JSON readers keep only the last)", path) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path) from None


def reject_duplicate_keys(loader, node) -> None:
    """Raise a YAML ConstructorError at the second occurrence of a key in
    the mapping `node` (YAML requires unique keys; PyYAML keeps the last
    silently). Keys merged in with ``<<`` may be overridden."""
    import yaml

    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark,
                f"key {key!r} given twice (first on line {seen[key]}); expected each key once",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1


def unique_key_loader():
    """A ``yaml.SafeLoader`` subclass that refuses a key given twice in
    one mapping (:func:`reject_duplicate_keys`)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                reject_duplicate_keys(self, node)
            return super().construct_mapping(node, deep=deep)

    return Loader


def parse_yaml(text: str, path: str | Path | None = None, loader=None, every: bool = False):
    """The YAML document in `text` (:func:`unique_key_loader` unless
    `loader`), or with `every` the list of its non-empty documents; a
    syntax error, a key given twice in one mapping or a mapping used as a
    key becomes an InputError naming `path` and the line."""
    import yaml

    loader = loader or unique_key_loader()
    try:
        if every:
            return [d for d in yaml.load_all(text, Loader=loader) if d is not None]  # noqa: S506 - safe loaders
        return yaml.load(text, Loader=loader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", path,
                         mark.line + 1 if mark else None) from None
    except TypeError:  # a custom loader building a dict keyed by a mapping or list: '{a: 1}: 2'
        raise InputError("invalid YAML: a mapping or list used as a key (expected 'name: value' entries)",
                         path) from None
    except RecursionError:
        raise InputError("invalid YAML: nested too deeply", path) from None


@contextmanager
def entry_errors(what: str, expected: str, path: str | Path | None = None):
    """Context for reading one entry of a nested document (a node, a pod):
    a structural slip — a string where a mapping belongs, a missing key, a
    word where a number belongs — becomes an InputError naming the entry,
    what was found and `expected`; an InputError without a file gets
    `path`."""
    try:
        yield
    except InputError as exc:
        if exc.file is None and path is not None:
            raise InputError(exc.message, path) from None
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{what}: malformed ({type(exc).__name__}: {exc}); expected {expected}", path) from None


def integer_expected(what: str, found) -> str:
    """The message for `found` where an integer belongs. A fraction (2.5,
    '2.5') gets the way out: the models keep time integral (DESIGN.md), so
    the user scales the unit."""
    text = f"{what}: expected an integer, found {found!r}"
    try:
        fraction = not isinstance(found, bool) and float(found) != int(float(found))
    except (TypeError, ValueError, OverflowError):  # a word, None, inf, nan
        fraction = False
    return text + (" (times and amounts are integers: use a finer unit, e.g. minutes for hours)" if fraction else "")


def require_list(value, what: str, path: str | Path | None = None, line: int | None = None) -> list:
    """`value` if it is a list (absent, None: an empty one); InputError
    "<what>: expected a list, found ..." otherwise — a string would be read
    letter by letter, a number not at all."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{what}: expected a list, found {value!r}", path, line)
    return list(value)


def did_you_mean(word, choices) -> str:
    """`` (did you mean 'x'?)`` for the choice closest to `word` (difflib
    ratio >= 0.7), else ``''``: for messages about a misspelt name."""
    import difflib

    near = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.7)
    return f" (did you mean {near[0]!r}?)" if near else ""


def reject_unknown_keys(entry, allowed, what: str, path: str | Path | None = None,
                        line: int | None = None) -> None:
    """InputError naming the first key of the mapping `entry` that is not in
    `allowed` (and the allowed key closest to it, if one is close): in the
    project's own formats a misspelt optional key (``relase: 5``) would
    otherwise be dropped without a word and the constraint lost. Anything
    but a mapping passes (its caller says what shape was expected)."""
    if not isinstance(entry, dict):
        return
    allowed = [str(a) for a in allowed]
    unknown = [k for k in entry if str(k) not in allowed]
    if unknown:
        hint = did_you_mean(unknown[0], allowed)
        raise InputError(f"{what}: unknown key {unknown[0]!r}{hint}; expected {', '.join(allowed)}", path, line)


def require_problem(document, key: str, path: str | Path | None = None, usage: str = "solve {} FILE") -> None:
    """InputError when `document` says it belongs to another problem
    (``problem: smtt`` given to rcpsp, which only named a missing key);
    `usage`: the command that takes it, ``{}`` standing for its problem."""
    other = document.get("problem") if isinstance(document, dict) else None
    if isinstance(other, str) and other != key:
        raise InputError(f"the document is for {other}, not {key}; {usage.split()[0]} it with: "
                         f"schedcert {usage.format(other)}", path)


def require_output_file(path: str | Path, what: str = "output file") -> Path:
    """`path` as a Path if a file can be written there (it is not a folder
    and its folder exists), else InputError naming it."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"is a folder; expected a file name for the {what}", p)
    if not p.parent.is_dir():
        raise InputError(f"folder {p.parent} does not exist (for the {what})", p)
    return p


def write_output(path: str | Path, text: str, what: str = "output file") -> None:
    """Write `text` to the file `path`; InputError naming it and the system's
    reason when it cannot be written (no permission, a full disk, a
    read-only or special file system such as /proc)."""
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise InputError(f"cannot write the {what}: {exc.strerror or exc}", path) from None


def make_folder(path: str | Path, what: str = "output folder") -> Path:
    """Create the folder `path` and its parents if missing; InputError if it
    or a parent is a file, or it cannot be created (e.g. no permission)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError(f"is a file; expected the {what}", p)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the {what}: {exc.strerror}", p) from None
    return p


def magnitude(x) -> str:
    """A number for a message, in 3 significant digits (``1.18e+21``); an
    integer past a float's range (a 400-digit value in a file) as its count
    of digits, where formatting it as a float raised OverflowError."""
    try:
        return f"{x:.3g}"
    except OverflowError:
        return f"a {len(str(abs(int(x))))}-digit number"


#: The largest start time a solution file may hold: the exact methods take a
#: warm start's times into 64-bit models (CP-SAT domains, MILP bounds).
MAX_TIME = 2 ** 62


def require_times(times, names, what: str, path: str | Path | None = None) -> None:
    """InputError for the first of `times` (numbers or anything else: the
    validator reports what is not a number) whose magnitude is past
    :data:`MAX_TIME`, naming its ``what name`` and `path`. A start of
    10^400 in a schedule is feasible by definition, but no 64-bit model
    takes it, and a deviation from the optimum divided by it is past a
    float's range."""
    for name, t in zip(names, times):
        if isinstance(t, (int, float)) and not isinstance(t, bool) and abs(t) > MAX_TIME:
            raise InputError(f"{what} {name}: start {magnitude(t)} is past 2^62, the largest time schedcert takes "
                             "(its models are 64-bit)", path)


def require_sizes(what: str, **sizes: tuple[int, int]) -> None:
    """InputError naming the first of `sizes` (``name=(value, largest)``)
    above its largest value: a generator asked for an instance it would
    take hours and all the memory to make (``--jobs 100000000``, a slip of
    zeros) says so instead of hanging."""
    for name, (value, largest) in sizes.items():
        if value > largest:
            big = f"{largest:,}".replace(",", " ")
            raise InputError(f"{what}: --{name.replace('_', '-')} {value} is above {big}, the largest this generator "
                             "makes")


def require_keywords(fn, params: dict, what: str) -> None:
    """InputError unless every key of `params` is a keyword parameter of `fn`
    (``seed`` aside) and every value has the parameter's type (an integer or
    a number where the default, or the annotation, is ``int`` or ``float``;
    0, 1 or the bare flag where it is ``bool``).
    Names them as ``--name`` options and lists the accepted ones. Unknown
    keys pass when `fn` takes ``**kwargs`` (it passes them on and checks
    them itself)."""
    import inspect

    opt = lambda k: "--" + k.replace("_", "-")  # noqa: E731
    every = inspect.signature(fn).parameters.values()
    sig = {p.name: p for p in every if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "seed"}
    takes_any = any(p.kind is p.VAR_KEYWORD for p in every)
    unknown = [k for k in params if k not in sig]
    if unknown and not takes_any:
        raise InputError(f"unknown {what} parameter {', '.join(map(opt, unknown))}; "
                         f"expected {', '.join(map(opt, sig))}")
    for k, v in params.items():
        p = sig.get(k)
        if p is None:
            continue
        hint = str(p.annotation)
        numeric = type(p.default) in (int, float) or (p.default is None and hint.startswith(("int", "float")))
        integral = type(p.default) is int or (p.default is None and hint.startswith("int"))
        if numeric and (isinstance(v, bool) or not isinstance(v, (int, float)) or (integral and isinstance(v, float))):
            raise InputError(f"{what} parameter {opt(k)}: expected {'an integer' if integral else 'a number'}, "
                             f"found {v!r}")
        if numeric and isinstance(v, float) and not math.isfinite(v):  # --complexity inf: OverflowError traceback
            raise InputError(f"{what} parameter {opt(k)}: expected a finite number, found {v!r}")
        if (type(p.default) is bool or hint == "bool") and v not in (True, False, 0, 1):  # 'no' was True
            raise InputError(f"{what} parameter {opt(k)}: expected 0 or 1 (or {opt(k)} alone for 1), found {v!r}")
