"""Every user-visible string exists in Dutch (first) and English, and the compiled catalogs are current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "lti_app" / "translations"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def _po(locale: str):
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_every_string_in_the_code_has_a_dutch_translation(extracted: set[str]) -> None:
    catalog = _po("nl")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(extracted - translated)
    assert not missing, f"untranslated in nl (run `make translations`, then translate): {missing}"


def test_english_catalog_knows_every_string(extracted: set[str]) -> None:
    known = {(m.id if isinstance(m.id, str) else m.id[0]) for m in _po("en") if m.id}
    assert not sorted(extracted - known), "run `make translations`"


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    def key(m) -> tuple[str, ...]:
        return (m.id,) if isinstance(m.id, str) else tuple(m.id)

    def value(m) -> tuple[str, ...]:
        return (m.string,) if isinstance(m.string, str) else tuple(m.string)

    source = {
        key(m): value(m)
        for m in _po(locale)
        if m.id and not m.fuzzy and any(value(m)) and value(m) != key(m)
    }
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = {key(m): value(m) for m in read_mo(f) if m.id and value(m) != key(m)}
    assert compiled == source, "the .mo is stale: run `make translations`"


def test_no_message_is_hidden_inside_an_f_string() -> None:
    """The extractor does not look inside f-strings: ``f"{_('and')}"`` stays English in Dutch."""
    import ast

    hidden = []
    for path in sorted((ROOT / "lti_app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in {"_", "_l", "gettext", "lazy_gettext", "ngettext"}
                ):
                    hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not hidden, "messages inside f-strings (never extracted): " + ", ".join(hidden)
