"""Fewer bytes: versioned static addresses cached for a year, gzip for text, and what a visit costs."""

from __future__ import annotations

import gzip
import re


def static_links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_static_addresses_carry_the_file_hash_and_are_kept_a_year(client):
    html = client.get("/").text
    links = static_links(html)
    assert links and all(re.search(r"\?v=[0-9a-f]{12}(#[\w-]+)?$", link) for link in links)
    with client.get(links[0]) as response:
        assert response.status_code == 200
        assert (
            "immutable" in response.headers["Cache-Control"]
            and "max-age=31536000" in response.headers["Cache-Control"]
        )
        assert "no-cache" not in response.headers["Cache-Control"]
    # An address without the right version is cached a week only (the fonts named inside style sheets).
    with client.get(links[0].split("?")[0]) as response:
        assert (
            "max-age=604800" in response.headers["Cache-Control"]
            and "immutable" not in response.headers["Cache-Control"]
        )


def test_text_is_gzipped_for_browsers_that_accept_it(client):
    page = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.headers["Vary"]
    html = gzip.decompress(page.data).decode()
    assert "Welfare Point" in html
    css = next(link for link in static_links(html) if "bootstrap-italia.min.css" in link)
    with client.get(css, headers={"Accept-Encoding": "gzip"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        compressed = response.data
    with client.get(css) as response:
        plain = response.data
        assert "Content-Encoding" not in response.headers
    assert gzip.decompress(compressed) == plain and len(compressed) < len(plain) / 4


def test_a_first_visit_of_the_home_page_stays_small(client):
    """What a browser downloads the first time (gzip), against the 350 KB budget of issue 8."""
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    total = len(page.data)
    for link in set(static_links(gzip.decompress(page.data).decode())):
        if link.endswith("print.css") or "favicon" in link:
            continue
        with client.get(link, headers={"Accept-Encoding": "gzip"}) as response:
            total += len(response.data)
    assert total < 350 * 1024, total
