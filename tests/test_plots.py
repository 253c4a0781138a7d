"""The smtt and podpack charts: what is drawn matches the schedule, worked
out by hand here, and `solve --plot` writes them."""

import matplotlib.pyplot as plt
import pytest
from podpack_helpers import node, pod, snapshot

from schedcert.instances.podpack import PodpackSolution
from schedcert.instances.smtt import SmttSolution, make
from schedcert.plots.podpack import draw_placement
from schedcert.plots.smtt import draw_schedule


def test_smtt_chart_rows_tardy_parts_and_running_total():
    # sequence 2, 0, 1 (0-based): C = 2, 5, 9; d = 1, 6, 4 -> T = 1, 0, 5; weights 3, 1, 2 -> 3 + 0 + 10
    inst = make("t", p=(3, 4, 2), d=(6, 4, 1), w=(1, 2, 3))
    fig = draw_schedule(inst, SmttSolution((2, 0, 1)))
    try:
        gantt, total = fig.axes
        bars = [(b.get_x(), b.get_width(), round(b.get_y() + b.get_height() / 2)) for b in gantt.patches]
        blue = [b for b, p in zip(bars, gantt.patches) if p.get_facecolor()[0] < 0.5]
        red = [b for b, p in zip(bars, gantt.patches) if p.get_facecolor()[0] > 0.5]
        assert blue == [(0, 2, 0), (2, 3, 1), (5, 4, 2)]  # start, length, row of each job in order
        assert red == [(1, 1, 0), (5, 4, 2)]  # the part past the due date (job 1 starts late: all of it)
        assert [t.get_text() for t in gantt.texts] == ["3", "1", "2"]  # 1-based job numbers, as in the file
        ticks = gantt.collections[0].get_offsets()
        assert [tuple(map(float, xy)) for xy in ticks] == [(1, 0), (6, 1), (4, 2)]
        x, y = total.lines[0].get_data()
        assert list(y)[-1] == 13 == inst.tardiness((2, 0, 1))
        assert gantt.get_legend().get_title().get_text() == "2 of 3 jobs tardy"
    finally:
        plt.close(fig)


def test_podpack_chart_stacks_requests_per_tier_as_fraction_of_allocatable():
    inst = snapshot([node("n1", 4000), node("n2", 2000)],
                    [pod("hi", 1000, 10, "n1"), pod("lo", 2000, 1), pod("lo2", 1000, 1), pod("big", 3000, 1)])
    sol = PodpackSolution(("n1", "n1", "n2", None))
    fig = draw_placement(inst, sol)
    try:
        cpu = fig.axes[0]
        assert [a.get_ylabel() for a in fig.axes] == ["cpu", "memory"]
        tiers = cpu.containers  # priority 10 first (bottom), then 1
        assert [round(b.get_height(), 6) for b in tiers[0]] == [0.25, 0.0]
        assert [round(b.get_height(), 6) for b in tiers[1]] == [0.5, 0.5]
        assert [b.get_y() for b in tiers[1]] == [0.25, 0.0]
        labels = [t.get_text() for t in cpu.get_legend().get_texts()]
        assert labels == ["priority 10: 1 of 1 placed", "priority 1: 2 of 3 placed"]
    finally:
        plt.close(fig)


def test_podpack_chart_of_many_nodes_draws_one_step_patch_per_tier():
    """Above BARS_UP_TO nodes a tier is one filled step outline (a bar per
    node took 23 s for the 1523 Alibaba nodes; now 3.6 s), same heights."""
    from schedcert.plots.podpack import BARS_UP_TO

    n = BARS_UP_TO + 1
    inst = snapshot([node(f"n{k:03d}", 4000) for k in range(n)],
                    [pod("hi", 1000, 10, "n000"), pod("lo", 2000, 1, "n000"), pod("lo2", 3000, 1, f"n{n - 1:03d}")])
    fig = draw_placement(inst, PodpackSolution(("n000", "n000", f"n{n - 1:03d}")))
    try:
        cpu = fig.axes[0]
        hi, lo = cpu.patches
        hi_top, edges, hi_base = hi.get_data()
        lo_top, _, lo_base = lo.get_data()
        assert len(edges) == n + 1 and edges[0] == -0.5
        assert (hi_top[0], hi_base[0], lo_top[0], lo_base[0]) == (0.25, 0.0, 0.75, 0.25)
        assert (hi_top[-1], lo_top[-1], lo_base[-1]) == (0.0, 0.75, 0.0) and max(lo_top[1:-1]) == 0.0
    finally:
        plt.close(fig)


@pytest.mark.parametrize("problem", ["smtt", "podpack"])
def test_solve_plot_writes_the_chart(run, tmp_path, problem):
    res = run("solve", problem, "--example", "--time-limit", "10", "--workers", "2", "--plot", tmp_path / "c.png")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
