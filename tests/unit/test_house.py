"""The layout promises of the house (docs/architecture.md): no module under lti_app/ longer than
about 400 lines, and no import cycle between the packages directly under lti_app/ — imports read
from the source with ``ast``, those inside functions included, so a lazy import still counts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "lti_app"
LIMIT = 400


def _package_of(module: str, packages: set[str]) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "lti_app":
        return None
    return parts[1] if parts[1] in packages else None


def imported_modules(tree: ast.AST, module: str) -> set[str]:
    """Every module (and ``module.name``) an ``import`` statement anywhere in ``tree`` names,
    relative imports resolved against ``module`` (the dotted name of the file parsed)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def package_edges(app: Path = APP) -> dict[str, set[str]]:
    """Package → the other packages under lti_app/ that its modules import."""
    packages = _packages_in(app)
    edges: dict[str, set[str]] = {p: set() for p in packages}
    for path in app.rglob("*.py"):
        module = ".".join(("lti_app", *path.relative_to(app).with_suffix("").parts))
        source = _package_of(module, packages)
        if source is None:
            continue
        for name in imported_modules(ast.parse(path.read_text(encoding="utf-8")), module):
            target = _package_of(name, packages)
            if target and target != source:
                edges[source].add(target)
    return edges


def _packages_in(app: Path) -> set[str]:
    return {
        p.name
        for p in app.iterdir()
        if p.is_dir() and not p.name.startswith(("_", ".")) and (p / "__init__.py").exists()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The groups of packages that reach each other (strongly connected, more than one)."""
    reach = {p: _reachable(p, edges) for p in edges}
    groups = {frozenset(q for q in reach[p] if p in reach[q]) | {p} for p in edges}
    return sorted(sorted(g) for g in groups if len(g) > 1)


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def long_modules(app: Path = APP, limit: int = LIMIT) -> list[str]:
    return sorted(
        f"{path.relative_to(app.parent)}: {lines} lines"
        for path in app.rglob("*.py")
        if (lines := path.read_text(encoding="utf-8").count("\n")) > limit
    )


def test_no_module_is_longer_than_the_limit() -> None:
    assert long_modules() == []


def test_packages_do_not_import_each_other_in_a_cycle() -> None:
    assert cycles(package_edges()) == []


# -- the checks themselves ----------------------------------------------------------------------


@pytest.fixture
def house(tmp_path: Path) -> Path:
    app = tmp_path / "lti_app"
    for package in ("low", "mid", "top"):
        (app / package).mkdir(parents=True)
        (app / package / "__init__.py").write_text("")
    (app / "mid" / "service.py").write_text("from lti_app.low import models\n")
    (app / "top" / "views.py").write_text("from lti_app.mid.service import x\n")
    return app


def test_a_lazy_import_inside_a_function_closes_a_cycle(house: Path) -> None:
    assert cycles(package_edges(house)) == []
    (house / "low" / "models.py").write_text(
        "def later():\n    from lti_app.top.views import y\n    return y\n"
    )
    assert cycles(package_edges(house)) == [["low", "mid", "top"]]


def test_a_relative_import_counts_too(house: Path) -> None:
    (house / "low" / "models.py").write_text("from ..mid import service\n")
    assert cycles(package_edges(house)) == [["low", "mid"]]


def test_a_module_over_the_limit_is_named(house: Path) -> None:
    (house / "mid" / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    (house / "mid" / "short.py").write_text("x = 1\n" * LIMIT)
    assert long_modules(house) == [f"lti_app/mid/long.py: {LIMIT + 1} lines"]
