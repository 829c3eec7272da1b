"""The CPython 3.11 workaround of :func:`welfarepoint.extensions._materialize_state_dict`, tested directly.

On CPython 3.11 an object keeps its attributes as "inline values" until something needs its ``__dict__``; the
first assignment of an attribute the class has not seen converts them into a dict, and the dict's allocation can
start a garbage collection. When that collection frees the mapped object of the very SQLAlchemy
``InstanceState`` being assigned to, SQLAlchemy's weak-reference callback sets attributes on that same state and
frees the inline values the conversion is still copying: the worker later dies with a segmentation fault. The
workaround gives every new or loaded object's state its ``__dict__`` at once, while the object is alive, so that
no later assignment converts. Python 3.12 changed this code, so these tests run on 3.11 only.

No upstream CPython issue names this exact path; the nearest found is python/cpython#123083 (a use-after-free
when a store into an object's attributes re-enters through code that runs during it, reported for 3.11 to 3.14).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import pytest
from sqlalchemy.orm.state import InstanceState

from welfarepoint.catalog.models import Service

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="guards a CPython 3.11 object layout; 3.12 changed it"
)


def has_own_dict(state: InstanceState) -> bool:
    """Whether ``state`` has its ``__dict__`` already, found without reading it (reading it would make one).

    The collector sees a state's own dict once there is one; before, it sees the inline values one by one. The
    state's only other dict is its ``committed_state`` slot.
    """
    return any(type(seen) is dict and seen is not state.committed_state for seen in gc.get_referents(state))


def test_this_interpreter_keeps_a_state_s_attributes_inline_until_its_dict_is_read(app):
    with app.app_context():  # the mappers are configured by the app
        bare = InstanceState(Service.__new__(Service), Service._sa_class_manager)  # made by no mapper event
        assert not has_own_dict(bare)  # the condition the workaround guards
        bare.__dict__  # noqa: B018 - the read makes the dict
        assert has_own_dict(bare)


# A fresh interpreter, as a worker is: one that has made many objects already may have stopped sharing the
# attribute keys of InstanceState and then converts at once, whatever the workaround does.
CHILD = """
import gc, json, sys
from sqlalchemy import event
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.base import instance_state
from welfarepoint import create_app, extensions
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db
from welfarepoint.territory.models import Municipality

if sys.argv[2] == "without the workaround":
    event.remove(Mapper, "init", extensions._materialize_state_dict)
    event.remove(Mapper, "load", extensions._materialize_state_dict)


def has_own_dict(state):
    return any(type(seen) is dict and seen is not state.committed_state for seen in gc.get_referents(state))


app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    made = [Service(), Organisation(name="Cooperativa Sole", type="non_profit")]
    loaded = db.session.execute(db.select(Municipality)).scalars().all()
    print(json.dumps({
        "made": [has_own_dict(instance_state(row)) for row in made],
        "loaded": sum(has_own_dict(instance_state(row)) for row in loaded),
        "rows": len(loaded),
    }))
    db.engine.dispose()
"""


def states_in_a_fresh_process(app, mode: str) -> dict:
    config = {key: app.config[key] for key in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR")}
    config |= {"INSTANCE_PATH": app.instance_path}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(config), mode], capture_output=True, text=True, timeout=300
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout)


@pytest.mark.multiprocess
def test_every_new_or_loaded_mapped_object_s_state_has_its_dict_from_the_start(app):
    states = states_in_a_fresh_process(app, "as the app runs")
    assert states["rows"] > 1000  # every municipality of Lombardy
    assert states == {"made": [True, True], "loaded": states["rows"], "rows": states["rows"]}


@pytest.mark.multiprocess
def test_without_the_workaround_a_fresh_process_keeps_states_inline(app):
    """The condition the workaround guards is there on this interpreter: the test above can fail."""
    states = states_in_a_fresh_process(app, "without the workaround")
    assert states == {"made": [False, False], "loaded": 0, "rows": states["rows"]}
