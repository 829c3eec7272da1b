"""A worker keeps serving pages that load hundreds of listings, request after request.

CPython 3.11 corrupts its heap when a garbage collection starts inside the conversion of an object's
inline attribute values into a dict and frees the mapped object of that same SQLAlchemy
``InstanceState`` (see :func:`welfarepoint.extensions._materialize_state_dict`). A page listing many
Welfare Points, each with its own provider, crashed the process with a segmentation fault within a
few requests (the list now reads desks as columns, a page at a time; the test walks every page of it,
again and again). The requests run in a child process, so that a crash fails this test instead of ending
the whole test run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

from sqlalchemy import func, insert, select

from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db

DESKS = 600
REQUESTS = 6

CHILD = """
import gc, json, sys
from welfarepoint import create_app

app = create_app(json.loads(sys.argv[1]))
client = app.test_client()
for number in range(int(sys.argv[2])):
    gc.set_threshold(100 + 50 * number)  # each request sees collections at other moments
    shown, page = 0, 1
    while True:  # every page of the list, as a visitor clicking "Next" would
        response = client.get(f"/welfare-points?page={page}&lang=en")
        assert response.status_code == 200, response.status_code
        text = response.get_data(as_text=True)
        shown += text.count("<article ")
        if ">Next</a>" not in text:
            break
        page += 1
    print(shown, flush=True)
print("served")
"""


def add_welfare_points(count: int) -> int:
    """Copy the demo's Welfare Points until there are ``count``, each copy with another provider."""
    table = Service.__table__
    desks = db.session.execute(select(table).where(table.c.category == "W1")).mappings().all()
    providers = db.session.scalars(select(Organisation.id).order_by(Organisation.id)).all()
    top = db.session.scalar(select(func.max(Service.id)))
    rows = []
    for number in range(count - len(desks)):
        row = dict(desks[number % len(desks)])
        top += 1
        row.update(
            id=top,
            uuid=str(uuid.uuid4()),
            slug=f"{row['slug']}-{top}",
            external_id=f"desk-copy-{top}",
            provider_id=providers[number % len(providers)],
        )
        rows.append(row)
    db.session.execute(insert(table), rows)
    db.session.commit()
    return db.session.scalar(
        select(func.count()).where(table.c.category == "W1", table.c.status == "published")
    )


def test_the_welfare_points_list_with_hundreds_of_desks_is_served_again_and_again(demo_app):
    """Every desk is on one of the list's pages, each page served again and again by one process."""
    with demo_app.app_context():
        published = add_welfare_points(DESKS)
        db.engine.dispose()
    assert published >= DESKS - 20
    keys = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR")
    config = {key: demo_app.config[key] for key in keys}
    config |= {"INSTANCE_PATH": demo_app.instance_path, "SEARCH_CHECK_AT_START": False}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(config), str(REQUESTS)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    *pages, last = child.stdout.split()
    assert last == "served"
    assert pages == [str(published)] * REQUESTS
