"""What a student types becomes stored HTML, and stored HTML is cleaned again before it is shown.

Why plain textareas whose text is stored as HTML paragraphs (and not a rich-text editor or
Markdown): a reflection needs paragraphs and now and then a list, not fonts. A textarea works on
every phone keyboard, with a screen reader and without JavaScript; autosave and the copy on the
device are then plain strings. What she types is exactly what she sees: ``<b>`` typed is shown
as the characters ``<b>``, never as markup, so nothing she writes can run as script. Blank lines
make paragraphs, a line break stays a line break, and a paragraph whose lines all start with
"- " becomes a list. Markdown would ask students to learn a syntax (and a parser the project
does not have) for the same two things.

Every stored answer passes ``clean_html`` (nh3, a small allow-list, no attributes) on the way
in, and templates render it with ``|safe`` only through ``clean_html`` again at read time.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "blockquote"})
_BLOCKS = frozenset({"p", "ul", "ol", "blockquote"})
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
# Control characters other than tab and newline: nothing anyone types, and PDF fonts lack them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_html(text: str) -> str:
    """``text`` with only the allowed tags and no attributes (scripts and styles dropped with
    their content, comments dropped)."""
    if not text:
        return ""
    return str(
        nh3.clean(
            text,
            tags=set(ALLOWED_TAGS),
            attributes={},
            link_rel=None,
            strip_comments=True,
        )
    )


def one_line(text: str, limit: int) -> str:
    """A title or a quote kept as plain text: one line, no control characters, at most
    ``limit`` characters (it is escaped wherever it is shown, never rendered as HTML)."""
    return " ".join(_CONTROL.sub(" ", text or "").split())[:limit]


def text_to_html(text: str) -> str:
    """What a student typed in a textarea as sanitised HTML paragraphs."""
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    parts = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = paragraph.strip("\n")
        if not paragraph.strip():
            continue
        lines = paragraph.split("\n")
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{escape(line[2:], quote=False)}</li>" for line in lines)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append("<p>" + "<br>".join(escape(line, quote=False) for line in lines) + "</p>")
    return clean_html("".join(parts))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.in_list = 0

    def _paragraph(self) -> None:
        if self.parts and not "".join(self.parts[-2:]).endswith("\n\n"):
            self.parts.append("\n\n" if not "".join(self.parts).endswith("\n") else "\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS and not (tag == "p" and self.in_list):
            self._paragraph()
            if tag in ("ul", "ol"):
                self.in_list += 1
        elif tag == "li":
            if self.parts and not "".join(self.parts).endswith("\n"):
                self.parts.append("\n")
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self.in_list = max(0, self.in_list - 1)
        if tag in _BLOCKS and not self.in_list:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """Stored HTML as the text a textarea shows (and the PDF prints): paragraphs separated by a
    blank line, line breaks kept, list items as "- " lines; entities decoded."""
    if not html:
        return ""
    parser = _Text()
    parser.feed(clean_html(html))
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")
