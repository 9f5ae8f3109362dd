"""``migq demo``: replay 2008 end to end on synthetic replies, in a folder of its own.

The replies are SYNTHETIC (every one says so in its ministry field): 64 Member States drawn at
random with a seed, whose answers are assigned so the totals reproduce the figures published in
A/63/265: 64 replies by 15 July 2008 (fewer by the 30 June map date), three without a position
or calling the Forum no formal outcome, one State in six for the Forum as sole follow-up, most
for follow-up within the UN. Real-life accidents are added: a reply sent twice, a revised reply,
late replies, a corrupt file, and a reply typed with French labels on an English form.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

SENT_ON = date(2008, 3, 18)
REPORT_DATE = date(2008, 7, 15)
MAP_DATE = date(2008, 6, 30)
SYNTHETIC = "SYNTHETIC DEMO REPLY — not a real government's answer"
PUBLISHED = {"respondents": 64, "no_position_or_not_formal": 3, "sole_followup": 11, "within_un": 45}
MODALITY_COUNTS = {  # how many of the 64 suggest each modality (paragraphs 23-24: "un certain nombre", "certains", "plusieurs")
    "ga_agenda_item": 24, "regional_global_dialogue": 18, "regional_thematic_meetings": 15,
    "ga_debate_gfmd_ideas": 10, "ga_regional_views": 8, "periodic_high_level_debate": 12,
    "multilateral_initiatives": 9, "multilateral_system_activities": 7, "other": 4,
}


@dataclass
class DemoResult:
    folder: Path
    db: Path
    sent: int
    replies_written: int
    outcomes: list = field(default_factory=list)
    report: object = None
    map_path: Path | None = None
    report_files: list[Path] = field(default_factory=list)


def synthetic_answers(members: list[str], seed: int) -> dict[str, dict]:
    """iso3 -> (answers, ticks): exactly the published totals, spread at random."""
    rng = random.Random(seed)
    chosen = list(members)
    rng.shuffle(chosen)
    n = len(chosen)
    no_position = set(chosen[:PUBLISHED["no_position_or_not_formal"]])
    sole = set(rng.sample(chosen, PUBLISHED["sole_followup"]))
    within = set(rng.sample([c for c in chosen if c not in sole], PUBLISHED["within_un"]))
    link = {c: rng.choice(["strengthen_link"] * 3 + ["more_time"] * 2 + ["no_change", "no_position"]) for c in chosen}
    ticks: dict[str, list[str]] = {c: [] for c in chosen}
    for modality, count in MODALITY_COUNTS.items():
        for c in rng.sample(chosen, count):
            ticks[c].append(modality)
    out = {}
    for i, c in enumerate(chosen):
        outcome = "good_outcome"
        if c in no_position:
            outcome = "no_position" if i % 2 == 0 else "not_formal_outcome"
        answers = {
            "gfmd_outcome": outcome,
            "gfmd_sole_followup": "yes" if c in sole else rng.choice(["no", "no", "no", "no_position"]),
            "followup_within_un": "yes" if c in within else ("no_position" if c in sole else rng.choice(["no", "no_position"])),
            "gfmd_un_link": link[c],
            "ministry": SYNTHETIC,
            "focal_point_name": "Synthetic focal point",
            "focal_point_email": f"focal.point@{c.lower()}.example",
            "gfmd_outcome_comment": f"{SYNTHETIC}.",
        }
        if "other" in ticks[c]:
            answers["modalities_other"] = "A synthetic suggestion for the demo."
        out[c] = {"answers": answers, "ticks": ticks[c]}
    assert n == PUBLISHED["respondents"]
    return out


def received_dates(codes: list[str], seed: int) -> dict[str, date]:
    """Most before the deadline, some late; 58 by the 30 June map date, all 64 by 15 July."""
    rng = random.Random(seed + 1)
    order = list(codes)
    rng.shuffle(order)
    dates = {}
    for i, c in enumerate(order):
        if i < 38:
            start, end = date(2008, 3, 25), date(2008, 4, 30)
        elif i < 58:
            start, end = date(2008, 5, 1), date(2008, 6, 30)
        else:
            start, end = date(2008, 7, 1), REPORT_DATE
        dates[c] = start + timedelta(days=rng.randrange((end - start).days + 1))
    return dates


def fill(data: bytes, answers: dict, ticks: list[str], question_of, labels_lang: str | None = None) -> bytes:
    """Type answers into a form through its defined names, as a respondent's Excel would."""
    from openpyxl import load_workbook

    from migq.forms.contract import answer_name

    wb = load_workbook(io.BytesIO(data))

    def put(name: str, value) -> None:
        sheet, coord = next(iter(wb.defined_names[name].destinations))
        wb[sheet][coord.replace("$", "")] = value

    for name, value in answers.items():
        q = question_of(name)
        if labels_lang and q.is_closed:
            value = q.choice(value).label(labels_lang)  # typed as a label, as people do
        put(answer_name(name), value)
    for choice in ticks:
        put(answer_name("modalities", choice), "x")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def as_email(iso3: str, file_name: str, data: bytes, day: date, hour: int = 10) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Permanent Mission <mission@{iso3.lower()}.example>"
    msg["To"] = "migration-questionnaire@un.org"
    msg["Subject"] = f"Reply to the questionnaire ({iso3}) — {SYNTHETIC}"
    msg["Date"] = format_datetime(datetime(day.year, day.month, day.day, hour, 0, tzinfo=timezone.utc))
    msg.set_content("Please find attached our reply.\n\n" + SYNTHETIC)
    msg.add_attachment(data, maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=file_name)
    return bytes(msg)


def run_demo(folder: Path, seed: int = 2008, lang: str = "en", progress=None) -> DemoResult:
    from migq.ingest.pipeline import IngestOptions, ingest
    from migq.registry import load_roster
    from migq.send import send_forms
    from migq.store import open_store
    from migq.xlsform import bundled_questionnaire_path, load_questionnaire

    say = progress or (lambda _msg: None)
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "migq.db"
    q = load_questionnaire(bundled_questionnaire_path())
    roster = load_roster()
    outbox = folder / "outbox" / q.key
    say(f"Sending {len(roster)} forms (as on {SENT_ON:%d %B %Y})…")
    with open_store(db) as store:
        sent = send_forms(store, q, roster, out_dir=outbox, sent_on=SENT_ON)
    members = [r.iso3 for r in roster if r.is_member]
    rng = random.Random(seed)
    repliers = sorted(rng.sample(members, PUBLISHED["respondents"]))
    answers = synthetic_answers(repliers, seed)
    days = received_dates(repliers, seed)

    say("Writing 64 synthetic replies, with the accidents of real life…")
    responses = folder / "responses"
    responses.mkdir(exist_ok=True)
    english = [c for c in repliers if roster.get(c).language == "en"]
    french_typist, twice, revised = english[0], repliers[1], repliers[2]
    for c in repliers:
        form = (outbox / f"{c}-{q.key}.xlsx").read_bytes()
        data = fill(form, answers[c]["answers"], answers[c]["ticks"], q.question,
                    labels_lang="fr" if c == french_typist else None)
        name = f"{c}-reply.xlsx"
        (responses / f"{days[c]:%Y-%m-%d}-{c}.eml").write_bytes(as_email(c, name, data, days[c]))
        if c == twice:  # the same e-mail forwarded again by a colleague
            (responses / f"{days[c]:%Y-%m-%d}-{c}-again.eml").write_bytes(as_email(c, name, data, days[c]))
        if c == revised:  # a corrected reply a week later: a comment changes, positions do not
            changed = dict(answers[c]["answers"], gfmd_un_link_comment=f"{SYNTHETIC} (revised).")
            later = min(days[c] + timedelta(days=7), REPORT_DATE)
            data2 = fill(form, changed, answers[c]["ticks"], q.question)
            (responses / f"{later:%Y-%m-%d}-{c}-revised.eml").write_bytes(as_email(c, f"{c}-reply-v2.xlsx", data2, later))
    good = (responses / f"{days[repliers[3]]:%Y-%m-%d}-{repliers[3]}.eml").read_bytes()
    (responses / "unknown-sender-broken.xlsx").write_bytes(_corrupt(good))

    say("Ingesting every returned file…")
    with open_store(db) as store:
        outcomes = ingest(store, [responses], IngestOptions(accept_revisions=True))
    result = DemoResult(folder, db, len(sent.sent), len(repliers), outcomes)
    result.report = _report_and_map(db, q, roster, folder, lang, result)
    return result


def _corrupt(eml_bytes: bytes) -> bytes:
    """A workbook cut short in transit: the attachment of a real reply, truncated."""
    import email
    import email.policy

    msg = email.message_from_bytes(eml_bytes, policy=email.policy.default)
    data = next(msg.iter_attachments()).get_payload(decode=True)
    return data[: len(data) // 2]


def _report_and_map(db: Path, q, roster, folder: Path, lang: str, result: DemoResult):
    from migq.report import build_report, respondents_as_of
    from migq.render.map import MapStyle, draw_response_map
    from migq.store import open_store

    with open_store(db) as store:
        report = build_report(store, q, as_of=REPORT_DATE, lang=lang)
        replied_by_map_date = respondents_as_of(store, None, MAP_DATE)
    states = {r.iso3: r.m49 for r in roster}
    result.map_path = folder / f"map-{MAP_DATE.isoformat()}.png"
    draw_response_map(states, set(replied_by_map_date), MAP_DATE, result.map_path, MapStyle(lang=lang))
    from migq.render.markdown import to_markdown

    md = folder / f"report-{REPORT_DATE.isoformat()}.md"
    md.write_text(to_markdown(report), encoding="utf-8")
    result.report_files.append(md)
    return report
