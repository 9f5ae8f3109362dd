"""The report's own words (titles, headers, notes) in English, French and Spanish.

Quantifiers and position sentences come from ``migq.phrasing``; this is only the frame.
"""

from __future__ import annotations

from migq.dates import long_date as format_date  # noqa: F401  (re-exported for the report)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "report_title": "Replies to the questionnaire as at {date}",
        "response": "Response to the questionnaire",
        "positions": "Positions",
        "question": "Question: {label}",
        "by_response": "Replies by {by}",
        "by_positions": "Positions by {by}",
        "by_question": "{label}, by {by}",
        "measure": "", "number": "Number", "share": "Share",
        "recipients": "Recipients (Member States and observer States)",
        "sent": "Forms sent",
        "replied_ms": "Member States that had replied",
        "replied_obs": "Observer States that had replied",
        "replied_all": "All recipients that had replied",
        "late": "Replies received after the deadline",
        "held_pending": "Replies held or pending (not counted)",
        "position": "Position", "count": "Count", "base": "Base", "base_kind": "Out of",
        "set_aside": "Set aside", "states": "States", "sentence": "Sentence",
        "choice": "Answer", "no_answer": "No answer", "set_aside_row": "Set aside (invalid)",
        "group": "Group", "replied": "Replied", "total": "Total", "none": "(none)",
        "base_respondents": "respondents", "base_member_states": "Member States",
        "base_recipients": "recipients",
        "by_region": "M49 region", "by_subregion": "M49 sub-region", "by_group": "UN regional group",
        "by_status": "status", "by_intermediate_region": "M49 intermediate region",
        "by_language": "correspondence language",
        "member": "Member States", "observer": "Observer States",
        "note_set_aside": "Answers set aside as invalid: {n}. Those States stay in the base of "
                          "respondents but are counted for no answer and no position.",
        "note_coded": "Positions marked * count adjudicated codes given to free-text answers.",
        "note_multiple": "Several answers were possible to {labels}: shares are of respondents "
                         "and can add up to more than 100%.",
        "note_min_cell": "Breakdown cells below {n} are shown as <{n}.",
        "note_held": "Replies held (sender not identified): {held}; revisions pending: {pending}. "
                     "Received by that date, they are not counted.",
        "map_missing": "The map is not available: {why}",
        "map": "Map", "tables": "Tables", "summary": "Summary",
        "reply_as_at": "As at {date}, {who} had replied to the questionnaire.",
        "reply_as_at_1": "As at {date}, {who} had replied to the questionnaire.",
        "reply_none": "As at {date}, no Member State had replied to the questionnaire.",
        "ms": "{n} Member States ({share} of {total})", "ms_1": "one Member State ({share} of {total})",
        "obs": "{n} observer States", "obs_1": "one observer State", "and": " and ",
    },
    "fr": {
        "report_title": "Réponses au questionnaire au {date}",
        "response": "Réponses au questionnaire",
        "positions": "Positions",
        "question": "Question : {label}",
        "by_response": "Réponses par {by}",
        "by_positions": "Positions par {by}",
        "by_question": "{label}, par {by}",
        "measure": "", "number": "Nombre", "share": "Proportion",
        "recipients": "Destinataires (États Membres et États observateurs)",
        "sent": "Questionnaires envoyés",
        "replied_ms": "États Membres ayant répondu",
        "replied_obs": "États observateurs ayant répondu",
        "replied_all": "Destinataires ayant répondu",
        "late": "Réponses reçues après la date limite",
        "held_pending": "Réponses en attente (non comptées)",
        "position": "Position", "count": "Nombre", "base": "Base", "base_kind": "Sur",
        "set_aside": "Écartées", "states": "États", "sentence": "Phrase",
        "choice": "Réponse", "no_answer": "Sans réponse", "set_aside_row": "Écartée (non valable)",
        "group": "Groupe", "replied": "Ont répondu", "total": "Total", "none": "(aucun)",
        "base_respondents": "ayant répondu", "base_member_states": "États Membres",
        "base_recipients": "destinataires",
        "by_region": "région M49", "by_subregion": "sous-région M49", "by_group": "groupe régional",
        "by_status": "statut", "by_intermediate_region": "région intermédiaire M49",
        "by_language": "langue de correspondance",
        "member": "États Membres", "observer": "États observateurs",
        "note_set_aside": "Réponses non valables écartées : {n}. Ces États restent dans la base des "
                          "États ayant répondu mais ne sont comptés pour aucune réponse.",
        "note_coded": "Les positions marquées * comptent les codes attribués aux réponses libres.",
        "note_multiple": "Plusieurs réponses étaient possibles à {labels} : les proportions "
                         "peuvent dépasser 100 % au total.",
        "note_min_cell": "Les cases inférieures à {n} sont indiquées <{n}.",
        "note_held": "Réponses non identifiées : {held} ; révisions en attente : {pending}. Reçues "
                     "à cette date, elles ne sont pas comptées.",
        "map_missing": "La carte n'est pas disponible : {why}",
        "map": "Carte", "tables": "Tableaux", "summary": "Résumé",
        "reply_as_at": "Au {date}, {who} avaient répondu au questionnaire.",
        "reply_as_at_1": "Au {date}, {who} avait répondu au questionnaire.",
        "reply_none": "Au {date}, aucun État Membre n'avait répondu au questionnaire.",
        "ms": "{n} États Membres ({share} de {total})", "ms_1": "un État Membre ({share} de {total})",
        "obs": "{n} États observateurs", "obs_1": "un État observateur", "and": " et ",
    },
    "es": {
        "report_title": "Respuestas al cuestionario al {date}",
        "response": "Respuestas al cuestionario",
        "positions": "Posiciones",
        "question": "Pregunta: {label}",
        "by_response": "Respuestas por {by}",
        "by_positions": "Posiciones por {by}",
        "by_question": "{label}, por {by}",
        "measure": "", "number": "Número", "share": "Proporción",
        "recipients": "Destinatarios (Estados Miembros y Estados observadores)",
        "sent": "Cuestionarios enviados",
        "replied_ms": "Estados Miembros que respondieron",
        "replied_obs": "Estados observadores que respondieron",
        "replied_all": "Destinatarios que respondieron",
        "late": "Respuestas recibidas después del plazo",
        "held_pending": "Respuestas retenidas o pendientes (no contadas)",
        "position": "Posición", "count": "Número", "base": "Base", "base_kind": "De",
        "set_aside": "Descartadas", "states": "Estados", "sentence": "Frase",
        "choice": "Respuesta", "no_answer": "Sin respuesta", "set_aside_row": "Descartada (no válida)",
        "group": "Grupo", "replied": "Respondieron", "total": "Total", "none": "(ninguno)",
        "base_respondents": "que respondieron", "base_member_states": "Estados Miembros",
        "base_recipients": "destinatarios",
        "by_region": "región M49", "by_subregion": "subregión M49", "by_group": "grupo regional",
        "by_status": "condición", "by_intermediate_region": "región intermedia M49",
        "by_language": "idioma de correspondencia",
        "member": "Estados Miembros", "observer": "Estados observadores",
        "note_set_aside": "Respuestas no válidas descartadas: {n}. Esos Estados siguen en la base "
                          "de los que respondieron, pero no se cuentan en ninguna respuesta.",
        "note_coded": "Las posiciones marcadas con * cuentan códigos asignados a respuestas libres.",
        "note_multiple": "Se admitían varias respuestas a {labels}: las proporciones pueden sumar "
                         "más del 100 %.",
        "note_min_cell": "Las celdas inferiores a {n} se indican como <{n}.",
        "note_held": "Respuestas sin identificar: {held}; revisiones pendientes: {pending}. "
                     "Recibidas en esa fecha, no se cuentan.",
        "map_missing": "El mapa no está disponible: {why}",
        "map": "Mapa", "tables": "Cuadros", "summary": "Resumen",
        "reply_as_at": "Al {date}, {who} habían respondido al cuestionario.",
        "reply_as_at_1": "Al {date}, {who} había respondido al cuestionario.",
        "reply_none": "Al {date}, ningún Estado Miembro había respondido al cuestionario.",
        "ms": "{n} Estados Miembros ({share} de {total})", "ms_1": "un Estado Miembro ({share} de {total})",
        "obs": "{n} Estados observadores", "obs_1": "un Estado observador", "and": " y ",
    },
}


def text(lang: str, key: str, **values) -> str:
    template = TEXTS[lang].get(key, TEXTS["en"].get(key, key))
    return template.format(**values) if values else template

