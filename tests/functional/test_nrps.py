"""The roster from the LMS (NRPS): a coach's course of 2,500 comes in, people leave and come back.

The LMS is lti1p3platform (its token endpoint and its Names and Role Provisioning Service) behind
a real local HTTP server; the tool asks it for a token with its signed client assertion and pages
through the roster over HTTP, as it would ask Canvas or Moodle. lti1p3platform 0.1.8's bugs are
worked around on the platform side, never in the tool: its paging adds 1 to the ``page`` query
string (so query values are made numbers before it sees them), and it only pages when a ``limit``
is asked (the tool asks one). Its ``Link`` header keeps its unquoted ``rel=next``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lti1p3platform.exceptions import LtiException, MissingRequiredClaim, UnsupportedGrantType
from lti1p3platform.membership import Context
from lti1p3platform.request import Request
from lti1p3platform.response import generate_next_link
from lti1p3platform.service_connector import NamesRoleProvisioningService, TPage
from sqlalchemy import event, func, select, text

from lti_app import db
from lti_app.extensions import cache
from lti_app.lti.outbound import OutboundSession
from lti_app.lti.services import LtiServiceError, ServiceFailure, service_client
from lti_app.roster.models import Course, Membership, Person, Role
from lti_app.roster.service import RosterSync, count_members, sync_roster
from tests.lms import INSTRUCTOR, LEARNER, LIS, TestLMS, jwk_with_kid, rsa_pem
from tests.lms import Person as LmsPerson

NRPS_PATH = "/nrps/course-1"  # where TestLMS's launches say the roster is
TA = LIS + "membership/Instructor#TeachingAssistant"
OBSERVER = LIS + "membership#Mentor"  # an LMS parent/observer: no role in Driehoek
COURSE_SIZE = 2500
PLATFORM_PAGE = 500  # the most the platform gives in one page, whatever the tool asks

GIVEN = ("Lotte", "Mehdi", "Sofie", "Jonas", "Emma", "Noah", "Fien", "Seppe", "Yasmine", "Wout")
FAMILY = ("Janssens", "El Amrani", "De Smet", "Willems", "Claes", "Peeters", "Maes", "Aerts")

Route = Callable[[str, dict[str, str], bytes, dict[str, str]], tuple[int, dict[str, str], bytes]]


def course_roster(coach: LmsPerson, size: int = COURSE_SIZE) -> list[dict[str, Any]]:
    """The course as the LMS lists it: the coach, 34 more coaches (24 instructors, 10 TAs),
    5 administrators, 7 observers, and students — half with short role names, some without
    an e-mail address (platforms may hide it)."""
    members: list[dict[str, Any]] = [
        {"user_id": coach.sub, "roles": coach.roles, "name": coach.name, "email": coach.email}
    ]
    for i in range(1, size):
        if i % 100 == 0:
            roles = [INSTRUCTOR]
        elif i % 250 == 1:
            roles = [TA]
        elif i % 500 == 2:
            roles = ["Administrator"]
        elif i % 400 == 3:
            roles = [OBSERVER]
        else:
            roles = ["Learner" if i % 2 else LEARNER]
        given, family = GIVEN[i % len(GIVEN)], FAMILY[i % len(FAMILY)]
        member = {
            "user_id": f"user-{i:05d}",
            "status": "Active",
            "roles": roles,
            "name": f"{given} {family}",
            "given_name": given,
            "family_name": family,
            "picture": f"https://lms.example/pictures/{i}.png",
        }
        if i % 7:
            member["email"] = f"{given.lower()}.{i}@student.example"
        members.append(member)
    return members


EXPECTED = {Role.COACH: 1 + 24 + 10, Role.COORDINATOR: 5, Role.STUDENT: 2500 - 1 - 24 - 10 - 5 - 7}
OBSERVERS = 7


class _QueryRequest(Request):
    """lti1p3platform's request, built from our HTTP server's query string and headers."""

    def build_metadata(self, request: Any) -> Any:
        query, headers = request
        # lti1p3platform computes the next page as page + 1: give it numbers, not strings.
        numbers = {
            k: int(v) if k in ("page", "limit") and v.isdigit() else v for k, v in query.items()
        }
        return {
            "method": "GET",
            "form_data": {},
            "get_data": numbers,
            "headers": headers,
            "content_type": None,
            "path": NRPS_PATH,
            "json": None,
        }


class _Roster(NamesRoleProvisioningService):
    def __init__(self, request: Request, lms: RosterLMS):
        super().__init__(request, lms.lms.config, lms.lms.url(NRPS_PATH))
        self._members = lms.members

    def get_context_by_id(self) -> Context:
        return Context(id="course-1", label="SO", title="Stage SO")

    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
    ) -> TPage:
        size = min(limit or PLATFORM_PAGE, PLATFORM_PAGE)
        start = (page - 1) * size
        chunk = [dict(m) for m in self._members[start : start + size]]
        return {"content": chunk, "has_next": start + size < len(self._members)}


@dataclass
class RosterLMS:
    """A TestLMS that also serves lti1p3platform's token endpoint and its NRPS for course-1.

    ``token_failure`` / ``page_failures`` (by page number) replace an answer, to test the tool
    against a platform that refuses or breaks; ``refuse_once`` refuses one page request with 401.
    """

    lms: TestLMS
    members: list[dict[str, Any]]
    token_requests: int = 0
    page_requests: int = 0
    assertions: list[dict[str, Any]] = field(default_factory=list)
    token_failure: tuple[int, str, bytes] | None = None
    page_failures: dict[int, tuple[int, str, bytes]] = field(default_factory=dict)
    refuse_once: bool = False
    delay: float = 0.0

    def __post_init__(self) -> None:
        self.lms.routes["/token"] = self._token
        self.lms.routes[NRPS_PATH] = self._memberships

    def _token(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        self.token_requests += 1
        time.sleep(self.delay)
        if self.token_failure:
            status, content_type, payload = self.token_failure
            return status, {"Content-Type": content_type}, payload
        form = dict(parse_qsl(body.decode()))
        try:
            answer = self.lms.config.get_access_token(form)
        except (MissingRequiredClaim, UnsupportedGrantType) as exc:
            return _oauth_error(400, "invalid_request", exc)
        except (LtiException, jwt.PyJWTError) as exc:
            return _oauth_error(401, "invalid_client", exc)
        self.assertions.append(
            jwt.decode(form["client_assertion"], options={"verify_signature": False})
        )
        return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()

    def _memberships(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        self.page_requests += 1
        if self.refuse_once:
            self.refuse_once = False
            return 401, {"Content-Type": "application/json"}, b'{"error": "token revoked"}'
        page = int(query.get("page", 1))
        if page in self.page_failures:
            status, content_type, payload = self.page_failures[page]
            return status, {"Content-Type": content_type}, payload
        response = _Roster(_QueryRequest((query, headers)), self).handle_get_members()
        if response.code != 200:
            return (
                response.code,
                {"Content-Type": "application/json"},
                json.dumps({"error": response.message}).encode(),
            )
        out = {"Content-Type": response.media_type}
        if response.result.get("next"):
            out["Link"] = generate_next_link(response.result["next"])  # rel=next, unquoted
        return 200, out, json.dumps(response.result).encode()


def _oauth_error(status: int, error: str, exc: Exception) -> tuple[int, dict[str, str], bytes]:
    body = {"error": error, "error_description": str(exc)[:200]}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def roster_lms(lms: TestLMS, client: FlaskClient, coach: LmsPerson) -> RosterLMS:
    lms.registration.set_tool_key_set(client.get("/.well-known/jwks.json").json)
    return RosterLMS(lms, course_roster(coach))


@pytest.fixture
def course(app: Flask, launched: Any, coach: LmsPerson, roster_lms: RosterLMS) -> int:
    """course-1, known to Driehoek because its coach opened Driehoek from it."""
    page = launched(coach)
    assert page.status == 200
    with app.app_context():
        return db.session().scalars(select(Course.id)).one()


@pytest.fixture
def work(app: Flask, course: int) -> Iterator[None]:
    """A table of someone's work that points at people and memberships and would vanish with
    them (ON DELETE CASCADE), like feedback and journals will."""
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE test_nrps_work ("
                " membership_id INTEGER NOT NULL REFERENCES membership(id) ON DELETE CASCADE,"
                " person_id INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE)"
            )
        )
    yield
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE test_nrps_work"))


def sync(app: Flask, course_id: int, **client: Any) -> RosterSync:
    with app.app_context():
        s = db.session()
        course = s.get(Course, course_id)
        assert course is not None
        with service_client(s, course.platform, **client) as services:
            summary = sync_roster(s, course, services)
        s.commit()
    return summary


def counts(app: Flask, course_id: int) -> dict[Role, int]:
    with app.app_context():
        return count_members(db.session(), course_id)


def member(app: Flask, course_id: int, sub: str) -> tuple[Person, Membership]:
    with app.app_context():
        s = db.session()
        row = s.execute(
            select(Person, Membership)
            .join(Membership)
            .where(Person.sub == sub, Membership.course_id == course_id)
        ).one()
        return row[0], row[1]


def snapshot(app: Flask) -> tuple[list[Any], list[Any]]:
    with app.app_context():
        s = db.session()
        people = s.execute(select(Person.__table__).order_by(Person.id)).all()
        members = s.execute(select(Membership.__table__).order_by(Membership.id)).all()
    return people, members


def expire_tokens(app: Flask) -> None:
    with app.app_context():
        cache.clear()


# -- a sync -----------------------------------------------------------------------------------------


def test_a_sync_stores_every_member_of_a_large_course_with_their_role(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    summary = sync(app, course)

    assert counts(app, course) == EXPECTED
    assert summary.pages == COURSE_SIZE // PLATFORM_PAGE
    assert summary.seen == COURSE_SIZE - OBSERVERS
    assert summary.added == COURSE_SIZE - OBSERVERS - 1  # the coach was there since the launch
    assert summary.skipped == OBSERVERS
    person, membership = member(app, course, "user-00251")
    assert (person.name, membership.role) == ("Mehdi Willems", Role.COACH)  # a TA coaches
    assert membership.lti_roles == [TA]
    assert member(app, course, "user-00502")[1].role is Role.COORDINATOR
    person, membership = member(app, course, "user-00013")
    assert (person.given_name, person.family_name) == ("Jonas", "Peeters")
    assert person.email == "jonas.13@student.example"
    assert (membership.role, membership.source, membership.active) == (Role.STUDENT, "nrps", True)
    assert member(app, course, "user-00014")[0].email is None  # hidden by the platform
    with app.app_context():
        assert db.session().scalar(select(Person).where(Person.sub == "user-00003")) is None


def test_the_tool_asks_for_tokens_as_lti_security_says_and_reuses_them(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    sync(app, course)
    sync(app, course)

    assert roster_lms.token_requests == 1  # the second sync reused the cached token
    [claims] = roster_lms.assertions
    assert claims["iss"] == claims["sub"] == roster_lms.lms.client_id
    assert claims["aud"] == roster_lms.lms.url("/token")
    assert claims["exp"] - claims["iat"] <= 300 and claims["jti"]


def test_a_cached_token_the_lms_no_longer_accepts_is_replaced_once(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    sync(app, course)
    roster_lms.refuse_once = True

    summary = sync(app, course)

    assert summary.seen == COURSE_SIZE - OBSERVERS
    assert roster_lms.token_requests == 2


def test_members_who_left_become_inactive_and_keep_everything_attached_to_them(
    app: Flask, course: int, roster_lms: RosterLMS, work: None
) -> None:
    sync(app, course)
    leavers = [m["user_id"] for m in roster_lms.members if m["roles"] == [LEARNER]][:100]
    with app.app_context():
        s = db.session()
        s.execute(text("INSERT INTO test_nrps_work SELECT id, person_id FROM membership"))
        s.commit()
        people_before = s.scalar(select(func.count()).select_from(Person))
        work_before = s.scalar(text("SELECT count(*) FROM test_nrps_work"))
    assert work_before == COURSE_SIZE - OBSERVERS
    roster_lms.members = [m for m in roster_lms.members if m["user_id"] not in leavers]

    summary = sync(app, course)

    assert summary.deactivated == 100
    assert (summary.added, summary.updated, summary.reactivated) == (0, 0, 0)
    assert counts(app, course) == {**EXPECTED, Role.STUDENT: EXPECTED[Role.STUDENT] - 100}
    with app.app_context():
        s = db.session()
        inactive = s.scalars(
            select(Person.sub).join(Membership).where(Membership.active.is_(False))
        ).all()
        assert sorted(inactive) == sorted(leavers)
        assert s.scalar(select(func.count()).select_from(Person)) == people_before
        assert s.scalar(text("SELECT count(*) FROM test_nrps_work")) == work_before


def test_members_who_come_back_become_active_again(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    everyone = list(roster_lms.members)
    sync(app, course)
    roster_lms.members = everyone[:1000] + everyone[1100:]
    sync(app, course)
    roster_lms.members = everyone

    summary = sync(app, course)

    assert summary.reactivated == 100 - sum(m["roles"] == [OBSERVER] for m in everyone[1000:1100])
    assert summary.deactivated == 0
    assert counts(app, course) == EXPECTED


def test_the_lms_s_status_name_and_role_changes_reach_the_roster(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    sync(app, course)
    by_id = {m["user_id"]: m for m in roster_lms.members}
    by_id["user-00011"]["status"] = "Inactive"
    by_id["user-00013"]["status"] = "Deleted"
    by_id["user-00015"].update(name="Fien Maes-Peeters", family_name="Maes-Peeters")
    by_id["user-00017"]["roles"] = [TA]
    del by_id["user-00019"]["name"]  # the platform stopped sharing it: keep what we knew

    summary = sync(app, course)

    assert (summary.deactivated, summary.updated, summary.added) == (2, 2, 0)
    assert not member(app, course, "user-00011")[1].active
    assert not member(app, course, "user-00013")[1].active
    assert member(app, course, "user-00015")[0].display_name == "Fien Maes-Peeters"
    assert member(app, course, "user-00017")[1].role is Role.COACH
    assert member(app, course, "user-00019")[0].name == "Wout Willems"


def test_someone_who_launched_during_the_sync_stays_active(
    app: Flask, course: int, roster_lms: RosterLMS, launched: Any, student: LmsPerson
) -> None:
    """The roster may have been read before they enrolled; their launch is the newer news."""

    pages: list[Any] = []

    def launch_mid_sync(done: int, total: int | None) -> None:
        if total is None and done == PLATFORM_PAGE:
            # Another request, as on another app server: a thread of its own, its own context.
            thread = threading.Thread(target=lambda: pages.append(launched(student)))
            thread.start()
            thread.join()

    with app.app_context():
        s = db.session()
        course_row = s.get(Course, course)
        assert course_row is not None
        with service_client(s, course_row.platform) as services:
            sync_roster(s, course_row, services, progress=launch_mid_sync)
        s.commit()

    assert [p.status for p in pages] == [200]
    assert member(app, course, student.sub)[1].active


def test_progress_is_reported_after_each_page(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    calls: list[tuple[int, int | None]] = []
    with app.app_context():
        s = db.session()
        course_row = s.get(Course, course)
        assert course_row is not None
        with service_client(s, course_row.platform) as services:
            sync_roster(s, course_row, services, progress=lambda d, t: calls.append((d, t)))

    fetched = [(n, None) for n in (500, 1000, 1500, 2000, 2500)]
    assert calls == [*fetched, (2500, 2500)]


def test_a_sync_costs_a_bounded_number_of_sql_statements_not_one_per_member(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        first = sync(app, course)
        first_count = len(statements)
        roster_lms.members = roster_lms.members[:-300]
        for m in roster_lms.members[1:301]:
            m["name"] += " (renamed)"
        statements.clear()
        second = sync(app, course)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert first.added > 2000 and second.updated > 250 and second.deactivated > 250
    assert first_count < 10 * first.pages, statements
    assert len(statements) < 10 * second.pages, statements


# -- failures change nothing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("break_it", "failure"),
    [
        ("platform_does_not_know_the_tool_key", ServiceFailure.TOKEN_REFUSED),
        ("token_endpoint_fails", ServiceFailure.HTTP_ERROR),
        ("token_endpoint_answers_html", ServiceFailure.BAD_RESPONSE),
        ("token_endpoint_is_slow", ServiceFailure.TIMEOUT),
        ("token_endpoint_is_gone", ServiceFailure.UNREACHABLE),
    ],
)
def test_a_failed_token_request_gives_a_typed_error_and_changes_nothing(
    app: Flask, course: int, roster_lms: RosterLMS, break_it: str, failure: ServiceFailure
) -> None:
    sync(app, course)
    roster_lms.members = roster_lms.members[:-100]  # a change the failed sync must not make
    expire_tokens(app)
    before = snapshot(app)
    http = None
    if break_it == "platform_does_not_know_the_tool_key":
        roster_lms.lms.registration.set_tool_key_set({"keys": [jwk_with_kid(rsa_pem())]})
    elif break_it == "token_endpoint_fails":
        roster_lms.token_failure = (500, "text/plain", b"database is down")
    elif break_it == "token_endpoint_answers_html":
        roster_lms.token_failure = (200, "text/html", b"<html>Log in</html>")
    elif break_it == "token_endpoint_is_slow":
        roster_lms.delay, http = (
            0.5,
            OutboundSession(0.1, require_https=False, private_hosts=["127.0.0.1"]),
        )
    else:
        with app.app_context():
            s = db.session()
            course_row = s.get(Course, course)
            assert course_row is not None
            course_row.platform.auth_token_url = "http://127.0.0.1:9/token"
            s.commit()
        before = snapshot(app)

    with pytest.raises(LtiServiceError) as caught:
        sync(app, course, http=http)

    assert caught.value.failure is failure
    assert snapshot(app) == before
    if http is not None:
        http.close()


@pytest.mark.parametrize(
    ("page", "answer", "failure"),
    [
        (3, (401, "application/json", b'{"error": "unauthorized"}'), ServiceFailure.UNAUTHORIZED),
        (1, (403, "application/json", b'{"error": "NRPS is off"}'), ServiceFailure.FORBIDDEN),
        (2, (200, "text/html", b"<html>maintenance</html>"), ServiceFailure.BAD_RESPONSE),
        (2, (200, "application/json", b'{"members": "nobody"}'), ServiceFailure.BAD_RESPONSE),
        (4, (503, "text/plain", b"try later"), ServiceFailure.HTTP_ERROR),
    ],
)
def test_a_failed_page_gives_a_typed_error_and_changes_nothing(
    app: Flask,
    course: int,
    roster_lms: RosterLMS,
    page: int,
    answer: tuple[int, str, bytes],
    failure: ServiceFailure,
) -> None:
    sync(app, course)
    roster_lms.members = roster_lms.members[:-100]
    roster_lms.page_failures[page] = answer
    before = snapshot(app)
    tokens_before = roster_lms.token_requests

    with pytest.raises(LtiServiceError) as caught:
        sync(app, course)

    assert caught.value.failure is failure
    assert snapshot(app) == before
    if failure is ServiceFailure.UNAUTHORIZED:
        assert roster_lms.token_requests == tokens_before + 1  # a fresh token was tried once


def test_a_next_page_on_another_host_is_refused_before_the_token_goes_there(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    def elsewhere(
        method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        link = '<https://collector.example/steal>; rel="next"'
        return 200, {"Link": link}, json.dumps({"members": []}).encode()

    roster_lms.lms.routes[NRPS_PATH] = elsewhere
    before = snapshot(app)

    with pytest.raises(LtiServiceError) as caught:
        sync(app, course)

    assert caught.value.failure is ServiceFailure.BAD_RESPONSE
    assert snapshot(app) == before


def test_a_course_no_launch_gave_an_nrps_url_gives_a_typed_error(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    with app.app_context():
        s = db.session()
        row = s.get(Course, course)
        assert row is not None
        row.nrps_url = None
        s.commit()

    with pytest.raises(LtiServiceError) as caught:
        sync(app, course)

    assert caught.value.failure is ServiceFailure.NOT_OFFERED
    assert roster_lms.token_requests == 0


def test_an_lms_listing_nobody_deactivates_nobody(
    app: Flask, course: int, roster_lms: RosterLMS
) -> None:
    sync(app, course)
    roster_lms.members = [m for m in roster_lms.members if m["roles"] == [OBSERVER]]

    summary = sync(app, course)

    assert summary.deactivated == 0
    assert counts(app, course) == EXPECTED
