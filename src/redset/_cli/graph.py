"""The import graph of the running Python installation, read from source.

A module's imports come from parsing its source file with :mod:`ast`; no
module is imported. The demo crawls this graph with worker processes, and
:func:`walk` crawls it in one process, without Redis, to check the result.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from importlib.util import find_spec

__all__ = [
    "check_seeds",
    "find_module_spec",
    "module_imports",
    "source_path",
    "walk",
]


@lru_cache(maxsize=4096)
def find_module_spec(name: str) -> ModuleSpec | None:
    """Locate module ``name`` on ``sys.path`` without importing anything.

    ``importlib.util.find_spec`` imports the parent packages of a dotted name,
    which runs their code, so a dotted name is resolved one package at a time
    through the parents' ``submodule_search_locations`` instead.
    """
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    try:
        spec = find_spec(parts[0]) if len(parts) == 1 else None
        if spec is None or spec.origin in ("built-in", "frozen"):
            # Prefer the source file of a frozen module, such as os.
            spec = PathFinder.find_spec(parts[0]) or spec
        for depth in range(2, len(parts) + 1):
            locations = spec.submodule_search_locations if spec else None
            if not locations:
                return None
            spec = PathFinder.find_spec(".".join(parts[:depth]), list(locations))
    except (ImportError, ValueError, KeyError):
        # KeyError: reading a namespace package's search path looks up its
        # parent in sys.modules (Python 3.12's setuptools._distutils, for
        # one), and this walk imports no parent. Such a module is skipped.
        return None
    return spec


def source_path(name: str) -> str | None:
    """Return the path of module ``name``'s Python source, if it has one."""
    spec = find_module_spec(name)
    if spec is None or not isinstance(spec.loader, SourceFileLoader):
        return None
    return spec.origin


def _is_module(name: str) -> bool:
    return name in sys.builtin_module_names or find_module_spec(name) is not None


def _package_of(name: str) -> str:
    """Return the package that relative imports in module ``name`` start from."""
    spec = find_module_spec(name)
    if spec is not None and spec.submodule_search_locations is not None:
        return name
    return name.rpartition(".")[0]


def _absolute_base(module: str, node: ast.ImportFrom) -> str | None:
    """Return the module a ``from ... import`` statement reads from."""
    if node.level == 0:
        return node.module
    package = _package_of(module).split(".") if _package_of(module) else []
    if node.level - 1 > len(package) or (node.level - 1 == len(package) == 0):
        return None  # a relative import that leaves the top-level package
    base = package[: len(package) - (node.level - 1)]
    if node.module:
        base.append(node.module)
    return ".".join(base) or None


# Fields that hold nested statements: blocks of compound statements, except
# handlers and match cases.
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _import_statements(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Yield every import statement, at any depth of nested blocks.

    An import is always a statement, so only blocks are visited and
    expressions are skipped, which makes this several times faster than
    ``ast.walk`` over a large module.
    """
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        for field in _BLOCK_FIELDS:
            block = getattr(node, field, None)
            if isinstance(block, list):
                pending.extend(child for child in block if isinstance(child, ast.AST))


def _imports_in_tree(module: str, tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in _import_statements(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute_base(module, node)
            if base is None:
                continue
            found.add(base)
            # "from package import name" imports a submodule when name is one.
            for alias in node.names:
                if alias.name != "*" and _is_module(f"{base}.{alias.name}"):
                    found.add(f"{base}.{alias.name}")
    found.discard(module)
    return found


def module_imports(name: str) -> list[str]:
    """Return the modules that module ``name`` imports, sorted.

    Covers every import statement in the file, including those inside
    functions and ``if`` blocks. Relative imports are resolved against the
    module's package. A built-in or extension module, a module without a
    source file, and a file that does not parse have no imports.
    """
    path = source_path(name)
    if path is None:
        return []
    try:
        with open(path, "rb") as source:
            tree = ast.parse(source.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    return sorted(_imports_in_tree(name, tree))


def walk(seeds: Iterable[str]) -> set[str]:
    """Return every module reachable from ``seeds``, crawled in one process."""
    queue: deque[str] = deque(dict.fromkeys(seeds))
    seen: set[str] = set(queue)
    while queue:
        for imported in module_imports(queue.popleft()):
            if imported not in seen:
                seen.add(imported)
                queue.append(imported)
    return seen


def check_seeds(seeds: Sequence[str]) -> list[str]:
    """Return the seeds that are not module names found on ``sys.path``."""
    return [seed for seed in seeds if not _is_module(seed)]
