"""Regenerate cleaner/signals/stopwords.json from spaCy's stop-word lists (MIT, (c) Explosion AI).

    pip install spacy && python benchmarks/make_stopwords.py

spaCy keeps a hand-curated list per language in ``spacy/lang/<code>/stop_words.py``; cleaner ships a
copy so that counting stop words needs no dependency at run time. Entries of more than one word are
left out (a stop word is counted per word). Norwegian is filed under ``no`` as well as ``nb``, since
the language detector names Norwegian Bokmål ``no``.
"""

from __future__ import annotations

import importlib
import json
from importlib import metadata
from pathlib import Path

LANGUAGES = (
    "ar bg ca cs da de el en es et fa fi fr he hi hr hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv tr uk vi zh"
)
LANGUAGES_LIST = LANGUAGES.split(" ")
TARGET = Path(__file__).resolve().parents[1] / "cleaner" / "signals" / "stopwords.json"


def main() -> None:
    lists: dict[str, list[str]] = {}
    for code in LANGUAGES_LIST:
        words = importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS
        lists[code] = sorted({w.lower() for w in words if w.strip() and not any(ch.isspace() for ch in w)})
    lists["no"] = lists["nb"]
    doc = {
        "source": f"spaCy {metadata.version('spacy')} spacy/lang/<code>/stop_words.py, MIT License, (c) Explosion AI",
        "languages": dict(sorted(lists.items())),
    }
    TARGET.write_text(json.dumps(doc, ensure_ascii=False, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(lists)} languages, {sum(map(len, lists.values())):,} words")


if __name__ == "__main__":
    main()
