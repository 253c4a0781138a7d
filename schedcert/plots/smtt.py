"""Chart of a single-machine sequence and its tardiness (matplotlib).

Top panel: one row per job in sequence order (first processed at the top),
its bar from start to completion; the part of the bar past the job's due
date is red (the job's tardiness), and the due date is a black tick (at 0
when negative), so on-time jobs show their slack and tardy ones how late
they end. Job numbers (1-based, as in the input file) are written where
they fit in the bar.
Bottom panel: total (weighted) tardiness accumulated over time, a step at
each tardy completion — where in the sequence the cost arises.
"""

from __future__ import annotations

from pathlib import Path

from schedcert.plots.figure import drop_labels_wider_than_their_bars, pyplot, save


def plot_schedule(instance, solution, path: str | Path, title: str | None = None) -> None:
    """Write the chart of `solution` (a job sequence) of `instance` to `path`
    (PNG/PDF/SVG by ending)."""
    save(draw_schedule(instance, solution, title), path)


def draw_schedule(instance, solution, title: str | None = None):
    """The chart as a matplotlib Figure: axes 0 the sequence (row k = k-th
    job processed), axes 1 the cumulative Σ wj Tj against time."""
    plt = pyplot()

    seq = list(solution.sequence)
    n = len(seq)
    starts, ends, t = [], [], 0
    for j in seq:
        starts.append(t)
        t += instance.p[j]
        ends.append(t)
    cmax = t
    horizon = max([cmax, 1] + [instance.d[j] for j in seq])
    gantt_h = min(14.0, max(2.5, 0.16 * n + 1))
    fig = plt.figure(figsize=(12, gantt_h + 2.0))
    gs = fig.add_gridspec(2, 1, height_ratios=[gantt_h, 2.0], hspace=1.0 / (gantt_h + 2.0))  # ~0.5 in
    ax = fig.add_subplot(gs[0])
    labels = []
    tardy = 0
    for row, (j, s, c) in enumerate(zip(seq, starts, ends)):
        d = instance.d[j]
        ax.barh(row, c - s, left=s, height=0.8, color="tab:blue", edgecolor="black", linewidth=0.3)
        if c > d:
            tardy += 1
            late_from = max(s, d)
            ax.barh(row, c - late_from, left=late_from, height=0.8, color="tab:red", linewidth=0)
        if n <= 200:
            labels.append((s, c, ax.text(s + (c - s) / 2, row, str(j + 1), ha="center", va="center",
                                         fontsize=max(4, min(8, 500 / max(n, 1))), clip_on=True)))
    ax.scatter([max(instance.d[j], 0) for j in seq], range(n), marker="|", color="black",
               s=max(20, min(120, 3000 / max(n, 1))), zorder=3, label="due date")
    drop_labels_wider_than_their_bars(fig, ax, labels)
    ax.set_ylim(n - 0.4, -0.6)
    ax.set_yticks([])
    ax.set_ylabel(f"{n} jobs (in sequence)")
    ax.set_xlim(0, horizon)
    ax.axvline(cmax, color="grey", lw=0.8, ls="--")
    weighted = "weighted " if instance.weighted else ""
    total = instance.tardiness(seq)
    ax.set_title(title or f"{instance.name}: total {weighted}tardiness {total}")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="tab:blue", label="processing"), Patch(color="tab:red", label="tardy part"),
                       ax.collections[-1]], fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              title=f"{tardy} of {n} jobs tardy", title_fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    axc = fig.add_subplot(gs[1], sharex=ax)
    times, cum, acc = [0], [0], 0
    for j, c in zip(seq, ends):
        acc += instance.w[j] * max(0, c - instance.d[j])
        times.append(c)
        cum.append(acc)
    times.append(horizon)
    cum.append(acc)
    axc.step(times, cum, where="post", color="tab:red", lw=1.2)
    axc.fill_between(times, cum, step="post", color="tab:red", alpha=0.2)
    axc.set_ylabel(f"Σ {'w·' if instance.weighted else ''}T so far")
    axc.set_xlabel("time")
    axc.grid(alpha=0.3)
    return fig
