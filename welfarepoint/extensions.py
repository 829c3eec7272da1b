"""Flask extensions, created unbound here and bound to an app in :func:`welfarepoint.create_app`."""

import click
from flask import current_app, g, request
from flask.cli import with_appcontext
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapper
from sqlalchemy.orm.base import instance_state

# Named constraints, so that Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _materialize_state_dict(target, *_args) -> None:
    """Give a new or freshly loaded object's ``InstanceState`` a real ``__dict__`` while the object is alive.

    Works around a use-after-free in CPython 3.11 (its "inline values" object layout): when setting an
    attribute makes Python turn an object's inline values into a dict, the dict's allocation can start
    a garbage collection; if that collection frees the mapped object of this very ``InstanceState``,
    SQLAlchemy's weak-reference callback (``InstanceState._cleanup``) sets attributes on the same state,
    which frees the inline values the outer assignment is still copying. The heap is corrupted and the
    worker dies later with a segmentation fault (seen with 585 Welfare Points on one page at 10,000
    listings). Reading ``__dict__`` once, here, does the conversion at a moment when no collection can
    reach this state's object, and later assignments never convert again. Python 3.12 changed this code.
    """
    instance_state(target).__dict__  # noqa: B018 - the read is the point


def limit_sqlite_cache(app) -> None:
    """Give each SQLite connection of ``app`` a page cache of ``SQLITE_CACHE_KIB`` (PostgreSQL: nothing to do).

    SQLite's default cache (2,000 KiB per connection) is kept again by every worker, filled with pages that the
    operating system's file cache holds anyway, once for all processes.
    """
    kib = int(app.config["SQLITE_CACHE_KIB"])
    with app.app_context():
        engines = [engine for engine in db.engines.values() if engine.dialect.name == "sqlite"]

    def set_cache(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA cache_size = -{kib}")  # negative: KiB, not pages
        cursor.close()

    for engine in engines:
        event.listen(engine, "connect", set_cache)


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose end-of-request clean-up survives a database that went away during the request."""

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except SQLAlchemyError:
            # The database went away mid-request (stopped, restarted): rolling back the session's connection
            # failed, and SQLAlchemy has invalidated it. The answer already made (a 503) stands rather than
            # gunicorn's bare 500; the session is forgotten, so the next request starts with a fresh one.
            self.session.registry.clear()


# Connections are checked before use: after a database restart the pool replaces the dead ones by itself
# (``SQLALCHEMY_ENGINE_OPTIONS`` adds to these).
db = _SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True})
event.listen(Mapper, "init", _materialize_state_dict)
event.listen(Mapper, "load", _materialize_state_dict)
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def _remember_migration_options(directory, x_arg) -> None:
    g.directory = directory  # what Flask-Migrate's own ``db`` group does: its commands read them from g
    g.x_arg = x_arg


class _MigrationCommands(click.Group):
    """``flask db``: Flask-Migrate's commands, imported when one is asked for."""

    def _group(self) -> click.Group:
        from flask_migrate.cli import db as group

        return group

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._group().get_command(ctx, name)


class LazyMigrate:
    """Flask-Migrate, imported the first time a migration command asks for it.

    Flask-Migrate brings Alembic, Mako and Pygments, which every worker would import and keep, and which only
    ``flask db`` and ``flask setup`` use. ``init_app`` leaves this object in ``app.extensions["migrate"]``; the first attribute
    a command reads binds the real Flask-Migrate, which then takes its place.
    """

    def __init__(self, app=None, **options):
        self.app = app
        self.options = options

    def init_app(self, app, **options) -> None:
        app.extensions["migrate"] = LazyMigrate(app, **options)
        app.cli.add_command(
            _MigrationCommands(
                "db",
                help="Perform database migrations (Flask-Migrate).",
                params=[
                    click.Option(["-d", "--directory"], help="Migration script directory."),
                    click.Option(
                        ["-x", "--x-arg"], multiple=True, help="Arguments for custom env.py scripts."
                    ),
                ],
                callback=with_appcontext(_remember_migration_options),
            )
        )

    def __getattr__(self, name: str):
        if name in {"app", "options"}:
            raise AttributeError(name)
        from flask_migrate import Migrate

        Migrate().init_app(self.app, db, **self.options)
        return getattr(self.app.extensions["migrate"], name)


migrate = LazyMigrate()


def _not_a_form() -> bool:
    return request.method != "POST"


# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default; a shared store such as Redis in production). The
# limits are read from the app's settings at each request, so that every app built in one process keeps its own.
limiter = Limiter(
    key_func=get_remote_address,
    # RATE_LIMIT: every request of one address, whatever the page, API endpoint or form.
    application_limits=[lambda: current_app.config["RATE_LIMIT"]],
    # FORM_RATE_LIMIT: each POST route (a form) per address; a route with a limit of its own keeps only that.
    default_limits=[lambda: current_app.config["FORM_RATE_LIMIT"]],
    default_limits_exempt_when=_not_a_form,
    default_limits_per_method=True,
)
