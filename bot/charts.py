"""Statistics charts as PNG bytes (matplotlib, Agg, DejaVu Sans so Vietnamese diacritics render).

Independent of the web: the Telegram /thongke picture and the scheduled reports use them too.
Each call builds its own Figure (no pyplot state), so charts may be drawn from several threads.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from bot import messages as msg
from bot.report_text import group_name
from storage import stats

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported on the first chart, not with the module: a web worker that never draws one (most of
# them, most of the time) keeps about 40 MB less.

GREEN, BLUE, GREY = "#166e3c", "#2b6cb0", "#555555"
# Narrow figures with large text: the pictures are mostly seen on phones (web page, Telegram).
WIDTH, DPI = 5.6, 140
STYLE: dict[str, Any] = {"font.family": "DejaVu Sans", "font.size": 13, "axes.titlesize": 14,
                         "axes.titleweight": "bold", "legend.fontsize": 12}


@contextmanager
def _style() -> Iterator[None]:
    # DejaVu Sans ships with matplotlib and covers Vietnamese diacritics on any machine.
    import matplotlib

    matplotlib.use("Agg")
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def _counts_axis(ax: Any, axis: str, grid: bool = True) -> None:
    """Whole numbers on the counting axis, a light grid along it, no top or right frame."""
    from matplotlib.ticker import MaxNLocator

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))
    if grid:
        ax.grid(axis=axis, alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def _figure(height: float) -> tuple[Figure, Any]:
    """A phone-wide figure of `height` inches with its one set of axes (drawn inside `_style()`)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    return fig, fig.add_subplot()


def _rows(n: int) -> list[int]:
    """Where the bars of a horizontal bar chart go: the first row at the top."""
    return list(range(n))[::-1]


def _empty(title: str) -> bytes:
    with _style():
        fig, ax = _figure(3.0)
        ax.set_title(title)
        ax.text(0.5, 0.5, msg.CHART_EMPTY, ha="center", va="center", fontsize=14, color=GREY,
                transform=ax.transAxes)
        ax.set_axis_off()
        return _png(fig)


def _short(text: str, n: int = 26) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def timeline_png(report: stats.Report) -> bytes:
    """Completions per week (bars, one per Monday)."""
    weeks: Sequence[tuple[date, int]] = report.timeline
    if not weeks or not any(n for _, n in weeks):
        return _empty(msg.CHART_TIMELINE)
    with _style():
        fig, ax = _figure(4.0)
        xs = list(range(len(weeks)))
        counts = [n for _, n in weeks]
        ax.bar(xs, counts, color=GREEN, width=0.8)
        step = max(1, -(-len(weeks) // 6))
        ax.set_xticks(xs[::step], [d.strftime("%d/%m/%y") for d, _ in weeks][::step], rotation=30, ha="right")
        ax.set_xlabel(msg.CHART_WEEK)
        ax.set_title(msg.CHART_TIMELINE)
        _counts_axis(ax, "y")
        return _png(fig)


def groups_png(report: stats.Report) -> bytes:
    """Registered learners and completions per target group (horizontal bars)."""
    rows = [b for b in report.by_group if b.registered or b.completions]
    if not rows:
        return _empty(msg.CHART_GROUPS)
    with _style():
        fig, ax = _figure(1.4 + 0.9 * len(rows))
        ys = _rows(len(rows))
        ax.barh([y + 0.2 for y in ys], [b.registered for b in rows], height=0.4, color=BLUE,
                label=msg.CHART_REGISTERED)
        ax.barh([y - 0.2 for y in ys], [b.completions for b in rows], height=0.4, color=GREEN,
                label=msg.CHART_COMPLETED)
        ax.set_yticks(ys, [_short(group_name(b.key)) for b in rows])
        ax.set_title(msg.CHART_GROUPS)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
        _counts_axis(ax, "x")
        return _png(fig)


def topics_png(report: stats.Report, topic_names: Mapping[str, str], limit: int = 12) -> bytes:
    """Questions per topic, the most asked first (horizontal bars)."""
    counts = sorted(((n, t) for t, n in report.questions_by_topic.items() if n), key=lambda p: (-p[0], p[1]))[:limit]
    if not counts:
        return _empty(msg.CHART_TOPICS)
    with _style():
        fig, ax = _figure(1.2 + 0.55 * len(counts))
        ys = _rows(len(counts))
        ax.barh(ys, [n for n, _ in counts], color=BLUE, height=0.7)
        ax.set_yticks(ys, [_short(topic_names.get(t, t)) for _, t in counts])
        for y, (n, _) in zip(ys, counts, strict=True):
            ax.text(n, y, f" {n}", va="center")
        ax.set_title(msg.CHART_TOPICS)
        _counts_axis(ax, "x", grid=False)
        return _png(fig)
