"""Hostile values in every parameter and form field of the public site, the API and the backend: never a 5xx.

The routes come from the application's own URL map (every rule, every variable of its address), the query
parameters from the OpenAPI document and from the GET forms of the pages, and the form fields from the POST forms
the pages show (signed in as a regional administrator, who sees every form). Each hostile value goes, alone, into
one place at a time, the rest of the request staying valid, so that it reaches the code behind the check that
would have stopped a wrong neighbour. Run on PostgreSQL by ``make test-postgres`` too (PostgreSQL refuses more
than SQLite: a NUL character, an integer beyond 32 bits).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urlsplit

import pytest

from tests.support.manage import account, signed_in
from welfarepoint.accounts.operations import find_user
from welfarepoint.api.views import openapi_document
from welfarepoint.catalog.models import Alliance, Feedback, Organisation, Revision, Service
from welfarepoint.extensions import db, limiter
from welfarepoint.territory.models import PublicRoute
from welfarepoint.vocabulary.models import SearchSynonym

#: Raw bytes, percent-encoded as they are into addresses and form bodies (so invalid UTF-8 arrives invalid).
HOSTILE = [
    b"\x00",
    b"caf\x00e",
    b"%00",
    b"9" * 30,
    b"-99999999999999999999",
    b"0",
    b"-1",
    b"1e309",
    b"NaN",
    b"x" * 5000,
    b"\xff\xfe\xfd",
    b"\xc3\x28",
    "\u202eetadpu\u202c".encode(),
    b"' OR '1'='1' --",
    b"<script>alert(1)</script>",
    "😀🇮🇹👨‍👩‍👧".encode() * 20,
    b"../../../../etc/passwd",
    b"{{7*7}}${7*7}",
    b"\r\nSet-Cookie: x=1",
    b" ",
    b"",
]
#: The value sent alone into each parameter (NUL needs no such round: the edge answers any parameter's alike).
HOSTILE_ALONE = [b"9" * 30]
#: Fewer values for form fields (each post may save a listing and update the index).
HOSTILE_IN_FORMS = [HOSTILE[i] for i in (1, 3, 9, 10, 12, 15, 20)]
#: Query parameters that links build (no GET form shows them), of the public pages and of the backend.
PUBLIC_LINK_PARAMETERS = ["page", "lang", "step", "from_step", "done", "channel", "keep", "plan", "back", "need",
                          "q", "municipality", "ats"]  # fmt: skip
BACKEND_LINK_PARAMETERS = ["page", "lang", "q", "status", "ats", "weeks", "excel", "next"]
#: Actions that end the session or whose effect hides the rest (signing out).
SKIPPED_POSTS = {"/manage/logout"}


def encoded(value: bytes) -> str:
    return quote_from_bytes(value, safe="")


class Forms(HTMLParser):
    """The forms of a page: method, action, and their fields with the values the page put in them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "method": (attributes.get("method") or "get").lower(),
                    "action": attributes.get("action"),
                    "fields": [],
                }
            )
        elif self.forms and tag in ("input", "select", "textarea", "button") and attributes.get("name"):
            kind = attributes.get("type", "")
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                value = None
            else:
                value = attributes.get("value", "")
            self.forms[-1]["fields"].append((attributes["name"], value, tag, kind))


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


@pytest.fixture
def unlimited():
    """The rate limits off: every request reaches the code behind them (a 429 would hide it)."""
    limiter.enabled = False
    yield
    limiter.enabled = True


@pytest.fixture
def world(demo_app, unlimited):
    """Real values for every variable of an address, and a client signed in as a regional administrator."""
    with demo_app.app_context():
        service = (
            db.session.execute(db.select(Service).filter_by(status="published")).unique().scalars().first()
        )
        feedback = Feedback(service=service, kind="hours", message="Orari da controllare.")
        group = SearchSynonym(line="[summer_closure] cred | centro ricreativo", author="test")
        db.session.add_all([feedback, group])
        db.session.commit()
        route = db.session.execute(db.select(PublicRoute)).scalars().first()
        values = {
            "slug": service.slug,
            "service_id": service.uuid,
            "organization_id": service.provider.uuid,
            "feedback_id": str(feedback.id),
            "revision_id": str(
                db.session.execute(db.select(Revision.id).filter_by(service_id=service.id)).scalars().first()
            ),
            "filename": "css/site.css",
            "group_id": str(group.id),
            "route_id": str(route.id),
            "job_id": "1",  # nobody's job: every job page answers 404 to whoever did not start it
            "message_id": "1",  # no such message in the outbox: 404 (the mail core's page)
            "token": "not-a-signed-link",  # alerts' and freshness e-mails' links: refused as any forged one
        }
        alliance = db.session.execute(db.select(Alliance)).scalars().first()
        organisation = db.session.execute(db.select(Organisation)).scalars().first()
        uuids = {"alliances": alliance.uuid, "organisations": organisation.uuid, "services": service.uuid}
    admin = signed_in(demo_app, account(demo_app, "regione@example.org", "admin"))
    with demo_app.app_context():  # issue 25, "accounts": an account's page, and a signed link that is not one
        values["account_id"] = str(find_user("regione@example.org").id)
    values["token"] = "not-a-signed-link"
    values.setdefault("message_id", "1")  # the outbox's (mail core): no message yet, 404
    return values, uuids, admin


def address_of(rule, values: dict, uuids: dict, replace: str | None = None, hostile: bytes = b"") -> str:
    """The rule's address with real values, and ``hostile`` in the variable ``replace``."""
    path = rule.rule
    for name in rule.arguments:
        if name == replace:
            value = encoded(hostile)
        elif name == "uuid":
            value = uuids[path.split("/")[2]]
        else:
            value = values[name]
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", value, path)
    return path


@pytest.mark.slow
def test_no_hostile_value_anywhere_gets_a_server_error(demo_app, world):
    values, uuids, admin = world
    anonymous = demo_app.test_client()
    failures: list[str] = []

    def check(client, method: str, address: str, body: str | None = None) -> None:
        response = client.open(
            address,
            method=method,
            data=body,
            content_type="application/x-www-form-urlencoded" if body is not None else None,
        )
        if response.status_code >= 500:
            failures.append(f"{method} {address[:160]} {(body or '')[:200]} -> {response.status_code}")
        response.close()

    rules = [rule for rule in demo_app.url_map.iter_rules() if rule.endpoint != "static"]
    get_rules = [rule for rule in rules if "GET" in rule.methods]

    # 1. Every variable of every address (the backend's signed in).
    for rule in rules:
        method = "GET" if "GET" in rule.methods else "POST"
        client = admin if rule.rule.startswith("/manage/") else anonymous
        for name in rule.arguments:
            for hostile in HOSTILE:
                check(client, method, address_of(rule, values, uuids, name, hostile))

    # 2. Every query parameter of every page and API endpoint.
    api_parameters = {
        parameter["name"]
        for path in openapi_document()["paths"].values()
        for operation in [path, *(item for item in path.values() if isinstance(item, dict))]
        for parameter in operation.get("parameters", [])
        if isinstance(parameter, dict) and parameter.get("in") == "query"
    } | {
        parameter["name"]
        for parameter in openapi_document().get("components", {}).get("parameters", {}).values()
        if parameter.get("in") == "query"
    }
    pages: dict[str, str] = {}
    for rule in get_rules:
        base = address_of(rule, values, uuids)
        page = admin.get(base)
        pages[base] = page.text if page.mimetype == "text/html" else ""
        form_parameters = {
            name for form in forms_of(pages[base]) if form["method"] == "get" for name, *_ in form["fields"]
        }
        if base.startswith("/api/"):
            names = api_parameters | form_parameters
        elif base.startswith("/manage/"):
            names = set(BACKEND_LINK_PARAMETERS) | form_parameters
        else:
            names = set(PUBLIC_LINK_PARAMETERS) | form_parameters
        client = anonymous if base.startswith(("/api/", "/services", "/search", "/match")) else admin
        for hostile in HOSTILE:  # every parameter at once, then each alone with the values databases refuse
            value = encoded(hostile[:1000])  # 5,000 characters in each of 20 parameters: a 414 at any server
            query = "&".join(f"{encoded(name.encode())}={value}" for name in sorted(names))
            check(client, "GET", f"{base}?{query}&{value}=1")
        for name in sorted(names):
            for hostile in HOSTILE_ALONE:
                check(client, "GET", f"{base}?{encoded(name.encode())}={encoded(hostile)}")

    # 3. Every field of every POST form the pages show (the administrator sees all of them).
    posted: set[tuple[str, frozenset[str]]] = set()
    for base, html in pages.items():
        for form in forms_of(html):
            action = urlsplit(form["action"] or base).path
            names = tuple(name for name, *_ in form["fields"])
            kind = (re.sub(r"/[0-9a-f-]{36}|/\d+", "/<id>", action), frozenset(names))  # one of each form
            if form["method"] != "post" or action in SKIPPED_POSTS or kind in posted:
                continue
            posted.add(kind)
            fresh = forms_of(admin.get(base).text)
            token = next(
                (
                    value
                    for form_ in fresh
                    for name, value, *_ in form_["fields"]
                    if name.endswith("csrf_token")
                ),
                "",
            )
            defaults = [
                (name, token if name.endswith("csrf_token") else value)
                for name, value, tag, kind in form["fields"]
                if value is not None or tag == "select"
            ]
            for target in dict.fromkeys(names):
                if target.endswith("csrf_token"):
                    continue
                for hostile in HOSTILE_IN_FORMS:
                    fields = [(name, (value or "").encode()) for name, value in defaults if name != target]
                    fields.append((target, hostile))
                    body = "&".join(f"{encoded(name.encode())}={encoded(value)}" for name, value in fields)
                    check(admin, "POST", action, body)
    assert len(posted) >= 10  # the backend's forms were found and sent
    assert not failures, "\n".join(failures[:40])
