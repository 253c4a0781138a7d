"""Chart of a pod placement: what each node's pods request, by priority tier
(matplotlib).

One panel per resource pods request besides the ``pods`` slot (cpu, memory,
then extended resources such as ``nvidia.com/gpu``): one bar per node, in
the instance's node order, stacked by priority tier (highest at the
bottom), as a fraction of the node's allocatable; the dashed line is 1.0,
the node full. Nodes without the resource (allocatable 0) have no bar. The
legend gives per tier the pods placed out of the pods there are — the
unplaced pods have no node, so they appear only there.
"""

from __future__ import annotations

from pathlib import Path

from schedcert.plots.figure import pyplot, save

BARS_UP_TO = 60  # nodes drawn as separate bars; more as one filled step outline per tier


def plot_placement(instance, solution, path: str | Path, title: str | None = None) -> None:
    """Write the per-node chart of `solution` of `instance` to `path`
    (PNG/PDF/SVG by ending)."""
    save(draw_placement(instance, solution, title), path)


def draw_placement(instance, solution, title: str | None = None):
    """The chart as a matplotlib Figure: axes r = resource r of
    ``[r for r in instance.resources if r != "pods"]``; in each, per tier
    (highest priority first) one bar container with a bar per node, or
    above :data:`BARS_UP_TO` nodes one filled step patch."""
    plt = pyplot()

    from schedcert.instances.podpack import demand

    resources = [r for r in instance.resources if r != "pods"]
    nodes = instance.nodes
    index = instance.node_index()
    tiers = instance.tiers
    tier_of = {prio: t for t, prio in enumerate(tiers)}
    used = [[[0] * len(nodes) for _ in tiers] for _ in resources]  # [resource][tier][node]
    placed, total = [0] * len(tiers), [0] * len(tiers)
    for pod, node in zip(instance.pods, solution.assignment):
        t = tier_of[pod.priority]
        total[t] += 1
        if node is None:
            continue
        placed[t] += 1
        for r, res in enumerate(resources):
            used[r][t][index[node]] += demand(pod, res)
    x = range(len(nodes))
    fig, axes = plt.subplots(len(resources), 1, figsize=(12, 1.0 + 2.0 * len(resources)), sharex=True,
                             squeeze=False)
    cmap = plt.get_cmap("tab10")
    few = len(nodes) <= BARS_UP_TO
    for r, (ax, res) in enumerate(zip(axes[:, 0], resources)):
        alloc = [n.allocatable.get(res, 0) for n in nodes]
        bottom = [0.0] * len(nodes)
        for t, prio in enumerate(tiers):
            share = [u / a if a else 0.0 for u, a in zip(used[r][t], alloc)]
            top = [b + s for b, s in zip(bottom, share)]
            label = f"priority {prio}: {placed[t]} of {total[t]} placed"
            if few:
                ax.bar(x, share, bottom=bottom, width=0.9, color=cmap(t % 10), label=label, edgecolor="black",
                       linewidth=0.3)
            else:  # one filled step outline per tier: a bar patch per node took 23 s for 1523 nodes
                ax.stairs(top, [k - 0.5 for k in range(len(nodes) + 1)], baseline=bottom, fill=True,
                          color=cmap(t % 10), label=label)
            bottom = top
        ax.axhline(1.0, color="black", ls="--", lw=0.8)
        ax.set_ylim(0, 1.1)
        ax.set_ylabel(res, rotation=0, ha="right", va="center")
        ax.grid(axis="y", alpha=0.3)
    top = axes[0, 0]
    top.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="tier", title_fontsize=7)
    top.set_title(title or f"{instance.name}: requests per node, fraction of allocatable")
    bottom_ax = axes[-1, 0]
    if len(nodes) <= 40:
        bottom_ax.set_xticks(list(x), [n.name for n in nodes], rotation=45, ha="right", fontsize=7)
    else:
        bottom_ax.set_xlabel(f"{len(nodes)} nodes (in the instance's order)")
    return fig
