"""Fixed wording of the forms and cover e-mails in the correspondence languages."""

from __future__ import annotations

from migq.dates import long_date  # noqa: F401  (re-exported: writer, send, reminders use it)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "government": "Government of",
        "deadline": "Please reply by",
        "no": "No.",
        "question": "Question",
        "answer": "Answer",
        "required": "* an answer is required",
        "tick": "Tick (x) all that apply",
        "choose": "Choose from the list",
        "instructions_title": "How to complete and return this questionnaire",
        "instructions": (
            "1. Answer on the sheet 'Questionnaire'. Only the answer cells can be edited; the rest of the sheet is protected to keep the form readable by the Secretariat.\n"
            "2. For single-choice questions, choose an answer from the list in the cell. For questions with several options, type x in the cell of every option that applies.\n"
            "3. Questions marked * require an answer. Comments may be as long as needed.\n"
            "4. Please do not copy the answers to another file, rename the sheets' defined names or remove hidden sheets: they identify your Government's reply.\n"
            "5. Save the file in Excel format (.xlsx) and return it by e-mail, attached, to the address from which it was received, by the deadline below.\n"
            "6. If you cannot use the spreadsheet, reply in the body of an e-mail quoting the reference below."
        ),
        "reference": "Reference",
        "subject": "Questionnaire: {title} — reply requested by {deadline}",
        "cover": (
            "Excellency,\n\nPlease find attached the {title}, prepared for the Government of {country}.\n\n"
            "The Secretariat would be grateful to receive the completed questionnaire by {deadline}, "
            "returned as an attachment to this address.\n\nReference: {issue_id}\n\n"
            "Please accept the assurances of our highest consideration.\n\n"
            "Population Division, Department of Economic and Social Affairs, United Nations"
        ),
    },
    "fr": {
        "government": "Gouvernement :",
        "deadline": "Merci de répondre avant le",
        "no": "N°",
        "question": "Question",
        "answer": "Réponse",
        "required": "* réponse obligatoire",
        "tick": "Cochez (x) toutes les options pertinentes",
        "choose": "Choisissez dans la liste",
        "instructions_title": "Comment remplir et renvoyer ce questionnaire",
        "instructions": (
            "1. Répondez sur la feuille « Questionnaire ». Seules les cellules de réponse sont modifiables ; le reste de la feuille est protégé afin que le Secrétariat puisse lire le formulaire.\n"
            "2. Pour les questions à choix unique, choisissez une réponse dans la liste de la cellule. Pour les questions à plusieurs options, tapez x dans la cellule de chaque option pertinente.\n"
            "3. Les questions marquées * exigent une réponse. Les commentaires peuvent être aussi longs que nécessaire.\n"
            "4. Veuillez ne pas recopier les réponses dans un autre fichier, ni renommer les noms définis, ni supprimer les feuilles masquées : ils identifient la réponse de votre Gouvernement.\n"
            "5. Enregistrez le fichier au format Excel (.xlsx) et renvoyez-le en pièce jointe, à l'adresse d'où il a été reçu, avant la date limite indiquée ci-dessous.\n"
            "6. Si vous ne pouvez pas utiliser le tableur, répondez dans le corps d'un courriel en rappelant la référence ci-dessous."
        ),
        "reference": "Référence",
        "subject": "Questionnaire : {title} — réponse souhaitée avant le {deadline}",
        "cover": (
            "Excellence,\n\nVeuillez trouver ci-joint le {title}, établi à l'intention du Gouvernement : {country}.\n\n"
            "Le Secrétariat vous serait reconnaissant de bien vouloir lui renvoyer le questionnaire rempli avant le {deadline}, "
            "en pièce jointe, à la présente adresse.\n\nRéférence : {issue_id}\n\n"
            "Veuillez agréer les assurances de notre très haute considération.\n\n"
            "Division de la population, Département des affaires économiques et sociales, Organisation des Nations Unies"
        ),
    },
    "es": {
        "government": "Gobierno de",
        "deadline": "Sírvase responder antes del",
        "no": "N.º",
        "question": "Pregunta",
        "answer": "Respuesta",
        "required": "* respuesta obligatoria",
        "tick": "Marque (x) todas las opciones pertinentes",
        "choose": "Elija de la lista",
        "instructions_title": "Cómo completar y devolver este cuestionario",
        "instructions": (
            "1. Responda en la hoja «Questionnaire». Solo las celdas de respuesta pueden modificarse; el resto de la hoja está protegido para que la Secretaría pueda leer el formulario.\n"
            "2. En las preguntas de opción única, elija una respuesta de la lista de la celda. En las preguntas con varias opciones, escriba x en la celda de cada opción pertinente.\n"
            "3. Las preguntas marcadas con * requieren respuesta. Los comentarios pueden ser tan extensos como sea necesario.\n"
            "4. No copie las respuestas a otro archivo, no cambie los nombres definidos ni elimine las hojas ocultas: identifican la respuesta de su Gobierno.\n"
            "5. Guarde el archivo en formato Excel (.xlsx) y devuélvalo como adjunto, a la dirección desde la que lo recibió, antes de la fecha límite indicada abajo.\n"
            "6. Si no puede utilizar la hoja de cálculo, responda en el cuerpo de un correo electrónico citando la referencia siguiente."
        ),
        "reference": "Referencia",
        "subject": "Cuestionario: {title} — se ruega responder antes del {deadline}",
        "cover": (
            "Excelencia:\n\nSírvase encontrar adjunto el {title}, preparado para el Gobierno de {country}.\n\n"
            "La Secretaría agradecería recibir el cuestionario completado antes del {deadline}, "
            "devuelto como adjunto a esta dirección.\n\nReferencia: {issue_id}\n\n"
            "Le saluda atentamente,\n\n"
            "División de Población, Departamento de Asuntos Económicos y Sociales, Naciones Unidas"
        ),
    },
}


def text(lang: str, key: str) -> str:
    return TEXTS.get(lang, TEXTS["en"]).get(key) or TEXTS["en"][key]
