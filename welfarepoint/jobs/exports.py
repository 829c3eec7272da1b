"""Exports as jobs: the backend's listings export (CSV, CSV for Excel, or a workbook) of many listings, written
into the job's folder for the manager to download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from welfarepoint.accounts import scope
from welfarepoint.accounts.scope import ListingFilter
from welfarepoint.catalog.interchange import export_listings
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.workbook import listings_workbook
from welfarepoint.jobs.models import Job
from welfarepoint.jobs.runner import handler, job_folder, owner_of

FORMATS = ("csv", "excel", "xlsx")


def _counted(services: list[Service], progress) -> Iterator[Service]:
    total = len(services)
    every = max(1, total // 100)
    for done, service in enumerate(services):
        if done % every == 0:
            progress("export", done, total)
        yield service


@handler("export")
def export(job: Job, progress) -> dict[str, Any]:
    """Write the owner's listings that match the job's filters, in the format asked for."""
    owner = owner_of(job)
    listings = scope.listings_for_export(owner, ListingFilter(**job.params["wanted"]))
    form = job.params.get("format", "csv")
    if form == "xlsx":
        name, data = "export.xlsx", listings_workbook(_counted(listings, progress))
    else:
        name = "export.csv"
        data = export_listings(_counted(listings, progress), excel=form == "excel").encode("utf-8")
    (job_folder(job) / name).write_bytes(data)
    return {"total": len(listings), "file": name}
