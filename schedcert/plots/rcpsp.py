"""Gantt chart plus resource-usage profiles of an RCPSP schedule (matplotlib).

Top panel: one row per activity (sorted by start time, zero-duration dummies
left out), labelled with the activity name; bottom panels: one step plot of
usage per resource under its capacity profile (dashed; it steps with the
resource's calendar, down to 0 in downtime). The figure height grows with the
number of activities so that 120 activities stay readable.
"""

from __future__ import annotations

from pathlib import Path

from schedcert.plots.figure import pyplot, save


def plot_schedule(instance, solution, path: str | Path, title: str | None = None) -> None:
    """Write the chart for `solution` of `instance` to `path` (PNG/PDF/SVG by
    ending)."""
    save(draw_schedule(instance, solution, title), path)


def draw_schedule(instance, solution, title: str | None = None):
    """The chart as a matplotlib Figure: axes 0 the Gantt chart, axes 1 + k
    resource k (usage, then the capacity profile as its second line)."""
    plt = pyplot()

    starts = solution.starts
    p = instance.durations
    acts = sorted((j for j in range(instance.n) if p[j] > 0), key=lambda j: (starts[j], j))
    makespan = max(s + d for s, d in zip(starts, p))
    K = instance.n_resources
    rows = len(acts)
    gantt_h = max(3.0, 0.13 * rows + 1)
    fig = plt.figure(figsize=(12, gantt_h + 1.3 * K))
    gs = fig.add_gridspec(1 + K, 1, height_ratios=[gantt_h] + [1.3] * K, hspace=0.35)
    ax = fig.add_subplot(gs[0])
    cmap = plt.get_cmap("tab20")
    for row, j in enumerate(acts):
        main_res = max(range(K), key=lambda k: instance.demands[j][k] / max(1, instance.capacities[k])) if K else 0
        ax.barh(row, p[j], left=starts[j], height=0.8, color=cmap(main_res % 20), edgecolor="black", linewidth=0.3)
        ax.text(starts[j] + p[j] / 2, row, instance.activity_names[j], ha="center", va="center",
                fontsize=max(4, min(8, 700 / max(rows, 1))))
    ax.set_ylim(rows - 0.4, -0.6)
    ax.set_yticks([])
    ax.set_xlim(0, makespan)
    ax.set_ylabel(f"{rows} activities (by start)")
    ax.axvline(makespan, color="red", lw=1)
    ax.set_title(title or f"{instance.name}: makespan {makespan}")
    ax.grid(axis="x", alpha=0.3)
    if K:
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=cmap(k % 20), label=instance.resource_names[k]) for k in range(K)],
                  title="most-loaded resource", fontsize=7, title_fontsize=7, loc="upper right")
    for k in range(K):
        axk = fig.add_subplot(gs[1 + k], sharex=ax)
        usage = [0] * (makespan + 1)
        for j in range(instance.n):
            for t in range(starts[j], starts[j] + p[j]):
                usage[t] += instance.demands[j][k]
        axk.step(range(makespan + 1), usage, where="post", color=cmap(k % 20), lw=1.2)
        axk.fill_between(range(makespan + 1), usage, step="post", color=cmap(k % 20), alpha=0.3)
        segs = instance.capacity_segments(k, makespan)  # the calendar's steps (downtime: 0), else constant
        cap_t = [a for a, _, _ in segs] + [makespan]
        cap_v = [c for _, _, c in segs] + [segs[-1][2] if segs else instance.capacities[k]]
        axk.step(cap_t, cap_v, where="post", color="black", ls="--", lw=0.8)
        axk.set_ylim(0, max(1, instance.peak_capacity(k), max(usage)) * 1.15)
        axk.set_ylabel(instance.resource_names[k], rotation=0, ha="right", va="center")
        axk.grid(alpha=0.3)
    fig.axes[-1].set_xlabel("time (periods)")
    return fig
