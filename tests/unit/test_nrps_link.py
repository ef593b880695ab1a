"""Finding the next page of a roster in the ``Link`` header, as platforms really send it (RFC 8288)."""

from __future__ import annotations

import pytest

from lti_app.lti.link_header import next_link, parse_link_header
from lti_app.roster.models import Role
from lti_app.roster.nrps import NrpsMember, parse_member, with_limit

BASE = "https://lms.example/api/lti/courses/7/names_and_roles?limit=50"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # As the spec shows it.
        ('<https://lms.example/nrps?page=2>; rel="next"', "https://lms.example/nrps?page=2"),
        # lti1p3platform leaves out the quotes.
        ("<https://lms.example/nrps?page=2>; rel=next", "https://lms.example/nrps?page=2"),
        # Canvas sends several links in one header, next not first.
        (
            '<https://lms.example/nrps?page=1>; rel="current",'
            '<https://lms.example/nrps?page=2>; rel="next",'
            '<https://lms.example/nrps?page=1>; rel="first",'
            '<https://lms.example/nrps?page=9>; rel="last"',
            "https://lms.example/nrps?page=2",
        ),
        # Two Link headers joined by the HTTP client.
        (
            '<https://lms.example/diff?since=1>; rel="differences", <https://lms.example/p2>; rel=next',
            "https://lms.example/p2",
        ),
        # A relative target is resolved against the page it came from.
        ('</api/nrps?page=3>; rel="next"', "https://lms.example/api/nrps?page=3"),
        ('<?limit=50&page=2>; rel="next"', BASE.split("?")[0] + "?limit=50&page=2"),
        # Several relation types in one rel, any case, odd spacing, other parameters first.
        (
            '<https://lms.example/p2> ;title="Next, please";REL = "next last"',
            "https://lms.example/p2",
        ),
        # Commas and semicolons inside the URL or a quoted value do not split the link.
        (
            '<https://lms.example/p;v=1?a=1,2>; title="a, b; c"; rel="next"',
            "https://lms.example/p;v=1?a=1,2",
        ),
        # Single quotes, seen in hand-written platforms.
        ("<https://lms.example/p2>; rel='next'", "https://lms.example/p2"),
        # Only the first rel counts (RFC 8288 §3.3).
        ('<https://lms.example/p1>; rel="prev"; rel="next"', None),
        # No next page.
        ('<https://lms.example/p1>; rel="first", <https://lms.example/p1>; rel="last"', None),
        ('<https://lms.example/p2>; rel="nextpage"', None),
        ("", None),
        (None, None),
        ("garbage without brackets; rel=next", None),
        ("<https://lms.example/p2", None),
        ('<>; rel="next"', None),
    ],
)
def test_next_link(header: str | None, expected: str | None) -> None:
    assert next_link(header, BASE) == expected


def test_garbage_between_links_does_not_hide_the_next_one() -> None:
    header = '<https://lms.example/a>; rel="first" junk "quoted, comma", <https://lms.example/b>; rel=next'

    assert next_link(header, BASE) == "https://lms.example/b"
    assert [target for target, _ in parse_link_header(header)] == [
        "https://lms.example/a",
        "https://lms.example/b",
    ]


def test_quoted_values_are_unescaped() -> None:
    [(_, params)] = parse_link_header(r'<https://lms.example/x>; title="say \"next\""; rel=next')

    assert params == {"title": 'say "next"', "rel": "next"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://lms.example/nrps", "https://lms.example/nrps?limit=500"),
        ("https://lms.example/nrps?rlid=4", "https://lms.example/nrps?rlid=4&limit=500"),
        ("https://lms.example/nrps?limit=20", "https://lms.example/nrps?limit=20"),
        ("https://lms.example/nrps?x=a%2Fb#top", "https://lms.example/nrps?x=a%2Fb&limit=500#top"),
    ],
)
def test_the_first_request_asks_for_large_pages_unless_the_url_says(
    url: str, expected: str
) -> None:
    assert with_limit(url, 500) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"user_id": "u1", "roles": ["Learner"], "name": " Lotte Janssens ", "picture": "p.png"},
            NrpsMember("u1", Role.STUDENT, ("Learner",), True, name="Lotte Janssens"),
        ),
        (
            {"user_id": "u2", "roles": ["Instructor"], "status": "Deleted"},
            NrpsMember("u2", Role.COACH, ("Instructor",), False),
        ),
        (
            {"user_id": "u3", "roles": ["Learner"], "status": "Inactive", "email": 5},
            NrpsMember("u3", Role.STUDENT, ("Learner",), False),
        ),
        (
            {
                "user_id": "u4",
                "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"],
            },
            None,
        ),
        ({"user_id": "", "roles": ["Learner"]}, None),
        ({"user_id": 12, "roles": ["Learner"]}, None),
        ({"user_id": "x" * 256, "roles": ["Learner"]}, None),
        ({"user_id": "u5", "roles": "Learner"}, None),
        ({"roles": ["Learner"]}, None),
        ("u6", None),
    ],
)
def test_a_member_is_kept_only_with_a_user_id_and_a_driehoek_role(
    raw: object, expected: NrpsMember | None
) -> None:
    assert parse_member(raw) == expected
