"""Imports as jobs: the check of a file (a dry run) and its confirmation (all rows or none), with their reports
kept on the job in both languages, and the file with a column of its problems beside the upload."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale

from welfarepoint.accounts import scope
from welfarepoint.catalog.interchange import (
    ImportReport,
    NewOrganisation,
    RowChange,
    RowError,
    errors_file,
    import_and_commit,
    import_listings,
    is_workbook,
)
from welfarepoint.jobs.models import Job
from welfarepoint.jobs.runner import handler, job_folder, owner_of

UPLOAD = "upload"


class Translated:
    """A message kept in every language of the site; ``str()`` gives it in the page's language."""

    def __init__(self, texts: dict[str, str]):
        self.texts = texts

    def __str__(self) -> str:
        language = str(get_locale() or "it")[:2]
        return self.texts.get(language) or next(iter(self.texts.values()), "")

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


def _texts(message: Any) -> dict[str, str]:
    texts = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            texts[language] = str(message)
    return texts


def report_to_json(report: ImportReport) -> dict[str, Any]:
    """What the job keeps of a report: every problem (its message in each language), every change, the columns
    to map and the organisations the import would create."""
    from welfarepoint.catalog.interchange import kind_of

    return {
        "ok": report.ok,
        "total": len(report.table.rows) if report.table is not None else 0,
        "errors": [
            {
                "line": error.line,
                "column": error.column,
                "kind": error.kind or kind_of(error.message),
                "value": error.value,
                "message": _texts(error.message),
            }
            for error in report.errors
        ],
        "changes": [
            [change.line, change.external_id, change.action, change.fields] for change in report.changes
        ],
        "unknown_columns": list(report.unknown_columns),
        "new_organisations": [
            {"name": org.name, "type": org.type, "lines": org.lines, "similar": org.similar}
            for org in report.new_organisations
        ],
    }


def report_from_json(result: dict[str, Any], *, dry_run: bool) -> ImportReport:
    """The report a job kept, to draw as the import page draws one."""
    return ImportReport(
        errors=[
            RowError(item["line"], item["column"], Translated(item["message"]), item["kind"], item["value"])
            for item in result.get("errors", [])
        ],
        changes=[
            RowChange(line, external_id, action, fields)
            for line, external_id, action, fields in result.get("changes", [])
        ],
        dry_run=dry_run,
        unknown_columns=result.get("unknown_columns", []),
        new_organisations=[NewOrganisation(**item) for item in result.get("new_organisations", [])],
    )


def upload_of(job: Job) -> bytes:
    return (job_folder(job) / UPLOAD).read_bytes()


def problems_path(job: Job):
    """The file with a column of problems a job wrote, or None."""
    name = (job.result or {}).get("problems_file")
    return job_folder(job) / name if name else None


def _finish(job: Job, report: ImportReport, data: bytes) -> dict[str, Any]:
    result = report_to_json(report)
    if report.errors and report.table is not None:
        name = "problems.xlsx" if is_workbook(data) else "problems.csv"
        (job_folder(job) / name).write_bytes(errors_file(report.table, report.errors))
        result["problems_file"] = name
    return result


@handler("import_check")
def check(job: Job, progress) -> dict[str, Any]:
    """Check the uploaded file as the import page does (nothing is written)."""
    owner, data = owner_of(job), upload_of(job)
    report = import_listings(
        data,
        author=owner.email,
        dry_run=True,
        allowed=scope.import_refusals(owner),
        mapping=job.params.get("mapping") or {},
        providers=job.params.get("providers") or {},
        progress=progress,
    )
    return _finish(job, report, data)


@handler("import_confirm")
def confirm(job: Job, progress) -> dict[str, Any]:
    """Import the file for real: every row or, on any problem, none."""
    owner, data = owner_of(job), upload_of(job)
    report = import_and_commit(
        data,
        author=owner.email,
        allowed=scope.import_refusals(owner),
        mapping=job.params.get("mapping") or {},
        providers=job.params.get("providers") or {},
        progress=progress,
    )
    result = _finish(job, report, data)
    result["committed"] = report.ok
    return result
