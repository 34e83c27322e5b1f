"""No import cycle anywhere in cleaner/, module by module (import-linter's contracts in
pyproject.toml check the layers, and cycles only between siblings of one package).

A package's ``__init__`` counts as a module of its own, so a submodule that imports its
package's ``__init__`` while the ``__init__`` imports it is a cycle too. Imports made only for
type checking are left out: they never run.
"""

from __future__ import annotations

import grimp


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted.

    >>> graph = grimp.ImportGraph()
    >>> for importer, imported in [("p.a", "p.b"), ("p.b", "p.a"), ("p.b", "p.c")]:
    ...     graph.add_import(importer=importer, imported=imported)
    >>> import_cycles(graph, "p")
    [['p.a', 'p.b']]
    """
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:  # recursion depth is bounded by the number of modules
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return sorted(groups)


def test_no_import_cycle_in_cleaner() -> None:
    graph = grimp.build_graph("cleaner", exclude_type_checking_imports=True)
    assert import_cycles(graph, "cleaner") == []
