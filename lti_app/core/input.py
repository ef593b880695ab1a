"""Input hygiene: characters that cannot be stored are refused before any view runs.

PostgreSQL refuses a NUL in text with an error (a 500 where it reached a query), SQLite keeps it
and every page, PDF and mail after it carries an invisible character. No person means to type
a control character: they arrive in text pasted from elsewhere, or from someone probing. So
one hook looks at every query-string value, URL part, form field (names and values), upload
file name and JSON string, and refuses the request with a page that says what was wrong and
shows the affected text with the character marked, so nothing typed is lost.

Form bodies may hold tab, LF and CR (multi-line text); query strings, URL parts, field names
and file names are one line. Which *fields* are single-line only their form knows: names say
so with ``one_line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from lti_app.errors import DriehoekError

# C0 controls except tab, LF and CR; DEL; C1 controls; lone surrogates (from JSON's \ud800).
_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The same, and tab, LF and CR too: for values that are one line by nature.
_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_C0_AND_DEL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile("[\r\n\u2028\u2029]")
_FIELD_NAME = re.compile(r"^[\w.-]{1,60}$")

# Values the LTI code checks itself, refusing a bad one with a page that names the LTI step that
# failed (tests/functional/test_adversarial_launches.py): the whole launch POST (its id_token and
# state; a refused launch also ends the browser's session, launch/views.py) and the platform a
# login names. Every other value these endpoints receive is checked here.
CHECKED_BY_LTI: dict[str, frozenset[str] | None] = {
    "launch.launch": None,  # None: all of it
    "lti.login": frozenset({"iss", "client_id"}),
    "lti.continue_in_new_window": frozenset({"iss", "client_id"}),
}
NOT_SHOWN = frozenset({"csrf_token"})  # never shown back on the refusal page


class UnstorableInput(DriehoekError):
    """A request carrying a character that cannot be stored; ``details`` shows where it was."""

    status = 400
    title = _l("This request could not be handled")
    advice = _l("Go back with your browser, remove the character and send again.")

    def __init__(self, reason: str, message: Any, details: list[list[tuple[str, bool]]]):
        super().__init__(reason, message)
        self.details = details


def refuse_unstorable_input() -> None:
    """The before-request hook.

    :raise UnstorableInput: a control character (or lone surrogate) in what was sent.
    """
    if request.endpoint is None:
        return  # a 404 or 405 answers for itself
    left_to_lti = CHECKED_BY_LTI.get(request.endpoint, frozenset())
    if left_to_lti is None:
        return
    where = _first_in_address(left_to_lti)
    if where is not None:
        raise UnstorableInput(
            f"control character in the {where}",
            _l(
                "The address contained a character that cannot be stored (a control "
                "character). Check the link and open it again."
            ),
            [],
        )
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    bad = [
        (key, value, shown)
        for key, value, pattern, shown in _body_values()
        if key not in left_to_lti and pattern.search(value)
    ]
    if bad:
        names = ", ".join(
            sorted({key if _FIELD_NAME.match(key) else "(a field name)" for key, _, _ in bad})
        )
        raise UnstorableInput(
            f"control character in form field(s) {names}",
            _l(
                "The form contained a character that cannot be stored (a control character). "
                "Remove it and send again."
            ),
            [marked(value) for key, value, shown in bad if shown and key not in NOT_SHOWN],
        )


def _first_in_address(left_to_lti: frozenset[str]) -> str | None:
    if _IN_LINE.search(request.path):
        return "path"
    for key, value in request.args.items(multi=True):
        if key not in left_to_lti and (_IN_LINE.search(key) or _IN_LINE.search(value)):
            return "query string"
    return None


def _body_values() -> Iterator[tuple[str, str, re.Pattern[str], bool]]:
    """Every string of the body: its field, the string, what it may not hold, and whether it is
    text someone typed (shown back when refused)."""
    for key, value in request.form.items(multi=True):
        yield key, key, _IN_LINE, False
        yield key, value, _IN_TEXT, True
    for key, upload in request.files.items(multi=True):
        yield key, key, _IN_LINE, False
        yield key, upload.filename or "", _IN_LINE, False
    if request.is_json:
        for key, value, is_key in _json_strings(request.get_json(silent=True), "json"):
            yield key, value, _IN_LINE if is_key else _IN_TEXT, not is_key


def _json_strings(value: Any, key: str) -> Iterator[tuple[str, str, bool]]:
    """Every string in a JSON document: its key, the string, and whether it is a key itself."""
    if isinstance(value, str):
        yield key, value, False
    elif isinstance(value, dict):
        for name, item in value.items():
            yield str(name), str(name), True
            yield from _json_strings(item, str(name))
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, key)


def marked(value: str) -> list[tuple[str, bool]]:
    """``value`` as runs of text, each refused character made visible (NUL as ␀) and flagged."""
    runs: list[tuple[str, bool]] = []
    start = 0
    for match in _IN_TEXT.finditer(value):
        if match.start() > start:
            runs.append((value[start : match.start()], False))
        runs.append((_visible(match.group()), True))
        start = match.end()
    if start < len(value):
        runs.append((value[start:], False))
    return runs


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␀ ␁ … ␟
    return "\u2421" if code == 0x7F else "\ufffd"


def one_line(_form: Any, field: Any) -> None:
    """A WTForms validator for names: one line, without line breaks.

    :raise ValidationError: the value holds a line break.
    """
    if field.data and _LINE_BREAKS.search(str(field.data)):
        raise ValidationError(_l("Keep this on one line: remove the line break."))


def text_file(_form: Any, field: Any) -> None:
    """A WTForms validator for uploads read as text (a CSV): no control characters in it.

    The request hook cannot look into files (a PDF is full of NUL bytes); a form whose file
    is text says so with this validator. The stream is left at its start for the view.

    :raise ValidationError: the file holds a control character; the message names its line.
    """
    upload = field.data
    stream = getattr(upload, "stream", None)
    if stream is None:
        return
    data = stream.read()
    stream.seek(0)
    try:
        text, refused = data.decode("utf-8-sig"), _IN_TEXT
    except UnicodeDecodeError:
        # Windows-1252 (or unreadable, which the view says): its bytes 0x80–0x9F are letters
        # and quotes, not C1 controls, so only C0 controls and DEL are looked for.
        text, refused = data.decode("latin-1"), _C0_AND_DEL
    match = refused.search(text)
    if match is None:
        return
    raise ValidationError(
        _l(
            "Line %(line)d of the file holds a character that cannot be stored (a control "
            "character). Remove it, or save the file again as CSV (UTF-8), and choose it again.",
            line=text.count("\n", 0, match.start()) + 1,
        )
    )
