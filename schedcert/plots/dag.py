"""Gantt chart of a DAG schedule: one row per processor (matplotlib).

Each task is a bar on the row of its processor, labelled with its name
where the name fits inside the bar (short tasks of a long schedule, such as
montage's 1 s tasks beside its 540 s ones, would smear into one black blot);
communication between processors is drawn as a thin arrow from the
producer's finish to the consumer's start when the two run on different
processors (left out above 300 edges to stay readable).
"""

from __future__ import annotations

from pathlib import Path

from schedcert.plots.figure import drop_labels_wider_than_their_bars, pyplot, save


def plot_schedule(instance, solution, path: str | Path, title: str | None = None) -> None:
    """Write the per-processor Gantt chart of `solution` to `path`
    (PNG/PDF/SVG by ending)."""
    save(draw_schedule(instance, solution, title), path)


def draw_schedule(instance, solution, title: str | None = None):
    """The chart as a matplotlib Figure (one axes: row a = processor a)."""
    plt = pyplot()

    q, n = instance.q, instance.n
    ms = solution.makespan(instance)
    fig, ax = plt.subplots(figsize=(12, max(2.5, 0.7 * q + 1.2)))
    cmap = plt.get_cmap("tab20")
    ax.set_xlim(0, max(ms, 1))
    labels = []
    for i in range(n):
        a, s, f = solution.procs[i], solution.starts[i], solution.finish(instance, i)
        ax.barh(a, f - s, left=s, height=0.6, color=cmap(i % 20), edgecolor="black", linewidth=0.4)
        if n <= 150:
            labels.append((s, f, ax.text(s + (f - s) / 2, a, instance.tasks[i], ha="center", va="center",
                                         fontsize=max(4, min(8, 400 / max(n, 1))), clip_on=True)))
    drop_labels_wider_than_their_bars(fig, ax, labels)
    if len(instance.edges) <= 300:
        for i, j, _ in instance.edges:
            if solution.procs[i] != solution.procs[j]:
                ax.annotate("", xy=(solution.starts[j], solution.procs[j] - 0.3),
                            xytext=(solution.finish(instance, i), solution.procs[i] + 0.3),
                            arrowprops=dict(arrowstyle="->", lw=0.4, color="grey", alpha=0.6))
    ax.set_yticks(range(q), instance.processors)
    ax.set_ylim(q - 0.5, -0.5)
    ax.axvline(ms, color="red", lw=1)
    unit = instance.meta.get("time_unit_s")
    ax.set_xlabel(f"time (units of {unit:g} s)" if unit else "time")
    ax.set_title(title or f"{instance.name}: makespan {ms}")
    ax.grid(axis="x", alpha=0.3)
    return fig

