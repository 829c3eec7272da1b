"""Copy the front-end assets installed by npm (node_modules/) into static/vendor/.

Run by ``make install`` after ``npm ci``. static/vendor/ is not committed: it is rebuilt from the pinned
versions in package-lock.json. Only what the site serves is copied (no source maps, no test tools).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

#: (source below node_modules, destination below static/vendor); a trailing "*.ext" copies matching files.
ASSETS = [
    ("bootstrap-italia/dist/css/bootstrap-italia.min.css", "bootstrap-italia/css/bootstrap-italia.min.css"),
    ("bootstrap-italia/dist/svg/sprites.svg", "bootstrap-italia/svg/sprites.svg"),
    ("bootstrap-italia/dist/fonts/Titillium_Web/*.woff2", "bootstrap-italia/fonts/Titillium_Web"),
    ("bootstrap-italia/dist/fonts/Roboto_Mono/*.woff2", "bootstrap-italia/fonts/Roboto_Mono"),
    ("bootstrap-italia/dist/fonts/Lora/*.woff2", "bootstrap-italia/fonts/Lora"),
    ("bootstrap-italia/LICENSE", "bootstrap-italia/LICENSE"),
]


#: Bootstrap Italia embeds the video player's icon font as a data: URI; the site has no video player, and the
#: Content-Security-Policy allows fonts from the site only, so the rule is taken out of the copy.
VIDEOJS_FONT = re.compile(r"@font-face\{font-family:VideoJS;[^}]*\}")


def strip_embedded_fonts(css_file: Path) -> None:
    """Remove the embedded (data: URI) font of the video player from a vendored stylesheet."""
    css = css_file.read_text(encoding="utf-8")
    css_file.write_text(VIDEOJS_FONT.sub("", css), encoding="utf-8")


def copy_assets() -> int:
    """Copy every asset; return the number of files copied. Exit with a message if npm was not run."""
    if not NODE.is_dir():
        sys.exit("node_modules/ is missing: run `npm ci` first (make install does it).")
    # Start from an empty folder, so that an asset dropped from the list is no longer served.
    shutil.rmtree(VENDOR, ignore_errors=True)
    count = 0
    for source, destination in ASSETS:
        if "*" in source:
            folder, pattern = source.rsplit("/", 1)
            files = sorted((NODE / folder).glob(pattern))
            if not files:
                sys.exit(f"no file matches node_modules/{source}")
            target_dir = VENDOR / destination
            target_dir.mkdir(parents=True, exist_ok=True)
            for file in files:
                shutil.copy2(file, target_dir / file.name)
                count += 1
        else:
            target = VENDOR / destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(NODE / source, target)
            count += 1
    strip_embedded_fonts(VENDOR / "bootstrap-italia/css/bootstrap-italia.min.css")
    return count


if __name__ == "__main__":
    print(f"static/vendor: {copy_assets()} files copied from node_modules")
