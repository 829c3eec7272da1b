"""Write the spelling lexicons of the site (``welfarepoint/vocabulary/lexicon-{it,en}.npy``) from pyspellchecker.

Build-only: pyspellchecker is in ``tools/requirements-territory.txt`` and the test extras, not a dependency of
the site. Run it after upgrading pyspellchecker or changing how words are folded; ``tests/test_spelling_help.py``
checks that the shipped files are what this writes.

    .venv/bin/python tools/build_lexicon.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from welfarepoint.vocabulary import spelling


def lexicon(language: str) -> np.ndarray:
    from spellchecker import SpellChecker

    return spelling.build(SpellChecker(language=language, distance=1).word_frequency.words())


def main() -> None:
    for language in spelling.LANGUAGES:
        prints = lexicon(language)
        np.save(Path(str(spelling.lexicon_file(language))), prints, allow_pickle=False)
        print(f"{language}: {len(prints):,} words")


if __name__ == "__main__":
    main()
