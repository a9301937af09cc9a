"""Architecture rules for ``portal/``, checked statically: parsed with ``ast``, never imported.

Each rule is a pure function ``find_...(root) -> list[Violation]`` over a package directory, so
it can be run on the real ``portal/`` and on throwaway trees built under ``tmp_path``.

1. ``find_commit_calls``: no ``<anything>.commit(...)`` call outside ``ALLOWED_COMMIT_MODULES``.
   Operations only flush; the request or CLI command commits once, in ``portal.db``.
2. ``find_private_imports``: no ``from portal.x import _name``, no import of a private module
   (``portal.x._mod``, in any import form), and no ``mod._name`` where ``mod`` is a portal
   module bound by an import in the same file. Dunder names are public.
3. ``find_view_imports``: a views module (``views.py``, ``*_views.py``, or anything inside a
   ``views`` package) is imported only by the app factory (``portal/__init__.py``). Modules of
   one ``views`` package may import each other.
4. ``find_module_cycles`` / ``find_package_cycles``: no import cycle between modules, nor
   between second-level packages (``portal.enrollment`` <-> ``portal.learning``).

How the import graph is built (rules 3 and 4 share it):

* Every import statement counts: module level, class bodies and function-local imports alike.
  Imports under ``if TYPE_CHECKING:`` are left out of the cycle graph only (they never run);
  rules 2 and 3 still count them, because the coupling is there all the same.
* ``import portal.a.b`` is an edge to ``portal.a.b``. ``from portal.a import b`` is an edge to
  ``portal.a.b`` when ``b`` is a submodule, otherwise to ``portal.a`` (its ``__init__.py``).
  Relative imports are resolved against the importing module. Imports naming no module of
  the tree are ignored.
* Parent packages: importing ``portal.a.b`` also runs ``portal/a/__init__.py``. An edge to that
  parent is added only when (a) its ``__init__.py`` imports something from the tree at import
  time, since an empty or docstring-only ``__init__`` cannot take part in a cycle, and (b) the
  parent is not an ancestor of the importer, whose own ancestors are always initialised
  before its body runs. So ``portal/__init__.py`` (every module's ancestor) gets no implicit
  edges, and today's empty feature ``__init__`` files add none either.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parents[2] / "portal"

# The only modules that may call ``.commit()``, and why.
ALLOWED_COMMIT_MODULES: frozenset[str] = frozenset(
    {
        # The unit of work: the one commit of a request (``_commit_or_rollback``) and of a CLI
        # command (``command_transaction``). Everything else only flushes.
        "portal.db",
        # The outbox worker runs outside any request: it commits its claim before talking SMTP
        # (no lock held meanwhile) and then each message's outcome on its own.
        "portal.notifications.sender",
    }
)


@pytest.fixture(autouse=True)
def _isolated_transaction() -> Iterator[None]:
    """Overrides conftest's autouse fixture: static analysis needs no app and no database."""
    yield


# --------------------------------------------------------------------------------------------
# Loading the tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. "portal.auth.models"; a package is named after its __init__.py
    path: str  # shown in messages, relative to the root's parent, e.g. "portal/auth/models.py"
    is_package: bool
    tree: ast.Module


@dataclass(frozen=True)
class Edge:
    """One import of ``target`` (a module of the tree) by ``source``."""

    source: str
    target: str
    line: int
    type_checking: bool  # under ``if TYPE_CHECKING:``
    import_time: bool  # runs when the importing module is imported (not inside a function)
    implicit: bool = False  # a parent package's __init__ run by importing its submodule


@functools.cache
def _parse(source: str, filename: str) -> ast.Module:
    """Parsed once per run for all five rules (keyed by content, so edited files re-parse)."""
    return ast.parse(source, filename=filename)


def load_modules(root: Path) -> dict[str, Module]:
    """Parse every ``.py`` file under ``root`` (a package directory), keyed by module name."""
    modules: dict[str, Module] = {}
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root.parent)
        if "__pycache__" in relative.parts:
            continue
        parts = list(relative.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        tree = _parse(file.read_text(encoding="utf-8"), str(file))
        modules[name] = Module(name, relative.as_posix(), is_package, tree)
    return modules


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_type_checking_test(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement, with (under TYPE_CHECKING, runs at import time)."""

    def walk(node: ast.AST, type_checking: bool, import_time: bool):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_checking, import_time
            return
        if isinstance(node, ast.If) and _is_type_checking_test(node.test):
            for child in node.body:
                yield from walk(child, True, import_time)
            for child in node.orelse:
                yield from walk(child, type_checking, import_time)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            import_time = False
        for child in ast.iter_child_nodes(node):
            yield from walk(child, type_checking, import_time)

    yield from walk(tree, False, True)


def _absolute_base(module: Module, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package = package[:-1]
    package = package[: max(0, len(package) - (node.level - 1))]
    return ".".join(package + ([node.module] if node.module else []))


def import_edges(modules: dict[str, Module]) -> list[Edge]:
    """Every import of a module of the tree, explicit and implicit (see the module docstring)."""
    explicit: list[Edge] = []
    for module in modules.values():
        for node, type_checking, import_time in _import_nodes(module.tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _absolute_base(module, node)
                targets = []
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in modules else base)
            for target in dict.fromkeys(targets):
                if target in modules:
                    explicit.append(
                        Edge(module.name, target, node.lineno, type_checking, import_time)
                    )

    importing_inits = {
        edge.source
        for edge in explicit
        if modules[edge.source].is_package and edge.import_time and not edge.type_checking
    }
    implicit: list[Edge] = []
    for edge in explicit:
        parts = edge.target.split(".")
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            is_ancestor = edge.source == parent or edge.source.startswith(parent + ".")
            if parent in importing_inits and not is_ancestor:
                implicit.append(
                    Edge(
                        edge.source,
                        parent,
                        edge.line,
                        edge.type_checking,
                        edge.import_time,
                        implicit=True,
                    )
                )
    return explicit + implicit


# --------------------------------------------------------------------------------------------
# Rule 1: commits
# --------------------------------------------------------------------------------------------


def find_commit_calls(
    root: Path, allowed: frozenset[str] | set[str] | None = None
) -> list[Violation]:
    """Every ``x.commit(...)`` call in a module whose name is not in ``allowed``."""
    allowed = ALLOWED_COMMIT_MODULES if allowed is None else allowed
    violations = []
    for module in load_modules(root).values():
        if module.name in allowed:
            continue
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "commit"
            ):
                call = ast.unparse(node.func)
                violations.append(
                    Violation(module.path, node.lineno, f"{call}() outside the unit of work")
                )
    return sorted(violations)


# --------------------------------------------------------------------------------------------
# Rule 2: private names
# --------------------------------------------------------------------------------------------


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None for anything that is not a plain dotted name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _private_part(dotted: str) -> str | None:
    return next((part for part in dotted.split(".") if _is_private(part)), None)


def find_private_imports(root: Path) -> list[Violation]:
    """Private names and private modules of the tree used from another module."""
    modules = load_modules(root)
    package = root.name
    violations = []

    def report(module: Module, line: int, message: str) -> None:
        violations.append(Violation(module.path, line, message))

    def in_tree(dotted: str) -> bool:
        return dotted == package or dotted.startswith(package + ".")

    for module in modules.values():
        bindings: dict[str, str] = {}  # local name -> module of the tree it is bound to
        for node, _, _ in _import_nodes(module.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if not in_tree(alias.name):
                        continue
                    if _private_part(alias.name):
                        report(module, node.lineno, f"imports private module {alias.name}")
                    if alias.asname:
                        bindings[alias.asname] = alias.name
                    else:
                        bindings[alias.name.split(".")[0]] = alias.name.split(".")[0]
                continue
            base = _absolute_base(module, node)
            if not in_tree(base):
                continue
            if _private_part(base):
                report(module, node.lineno, f"imports from private module {base}")
                continue
            private_names = []
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:
                    bindings[alias.asname or alias.name] = full
                if not _is_private(alias.name) or base == module.name:
                    continue
                if full in modules:
                    report(module, node.lineno, f"imports private module {full}")
                else:
                    private_names.append(alias.name)
            if private_names:
                names = ", ".join(sorted(private_names, key=str.lower))
                report(module, node.lineno, f"imports private {names} from {base}")

        for node in ast.walk(module.tree):
            if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
                continue
            parts = _dotted(node.value)
            if not parts or parts[0] not in bindings:
                continue
            target = ".".join([bindings[parts[0]], *parts[1:]])
            if target in modules and target != module.name:
                report(
                    module,
                    node.lineno,
                    f"uses private name {ast.unparse(node)} (of {target})",
                )
    return sorted(set(violations))


# --------------------------------------------------------------------------------------------
# Rule 3: views modules
# --------------------------------------------------------------------------------------------


def _views_unit(module: Module) -> str | None:
    """The views module or ``views`` package ``module`` belongs to, or None."""
    parts = module.name.split(".")
    for depth in range(1, len(parts) + 1):
        if parts[depth - 1] == "views" and (depth < len(parts) or module.is_package):
            return ".".join(parts[:depth])
    last = parts[-1]
    if not module.is_package and (last == "views" or last.endswith("_views")):
        return module.name
    return None


def find_view_imports(root: Path) -> list[Violation]:
    """Imports of a views module by anything but the app factory (the root ``__init__.py``)."""
    modules = load_modules(root)
    factory = root.name
    violations = set()
    for edge in import_edges(modules):
        if edge.implicit or edge.source == factory:
            continue
        unit = _views_unit(modules[edge.target])
        if unit is None or _views_unit(modules[edge.source]) == unit:
            continue
        source = modules[edge.source]
        violations.add(
            Violation(
                source.path,
                edge.line,
                f"imports views module {edge.target}; only the app factory ({factory}) may",
            )
        )
    return sorted(violations)


# --------------------------------------------------------------------------------------------
# Rule 4: import cycles
# --------------------------------------------------------------------------------------------


def strongly_connected_components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; each component sorted, components in a stable order."""
    nodes = sorted(set(graph) | {t for targets in graph.values() for t in targets})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return sorted(components)


def _shortest_cycle(graph: dict[str, set[str]], start: str, members: set[str]) -> list[str]:
    """A shortest path start -> ... -> start inside ``members`` (breadth-first)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph.get(node, ())):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*path[::-1], start]
            if child in members and child not in previous:
                previous[child] = node
                queue.append(child)
    return [start, start]


def _graph(edges: list[Edge], key) -> dict[tuple[str, str], list[Edge]]:
    """The runtime import graph under ``key`` (module -> node), with the imports behind each arc."""
    arcs: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for edge in edges:
        if not edge.type_checking:
            arcs[key(edge.source), key(edge.target)].append(edge)
    return arcs


def _cycles(arcs: dict[tuple[str, str], list[Edge]]) -> list[tuple[list[str], list[str]]]:
    """Each cyclic component (size > 1, or a node importing itself) and a shortest cycle in it."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in arcs:
        graph[source].add(target)
    found = []
    for component in strongly_connected_components(graph):
        first = component[0]
        if len(component) > 1 or first in graph[first]:
            found.append((component, _shortest_cycle(graph, first, set(component))))
    return found


def _describe(edge: Edge, modules: dict[str, Module]) -> str:
    how = " (its parent package)" if edge.implicit else ""
    where = "" if edge.import_time else " (function-local)"
    return (
        f"{modules[edge.source].path}:{edge.line}: {edge.source} imports {edge.target}{how}{where}"
    )


def find_module_cycles(root: Path) -> list[Violation]:
    """Every import cycle between modules of the tree (an SCC of size > 1, or a self-import).

    One violation per cycle: a shortest cycle through it, then every import inside it.
    """
    modules = load_modules(root)
    arcs = _graph(import_edges(modules), lambda name: name)
    violations = []
    for component, cycle in _cycles(arcs):
        members = set(component)
        inside = sorted(
            (
                edge
                for (s, t), found in arcs.items()
                if s in members and t in members
                for edge in found
            ),
            key=lambda e: (modules[e.source].path, e.line, e.target),
        )
        kind = f"import cycle ({len(component)} modules)" if len(component) > 1 else "self-import"
        lines = [f"{kind}: " + " -> ".join(cycle)]
        lines += [f"    {_describe(edge, modules)}" for edge in inside]
        witness = min(arcs[cycle[0], cycle[1]], key=lambda e: e.line)
        violations.append(Violation(modules[witness.source].path, witness.line, "\n".join(lines)))
    return sorted(violations)


def package_of(name: str) -> str:
    """The second-level package (or top-level module) a module belongs to."""
    return ".".join(name.split(".")[:2])


def is_outer_layer(name: str) -> bool:
    """Views and CLI modules: entry points that may use any package's rules and helpers."""
    leaf = name.rsplit(".", 1)[-1]
    return leaf in ("views", "cli") or leaf.endswith(("_views", "_cli")) or ".views." in name


def is_shared_schema(name: str) -> bool:
    """A ``models`` module: the tables every feature may read, not a feature's rules."""
    return name.rsplit(".", 1)[-1] == "models"


def find_package_cycles(root: Path) -> list[Violation]:
    """Every cycle between second-level packages (and top-level modules such as ``portal.db``).

    Packages are layered by their rules: one feature's operations and queries may build on
    another's, never both ways. Two kinds of import are not dependencies between rules and
    are left out: imports *of* a ``models`` module (the shared schema: a session's enrolments
    are read by the catalogue, the scheduler and the learning pages alike), and imports
    *from* views and CLI modules (entry points, which use whatever they serve). The app
    factory (the root ``__init__.py``) is left out as well: it imports every package by
    design; an import of it from elsewhere is a module cycle, reported by
    ``find_module_cycles``. One violation per cyclic component: a shortest cycle, then each
    package-to-package dependency inside it (marked when it goes both ways) with every import.
    """
    modules = load_modules(root)
    edges = [
        edge
        for edge in import_edges(modules)
        if root.name not in (edge.source, edge.target)
        and package_of(edge.source) != package_of(edge.target)
        and not is_shared_schema(edge.target)
        and not is_outer_layer(edge.source)
    ]
    arcs = _graph(edges, package_of)
    violations = []
    for component, cycle in _cycles(arcs):
        members = set(component)
        lines = [f"package cycle ({len(component)} packages): " + " -> ".join(cycle)]
        for (source, target), found in sorted(arcs.items()):
            if source not in members or target not in members:
                continue
            both = " (both ways)" if (target, source) in arcs else ""
            lines.append(f"    {source} -> {target}{both}:")
            for edge in sorted(found, key=lambda e: (modules[e.source].path, e.line, e.target)):
                lines.append(f"        {_describe(edge, modules)}")
        witness = min(arcs[cycle[0], cycle[1]], key=lambda e: (modules[e.source].path, e.line))
        violations.append(Violation(modules[witness.source].path, witness.line, "\n".join(lines)))
    return sorted(violations)


def _check(violations: list[Violation], rule: str) -> None:
    """Fail with the readable list of offenders, one per line (no assertion-rewrite noise)."""
    if violations:
        listing = "\n".join(str(v) for v in violations)
        pytest.fail(f"{len(violations)} violation(s) of: {rule}\n{listing}", pytrace=False)


# --------------------------------------------------------------------------------------------
# The rules on the real tree
# --------------------------------------------------------------------------------------------


def test_portal_tree_is_found():
    assert (PORTAL / "__init__.py").is_file()
    assert len(load_modules(PORTAL)) > 50


def test_commit_only_in_the_unit_of_work():
    violations = find_commit_calls(PORTAL)
    allowed = ", ".join(sorted(ALLOWED_COMMIT_MODULES))
    _check(violations, f".commit() only in {allowed}")


def test_no_private_names_imported_from_other_modules():
    violations = find_private_imports(PORTAL)
    _check(violations, "no private names across modules")


def test_views_imported_only_by_the_app_factory():
    violations = find_view_imports(PORTAL)
    _check(violations, "views modules are imported only by the app factory, portal/__init__.py")


def test_no_import_cycles_between_modules():
    violations = find_module_cycles(PORTAL)
    _check(violations, "no import cycles between modules")


def test_no_import_cycles_between_feature_packages():
    violations = find_package_cycles(PORTAL)
    _check(violations, "no import cycles between packages")


# --------------------------------------------------------------------------------------------
# The checker on synthetic trees: it does fail, and only where it should
# --------------------------------------------------------------------------------------------


def build(tmp_path: Path, files: dict[str, str]) -> Path:
    """Write a throwaway ``portal`` package; ``files`` maps paths inside it to sources."""
    root = tmp_path / "portal"
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(source, encoding="utf-8")
    return root


CLEAN = {
    "__init__.py": (
        "from portal.config import load\n"
        "def create_app():\n"
        "    from portal.shop.views import bp\n"
        "    from portal.shop import admin_views\n"
        "    return bp, admin_views\n"
    ),
    "config.py": "def load(): ...\n",
    "db.py": "def commit_once(session):\n    session.commit()\n",
    "notifications/sender.py": "def send(db):\n    db.session.commit()\n",
    "shop/models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
    "    from portal.users.models import User\nclass Order: ...\n",
    "shop/operations.py": (
        "from portal.db import commit_once\nfrom portal.shop import models\n"
        "from portal.shop.models import Order\n"
        "from . import queries\n"
        "def place(db):\n    db.session.flush()\n    return models.Order, Order, queries.__name__\n"
    ),
    "shop/queries.py": "from __future__ import annotations\nimport portal.shop.models as m\n",
    "shop/views.py": "from portal.shop.operations import place\nbp = place\n",
    "shop/admin_views.py": "from portal.shop.operations import place\nbp = place\n",
    "users/models.py": "from portal.shop.models import Order\nclass User: ...\n",
    "web/views/__init__.py": "from portal.web.views import pages\n",  # inside one views package
    "web/views/pages.py": "PAGES = 1\n",
}


def test_clean_tree_reports_nothing(tmp_path):
    root = build(tmp_path, CLEAN)
    assert len(load_modules(root)) == len(CLEAN) + 4  # + the package __init__.py files
    assert find_commit_calls(root) == []
    assert find_private_imports(root) == []
    assert find_module_cycles(root) == []
    assert find_package_cycles(root) == []
    assert find_view_imports(root) == []


def test_commit_outside_the_allowed_modules_is_reported(tmp_path):
    root = build(
        tmp_path,
        CLEAN
        | {
            "shop/operations.py": "def place(db):\n    db.session.flush()\n    db.session.commit()\n"
        },
    )
    assert [str(v) for v in find_commit_calls(root)] == [
        "portal/shop/operations.py:3: db.session.commit() outside the unit of work"
    ]
    assert len(find_commit_calls(root, allowed=set())) == 3  # db, sender and operations


def test_private_names_and_modules_are_reported(tmp_path):
    root = build(
        tmp_path,
        {
            "core/helpers.py": "_SECRET = 1\ndef _hidden(): ...\n__all__ = []\n",
            "core/_internal.py": "X = 1\n",
            "shop/a.py": "from portal.core.helpers import _SECRET, __all__\n",
            "shop/b.py": "from portal.core import _internal\n",
            "shop/c.py": "from portal.core import helpers\nhelpers._hidden()\nhelpers.__all__\n",
            "shop/d.py": "import portal.core.helpers as h\ndef f():\n    return h._SECRET\n",
            "shop/e.py": "import portal.core.helpers\nportal.core.helpers._hidden()\n",
            "shop/f.py": "from ..core.helpers import _hidden\n",
            "shop/g.py": "from portal.core._internal import X\n",
            "shop/h.py": "import os\nos._exit\nclass K:\n    _x = 1\nK._x\n",  # not portal
            "core/i.py": "def _mine(): ...\n_mine()\n",
        },
    )
    assert [str(v) for v in find_private_imports(root)] == [
        "portal/shop/a.py:1: imports private _SECRET from portal.core.helpers",
        "portal/shop/b.py:1: imports private module portal.core._internal",
        "portal/shop/c.py:2: uses private name helpers._hidden (of portal.core.helpers)",
        "portal/shop/d.py:3: uses private name h._SECRET (of portal.core.helpers)",
        "portal/shop/e.py:2: uses private name portal.core.helpers._hidden "
        "(of portal.core.helpers)",
        "portal/shop/f.py:1: imports private _hidden from portal.core.helpers",
        "portal/shop/g.py:1: imports from private module portal.core._internal",
    ]


def test_views_imported_by_a_non_factory_module_is_reported(tmp_path):
    root = build(
        tmp_path,
        CLEAN
        | {
            "shop/admin_views.py": "from .views import bp\n",  # even a sibling views module
            "learning/operations.py": "def f():\n    from portal.shop.views import bp\n",
            "learning/queries.py": "from portal.web import views\n",
        },
    )
    assert [str(v) for v in find_view_imports(root)] == [
        "portal/learning/operations.py:2: imports views module portal.shop.views; "
        "only the app factory (portal) may",
        "portal/learning/queries.py:1: imports views module portal.web.views; "
        "only the app factory (portal) may",
        "portal/shop/admin_views.py:1: imports views module portal.shop.views; "
        "only the app factory (portal) may",
    ]


def test_a_two_module_cycle_is_reported(tmp_path):
    root = build(
        tmp_path,
        {
            "shop/a.py": "from portal.shop.b import B\nA = 1\n",
            "shop/b.py": "B = 1\ndef f():\n    from portal.shop import a\n",
            "shop/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from portal.shop.a import A\nfrom portal.shop.b import B\n",
            "shop/d.py": "from portal.shop.d import X\n",  # a self-import
        },
    )
    assert [str(v) for v in find_module_cycles(root)] == [
        "portal/shop/a.py:1: import cycle (2 modules): portal.shop.a -> portal.shop.b -> "
        "portal.shop.a\n"
        "    portal/shop/a.py:1: portal.shop.a imports portal.shop.b\n"
        "    portal/shop/b.py:3: portal.shop.b imports portal.shop.a (function-local)",
        "portal/shop/d.py:1: self-import: portal.shop.d -> portal.shop.d\n"
        "    portal/shop/d.py:1: portal.shop.d imports portal.shop.d",
    ]
    assert find_package_cycles(root) == []  # all inside one package


def test_a_cycle_through_an_importing_parent_init_is_reported(tmp_path):
    root = build(
        tmp_path,
        {
            "__init__.py": "from portal.core.base import Base\n",  # every module's ancestor
            "shop/__init__.py": "from portal.shop.api import api\n",
            "shop/api.py": "from portal.core.base import Base\napi = Base\n",
            "core/base.py": "class Base: ...\ndef f():\n    from portal.shop.models import M\n",
            "shop/models.py": "M = 1\n",
        },
    )
    # Importing portal.shop.models first runs portal/shop/__init__.py, which imports api.
    assert [str(v) for v in find_module_cycles(root)] == [
        "portal/core/base.py:3: import cycle (3 modules): "
        "portal.core.base -> portal.shop -> portal.shop.api -> portal.core.base\n"
        "    portal/core/base.py:3: portal.core.base imports portal.shop (its parent package)"
        " (function-local)\n"
        "    portal/shop/__init__.py:1: portal.shop imports portal.shop.api\n"
        "    portal/shop/api.py:1: portal.shop.api imports portal.core.base"
    ]
    # With an empty portal/shop/__init__.py there is no cycle.
    (root / "shop" / "__init__.py").write_text('"""The shop."""\n', encoding="utf-8")
    assert find_module_cycles(root) == []


def test_a_package_cycle_is_reported(tmp_path):
    root = build(
        tmp_path,
        {
            "__init__.py": "def create_app():\n    from portal.enrollment import views\n",
            "enrollment/views.py": "from portal.enrollment.operations import enrol\n",
            "enrollment/operations.py": "from portal.learning.queries import progress\n",
            "enrollment/models.py": "class Enrollment: ...\n",
            "enrollment/queries.py": "from portal.enrollment.models import Enrollment\n",
            "learning/queries.py": "def progress():\n"
            "    from portal.enrollment.queries import Enrollment\n",
            "learning/cli.py": "from portal import create_app\n",  # the factory: left out
        },
    )
    assert find_module_cycles(root) == []  # operations -> queries -> models is no module cycle
    assert [str(v) for v in find_package_cycles(root)] == [
        "portal/enrollment/operations.py:1: package cycle (2 packages): "
        "portal.enrollment -> portal.learning -> portal.enrollment\n"
        "    portal.enrollment -> portal.learning (both ways):\n"
        "        portal/enrollment/operations.py:1: portal.enrollment.operations imports "
        "portal.learning.queries\n"
        "    portal.learning -> portal.enrollment (both ways):\n"
        "        portal/learning/queries.py:2: portal.learning.queries imports "
        "portal.enrollment.queries (function-local)"
    ]
    # Reading another package's models is no dependency on its rules.
    (root / "learning" / "queries.py").write_text(
        "def progress():\n    from portal.enrollment.models import Enrollment\n", encoding="utf-8"
    )
    assert find_package_cycles(root) == []
    # Nor is a views module using another package: views are the outer layer.
    (root / "learning" / "views.py").write_text(
        "from portal.enrollment.operations import enrol\n", encoding="utf-8"
    )
    (root / "enrollment" / "operations.py").write_text(
        "from portal.learning.queries import progress\n", encoding="utf-8"
    )
    assert find_package_cycles(root) == []


def test_strongly_connected_components():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"f"}}
    assert strongly_connected_components(graph) == [["a", "b", "c"], ["d", "e"], ["f"]]
