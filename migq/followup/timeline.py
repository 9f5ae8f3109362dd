"""The response timeline: cumulative replies by date against the deadline.

A recipient counts once, from the date of its first reply (any version that is or was counted,
or a revision waiting for a decision); held files do not count, their sender being unknown.
Rendered as text for the terminal (one bar per week) and as a PNG or SVG chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from migq.errors import MigqError, UsageError

LABELS = {
    "en": {"title": "Cumulative replies", "deadline": "Deadline", "replies": "Replies",
           "date": "Date", "sent": "Forms sent", "week": "Week of"},
    "fr": {"title": "Réponses cumulées", "deadline": "Date limite", "replies": "Réponses",
           "date": "Date", "sent": "Formulaires envoyés", "week": "Semaine du"},
    "es": {"title": "Respuestas acumuladas", "deadline": "Fecha límite", "replies": "Respuestas",
           "date": "Fecha", "sent": "Formularios enviados", "week": "Semana del"},
}
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Timeline:
    """``points``: (date, cumulative replies) at each date a first reply arrived."""

    points: tuple[tuple[date, int], ...]
    deadline: date | None
    sent: int  # forms sent (the ceiling of the curve)
    start: date | None  # first dispatch
    as_of: date

    @property
    def total(self) -> int:
        return self.points[-1][1] if self.points else 0

    def count_on(self, day: date) -> int:
        """Cumulative replies at the end of ``day``."""
        n = 0
        for d, c in self.points:
            if d > day:
                break
            n = c
        return n

    def by_deadline(self) -> int | None:
        return self.count_on(self.deadline) if self.deadline else None

    def weeks(self) -> list[tuple[date, int]]:
        """(Monday, cumulative replies at the end of that week) from the first dispatch on."""
        first = self.start or (self.points[0][0] if self.points else self.as_of)
        monday = first - timedelta(days=first.weekday())
        out = []
        while monday <= self.as_of:
            out.append((monday, self.count_on(min(monday + timedelta(days=6), self.as_of))))
            monday += timedelta(days=7)
        return out


def timeline_from_statuses(statuses, *, as_of: date, deadline: date | None = None) -> Timeline:
    """Build the timeline from ``status.recipient_statuses`` rows (one query, same as-of)."""
    firsts = sorted(s.first_reply for s in statuses if s.first_reply and s.first_reply <= as_of)
    points: list[tuple[date, int]] = []
    for i, d in enumerate(firsts, 1):
        if points and points[-1][0] == d:
            points[-1] = (d, i)
        else:
            points.append((d, i))
    sent_dates = [s.sent_on for s in statuses if s.sent_on]
    if deadline is None:
        deadlines = [s.deadline for s in statuses if s.deadline]
        deadline = max(set(deadlines), key=deadlines.count) if deadlines else None
    return Timeline(tuple(points), deadline, len(sent_dates), min(sent_dates) if sent_dates else None, as_of)


def reply_timeline(store, qid: int, *, as_of: date | None = None, deadline: date | None = None) -> Timeline:
    from migq.followup.status import recipient_statuses

    as_of = as_of or date.today()
    return timeline_from_statuses(recipient_statuses(store, qid, as_of=as_of, deadline=deadline),
                                  as_of=as_of, deadline=deadline)


def sparkline(tl: Timeline) -> str:
    """One character per week, height = cumulative replies relative to the forms sent."""
    top = max(tl.sent, tl.total, 1)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(n / top * (len(SPARKS) - 1)))] for _, n in tl.weeks())


def text_lines(tl: Timeline, *, lang: str = "en", width: int = 40) -> list[str]:
    """One line per week: 'Week of 2008-04-28  ██████░░░░  61  ◀ Deadline'."""
    words = LABELS.get(lang, LABELS["en"])
    top = max(tl.sent, tl.total, 1)
    lines = []
    for monday, n in tl.weeks():
        filled = round(n / top * width)
        mark = ""
        if tl.deadline and monday <= tl.deadline <= monday + timedelta(days=6):
            mark = f"  ◀ {words['deadline']} {tl.deadline.isoformat()}"
        lines.append(f"{words['week']} {monday.isoformat()}  {'█' * filled}{'░' * (width - filled)}  {n:>3}{mark}")
    return lines


def write_chart(tl: Timeline, path: Path, *, lang: str = "en", title: str | None = None) -> Path:
    """Write the cumulative-replies chart as PNG or SVG (chosen by the file suffix)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise UsageError(f"cannot draw a chart as '{path.suffix or path.name}'.",
                         hint="Give --chart a file name ending in .png or .svg.")
    # The object-oriented API with the Agg canvas: no pyplot, no global backend switch.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    words = LABELS.get(lang, LABELS["en"])
    fig = Figure(figsize=(8, 4.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    start = tl.start or (tl.points[0][0] if tl.points else tl.as_of)
    xs = [start] + [d for d, _ in tl.points] + [tl.as_of]
    ys = [0] + [n for _, n in tl.points] + [tl.total]
    ax.step(xs, ys, where="post", color="#1f5aa6", linewidth=2, label=words["replies"])
    if tl.sent:
        ax.axhline(tl.sent, color="#999999", linestyle=":", linewidth=1, label=f"{words['sent']} ({tl.sent})")
    if tl.deadline:
        ax.axvline(tl.deadline, color="#c0392b", linestyle="--", linewidth=1.5,
                   label=f"{words['deadline']} {tl.deadline.isoformat()}")
    ax.set_title(title or words["title"])
    ax.set_xlabel(words["date"])
    ax.set_ylabel(words["replies"])
    ax.set_ylim(0, max(tl.sent, tl.total, 1) * 1.05)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    path.parent.mkdir(parents=True, exist_ok=True)
    from matplotlib import rc_context

    try:
        # Keep SVG text as text, so the report writer can edit labels and search them.
        with rc_context({"svg.fonttype": "none"}):
            fig.savefig(path, format=fmt)
    except OSError as err:
        raise MigqError(f"cannot write the chart {path}: {err.strerror}.",
                        hint="Check the folder given to --chart.") from err
    return path
