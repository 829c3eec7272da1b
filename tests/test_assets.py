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


def test_a_kept_results_page_is_sent_gzipped_or_plain_with_the_same_text(demo_app):
    """Results pages are kept gzipped: a browser that takes gzip gets them as kept, another one unpacked; both
    the first time (drawn) and the next (kept), with the page's security headers."""
    client = demo_app.test_client()
    address = "/search?q=centro+estivo&lang=en"
    answers = [client.get(address, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
    plain = [client.get(address) for _ in range(2)]
    texts = [gzip.decompress(answer.data).decode() for answer in answers] + [
        page.get_data(True) for page in plain
    ]
    assert len(set(texts)) == 1 and 'lang="en"' in texts[0]
    for answer in answers:
        assert answer.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in answer.headers["Vary"]
        assert answer.mimetype == "text/html" and "Content-Security-Policy" in answer.headers
    for page in plain:
        assert "Content-Encoding" not in page.headers and "Accept-Encoding" in page.headers["Vary"]


def test_pages_load_the_sites_own_script_and_no_library(client):
    """Only welfarepoint.js, deferred: menus, forms and filters are HTML and CSS, so no library script is sent."""
    for path in ("/", "/search?q=doposcuola", "/match/family", "/match/company?lang=en", "/manage/login"):
        html = client.get(path).text
        scripts = re.findall(r"<script\b[^>]*>", html)
        external = [re.search(r'src="([^"?]+)', tag) for tag in scripts]
        assert [m[1] for m in external if m] == ["/static/js/welfarepoint.js"], (path, scripts)
        assert all("defer" in tag for tag in scripts if "src=" in tag)
