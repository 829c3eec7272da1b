"""Catalog operations: create, update, workflow, revisions, optimistic locking, change events."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.catalog import row
from welfarepoint.catalog import events, operations, taxonomy
from welfarepoint.catalog.models import CatalogState, Revision, Service
from welfarepoint.catalog.validation import validate_listing
from welfarepoint.extensions import db


def test_create_records_first_revision_and_resolves_places(app, make_service):
    with app.app_context():
        service = make_service()
        db.session.commit()
        assert service.slug == "pre-scuola-alla-primaria-ligari"
        assert service.coverage_codes == ["014044", "014061"]  # Montagna in Valtellina, Sondrio
        assert service.provider.type == "non_profit"
        assert service.version == 1
        [revision] = service.revisions
        assert revision.action == "create" and revision.author == "maria@example.org"
        assert revision.snapshot["title"] == "Pre-scuola alla primaria Ligari"


def test_same_title_gets_its_own_address(app, make_service):
    with app.app_context():
        first = make_service()
        second = make_service(external_id="test-002")
        assert first.slug != second.slug and second.slug.startswith(first.slug)


def test_update_records_what_changed_and_nothing_when_equal(app, make_service):
    with app.app_context():
        service = make_service()
        db.session.commit()
        listing, _ = validate_listing(row(age_max="13", cost="free"), today=date(2026, 11, 25))
        assert operations.update_service(service, listing, author="luca@example.org")
        db.session.commit()
        revision = service.revisions[-1]
        assert revision.changes == {"age_max": [11, 13], "cost": ["contribution", "free"]}
        assert service.version == 2
        assert not operations.update_service(service, listing, author="luca@example.org")
        assert len(service.revisions) == 2


def test_second_save_from_an_old_version_is_refused(app, make_service):
    with app.app_context():
        service = make_service()
        db.session.commit()
        opened = service.version
        first, _ = validate_listing(row(title="Primo"), today=date(2026, 11, 25))
        operations.update_service(service, first, author="a@example.org", expected_version=opened)
        db.session.commit()
        second, _ = validate_listing(row(title="Secondo"), today=date(2026, 11, 25))
        with pytest.raises(operations.ConflictError):
            operations.update_service(service, second, author="b@example.org", expected_version=opened)
        assert db.session.get(Service, service.id).title == "Primo"


def test_workflow_transitions_are_recorded_and_checked(app, make_service):
    with app.app_context():
        service = make_service(status="draft")
        operations.change_status(service, "in_review", author="editor@example.org")
        operations.change_status(service, "published", author="manager@example.org")
        operations.change_status(service, "archived", author="manager@example.org")
        with pytest.raises(operations.CatalogError):
            operations.change_status(service, "in_review", author="manager@example.org")
        operations.change_status(service, "draft", author="manager@example.org")
        db.session.commit()
        actions = [r.action for r in service.revisions]
        assert actions == ["create", "submit", "publish", "archive", "restore"]
        assert service.revisions[2].changes == {"status": ["in_review", "published"]}


def test_mark_verified_records_who_and_when(app, make_service):
    with app.app_context():
        service = make_service(last_verified="2025-01-10")
        assert service.is_overdue(date(2026, 11, 25))
        operations.mark_verified(service, author="manager@example.org", on=date(2026, 11, 25))
        db.session.commit()
        assert (
            service.last_verified == date(2026, 11, 25) and service.last_verified_by == "manager@example.org"
        )
        assert not service.is_overdue(date(2026, 11, 25))
        assert service.revisions[-1].action == "verify"


def test_committed_changes_are_announced_once_and_rollbacks_forgotten(app, make_service):
    seen = []

    def listener(sender, service_ids, generation):
        seen.append(service_ids)
        generations.append(generation)

    generations = []
    events.listings_committed.connect(listener)
    try:
        with app.app_context():
            service = make_service()
            db.session.commit()
            assert seen == [frozenset({service.id})]
            assert generations == [db.session.get(CatalogState, 1).generation]
            operations.change_status(service, "archived", author="x@example.org")
            db.session.rollback()
            db.session.commit()
            assert len(seen) == 1
    finally:
        events.listings_committed.disconnect(listener)


def test_revisions_are_only_written_through_operations(app, make_service):
    with app.app_context():
        make_service()
        db.session.commit()
        assert db.session.execute(db.select(db.func.count(Revision.id))).scalar_one() == 1


def test_taxonomy_has_every_code_with_both_languages():
    assert taxonomy.codes("categories") == ("P1", "P2", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "S1", "W1")
    assert len(taxonomy.codes("organisation_types")) == 10
    for vocabulary in taxonomy.VOCABULARIES:
        for code in taxonomy.codes(vocabulary):
            assert taxonomy.label(vocabulary, code, "it") and taxonomy.label(vocabulary, code, "en")
    assert taxonomy.need_category("summer_closure") == "P2"
    assert taxonomy.is_sensitive_need("care_respite") and not taxonomy.is_sensitive_need("after_school")


def test_no_module_reaches_for_a_private_name_of_another():
    """The layers talk through public names only (``workflow`` once imported helpers of ``operations``)."""
    import ast
    from pathlib import Path

    import welfarepoint

    package = Path(welfarepoint.__file__).parent
    reaching = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()  # names bound to a module of the package in this file
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("welfarepoint"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        reaching.append(f"{path.name}: from {node.module} import {alias.name}")
                    modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules.update(a.asname or a.name for a in node.names if a.name.startswith("welfarepoint"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                reaching.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert reaching == []
