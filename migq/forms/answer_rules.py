"""The questionnaire's rules applied to the answers read from one form.

ODK semantics: a question inside a group that does not apply does not apply either; the
value of a question that does not apply counts as blank for every other rule; constraints
are checked only on answers given; a required question is missing only when it applies.
An expression that cannot be read counts as true here: definition checks report it.
"""

from __future__ import annotations

from migq.errors import Problem, problem
from migq.expressions import evaluate  # with the reader: workers forked after load() have it
from migq.questionnaire import Question, Questionnaire, pick


def typed(question: Question, value: str | None):
    """The canonical text as the value expressions compare (ODK types)."""
    if value is None:
        return None
    if question.type == "select_multiple":
        return value.split()
    if question.type == "integer":
        return int(value)
    if question.type == "decimal":
        return float(value)
    return value


def _holds(expr: str | None, env: dict, current=None) -> bool:
    if not expr:
        return True
    try:
        return evaluate(expr, env, current=current)
    except Exception:  # an unreadable rule is the definition's problem, not the sender's
        return True


def _where(answer, file_name: str) -> dict:
    sheet, _, cell = (answer.cell or "").rpartition("!")
    return {"file": file_name, "sheet": sheet or None, "cell": cell or None, "question": answer.question}


def apply_rules(q: Questionnaire, answers: dict, lang: str, file_name: str,
                flagged: set[str]) -> tuple[dict, list[Problem]]:
    """Relevance, required and constraints. ``flagged``: questions a cell problem already
    concerns (they are not reported missing again). Returns updated answers and new problems."""
    env = {name: typed(q.question(name), a.value) if a.valid else None for name, a in answers.items()}
    found: list[Problem] = []
    groups: list[bool] = []
    for item in q.items:
        if item.type == "begin_group":
            groups.append((not groups or groups[-1]) and _holds(item.relevant, env))
            continue
        if item.type == "end_group":
            if groups:
                groups.pop()
            continue
        if not item.is_answerable or item.name not in answers:
            continue
        answer = answers[item.name]
        applies = (not groups or groups[-1]) and _holds(item.relevant, env)
        if not applies:
            env[item.name] = None
            if answer.value is not None:
                found.append(problem("answer_not_relevant", ref=item.name, **_where(answer, file_name)))
                answers[item.name] = answer._replace(valid=False)
            continue
        if answer.value is None:
            if item.required and item.name not in flagged:
                found.append(problem("required_missing", value=item.name, **_where(answer, file_name)))
            continue
        if answer.valid and item.constraint and not _holds(item.constraint, env, env.get(item.name)):
            message = pick(item.constraint_messages, lang, q.default_language) or "Check the answer against the rule."
            found.append(problem("constraint_failed", value=f"'{answer.raw if answer.raw is not None else answer.value}'",
                                 expr=item.constraint, constraint_message=message, **_where(answer, file_name)))
            answers[item.name] = answer._replace(valid=False)
    return answers, found
