"""The HTTP ``Link`` header (RFC 8288 §3), as NRPS pages its membership container with it.

https://www.imsglobal.org/spec/lti-nrps/v2p0#limit-query-parameter
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

_PARAM = re.compile(
    r"""\s*;\s*(?P<name>[!#$%&'*+.^_`|~0-9A-Za-z-]+\*?)\s*
        (?:=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^\s;,]*)))?""",
    re.VERBOSE,
)
_GARBAGE = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")*')


def parse_link_header(value: str | None) -> list[tuple[str, dict[str, str]]]:
    """The links in a ``Link`` header value: ``[(target, {param: value})]``, in order.

    Lenient where platforms are sloppy: quotes around parameter values are optional
    (lti1p3platform sends ``rel=next``), parameter names are case-insensitive, several
    headers joined with commas are several links, and a comma inside a quoted value or
    inside ``<…>`` does not split.
    """
    links: list[tuple[str, dict[str, str]]] = []
    if not value:
        return links
    i, n = 0, len(value)
    while i < n:
        start = value.find("<", i)
        if start < 0:
            break
        end = value.find(">", start + 1)
        if end < 0:
            break
        target = value[start + 1 : end].strip()
        params: dict[str, str] = {}
        i = end + 1
        while (match := _PARAM.match(value, i)) is not None:
            name = match.group("name").lower()
            quoted = match.group("quoted")
            raw = (
                re.sub(r"\\(.)", r"\1", quoted)
                if quoted is not None
                else (match.group("token") or "").strip("'")
            )
            params.setdefault(name, raw)  # the first occurrence counts (RFC 8288 §3.3)
            i = match.end()
        # Skip to the next top-level comma, past anything we do not understand.
        skipped = _GARBAGE.match(value, i)
        i = (skipped.end() if skipped else i) + 1
        links.append((target, params))
    return links


def next_link(value: str | None, base_url: str) -> str | None:
    """The absolute URL of the first link with relation type ``next``, or None.

    Relative targets are resolved against ``base_url``, the URL the response came from.
    """
    for target, params in parse_link_header(value):
        relations = params.get("rel", "").lower().split()
        if "next" in relations and target:
            return urljoin(base_url, target)
    return None
