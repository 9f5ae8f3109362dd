"""migq demo: the whole pipeline on the bundled defaults, replaying 2008 on synthetic replies."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from migq.cli.common import app, console, escape, handle_errors


@app.command()
@handle_errors
def demo(
    folder: Optional[Path] = typer.Option(None, "--folder", help="Where to work (default: a new temporary folder, printed)."),
    seed: int = typer.Option(2008, "--seed", help="Seed of the random assignment of synthetic answers."),
    lang: str = typer.Option("en", "--lang", help="Language of the report and the map: en, fr or es."),
) -> None:
    """Replay 2008 end to end: send 195 forms, ingest 64 SYNTHETIC replies (with a duplicate,
    a revision, late replies, a corrupt file), print the report as of 15 July 2008 and draw the
    map as of 30 June 2008."""
    import tempfile
    from collections import Counter

    from migq.demo import MAP_DATE, REPORT_DATE, run_demo
    from migq.render.table import print_report

    if lang not in ("en", "fr", "es"):
        raise typer.BadParameter("use en, fr or es.", param_hint="--lang")
    if folder is not None and folder.exists() and any(folder.iterdir()):
        raise typer.BadParameter(f"{folder} is not empty; the demo needs a folder of its own.", param_hint="--folder")
    where = folder or Path(tempfile.mkdtemp(prefix="migq-demo-"))
    console.print(f"Demo workspace: [bold]{where}[/] (synthetic replies, clearly labelled)")
    result = run_demo(where, seed=seed, lang=lang, progress=lambda m: console.print(f"• {m}"))
    counts = Counter(o.outcome for o in result.outcomes)
    console.print(f"Sent {result.sent} forms; {result.replies_written} synthetic replies written; ingest: "
                  + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.most_common()) + ".")
    for o in result.outcomes:
        if o.outcome == "rejected":
            console.print(f"  rejected as expected: {escape(o.file)}: {escape(o.reason)}", highlight=False)
    console.rule(f"Report as of {REPORT_DATE:%d %B %Y}")
    print_report(result.report, console)
    console.print(f"Map of replies received by {MAP_DATE:%d %B %Y}: {result.map_path}")
    for f in result.report_files:
        console.print(f"Report (Markdown): {f}")
    console.print(f"Explore: cd {where} && migq show {result.outcomes[0].iso3 or 'FRA'} ; migq report --as-of 2008-06-30")
