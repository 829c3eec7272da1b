"""A permalink's Atom 1.0 feed (RFC 4287): the listings that fit it, the latest change first.

Each change of a listing is an entry of its own (its id names the listing and the moment of the change), so that
a feed reader shows a listing again when it changes; the entry's link is the listing's page.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree

from welfarepoint.alerts.models import aware, stamp
from welfarepoint.catalog.models import Service

ATOM = "http://www.w3.org/2005/Atom"
#: Characters XML 1.0 does not allow in a document (a stray control character typed into a listing).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def atom_time(moment: datetime) -> str:
    """A time as Atom writes it (RFC 3339, UTC)."""
    return aware(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent, name: str, value: str, **attributes: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{name}", attributes)
    element.text = NOT_XML.sub("", value)
    return element


def _link(parent, href: str, rel: str, kind: str) -> None:
    ElementTree.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "type": kind, "href": href})


def entry_id(site: str, service: Service) -> str:
    """A tag URI (RFC 4151) naming one change of one listing."""
    host = urlsplit(site).hostname or "localhost"
    return f"tag:{host},2026:listing:{service.uuid}:{stamp(service.updated_at)}"


def build(
    *,
    title: str,
    subtitle: str,
    self_url: str,
    page_url: str,
    site: str,
    site_name: str,
    language: str,
    entries: list[tuple[Service, str, str, str]],
    now: datetime,
) -> bytes:
    """The feed's document. ``entries``: (listing, its title, its summary, its page's address), the latest first."""
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    _text(feed, "title", title)
    _text(feed, "subtitle", subtitle)
    _text(feed, "id", self_url)
    _link(feed, self_url, "self", "application/atom+xml")
    _link(feed, page_url, "alternate", "text/html")
    _text(feed, "updated", atom_time(entries[0][0].updated_at if entries else now))
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", site_name)
    _text(author, "uri", site)
    for service, name, summary, url in entries:
        entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", name)
        _link(entry, url, "alternate", "text/html")
        _text(entry, "id", entry_id(site, service))
        _text(entry, "updated", atom_time(service.updated_at))
        _text(entry, "summary", summary or name)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


def digest(body: bytes) -> str:
    """The feed's entity tag: its content's digest (a reader asking again gets 304 while nothing changed)."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()
