"""The results pages a feed or an alert follows: a search's or a questionnaire's permalink, made canonical.

A permalink is the path of ``/search``, ``/match/family`` or ``/match/company`` with what was asked; what only
says which part of the results is shown (the page, one need's page, the language, a list of kept listings, a
questionnaire's step) is dropped, so that every page of one search is one permalink.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from werkzeug.datastructures import MultiDict

#: The pages that have feeds and alerts, by path.
KINDS = {"/search": "search", "/match/family": "family", "/match/company": "company"}
#: What a feed's address adds to the page's path.
FEED_SUFFIX = "/feed"
#: Parameters that choose what part of the results is shown, or how, never what fits.
NOT_ASKED = frozenset({"page", "need", "lang", "keep", "done", "step", "from_step", "channel", "back"})
MAX_LENGTH = 2000
MAX_PARAMETERS = 60
MAX_VALUE = 200


@dataclass(frozen=True)
class Permalink:
    """A results page by its kind (``search``, ``family``, ``company``), path and parameters (in order)."""

    kind: str
    path: str
    pairs: tuple[tuple[str, str], ...]

    @property
    def address(self) -> str:
        """The page's address: path and query (what an alert stores)."""
        return self.path + ("?" + urlencode(self.pairs) if self.pairs else "")

    @property
    def feed_address(self) -> str:
        """The address of the page's Atom feed (without the language)."""
        return self.path + FEED_SUFFIX + ("?" + urlencode(self.pairs) if self.pairs else "")

    @property
    def audience(self) -> str | None:
        """The audience of a questionnaire (``persons``, ``companies``); None for a search."""
        return {"family": "persons", "company": "companies"}.get(self.kind)

    def args(self) -> MultiDict:
        """The parameters as a request's ``args`` (what the search and the questionnaires read)."""
        return MultiDict(list(self.pairs))


def from_parts(path: str, pairs) -> Permalink | None:
    """The permalink of ``path`` with the parameters ``pairs``; None when ``path`` has no feed or it is too long."""
    kind = KINDS.get(path.rstrip("/") or "/")
    if kind is None:
        return None
    # Empty values stay: a questionnaire pairs each child's age with its school, an empty one included.
    kept = tuple(
        (key, " ".join(value.split())[:MAX_VALUE])
        for key, value in pairs
        if key not in NOT_ASKED and len(key) <= 40
    )
    if len(kept) > MAX_PARAMETERS:
        return None
    permalink = Permalink(kind, path.rstrip("/"), kept)
    return permalink if len(permalink.address) <= MAX_LENGTH else None


def parse(address: str | None) -> Permalink | None:
    """``address``, a path of this site with its query, as a permalink; None when it is not one of a results page.

    A whole address (with a scheme or another host) is refused: a form sends the path of the page it is on.
    """
    address = (address or "").strip()
    if not address.startswith("/") or address.startswith("//") or len(address) > MAX_LENGTH * 2:
        return None
    parts = urlsplit(address)
    if parts.scheme or parts.netloc:
        return None
    return from_parts(parts.path, parse_qsl(parts.query, keep_blank_values=True))
