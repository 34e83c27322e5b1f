"""What the dedup decision (decide_sharded) hands to apply(), and the step that turns it into report fields.

A :class:`Decision` is small and picklable (ids, offsets and similarities only: the passage text
is cut from the document itself in the worker). :func:`apply_decision` sets
``doc.duplicate`` and ``doc.passages``, rejects a dropped near-duplicate with
``dedup.near_duplicate_doc``, rejects a document the index already holds (same id and content)
with ``dedup.already_indexed`` unless ``reemit_indexed`` is set, and, when asked, removes flagged passages as Drops with
``dedup.near_duplicate_passage``.

>>> from cleaner.config import DedupConfig
>>> from cleaner.record import Document, DuplicateOf
>>> doc = Document(id="b", text="copy")
>>> out = apply_decision(doc, Decision(DuplicateOf("a", "a", 0.93)), DedupConfig())
>>> out.status, out.rejected.detail
('dropped', 'cluster=a duplicate_of=a jaccard=0.93')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from cleaner.config import DedupConfig
from cleaner.dedup.cluster import resolve_arrays
from cleaner.record import Document, Drop, DuplicateOf, PassageMatch, Reason, Unit

if TYPE_CHECKING:  # for the checker only: importing numpy.typing cost every run 0.6 ms
    import numpy.typing as npt

I64: TypeAlias = "npt.NDArray[np.int64]"
F64: TypeAlias = "npt.NDArray[np.float64]"

STAGE = "dedup"


@dataclass(frozen=True, slots=True)
class PassageFlag:
    """A passage ``[start, end)`` of the document found in the earlier document ``duplicate_of``."""

    start: int
    end: int
    duplicate_of: str
    similarity: float

    def __reduce__(self) -> tuple[type[PassageFlag], tuple[int, int, str, float]]:
        # Pickled as the constructor's arguments: a frozen slots dataclass otherwise pickles
        # through dataclasses' Python __getstate__ and __setstate__ per object, half of the
        # round trip of a shard's decisions file (a flag per flagged passage).
        return (PassageFlag, (self.start, self.end, self.duplicate_of, self.similarity))


@dataclass(frozen=True, slots=True)
class Decision:
    """The dedup verdict for one document: cluster membership and flagged passages."""

    duplicate: DuplicateOf | None = None
    passages: tuple[PassageFlag, ...] = ()
    # The same id and content are in the persistent index from an earlier run: where (run, time).
    # ``duplicate`` then says what that run decided (kept: its own cluster; else its duplicate_of).
    indexed: str | None = None

    def __reduce__(
        self,
    ) -> tuple[Callable[..., Decision], tuple[_DuplicateFields | None, tuple[PassageFlag, ...], str | None]]:
        # As PassageFlag's, its DuplicateOf too, as its fields: a shard's decisions file of
        # 1,700 near-duplicates (the Reuters bench) took 3.8 -> 1.2 ms to pickle, 4.1 -> 2.1 to
        # read back. (DuplicateOf's own __reduce__ would do it, but cleaner/record.py is a
        # source of the boilerplate kernels' extension: editing it means building that again.)
        dup = self.duplicate
        fields = None if dup is None else (dup.cluster, dup.duplicate_of, dup.similarity, dup.version_of)
        return (_decision, (fields, self.passages, self.indexed))

    @property
    def is_near_duplicate(self) -> bool:
        return self.duplicate is not None and self.duplicate.duplicate_of is not None


# DuplicateOf's fields in its constructor's order.
_DuplicateFields = tuple[str, str | None, float | None, str | None]


def _decision(fields: _DuplicateFields | None, passages: tuple[PassageFlag, ...], indexed: str | None) -> Decision:
    """A Decision as its __reduce__ gave it."""
    return Decision(None if fields is None else DuplicateOf(*fields), passages, indexed)


def cluster_decisions(
    run_edges: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike],
    index_edges: Sequence[tuple[int, int, float]],
    index_labels: Mapping[int, tuple[str, str]],
    label_of: Callable[[int], tuple[str, str]],
) -> dict[str, Decision]:
    """Decisions of the run's cluster members from verified edges, by the keep rule.

    ``run_edges`` are three parallel arrays (rank, rank, verified Jaccard) between the run's
    documents, ranked by input position; ``index_edges`` are ``(rowid, rank, Jaccard)`` matches
    against a persistent index, whose documents' ``(id, cluster)`` ``index_labels`` gives by
    rowid; ``label_of(rank)`` gives a run document's ``(key, id)``. Indexed documents rank
    before the run's, in rowid order, and get no decision: earlier runs decided them.
    (The runners take the same steps apart: :func:`cluster_arrays` on the driver, then
    :func:`member_decision` in each shard's task.)

    >>> found = cluster_decisions(([0], [1], [0.85]), [(7, 0, 0.9)], {7: ("old", "old")}, lambda i: (f"k{i}", f"d{i}"))
    >>> found["k0"].duplicate
    DuplicateOf(cluster='old', duplicate_of='old', similarity=0.9, version_of=None)
    >>> found["k1"].duplicate, found["k1"].passages
    (DuplicateOf(cluster='old', duplicate_of='d0', similarity=0.85, version_of=None), ())
    """
    involved, nodes, roots, duplicate_of, similarity = cluster_arrays(run_edges, index_edges)
    k = len(involved)

    def id_and_cluster(node: int) -> tuple[str, str]:
        if node < k:
            return index_labels[involved[node]]
        doc_id = label_of(node - k)[1]
        return doc_id, doc_id

    decisions: dict[str, Decision] = {}
    for at in range(nodes.size):  # one member at a time: no Python list per array
        key, doc_id = label_of(int(nodes[at]) - k)
        decisions[key] = member_decision(
            doc_id, int(roots[at]), int(duplicate_of[at]), float(similarity[at]), id_and_cluster
        )
    return decisions


def cluster_arrays(
    run_edges: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike], index_edges: Sequence[tuple[int, int, float]]
) -> tuple[list[int], I64, I64, I64, F64]:
    """The keep rule over the run's and the index's verified edges (see :func:`cluster_decisions`)
    as compact arrays: the rowids of the index documents involved, then ``(nodes, roots,
    duplicate_of, similarity)`` of :func:`~cleaner.dedup.cluster.resolve_arrays` for the run's
    members only. Node ``n`` is the involved index document ``n`` when ``n < k`` (k rowids),
    else the run's rank ``n - k``; ``duplicate_of`` is -1 for a root.

    >>> involved, nodes, roots, dup, sim = cluster_arrays(([0], [1], [0.85]), [(7, 0, 0.9)])
    >>> involved, nodes.tolist(), roots.tolist(), dup.tolist()
    ([7], [1, 2], [0, 0], [0, 1])
    """
    involved, (index_lo, index_hi, index_sim) = index_graph(index_edges)
    k = len(involved)
    # Arrays throughout (the run's edges may be numpy arrays): no Python object per edge.
    lo = np.concatenate([k + np.asarray(run_edges[0], dtype=np.int64), index_lo])
    hi = np.concatenate([k + np.asarray(run_edges[1], dtype=np.int64), index_hi])
    sim = np.concatenate([np.asarray(run_edges[2], dtype=np.float64), index_sim])
    nodes, roots, duplicate_of, similarity = resolve_arrays(lo, hi, sim)
    run_nodes = nodes >= k  # indexed documents get no decision: earlier runs decided them
    return involved, nodes[run_nodes], roots[run_nodes], duplicate_of[run_nodes], similarity[run_nodes]


def index_graph(index_edges: Sequence[tuple[int, int, float]]) -> tuple[list[int], tuple[I64, I64, F64]]:
    """The index documents that ``index_edges`` (``(rowid, rank, Jaccard)``) involve, in rowid
    order, and the edges as node arrays: index document ``n`` is node ``n``, the run's rank ``r``
    node ``k + r`` (k involved rowids), as :func:`cluster_arrays` numbers them.

    >>> index_graph([(9, 0, 0.9), (7, 2, 0.8)])[0], index_graph([(9, 0, 0.9), (7, 2, 0.8)])[1][0].tolist()
    ([7, 9], [1, 0])
    """
    involved = sorted({rowid for rowid, _, _ in index_edges})
    k = len(involved)
    node_of_rowid = {rowid: node for node, rowid in enumerate(involved)}
    pairs = np.asarray([(node_of_rowid[r], k + i) for r, i, _ in index_edges], dtype=np.int64).reshape(-1, 2)
    sims = np.asarray([x for _, _, x in index_edges], dtype=np.float64)
    return involved, (pairs[:, 0].copy(), pairs[:, 1].copy(), sims)


def member_decision(
    doc_id: str, root: int, duplicate_of: int, similarity: float, id_and_cluster: Callable[[int], tuple[str, str]]
) -> Decision:
    """The decision of one cluster member (id ``doc_id``) from its row of :func:`cluster_arrays`;
    ``id_and_cluster(node)`` gives the id and cluster of the nodes it names.

    >>> member_decision("b", 0, 0, 0.912345, lambda node: ("a", "a")).duplicate
    DuplicateOf(cluster='a', duplicate_of='a', similarity=0.9123, version_of=None)
    """
    if duplicate_of < 0:
        return Decision(DuplicateOf(cluster=doc_id))
    dup = DuplicateOf(id_and_cluster(root)[1], id_and_cluster(duplicate_of)[0], round(float(similarity), 4))
    return Decision(dup)


def apply_decision(doc: Document, decision: Decision | None, cfg: DedupConfig) -> Document:
    """Apply one decision (None: nothing to do) to its document.

    >>> from cleaner.config import DedupConfig
    >>> doc = Document(id="d", text="keep this. copied words here. end")
    >>> flag = PassageFlag(11, 29, "src", 1.0)
    >>> cfg = DedupConfig(drop_duplicate_passages=True)
    >>> out = apply_decision(doc, Decision(passages=(flag,)), cfg)
    >>> out.text, out.passages[0].text, out.drops[0].reason.value
    ('keep this.  end', 'copied words here.', 'dedup.near_duplicate_passage')
    """
    if decision is None:
        return doc
    if decision.indexed is not None and not cfg.reemit_indexed:
        out = doc.replace(duplicate=decision.duplicate)
        return out.reject(Reason.ALREADY_INDEXED, f"indexed by {decision.indexed}")
    matches = tuple(
        PassageMatch(p.start, p.end, doc.text[p.start : p.end], p.duplicate_of, p.similarity) for p in decision.passages
    )
    out = doc.replace(duplicate=decision.duplicate, passages=matches)
    if decision.is_near_duplicate and decision.duplicate is not None:
        dup = decision.duplicate
        if cfg.drop_duplicates:
            detail = f"cluster={dup.cluster} duplicate_of={dup.duplicate_of} jaccard={dup.similarity}"
            return out.reject(Reason.NEAR_DUPLICATE_DOC, detail)
        return out
    if matches and cfg.drop_duplicate_passages:
        return _drop_passages(out, matches)
    return out


def _drop_passages(doc: Document, matches: tuple[PassageMatch, ...]) -> Document:
    pieces: list[str] = []
    drops: list[Drop] = []
    pos = 0
    for m in sorted(matches, key=lambda m: m.start):
        pieces.append(doc.text[pos : m.start])
        drops.append(
            Drop(
                STAGE,
                Reason.NEAR_DUPLICATE_PASSAGE,
                Unit.PASSAGE,
                m.text,
                m.start,
                m.end,
                f"duplicate_of={m.duplicate_of} containment={m.similarity}",
            )
        )
        pos = m.end
    pieces.append(doc.text[pos:])
    return doc.replace(text="".join(pieces)).with_drops(drops)
