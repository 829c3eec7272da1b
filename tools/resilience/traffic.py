"""The traffic of the resilience suite, over real HTTP: visitors (a bounded public load in threads) and managers
publishing a change every 2 s through the backend's own sign-in and form.

Every request is recorded (:class:`Answer`): when it began and ended, what kind of page it asked, its status (or
``None`` when no answer came: a connection refused or cut, a timeout) and, for a 503, what it said by its
``Retry-After`` (the database's 30 s, search's "being rebuilt" 60 s). Visitors come through one trusted proxy:
each carries an address of its own in ``X-Forwarded-For`` (the set-up runs with ``PROXY_FIX_X_FOR=1``, as
production does behind nginx), so the per-address rate limits see many visitors, not one.
"""

from __future__ import annotations

import http.cookiejar
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from welfarepoint.catalog.operations import slugify
from welfarepoint.territory import ATS_NAMES

#: How long a request may take before the client gives up (what a proxy would wait); slower than 5 s fails.
CLIENT_TIMEOUT = 30
#: A 503's kind, by its ``Retry-After``: welfarepoint.errors.DATABASE_RETRY_AFTER_SECONDS and
#: welfarepoint.search.healing.RETRY_AFTER_SECONDS.
UNAVAILABLE_KINDS = {"30": "database", "60": "search"}

SEARCH_TEXTS = [
    "nido", "ludoteca", "centro estivo", "doposcuola", "compiti", "assistenza anziani", "badante", "sollievo",
    "campo estivo", "pre scuola", "asilo nido gratuito", "laboratorio musica", "welfare aziendale", "nidoo",
    "spazio gioco", "trasporto anziani", "smart working", "babysitter", "vacanze estive bambini",
]  # fmt: skip
CHILD_NEEDS = ["before_school", "after_school", "summer_closure", "holiday_closure", "homework_support",
               "educational_activities", "childcare_costs"]  # fmt: skip
CARE_NEEDS = ["care_accompaniment", "care_respite", "care_information", "care_training", "care_at_home"]
COMPANY_NEEDS = ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
COMPANY_SIZES = ["micro", "small", "medium", "large"]


@dataclass
class Answer:
    """One request and what came back."""

    began: float  # time.monotonic()
    ended: float
    kind: str  # search, questionnaire, service, home, api, publish, check...
    path: str
    status: int | None  # None: no answer (connection refused or cut, timeout)
    unavailable: str = ""  # for a 503: "database", "search" or "other"
    error: str = ""

    @property
    def seconds(self) -> float:
        return self.ended - self.began


class Recorder:
    """Every answer of the run, in the order they ended (thread-safe)."""

    def __init__(self):
        self.answers: list[Answer] = []
        self._lock = threading.Lock()

    def add(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def between(self, start: float, end: float) -> list[Answer]:
        """The answers to requests that began in [start, end)."""
        with self._lock:
            return [answer for answer in self.answers if start <= answer.began < end]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # every hop is a request of its own, recorded


class Client:
    """An HTTP client with cookies and an address of its own; records every request, redirects hop by hop."""

    def __init__(self, base: str, recorder: Recorder, address: str, language: str = "it"):
        self.base = base
        self.recorder = recorder
        self.address = address
        self.language = language
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(
        self, kind: str, path: str, data: list[tuple[str, str]] | None = None
    ) -> tuple[int | None, str]:
        """GET (or POST ``data``) ``path``, following redirects; (the last status or None, the last body)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for _ in range(5):
            status, text, location = self._one(kind, path, body)
            if status in (301, 302, 303, 307, 308) and location:
                path, body = (
                    urllib.parse.urlsplit(urllib.parse.urljoin(self.base + path, location))
                    ._replace(scheme="", netloc="")
                    .geturl(),
                    None,
                )
                continue
            return status, text
        return status, text

    def _one(self, kind: str, path: str, body: bytes | None) -> tuple[int | None, str, str]:
        request = urllib.request.Request(
            self.base + path,
            data=body,
            headers={"X-Forwarded-For": self.address, "Accept-Language": self.language},
        )
        began = time.monotonic()
        status, text, location, unavailable, error = None, "", "", "", ""
        try:
            with self.opener.open(request, timeout=CLIENT_TIMEOUT) as response:
                status, text = response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as answer:
            status = answer.code
            location = answer.headers.get("Location", "")
            if status == 503:
                unavailable = UNAVAILABLE_KINDS.get(answer.headers.get("Retry-After", ""), "other")
            try:
                text = answer.read().decode(errors="replace")
            except OSError as cut:  # the answer began but was cut
                status, error = None, repr(cut)
            answer.close()
        except (OSError, urllib.error.URLError) as failure:  # refused, reset, timed out
            error = repr(getattr(failure, "reason", failure))
        self.recorder.add(Answer(began, time.monotonic(), kind, path, status, unavailable, error))
        return status, text, location


# --- visitors ------------------------------------------------------------------------------------------------


def public_paths(rng: random.Random, municipalities: list[str], slugs: list[str]) -> list[tuple[str, str]]:
    """A mixed public workload of (kind, path): 40 % search, 20 % questionnaire results, 25 % service pages,
    10 % home, 5 % the API's search."""
    paths = []
    for kind in rng.choices(
        ["search", "questionnaire", "service", "home", "api"], [40, 20, 25, 10, 5], k=2000
    ):
        if kind == "search":
            pairs = [("q", rng.choice(SEARCH_TEXTS))]
            if rng.random() < 0.4:
                pairs.append(("ats", rng.choice(ATS_NAMES)))
            if rng.random() < 0.2:
                pairs.append(("municipality", rng.choice(municipalities)))
            paths.append((kind, "/search?" + urllib.parse.urlencode(pairs)))
        elif kind == "questionnaire":
            pairs = [("municipality", rng.choice(municipalities))]
            which = rng.random()
            if which < 0.6:
                pairs.append(("child_age", str(rng.randint(1, 14))))
                pairs += [("needs", need) for need in rng.sample(CHILD_NEEDS, k=rng.randint(1, 2))]
                paths.append((kind, "/match/family?" + urllib.parse.urlencode(pairs)))
            elif which < 0.8:
                pairs.append(("cared_age", str(rng.randint(60, 95))))
                pairs += [("needs", need) for need in rng.sample(CARE_NEEDS, k=rng.randint(1, 2))]
                paths.append((kind, "/match/family?" + urllib.parse.urlencode(pairs)))
            else:
                pairs.append(("size", rng.choice(COMPANY_SIZES)))
                pairs += [("needs", need) for need in rng.sample(COMPANY_NEEDS, k=rng.randint(1, 2))]
                paths.append((kind, "/match/company?" + urllib.parse.urlencode(pairs)))
        elif kind == "service":
            paths.append((kind, f"/services/{rng.choice(slugs)}"))
        elif kind == "home":
            paths.append((kind, "/"))
        else:
            text = urllib.parse.quote(rng.choice(SEARCH_TEXTS))
            paths.append((kind, f"/api/v1/services?search={text}"))
    return paths


class Visitors:
    """``threads`` visitors asking the public pages one after the other, ``think`` seconds apart each: a bounded
    load. Each thread changes address (a new visitor) every 20 requests."""

    def __init__(
        self, base: str, recorder: Recorder, paths: list[tuple[str, str]], threads: int, think: float
    ):
        self.base, self.recorder, self.paths = base, recorder, paths
        self.think = think
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._visit, args=(n,), daemon=True) for n in range(threads)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)

    def _visit(self, number: int) -> None:
        rng = random.Random(number)
        position = rng.randrange(len(self.paths))
        client = None
        for count in range(10**9):
            if self.stopping.is_set():
                return
            if count % 20 == 0:
                address = f"10.{number}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                client = Client(self.base, self.recorder, address, rng.choice(["it", "it", "it", "en"]))
            kind, path = self.paths[position % len(self.paths)]
            position += 1
            client.request(kind, path)
            self.stopping.wait(self.think)


# --- managers publishing ---------------------------------------------------------------------------------------


def _csrf(page: str) -> str | None:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    return found.group(1) if found else None


@dataclass
class Publication:
    """One listing a manager tried to publish: its word of its own, and what the site answered."""

    number: int
    word: str
    title: str
    began: float
    confirmed: bool = False  # the site said "published: the public can find it now"
    outcome: str = ""  # "published", or the status that refused it, or "no answer"
    searchable_at: float | None = None  # the last check that found it (monotonic)

    @property
    def slug(self) -> str:
        return slugify(self.title)


class Publisher:
    """Managers of ATS Montagna publishing a new listing every ``every`` seconds, taking turns, each signed in
    through the real sign-in form from an address of their own; each listing's title has a word of its own."""

    def __init__(
        self, base: str, recorder: Recorder, managers: tuple[str, ...], password: str, every: float = 2.0
    ):
        self.base, self.recorder, self.password, self.every = base, recorder, password, every
        self.managers = [
            (email, Client(base, recorder, f"192.168.77.{n + 10}", "en")) for n, email in enumerate(managers)
        ]
        self.signed_in: set[str] = set()
        self.publications: list[Publication] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2 * CLIENT_TIMEOUT + 5)

    def confirmed(self) -> list[Publication]:
        with self.lock:
            return [p for p in self.publications if p.confirmed]

    def attempted(self) -> list[Publication]:
        with self.lock:
            return list(self.publications)

    def _sign_in(self, email: str, client: Client) -> bool:
        status, page = client.request("publish", "/manage/login?lang=en")
        csrf = _csrf(page) if status == 200 else None
        if csrf is None:
            return False
        status, page = client.request(
            "publish", "/manage/login", [("csrf_token", csrf), ("email", email), ("password", self.password)]
        )
        return status == 200  # the dashboard after the redirect, or the form again (checked at the next form)

    def _run(self) -> None:
        number = 0
        next_at = time.monotonic()
        while not self.stopping.wait(max(0.0, next_at - time.monotonic())):
            next_at = max(
                next_at + self.every, time.monotonic()
            )  # behind (slow answers): no burst to catch up
            email, client = self.managers[number % len(self.managers)]
            number += 1
            word = f"zafresil{number}x"
            publication = Publication(number, word, f"Ludoteca {word} delle marmotte", time.monotonic())
            with self.lock:
                self.publications.append(publication)
            publication.outcome = self._publish(email, client, publication)
            publication.confirmed = publication.outcome == "published"

    def _publish(self, email: str, client: Client, publication: Publication) -> str:
        if email not in self.signed_in:
            if not self._sign_in(email, client):
                return "not signed in"
            self.signed_in.add(email)
        status, form = client.request("publish", "/manage/services/new")
        if status != 200 or _csrf(form) is None or 'name="title"' not in form:
            if status == 200:  # the sign-in page: not signed in (any more)
                self.signed_in.discard(email)
            return f"form: {status or 'no answer'}"
        fields = [
            ("csrf_token", _csrf(form)), ("title", publication.title),
            ("summary", "Giochi e letture il sabato mattina."), ("audience", "persons"), ("category", "P2"),
            ("needs", "educational_activities"), ("ats", "Montagna"), ("cost", "free"),
            ("provider", "Associazione Marmotte"), ("provider_type", "non_profit"), ("periods", "all_year"),
            ("languages", "it"), ("availability", "open"), ("review_interval_days", "180"), ("action", "publish"),
        ]  # fmt: skip
        status, page = client.request("publish", "/manage/services/new", fields)
        if status == 200 and "the public can find it now" in page:
            return "published"
        return f"save: {status or 'no answer'}"


#: Not a publication: a search of the demo network that must list listings again (the index answers).
PROBE = Publication(0, "nido", "", 0.0)


def searchable(client: Client, publication: Publication) -> bool:
    """Whether a public search for the publication's own word lists it (asked from an address of its own: the
    checks are many visitors, not one the rate limits would stop); for :data:`PROBE`, any listing."""
    client.address = f"172.16.{publication.number % 250}.{random.randrange(1, 255)}"
    status, page = client.request("check", "/search?" + urllib.parse.urlencode([("q", publication.word)]))
    link = 'href="/services/' + (publication.slug if publication is not PROBE else "")
    return status == 200 and link in page


@dataclass
class Check:
    """Every confirmed publication searched until all are found, or until the deadline."""

    checked: int = 0
    missing: list[Publication] = field(default_factory=list)
    seconds: float = 0.0  # from the fault's end until the last one was found
    last: str = ""  # the word of the publication found last


def check_all(
    client: Client, publications: list[Publication], since: float, deadline: float, threads: int = 4
) -> Check:
    """Search every publication of ``publications`` until each is found (or ``deadline``, monotonic), from
    ``threads`` visitors at once; each is searched again every half second until found. The search of
    :data:`PROBE` must list listings too: a fault is over when search answers, publications or not."""
    publications = [PROBE, *publications]
    pending = list(publications)
    lock = threading.Lock()
    found_at: dict[int, float] = {}

    def look(number: int) -> None:
        own = Client(client.base, client.recorder, client.address)
        while True:
            with lock:
                if not pending:
                    return
                publication = pending.pop(0)
            if searchable(own, publication):
                with lock:
                    found_at[publication.number] = publication.searchable_at = time.monotonic()
            elif time.monotonic() < deadline:
                time.sleep(0.5 / threads)
                with lock:
                    pending.append(publication)

    workers = [threading.Thread(target=look, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    result = Check(checked=len(publications) - 1)
    result.missing = [p for p in publications if p.number not in found_at]
    if found_at:
        last = max(found_at, key=found_at.get)
        result.last = next(p.word for p in publications if p.number == last)
        result.seconds = max(0.0, found_at[last] - since)
    return result
