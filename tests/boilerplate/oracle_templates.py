"""Test oracle (never called by cleaner itself): the site-template decision in one piece.

Every summary in one process, grouped by site, counted, thresholded: written apart from the
tasks of ``Templates.decide_sharded``, it is what the template tests compare production with.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from cleaner.boilerplate.templates import TemplateSummary
from cleaner.config import BoilerplateConfig


def one_piece_templates(
    cfg: BoilerplateConfig, summaries: Iterable[tuple[str, TemplateSummary]]
) -> dict[str, tuple[int, ...]]:
    """Each document's template lines (their indices), counted per site in one pass over every summary."""
    per_site: dict[str, list[tuple[str, tuple[int | None, ...]]]] = defaultdict(list)
    for key, summary in summaries:
        per_site[summary.site].append((key, summary.keys))
    decisions: dict[str, tuple[int, ...]] = {}
    for members in per_site.values():
        if len(members) < cfg.template_min_docs:
            continue
        counts: Counter[int] = Counter()
        for _, keys in members:
            counts.update({k for k in keys if k is not None})
        floor = max(cfg.template_min_docs, cfg.template_share * len(members))
        template = {h for h, n in counts.items() if n >= floor}
        for key, keys in members:
            mine = [i for i, k in enumerate(keys) if k is not None and k in template]
            if mine:
                decisions[key] = tuple(mine)
    return decisions
