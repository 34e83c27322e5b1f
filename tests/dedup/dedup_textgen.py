"""Helpers for the dedup tests: deterministic synthetic texts and a one-call stage run."""

from __future__ import annotations

import random
from collections.abc import Sequence

from cleaner.config import DedupConfig
from cleaner.dedup import Dedup
from cleaner.record import Document, Source
from cleaner.stage import decide_in_process

# A vocabulary large enough that random texts share almost no word 5-grams.
VOCAB = [f"w{i}" for i in range(3000)]


def random_words(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCAB) for _ in range(n)]


def edit_words(words: Sequence[str], seed: int, edits: int) -> list[str]:
    """Replace ``edits`` words at random positions (each breaks up to 5 shingles)."""
    rng = random.Random(seed)
    out = list(words)
    for pos in rng.sample(range(len(out)), edits):
        out[pos] = rng.choice(VOCAB) + "x"
    return out


def docs_from(texts: Sequence[tuple[str, str]]) -> list[Document]:
    return [Document(id=i, text=t, source=Source(f"{i}.txt")) for i, t in texts]


def run_stage(cfg: DedupConfig, docs: Sequence[Document]) -> list[Document]:
    stage = Dedup(cfg)
    stage.setup()
    # The production path: the stage's tasks (decide_sharded), here in this process.
    decisions = decide_in_process(stage, [[(str(d.source), stage.summarize(d)) for d in docs]])
    return [stage.apply(d, decisions.get(str(d.source))) for d in docs]
