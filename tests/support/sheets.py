"""Listings files as managers make them, in any number: Italian headers and labels, dd/mm/yyyy dates, real
municipalities of each ATS; as Italian Excel CSV (``;``, Windows-1252, CRLF) or as an ``.xlsx`` workbook.

Used by the tests and by ``tools/bench.py`` (importing 10,000 rows).
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import openpyxl

from welfarepoint import territory

HEADER = [
    "Codice", "Titolo", "Breve descrizione", "Destinatari", "Categoria", "Bisogni", "Parole chiave", "ATS",
    "Comuni serviti", "Età da", "Età a", "Periodo", "Fascia oraria", "Costo", "Note sul costo", "Ente gestore",
    "Tipo ente", "Telefono", "Email", "Sito web", "Lingue", "Posti", "Disponibilità", "Scadenza iscrizioni",
    "Stato", "Ultima verifica",
]  # fmt: skip
KINDS = [  # title, audience, category, needs, ages, period, time slot
    ("Centro estivo", "Famiglie", "P2", "Chiusure estive; Attività educative", (6, 11), "Estate", "Giornata intera"),
    ("Pre-scuola", "Famiglie", "P2", "Pre-scuola", (6, 11), "Anno scolastico", "Prima della scuola"),
    ("Doposcuola", "Famiglie", "P2", "Post-scuola; Aiuto compiti", (6, 14), "Anno scolastico", "Dopo la scuola"),
    ("Sportello caregiver", "Famiglie", "P1", "Informazione caregiver", (18, 120), "Tutto l'anno", "Flessibile"),
    ("Assistenza domiciliare", "Famiglie", "P1", "Assistenza a domicilio", (65, 120), "Tutto l'anno", "Flessibile"),
    ("Consulenza welfare aziendale", "Imprese", "C3", "C3", (None, None), "Tutto l'anno", ""),
]  # fmt: skip
PROVIDERS = [("Comune di {town}", "Ente pubblico"), ("Cooperativa sociale {name}", "Cooperativa sociale")]
NAMES = ["Il Sentiero", "Arcobaleno", "La Ginestra", "Il Girasole", "Il Melograno", "La Rondine", "Il Ponte"]
COSTS = ["Gratuito", "Contributo", "A pagamento"]
STATUSES = ["Pubblicato", "Pubblicato", "Bozza", "In revisione"]


def italian_rows(count: int, *, prefix: str = "FOGLIO", seed: int = 23) -> list[list[object]]:
    """``count`` valid listings as a manager types them (dates as :class:`date`; the writers format them)."""
    rng = random.Random(seed)
    towns = {ats: [m.name for m in territory.in_ats(ats)] for ats in territory.ATS_NAMES}
    rows = []
    for number in range(1, count + 1):
        ats = territory.ATS_NAMES[number % len(territory.ATS_NAMES)]
        served = rng.sample(towns[ats], 3)
        title, audience, category, needs, (age_min, age_max), period, slot = KINDS[number % len(KINDS)]
        template, kind = PROVIDERS[number % len(PROVIDERS)]
        provider = template.format(town=served[0], name=rng.choice(NAMES) + f" {ats}")
        deadline = date(2027, 5, 1) + timedelta(days=number % 60)
        rows.append(
            [
                f"{prefix}-{number:05d}", f"{title} a {served[0]} n. {number}",
                f"{title} per chi vive a {served[0]} e dintorni: è più facile conciliare.", audience, category,
                needs, "conciliazione; " + title.lower(), f"ATS {ats}", "; ".join(served), age_min, age_max, period,
                slot, COSTS[number % 3], "10,00 € al mese" if number % 3 else "", provider, kind,
                f"+39 0{rng.randint(30, 39)} {rng.randint(100000, 999999)}", f"info{number}@esempio.it",
                "https://www.esempio.it", "Italiano; Inglese", 20 + number % 40,
                "Lista d'attesa" if number % 7 == 0 else "Posti disponibili", deadline,
                STATUSES[number % len(STATUSES)], date(2026, 10, 1 + number % 28),
            ]
        )  # fmt: skip
    return rows


def excel_csv(rows: list[list[object]]) -> bytes:
    """The rows as Italian Excel saves "CSV (separato dal separatore di elenco)": ``;``, Windows-1252, dd/mm/yyyy."""
    output = io.StringIO(newline="")
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(
            [
                value.strftime("%d/%m/%Y") if isinstance(value, date) else "" if value is None else value
                for value in row
            ]
        )
    return output.getvalue().encode("cp1252")


def workbook(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    """The rows as an ``.xlsx`` with real dates and numbers, under ``header`` (the Italian sheet's by default)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Servizi")
    sheet.append(HEADER if header is None else header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
