"""The seeds: every content line kept, the quoted boilerplate dropped, output kept as golden files.

The expected drops below were reviewed line by line against the issue's quotes. The golden
files are the stage's output, reviewed by hand; regenerate them only on purpose with
``CLEANER_REGEN_GOLDEN=1 python -m pytest tests/boilerplate``: the run rewrites them and fails,
so the diff must be read (``git diff tests/boilerplate/golden``) before the tests pass again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cleaner.boilerplate import TextLines
from cleaner.config import BoilerplateConfig
from cleaner.record import Document, Reason

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
GOLDEN = Path(__file__).resolve().parent / "golden"

EXPECTED_DROPS: dict[str, list[tuple[Reason, str]]] = {
    "000_2a526e05076ded00.txt": [
        (Reason.SOCIAL, "Connect with us"),
        (Reason.RELATED, "Similar Articles"),
        (Reason.AD, "Launch your unlimited Newsweek trial now."),
    ],
    "001_80721e8e27b88b1f.txt": [
        (Reason.SHORT, "Tsarizm"),
        (Reason.SHORT, "Eastern Europe"),
        (Reason.SOCIAL, "Please Follow us on Gab, Minds, Telegram, Rumble, Gab TV, GETTR"),
        (
            Reason.AD,
            "‘NO AD’ subscription for CDM!\N{NO-BREAK SPACE}\N{NO-BREAK SPACE}Sign up here and support real"
            " investigative journalism and help save the republic!",
        ),
        (Reason.RELATED, "Related articles"),
        (Reason.RELATED, "The Russian Way of Warfare, A Primer"),
        (Reason.RELATED, "Tsarizm Staff"),
        (Reason.RELATED, "Kremlin Warns US Embassy In Moscow Over Breaking Russian Law By Flying LGBTQ Rainbow Flag"),
        (Reason.RELATED, "Tsarizm Staff"),
        (
            Reason.RELATED,
            "Putin Blasts Pushing Transgenderism On Children As “Simply Monstrous” In Critique Of West’s ‘Wokism’",
        ),
        (Reason.RELATED, "Tsarizm Staff"),
        (Reason.COMMENTS, "Leave a Comment"),
        (Reason.NEWSLETTER, "Subscribe to our evening newsletter to stay informed during these challenging times!!"),
    ],
    "002_420ac862ca752e05.txt": [],
    "003_58f690bb3d46ef53.txt": [
        (
            Reason.CONSENT,
            "We use your sign-up to provide content in ways you’ve consented to and to improve our understanding"
            " of you. This may include adverts from us and 3rd parties based on our understanding. You can"
            " unsubscribe at any time. More info",
        ),
        (Reason.RELATED, "READ MORE: PM urged to allow SNP referendum and ‘send the separatists packing’"),
        (Reason.RELATED, "DON’T MISS:"),
        (Reason.RELATED, "Zelensky’s call for no fly zone rejected [OPINION]"),
        (Reason.RELATED, "Putin’s army from ‘mysteriously weak’ to ‘brutal’ [REVEAL]"),
        (Reason.RELATED, "People sensationally blame Brexit for Russia’s chilling invasion [REPORT]"),
        (Reason.SOURCE, "Source: Read Full Article"),
    ],
    "004_9c3e10b751c370eb.txt": [
        (
            Reason.LEGAL,
            "© 2022, GDC. © GDC and www.globaldefensecorp.com. Unauthorized use and/or duplication of this"
            " material without express and written permission from this site’s author and/or owner is strictly"
            " prohibited. Excerpts and links may be used, provided that full and clear credit is given to"
            " www.globaldefensecorp.com with appropriate and specific direction to the original content.",
        ),
        (Reason.COMMENTS, "Be the first to comment"),
        (Reason.COMMENTS, "Leave a Reply"),
        (Reason.COMMENTS, "This site uses Akismet to reduce spam. Learn how your comment data is processed."),
    ],
}


def _run(name: str) -> tuple[str, Document]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    doc = Document(id=name, text=text)
    return text, next(TextLines(BoilerplateConfig())([doc]))


def test_every_seed_is_listed() -> None:
    assert sorted(p.name for p in SEEDS.glob("*.txt")) == sorted(EXPECTED_DROPS)


@pytest.mark.parametrize("name", sorted(EXPECTED_DROPS))
def test_seed_drops_exactly_the_reviewed_lines(name: str) -> None:
    _, out = _run(name)
    got = [(d.reason, d.text.strip()) for d in out.drops]
    want = [(reason, line.strip()) for reason, line in EXPECTED_DROPS[name]]
    assert got == want


@pytest.mark.parametrize("name", sorted(EXPECTED_DROPS))
def test_seed_keeps_every_other_line(name: str) -> None:
    text, out = _run(name)
    dropped = {line.strip() for _, line in EXPECTED_DROPS[name]}
    kept = out.text.splitlines()
    for line in text.splitlines():
        if line.strip() and line.strip() not in dropped:
            assert line in kept, f"content line lost: {line[:80]!r}"


@pytest.mark.parametrize("name", sorted(EXPECTED_DROPS))
def test_seed_output_matches_golden(name: str) -> None:
    _, out = _run(name)
    golden = GOLDEN / name
    if os.environ.get("CLEANER_REGEN_GOLDEN") == "1":
        changed = not golden.exists() or golden.read_text(encoding="utf-8") != out.text
        golden.write_text(out.text, encoding="utf-8")
        # Regeneration never passes: a golden file is only as good as the review of its diff.
        pytest.fail(
            f"rewrote {golden.name}{'' if changed else ' (unchanged)'}; review `git diff {GOLDEN}`, "
            "then run again without CLEANER_REGEN_GOLDEN"
        )
    assert out.text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED_DROPS))
def test_seed_kept_and_dropped_rebuild_the_input(name: str) -> None:
    text, out = _run(name)
    pieces = sorted((d.start, d.text) for d in out.drops if d.start is not None)
    rebuilt, pos, kept = [], 0, out.text
    for start, dropped in pieces:
        take = start - pos
        rebuilt.append(kept[:take])
        kept = kept[take:]
        rebuilt.append(dropped)
        pos = start + len(dropped)
    rebuilt.append(kept)
    assert "".join(rebuilt) == text
