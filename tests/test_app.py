"""The skeleton: configuration, languages, security headers, error pages, forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import text
from wtforms import StringField
from wtforms.validators import DataRequired

from tests.support.apps import make_config
from tests.support.databases import copy_instance
from welfarepoint import create_app
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.extensions import db

PUBLIC_PAGES = ["/", "/accessibility", "/privacy", "/report-a-problem"]


def test_folders_are_absolute_and_found(app):
    assert Path(app.template_folder).is_absolute()
    assert Path(app.template_folder) == PROJECT_ROOT / "templates"
    assert Path(app.static_folder) == PROJECT_ROOT / "static"
    assert (Path(app.template_folder) / "base.html").exists()
    translations = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert translations.is_absolute() and (translations / "it" / "LC_MESSAGES" / "messages.po").exists()


def test_settings_order_mapping_wins_over_environment_over_instance_file(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        'CONTACT_EMAIL = "from-instance@example.org"\nMAX_CONTENT_LENGTH = 7\n'
    )
    monkeypatch.setenv("WELFAREPOINT_CONTACT_EMAIL", "from-env@example.org")
    monkeypatch.setenv("WELFAREPOINT_PROXY_FIX_X_PROTO", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert app.config["MAX_CONTENT_LENGTH"] == 7  # instance file over defaults
    assert app.config["CONTACT_EMAIL"] == "from-env@example.org"  # environment over instance file
    assert app.config["PROXY_FIX_X_PROTO"] == 1  # parsed as JSON
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "CONTACT_EMAIL": "mapping@example.org"}
    )
    assert app.config["CONTACT_EMAIL"] == "mapping@example.org"  # the mapping wins


def test_defaults_live_in_the_instance_folder_and_secret_key_is_generated_once(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'welfarepoint.sqlite3'}"
    assert app.config["SEARCH_INDEX_DIR"] == str(tmp_path / "search-index")
    key = app.config["SECRET_KEY"]
    assert len(key) >= 64 and (tmp_path / "secret_key").read_text().strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == key


def test_secret_key_is_never_committed():
    ignored = (PROJECT_ROOT / ".gitignore").read_text()
    assert "instance/*" in ignored


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_render_in_both_languages(client, path):
    italian = client.get(path + "?lang=it")
    english = client.get(path + "?lang=en")
    assert italian.status_code == english.status_code == 200
    assert '<html lang="it">' in italian.text
    assert '<html lang="en">' in english.text
    assert "Vai al contenuto principale" in italian.text
    assert "Skip to main content" in english.text


def test_home_says_what_the_service_is(client):
    text = client.get("/?lang=it").text
    assert "conciliazione" in text
    assert "Dichiarazione di accessibilità" in text
    assert "Segnala un problema" in text
    assert "Informativa" in text
    english = client.get("/?lang=en").text
    assert "Find the services that help you balance work and family" in english


def test_language_choice_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=en")
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("lang=en") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert '<html lang="en">' in client.get("/privacy").text
    assert '<html lang="it">' in client.get("/privacy?lang=it").text
    assert '<html lang="it">' in client.get("/privacy").text


def test_a_first_visit_is_in_italian_with_a_one_line_offer_in_the_browsers_language(client):
    english_phone = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="it">' in english_phone
    offer = re.search(r'<p class="wp-lang-offer[^"]*" lang="en">(.*?)</p>', english_phone, re.S).group(1)
    assert "This site is also in English." in offer and 'href="/?lang=en"' in offer
    for header in ("de-DE,fr;q=0.8", "it-IT,en;q=0.5", ""):
        page = client.get("/", headers={"Accept-Language": header}).text
        assert '<html lang="it">' in page and "wp-lang-offer" not in page
    # Once a language is chosen it is remembered, and nothing is offered any more.
    chosen = client.get("/?lang=en", headers={"Accept-Language": "en"})
    assert "wp-lang-offer" not in chosen.text
    again = client.get("/privacy", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in again and "wp-lang-offer" not in again


def test_unknown_language_falls_back_without_error(client):
    response = client.get("/?lang=xx")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_language_switch_keeps_the_other_parameters(client):
    text = client.get("/privacy?lang=it&x=1").text
    assert 'href="/privacy?x=1&amp;lang=en"' in text


def test_security_headers_on_every_response(client):
    for path in [*PUBLIC_PAGES, "/does-not-exist", "/static/css/welfarepoint.css"]:
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        response.close()


def test_no_inline_script_or_style_in_pages(client):
    for path in PUBLIC_PAGES:
        text = client.get(path).text
        assert "<style" not in text and " style=" not in text
        assert "<script>" not in text and "<script " not in text.replace('<script src="/static/', "")
        assert "http://" not in text.replace("http://www.w3.org", "")


def test_cookies_are_secure_over_https(client):
    response = client.get("/?lang=en", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers
    assert "Secure" not in client.get("/?lang=it").headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("it", "Pagina non trovata"), ("en", "Page not found")],
)
def test_not_found_page_in_both_languages(client, lang, expected):
    response = client.get(f"/nowhere?lang={lang}")
    assert response.status_code == 404
    assert expected in response.text


@pytest.mark.parametrize("code", [400, 403, 404, 429, 500])
def test_error_pages_exist_for_each_status(app, code):
    from flask import abort

    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get(f"/boom-{code}")
    def boom():
        if code == 500:
            raise RuntimeError("unexpected")
        abort(code)

    client = app.test_client()
    for lang in ("it", "en"):
        response = client.get(f"/boom-{code}?lang={lang}")
        assert response.status_code == code
        assert f'<html lang="{lang}">' in response.text
        assert "RuntimeError" not in response.text


def test_expired_form_gets_a_friendly_page(app):
    @app.post("/form-test")
    def form_test():
        return "saved"

    client = app.test_client()
    response = client.post("/form-test?lang=it", data={"x": "1"})
    assert response.status_code == 400
    assert "modulo è scaduto" in response.text
    assert "The form has expired" in client.post("/form-test?lang=en", data={"x": "1"}).text


@pytest.mark.parametrize(
    ("lang", "expected"), [("it", "Questo campo è obbligatorio."), ("en", "This field is required.")]
)
def test_wtforms_messages_are_translated(app, lang, expected):
    class NameForm(FlaskForm):
        name = StringField("name", validators=[DataRequired()])

    with app.test_request_context(f"/?lang={lang}", method="POST", data={}):
        form = NameForm(meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors == [expected]


def test_translation_catalogs_compile_completely(tmp_path):
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for lang in ("it", "en"):
        with (PROJECT_ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        missing = [
            m.id
            for m in catalog
            if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
        ]
        assert not missing, f"{lang}: untranslated or fuzzy: {missing[:10]}"
        with (tmp_path / f"{lang}.mo").open("wb") as handle:
            write_mo(handle, catalog)


def test_setup_is_idempotent(runner):
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "0 municipality rows" in first.output
    second = runner.invoke(args=["setup"])
    assert second.exit_code == 0 and "0 municipality rows" in second.output


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from welfarepoint.extensions import db

    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


@pytest.mark.multiprocess
def test_flask_db_commands_work_and_workers_do_not_load_alembic(app, runner, tmp_path):
    """``flask db`` is Flask-Migrate's, loaded when asked for; an app alone never imports Alembic."""
    import subprocess
    import sys

    from welfarepoint.config import PROJECT_ROOT
    from welfarepoint.extensions import db

    def version() -> str:
        with app.app_context():
            return db.session.execute(db.text("select version_num from alembic_version")).scalar_one()

    head = version()
    assert runner.invoke(args=["db", "stamp", "0001"]).exit_code == 0
    assert version() == "0001"
    assert runner.invoke(args=["db", "stamp", "head"]).exit_code == 0
    assert version() == head
    assert runner.invoke(args=["db", "--help"]).exit_code == 0
    script = (
        "import sys; from welfarepoint import create_app; "
        f"create_app({{'INSTANCE_PATH': {str(tmp_path)!r}, 'SECRET_KEY': 'x'}}); "
        "print(sorted(m for m in ('flask_migrate', 'alembic', 'mako', 'pygments') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_instance_config_is_optional(tmp_path):
    app = create_app(make_config(tmp_path))
    assert app.config["TESTING"]


def test_the_instance_folder_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WELFAREPOINT_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app({"SECRET_KEY": "x"})
    assert app.instance_path == str((tmp_path / "elsewhere").resolve())
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"]
        == f"sqlite:///{(tmp_path / 'elsewhere').resolve() / 'welfarepoint.sqlite3'}"
    )


def test_a_built_app_is_moved_out_of_the_garbage_collectors_way(tmp_path):
    """A worker's app, once built, is frozen (``gc.freeze``) and its youngest generation collected less often:
    collections inside requests stay short."""
    import gc

    default = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    create_app(make_config(tmp_path / "off"))
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == default
    try:
        create_app(make_config(tmp_path / "on", GC_WORKER_TUNING=True))
        assert gc.get_freeze_count() > 10_000 and gc.get_threshold()[0] == 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*default)


def test_each_sqlite_connection_keeps_a_small_page_cache(tmp_path, template_instance):
    """Every worker has its own SQLite page cache: the setting bounds it (the OS file cache is shared)."""
    copy_instance(template_instance, tmp_path / "instance")
    for setting, expected in ((None, -512), (64, -64)):
        overrides = {} if setting is None else {"SQLITE_CACHE_KIB": setting}
        application = create_app(make_config(tmp_path / "instance", **overrides))
        with application.app_context():
            if db.engine.dialect.name != "sqlite":
                pytest.skip("a PostgreSQL database: no SQLite page cache")
            assert db.session.execute(text("PRAGMA cache_size")).scalar() == expected
            db.session.remove()
            db.engine.dispose()
