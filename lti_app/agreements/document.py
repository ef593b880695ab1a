"""The signed text read back as a document, for the agreement page: title, parties, chapters
with numbered clauses, label–value facts, paragraphs.

The text itself (``text.py``) stays the one thing that is signed and hashed; this only reads
its lines and says what each one is, so the page can show headings, lists and definition lists
instead of a block of plain text. Reading is lossless: every line of the text is in exactly one
node, and :func:`read` gives up (returns None, and the page shows the plain text) unless the
nodes give back the very same text, character for character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _

CHAPTER = re.compile(r"^(\d+)\.(?: (.*))?$")
CLAUSE = re.compile(r"^(\d+\.\d+) (.+)$")
FACT = re.compile(r"^([^:]{1,60}): (.+)$")
INDENT = "  "


@dataclass
class Clause:
    number: str  # "2.1", as the text writes it
    body: str

    def source(self) -> list[str]:
        return [f"{self.number} {self.body}"]


@dataclass
class Fact:
    """``Label: value`` on one line, or ``Label:`` with the value indented on the lines below."""

    label: str
    value: str
    multiline: bool = False

    def source(self) -> list[str]:
        if not self.multiline:
            return [f"{self.label}: {self.value}"]
        return [f"{self.label}:"] + [
            INDENT + line if line else "" for line in self.value.split("\n")
        ]


@dataclass
class Para:
    body: str

    def source(self) -> list[str]:
        return [self.body]


Line = Clause | Fact | Para


@dataclass
class Run:
    """Consecutive lines of one kind: a list of clauses, a definition list, or paragraphs."""

    kind: str  # "clauses", "facts" or "paras"
    lines: list[Line] = field(default_factory=list)


@dataclass
class Party:
    """The lines of the parties block that belong to one party (or to the placement)."""

    key: str  # student, school, college, placement, other
    facts: list[Line] = field(default_factory=list)

    @property
    def runs(self) -> list[Run]:
        return _runs(self.facts)


@dataclass
class Section:
    kind: str  # "head", "parties", "chapter" or "plain"
    heading: str = ""  # the heading line as written ("3. Privacy", "Partijen"), or ""
    runs: list[Run] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)

    def lines(self) -> list[Line]:
        if self.kind == "parties":
            return [line for party in self.parties for line in party.facts]
        return [line for run in self.runs for line in run.lines]

    def source(self) -> str:
        out = [self.heading] if self.heading else []
        for line in self.lines():
            out += line.source()
        return "\n".join(out)


@dataclass
class Document:
    sections: list[Section]  # the first is the head: its heading is the document's title

    @property
    def title(self) -> str:
        return self.sections[0].heading

    def source(self) -> str:
        return "\n\n".join(section.source() for section in self.sections) + "\n"


def _party_labels(language: str) -> tuple[str, list[tuple[str, str]]]:
    """The parties block's heading and labels in the text's language, each label with the party
    it belongs to. The same msgids as ``text._parties``, so they match what it wrote."""
    with force_locale(language):
        found = [
            ("student", _("Student: %(name)s", name="")),
            ("school", _("School: %(name)s", name="")),
            ("school", _("Instellingsnummer: %(number)s", number="")),
            ("school", _("Contact person (aanspreekpunt): %(contact)s", contact="")),
            ("school", _("Mentor: %(names)s", names="")),
            ("college", _("College: %(name)s", name="")),
            ("college", _("Coach (stagebegeleider): %(name)s", name="")),
            ("placement", _("Course: %(title)s", title="")),
            ("placement", _("Track: %(track)s", track="")),
        ]
        return _("Parties"), [(key, prefix.strip()) for key, prefix in found]


def _lines(raw: list[str], *, facts: bool) -> list[Line]:
    """One block's lines as clauses, facts (when ``facts``) and paragraphs."""
    out: list[Line] = []
    i = 0
    while i < len(raw):
        line = raw[i]
        clause = CLAUSE.match(line)
        if clause:
            out.append(Clause(clause.group(1), clause.group(2)))
            i += 1
            continue
        if facts and line.endswith(":") and i + 1 < len(raw) and raw[i + 1].startswith(INDENT):
            value: list[str] = []
            i += 1
            while i < len(raw) and (raw[i].startswith(INDENT) or raw[i] == ""):
                value.append(raw[i][len(INDENT) :])
                i += 1
            out.append(Fact(line[:-1], "\n".join(value), multiline=True))
            continue
        fact = FACT.match(line) if facts else None
        if fact:
            out.append(Fact(fact.group(1), fact.group(2)))
        else:
            out.append(Para(line))
        i += 1
    return out


def _runs(lines: list[Line]) -> list[Run]:
    runs: list[Run] = []
    for line in lines:
        kind = {Clause: "clauses", Fact: "facts", Para: "paras"}[type(line)]
        if not runs or runs[-1].kind != kind:
            runs.append(Run(kind))
        runs[-1].lines.append(line)
    return runs


def _blocks(text: str) -> list[list[str]]:
    """The text cut at its empty lines, except an empty line inside an indented answer."""
    lines = text.rstrip("\n").split("\n")
    blocks: list[list[str]] = [[]]
    for i, line in enumerate(lines):
        inside_answer = (
            line == ""
            and i + 1 < len(lines)
            and lines[i + 1].startswith(INDENT)
            and blocks[-1]
            and (blocks[-1][-1].startswith(INDENT) or blocks[-1][-1].endswith(":"))
        )
        if line == "" and not inside_answer:
            blocks.append([])
        else:
            blocks[-1].append(line)
    return blocks


def _parties(raw: list[str], labels: list[tuple[str, str]]) -> list[Party]:
    groups: list[Party] = []
    for line in _lines(raw, facts=True):
        key = next(
            (k for k, label in labels if isinstance(line, Fact) and line.label + ":" == label),
            groups[-1].key if groups else "other",
        )
        if not groups or groups[-1].key != key:
            groups.append(Party(key))
        groups[-1].facts.append(line)
    return groups


def read(text: str, language: str) -> Document | None:
    """``text`` (an agreement's or addendum's canonical text) as a document; None when its
    lines do not read back into exactly the same text."""
    if not text.endswith("\n") or "\r" in text:
        return None
    parties_heading, labels = _party_labels(language)
    blocks = _blocks(text)
    if not blocks[0] or not blocks[0][0]:
        return None
    sections = [Section("head", blocks[0][0], runs=_runs([Para(line) for line in blocks[0][1:]]))]
    for block in blocks[1:]:
        if not block:
            return None
        first = block[0]
        if first == parties_heading:
            sections.append(Section("parties", first, parties=_parties(block[1:], labels)))
        elif CHAPTER.match(first):
            sections.append(Section("chapter", first, runs=_runs(_lines(block[1:], facts=True))))
        else:
            sections.append(Section("plain", runs=_runs(_lines(block, facts=False))))
    document = Document(sections)
    return document if document.source() == text else None
