"""What every chart shares: pyplot on a file backend, saving a figure, and
labels inside Gantt bars kept only where they fit."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (charts are written to files;
    no display is needed). Imported on first use: matplotlib takes ~0.5 s."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str | Path, dpi: int = 110) -> None:
    """Write `fig` to `path` (PNG/PDF/SVG ... by its ending, margins trimmed)
    and close it. InputError naming `path` when it cannot be written."""
    from schedcert.errors import InputError

    try:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    except OSError as exc:
        raise InputError(f"cannot write the chart: {exc.strerror or exc}", path) from None
    finally:
        pyplot().close(fig)


def drop_labels_wider_than_their_bars(fig, ax, labels) -> None:
    """Remove each label ``(start, finish, text)`` wider than its bar as
    drawn (measured with the figure's renderer, so font and scale count)."""
    if not labels:
        return
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    for s, f, text in labels:
        bar = to_px((f, 0))[0] - to_px((s, 0))[0]
        if text.get_window_extent(renderer).width > bar:
            text.remove()
