"""The demo network once loaded: the Region's 2020-2023 figures from the database, and a lossless round trip."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.monitoring_figures import FIGURE_6_2_TOTALS, TABLE_6_1, partner_types
from welfarepoint.catalog.interchange import export_listings, import_listings, services_for_export
from welfarepoint.catalog.models import Alliance, AllianceMember, Organisation, Service
from welfarepoint.extensions import db

ACTION_CATEGORIES = ("P1", "P2", "C1", "C2", "C3", "C4", "C5", "C6", "C7")


def test_loaded_network_reproduces_the_monitoring_figures(demo_app):
    with demo_app.app_context():
        alliances = Counter(db.session.execute(db.select(Alliance.ats)).scalars())
        actions = Counter(
            db.session.execute(
                db.select(Service.ats, Service.audience).where(Service.category.in_(ACTION_CATEGORIES))
            ).all()
        )
        members = db.session.execute(
            db.select(Alliance.ats, Organisation.id, Organisation.type)
            .join(AllianceMember, AllianceMember.alliance_id == Alliance.id)
            .join(Organisation, Organisation.id == AllianceMember.organisation_id)
        ).all()
        desks = Counter(db.session.execute(db.select(Service.ats).where(Service.category == "W1")).scalars())
    partners = Counter(ats for ats, _id, _type in set(members))
    by_type = {ats: Counter(kind for a, _id, kind in set(members) if a == ats) for ats in TABLE_6_1}
    for ats, (n_alliances, n_actions, persons, companies) in TABLE_6_1.items():
        assert alliances[ats] == n_alliances, ats
        assert actions[(ats, "persons")] == persons, ats
        assert actions[(ats, "companies")] == companies, ats
        assert persons + companies == n_actions
        assert partners[ats] == FIGURE_6_2_TOTALS[ats], ats
        assert desks[ats] >= 1, ats
    assert sum(alliances.values()) == 40 and sum(actions.values()) == 290 and sum(partners.values()) == 567
    assert by_type["Montagna"] == partner_types("Montagna")
    assert by_type["Val Padana"] == partner_types("Val Padana")


@pytest.mark.slow
def test_demo_export_then_import_changes_nothing(demo_app):
    with demo_app.app_context():
        exported = export_listings(services_for_export())
        report = import_listings(exported.encode("utf-8"), author="round-trip")
        assert report.ok, [str(e) for e in report.errors[:5]]
        assert report.count("unchanged") == 308 and report.count("created") == report.count("updated") == 0
        assert export_listings(services_for_export()) == exported


def test_seed_demo_refuses_a_catalog_that_is_not_empty(demo_app):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "already has listings" in result.output
    assert runner.invoke(args=["seed-demo"]).exit_code != 0


@pytest.mark.slow
def test_seed_demo_loads_an_empty_database(runner, app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "567 organisations, 40 alliances" in result.output
    with app.test_request_context():
        from welfarepoint import search

        assert search.query("centro estivo").total > 0
