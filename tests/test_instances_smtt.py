"""smtt instances: readers (lines, OR-Library streams, JSON), bad input,
generator, validator, OR-Library reference files."""

import json

import pytest

from schedcert.errors import InputError
from schedcert.instances.smtt import SmttSolution, evaluate, generate, read, write
from schedcert.reference import read_reference


def test_lines_with_negative_due_dates_and_weights(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("# p d\n3 -2\n\n4 10  # comment\n")
    inst = read(f)
    assert inst.p == (3, 4) and inst.d == (-2, 10) and not inst.weighted
    g = tmp_path / "b.txt"
    g.write_text("3 5 2\n1 1 7\n")
    assert read(g).w == (2, 7)


def test_a_header_line_names_the_columns(tmp_path):
    """A spreadsheet's CSV with a header ('p,d,w') was refused at line 1
    ("expected an integer, found 'p'"); the header may also reorder them."""
    from schedcert.registry import run_method
    from schedcert.result import Options

    f = tmp_path / "jobs.csv"
    f.write_text("due_date,p\n1,3\n2,2\n")  # p = (3, 2), d = (1, 2): optimum 4 (job 2 first)
    inst = read(f)
    assert inst.p == (3, 2) and inst.d == (1, 2)
    assert run_method("smtt", "bb", inst, Options(time_limit=10)).objective == 4
    f.write_text("W, Processing_Time, d\n3, 2, 1\n1, 3, 10\n")
    assert read(f).w == (3, 1) and read(f).p == (2, 3) and read(f).d == (1, 10)


@pytest.mark.parametrize("text, line, words", [
    ("p,due,x\n3,5,1\n", 1, "header 'p due x': expected the columns p and d (and w) by these names"),
    ("p d d\n3 5 1\n", 1, "header 'p d d'"),
    ("p,d,w\n3,5\n", 2, "expected 3 columns like the header, found 2"),
    ("3 5\n2.5 4\n", 2, "processing time: expected an integer, found '2.5' (times and amounts are integers: use a"),
    ("3 5\n7\n", 2, "found 1 columns"),
    ("3 5\n2 4 1\n", 2, "expected 2 columns"),
    ("3 5\n0 4\n", 2, "job 2: processing time: expected a positive integer, found 0"),
    ("# p d w\n3 5 1\n\n2 4 0\n", 4, "job 2: weight: expected an integer >= 1, found 0"),
    ("\n# nothing\n", None, "found no jobs"),
])
def test_bad_lines_name_file_and_line(tmp_path, text, line, words):
    f = tmp_path / "bad.txt"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        read(f)
    assert words in str(exc.value) and "bad.txt" in str(exc.value)
    if line:
        assert f":{line}" in str(exc.value)


def test_orlib_stream_first_and_last_values(instances_dir):
    f = instances_dir / "orlib" / "wt40.txt"
    if not f.is_file():
        pytest.skip(f"{f} not found")
    raw = [int(x) for x in f.read_text().split()]
    first = read(f"{f}#1")
    last = read(f"{f}#125")
    assert first.name == "wt40.txt#1" and first.n == 40
    assert first.p[:3] == (26, 24, 79) and first.p == tuple(raw[:40])
    assert first.w == tuple(raw[40:80]) and first.d == tuple(raw[80:120])
    assert last.d[-1] == raw[-1] == 0 and last.p == tuple(raw[-120:-80])
    with pytest.raises(InputError, match="holds 125"):
        read(f"{f}#126")
    with pytest.raises(InputError, match=r"select one as wt40.txt#k \(k = 1..125\)$"):
        read(f, "orlib")
    with pytest.raises(InputError, match="select one as wt40.txt#k .* --format lines"):
        read(f)  # the stream's name says orlib


def test_orlib_n_from_option_and_bad_length(tmp_path):
    f = tmp_path / "stream.txt"
    f.write_text("1 2  1 1  5 6\n3 4  1 2  0 0\n")  # two instances of n = 2
    assert read(f"{f}#2", n=2).p == (3, 4)
    with pytest.raises(InputError, match="multiple of 3 x 5"):
        read(f"{f}#1", n=5)
    # a name as OR-Library gives it fixes n: 12 integers split as 1 x (3 x 4) or 2 x (3 x 2) alike
    wt = tmp_path / "wt2.txt"
    wt.write_text(f.read_text())
    assert read(f"{wt}#2").p == read(f"{wt}#2", n=2).p == (3, 4)
    with pytest.raises(InputError, match=r"wt2.txt: --n 4, but the file name says 2 jobs per instance"):
        read(f"{wt}#1", n=4)


def test_json_roundtrip_and_generator(tmp_path):
    a = generate(seed=4, jobs=30, tf=0.4, rdd=0.8, weighted=True)
    b = generate(seed=4, jobs=30, tf=0.4, rdd=0.8, weighted=True)
    assert a == b and a != generate(seed=5, jobs=30, tf=0.4, rdd=0.8, weighted=True)
    big = sum(a.p)
    assert all(round(big * 0.2) <= d <= round(big * 1.0) for d in a.d)
    assert all(1 <= w <= 10 for w in a.w) and a.meta["params"]["tf"] == 0.4
    write(a, tmp_path / "a.json")
    assert read(tmp_path / "a.json") == a
    write(a, tmp_path / "a.txt")
    assert read(tmp_path / "a.txt").w == a.w


def test_validator_recomputes_and_reports():
    inst = generate(seed=1, jobs=4)
    seq = (2, 0, 3, 1)
    t, want = 0, 0
    for j in seq:
        t += inst.p[j]
        want += max(0, t - inst.d[j])
    assert evaluate(inst, SmttSolution(seq)).objective == want
    ev = evaluate(inst, SmttSolution((0, 0, 1, 9)))
    assert not ev.feasible
    text = " ".join(ev.violations)
    assert "job 1 appears twice" in text and "job 10 does not exist" in text and "missing" in text
    assert sorted(v.split(":", 1)[0] for v in ev.violations) == ["duplicate", "missing", "missing", "unknown"]


def test_orlib_reference_one_value_per_line(tmp_path):
    f = tmp_path / "wtopt40.txt"
    f.write_text("\n 913\n 1225\n")
    ref = read_reference(f)
    assert ref["wt40.txt#1"].upper_bound == 913 and ref["wt40.txt#2"].optimal


def test_paper_class_of_every_instance_matches_the_shared_optima(instances_dir):
    import csv

    from schedcert.reports.smtt import instance_class

    for n in (20, 100):
        path = instances_dir / "smtt" / "paper" / f"optima_n{n}.csv"
        if not path.is_file():
            pytest.skip(f"{path} not found")
        for row in csv.DictReader(open(path)):
            assert instance_class(row["instance"]) == (n, float(row["rdd"]), float(row["tf"])), row


def test_json_values_that_are_not_integer_lists_are_named(tmp_path):
    """These were ValueError/TypeError tracebacks."""
    f = tmp_path / "j.json"
    for doc, message in [({"p": [1, 2], "d": "x"}, "due dates: expected a list of integers, found 'x'"),
                         ({"p": [1, "a"], "d": [1, 2]}, "processing times: job 2: expected an integer, found 'a'"),
                         ({"p": 5, "d": 3}, "processing times: expected a list of integers, found 5"),
                         ({"p": [1, 2], "d": [1, 2], "w": [1, 2.5]}, "weights: job 2: expected an integer, found 2.5")]:
        f.write_text(json.dumps(doc))
        with pytest.raises(InputError, match=message):
            read(f)


def test_misspelt_key_is_named(tmp_path):
    """'weights' for 'w' made a weighted instance unweighted without a word."""
    f = tmp_path / "j.json"
    f.write_text(json.dumps({"p": [1, 2], "d": [1, 2], "weights": [3, 1]}))
    with pytest.raises(InputError, match="j.json: document: unknown key 'weights'; expected problem, name, p, d, w"):
        read(f)


def test_numbers_beyond_64_bits_and_lrdp_horizon(tmp_path):
    """p = 10^19 was an OverflowError; Σp = 10^12 weighted made lrdp's
    time-indexed DP a MemoryError (Σp = 10^8: 29 s past a 5 s limit), so
    lrdp refuses it and the default goes to cpsat."""
    from schedcert.registry import default_method_for, get_problem, run_method

    f = tmp_path / "big.json"
    f.write_text(json.dumps({"p": [10 ** 19, 2], "d": [1, 2]}))
    with pytest.raises(InputError, match="overflow the 64-bit integers"):
        read(f)
    f.write_text(json.dumps({"p": [2, 5], "d": [1, 10 ** 40]}))  # bb, lrdp, ids: OverflowError tracebacks
    with pytest.raises(InputError, match=r"job 2: due date 1e\+40 is past 2\^62.*from Σp = 7 on means the same"):
        read(f)
    f.write_text(json.dumps({"p": [10 ** 400, 2], "d": [1, 2]}))  # the message itself overflowed a float
    with pytest.raises(InputError, match=r"Σw·Σp ≈ a 401-digit number\) overflow the 64-bit integers"):
        read(f)
    f.write_text(json.dumps({"p": [10 ** 8, 2, 5], "d": [1, 2, 3], "w": [1, 2, 3]}))
    inst = read(f)
    assert default_method_for(get_problem("smtt"), inst) == "cpsat"
    with pytest.raises(InputError, match="lrdp's time-indexed bound needs"):
        run_method("smtt", "lrdp", inst)
