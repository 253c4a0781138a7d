"""smtt rules traced by hand from their definitions, augmentation, local
search optimality conditions, method composition."""

import itertools

import numpy as np
import pytest

from schedcert.errors import InputError
from schedcert.heuristics import smtt as H
from schedcert.instances.smtt import generate, make
from schedcert.registry import get_problem, run_method
from schedcert.result import Options

# J1 p4 d5, J2 p2 d6, J3 p3 d4, J4 p1 d1 (traced in the comments below)
TINY = make("tiny", [4, 2, 3, 1], [5, 6, 4, 1])


def one_based(seq):
    return [j + 1 for j in seq]


def test_edd_eddc_traced_by_hand():
    # EDD: d order J4, J3, J1, J2 -> C 1,4,8,10 -> T 0+0+3+4 = 7
    assert one_based(H.edd(TINY)) == [4, 3, 1, 2] and TINY.tardiness(H.edd(TINY)) == 7
    # EDDC: SPT start J4 J2 J3 J1; J3 passes J2 (d 6 > C 3); J1 may not pass J2 (d 6 > C 6 fails)
    assert one_based(H.eddc(TINY)) == [4, 3, 2, 1] and TINY.tardiness(H.eddc(TINY)) == 5
    assert H.eddc(TINY, order="edd") == H.edd(TINY)


def _eddc_by_definition(inst, order):
    """EDDC as the paper states it, each completion time summed afresh."""
    s = H.spt(inst) if order == "spt" else H.edd(inst)
    for i in range(1, len(s)):
        for j in range(i, 0, -1):
            if inst.d[s[j]] >= inst.d[s[j - 1]]:
                break
            if inst.d[s[j - 1]] > sum(inst.p[x] for x in s[:j]):  # the job at j-1 is early
                s[j], s[j - 1] = s[j - 1], s[j]
    return s


@pytest.mark.parametrize("seed", range(40))
def test_eddc_running_sums_match_the_definition(seed):
    """EDDC keeps its completion times as running sums now (summing them at
    every step was O(n^3): 27 s at 2 000 jobs, 0.19 s now); same sequences."""
    rng = np.random.default_rng(seed)
    inst = generate(seed=seed, jobs=int(rng.integers(2, 60)), tf=float(rng.choice([0.2, 0.6, 1.0])),
                    rdd=float(rng.choice([0.2, 0.6, 1.0])), pmax=int(rng.choice([3, 10, 100])))
    for order in ("spt", "edd"):
        assert H.eddc(inst, order) == _eddc_by_definition(inst, order)


def test_mddc_and_mdd_traced_by_hand():
    # MDDC scores at t=0: J4 1.565, J3 6.64, J1 9.1, J2 8.0 -> J4; t=1: J3 6.19 < J2 7.33 < J1 8.51;
    # t=4: J2 6.85 < J1 10.65
    assert one_based(H.mddc(TINY)) == [4, 3, 2, 1]
    # MDD: t=0 max(d, t+p) = 5,6,4,1 -> J4; t=1: J3 4; t=4: J1 8, J2 6 -> J2
    assert one_based(H.mdd(TINY)) == [4, 3, 2, 1]


def test_psk_traced_by_hand():
    # SPT J4 J2 J3 J1: J4 late now -> J4; active J2, J3 has d 4 < 6 -> active J3, then
    # d_J3 = 4 <= 1 + p_J1 -> J3; J2 late now (4 + 2 >= 6) -> J2; J1
    assert one_based(H.psk(TINY)) == [4, 3, 2, 1]


def test_augmented_edd_moves_j1_to_the_end():
    # after appending J2 to J4 J3 J1 (T 7), moving J1 to the end gives T 5 (J3 gives 7, not strictly better)
    assert one_based(H.run_rule(TINY, "aug-edd", {})) == [4, 3, 2, 1]


def _cost(inst, s):
    return inst.tardiness([int(x) for x in s])


@pytest.mark.parametrize("seed", range(4))
def test_local_search_reaches_its_local_optimum(seed):
    inst = generate(seed=seed, jobs=25, tf=0.6, rdd=0.4, weighted=seed % 2 == 1)
    p, d, w = H._arrays(inst)
    start = np.asarray(H.edd(inst), dtype=np.int64)
    for name in ("api", "swap", "insert", "dynasearch"):
        s = H.improve(inst, start, name, Options())
        assert sorted(s) == list(range(inst.n)) and _cost(inst, s) <= _cost(inst, start)
    for name in ("swap", "dynasearch"):  # no improving interchange is left
        s = H.improve(inst, start, name, Options())
        base = _cost(inst, s)
        for i, j in itertools.combinations(range(inst.n), 2):
            t = s.copy()
            t[i], t[j] = t[j], t[i]
            assert _cost(inst, t) >= base, name
    s = H.improve(inst, start, "insert", Options())  # no improving single move is left
    for i, j in itertools.permutations(range(inst.n), 2):
        t = list(s)
        t.insert(j, t.pop(i))
        assert _cost(inst, t) >= _cost(inst, s)
    s = H.improve(inst, start, "api", Options())
    for i in range(inst.n - 1):
        t = s.copy()
        t[i], t[i + 1] = t[i + 1], t[i]
        assert _cost(inst, t) >= _cost(inst, s)


@pytest.mark.parametrize("seed", range(3))
def test_dynasearch_prefix_table_gives_the_same_pass_as_the_plain_sums(seed):
    inst = generate(seed=seed, jobs=60, tf=0.6, rdd=0.2, weighted=seed == 2)
    p, d, w = H._arrays(inst)
    fast, plain = (np.asarray(H.mdd(inst), dtype=np.int64) for _ in range(2))
    while True:
        moved = H._dynasearch_pass(p, d, w, fast, True)
        assert moved == H._dynasearch_pass(p, d, w, plain, False) and list(fast) == list(plain)
        if not moved:
            break


def test_dynasearch_stops_at_the_time_limit_between_passes():
    # a time-limited descent is a prefix of the full one: no better than it, no worse than the start
    import time

    inst = generate(seed=5, jobs=500, tf=0.6, rdd=0.2)  # full descent: about 0.1 s
    start = H.mdd(inst)
    small = generate(seed=5, jobs=5)
    H.dynasearch(small, H.mdd(small), 1.0)  # compiled before the timing
    t0 = time.perf_counter()
    limited = H.dynasearch(inst, start, 0.01)
    spent = time.perf_counter() - t0
    full = H.dynasearch(inst, start)
    assert _cost(inst, full) < _cost(inst, limited) <= _cost(inst, start)  # the full descent needs several passes
    assert spent < 1.0
    prob = get_problem("smtt")
    res = run_method(prob, "mdd+dynasearch", inst, Options(time_limit=0.03))  # the rest of 0.03 s after MDD
    assert _cost(inst, full) < res.objective <= res.info["mdd"] and res.runtime < 1.0


def test_ids_keeps_the_time_limit_whatever_ls_time_says():
    """--param ls_time=8 with --time-limit 1 ran for 8.00 s (60 here: 60 s): ls_time is the
    search's own budget, within the method's time limit."""
    prob = get_problem("smtt")
    inst = generate(seed=5, jobs=60, tf=0.6, rdd=0.2)  # not solved to zero tardiness by dynasearch
    run_method(prob, "ids", inst, Options(time_limit=0.1))  # compiled before the timing
    res = run_method(prob, "ids", inst, Options(time_limit=0.5, params={"ls_time": 60}))
    assert res.runtime < 5  # 60 s before
    assert res.info["ls_time"] >= 0.4  # the search used its budget up to the limit


def test_composed_methods_and_weighted_rules():
    prob = get_problem("smtt")
    inst = generate(seed=3, jobs=40, tf=0.6, rdd=0.2, weighted=True)
    mdd = run_method(prob, "mdd", inst, Options())
    both = run_method(prob, "mdd+dynasearch", inst, Options())
    assert both.objective <= mdd.objective and both.info["mdd"] == mdd.objective
    ids = run_method(prob, "mdd+ids", inst, Options(params={"ls_time": 0.3}))
    assert ids.objective <= both.objective
    for name in ("wspt", "atc", "covert", "aug-atc"):
        assert run_method(prob, name, inst, Options()).evaluation.feasible
    with pytest.raises(InputError, match="not a local search"):
        run_method(prob, "mdd+edd", inst, Options())
