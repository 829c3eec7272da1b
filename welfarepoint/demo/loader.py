"""Load the demo network of :mod:`welfarepoint.demo.network` through the catalog's own operations and import."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources

from sqlalchemy import func

from welfarepoint import territory
from welfarepoint.catalog import operations
from welfarepoint.catalog.interchange import import_rows
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.demo.network import build_demo_network
from welfarepoint.extensions import db
from welfarepoint.territory.models import PublicRoute

DEMO_AUTHOR = "demo"


def catalog_is_empty() -> bool:
    """Whether there is no listing and no organisation yet."""
    services = db.session.execute(db.select(func.count(Service.id))).scalar_one()
    organisations = db.session.execute(db.select(func.count(Organisation.id))).scalar_one()
    return services == 0 and organisations == 0


def load_demo_network(today: date | None = None) -> dict[str, int]:
    """Create the demo organisations, alliances and listings (the caller commits).

    The listings go through the CSV import, so the demo is validated like any file a manager uploads.
    """
    network = build_demo_network(today or date.today())
    organisations = {}
    for item in network.organisations:
        place = territory.find(item.municipality)
        organisations[item.key] = operations.create_organisation(
            item.name,
            item.type,
            municipality_code=place.istat_code if place else None,
            website=item.website,
            email=item.email,
            phone=item.phone,
        )
    for item in network.alliances:
        operations.create_alliance(
            item.name,
            item.ats,
            lead=organisations[item.lead],
            members=[(organisations[key], role) for key, role in item.members],
            period_start=item.period_start,
            period_end=item.period_end,
        )
    data = resources.files(__package__).joinpath("data", "public_routes.toml").read_text(encoding="utf-8")
    routes = tomllib.loads(data)["route"]
    db.session.add_all(PublicRoute(**route) for route in routes)
    report = import_rows(enumerate(network.services, start=2), author=DEMO_AUTHOR, today=today)
    if not report.ok:
        problems = "; ".join(str(error) for error in report.errors[:10])
        raise RuntimeError(f"the demo network does not validate: {problems}")
    return {
        "organisations": len(network.organisations),
        "alliances": len(network.alliances),
        "services": report.count("created"),
        "public_routes": len(routes),
    }
