"""What a launch costs, and that what makes it cheap keeps every promise (issue 9).

Registrations are kept a few seconds per process (lti.known): a change made elsewhere (the CLI,
another app server) must reach this process within that time, a change made here at once. A
returning member's launch reads one statement and writes nothing it need not. The pages after a
launch take their frame origins from the session. Rate limits still refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, delete, event, select, update

from lti_app import db
from lti_app.core.ratelimits import SweptMemoryStorage
from lti_app.extensions import limiter
from lti_app.lti.known import TTL_SECONDS, Registrations
from lti_app.lti.models import Deployment, Platform
from lti_app.lti.registration import add_platform
from lti_app.roster.launches import LAUNCH_STAMP_INTERVAL
from lti_app.roster.models import Membership, Person, Role, RoleSource
from tests.guests import english_client
from tests.launching import FlaskBrowser, launch, login
from tests.lms import LEARNER, TestLMS
from tests.lms import Person as LmsPerson

LOTTE = LmsPerson("student-1", "Lotte Janssens", [LEARNER], "lotte@student.example", "en")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def moving_clock(app: Flask) -> Clock:
    clock = Clock()
    app.extensions["registrations"].clock = clock
    return clock


def elsewhere(app: Flask, statement: Any) -> None:
    """A change made by another process (the CLI, another server): not through this app."""
    engine = create_engine(app.config["DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    finally:
        engine.dispose()


def browser(app: Flask) -> FlaskBrowser:
    return FlaskBrowser(english_client(app))


def statements_of(app: Flask) -> list[str]:
    seen: list[str] = []
    event.listen(
        app.extensions["db_engine"],
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: seen.append(statement),
    )
    return seen


def test_a_deployment_removed_elsewhere_stops_working_within_the_cache_time(
    app: Flask, lms: TestLMS
) -> None:
    clock = moving_clock(app)
    assert launch(browser(app), lms, LOTTE).status == 200
    elsewhere(app, delete(Deployment))

    clock.now += TTL_SECONDS - 1
    assert launch(browser(app), lms, LOTTE).status == 200  # still the copy read before
    clock.now += 2
    refused = launch(browser(app), lms, LOTTE)

    assert refused.status == 400
    assert "deployment" in refused.text.lower()


def test_a_platform_removed_elsewhere_stops_its_logins_within_the_cache_time(
    app: Flask, lms: TestLMS
) -> None:
    clock = moving_clock(app)
    login(browser(app), lms, LOTTE)
    elsewhere(app, delete(Platform))

    clock.now += TTL_SECONDS + 1
    page = browser(app).get("http://tool.test/lti/login", params=lms.login_params(LOTTE))

    assert page.status == 400
    assert "not registered" in page.text


def test_a_change_made_in_this_process_applies_at_once(app: Flask, lms: TestLMS) -> None:
    moving_clock(app)  # never moves: only the commit can make the change visible
    assert launch(browser(app), lms, LOTTE).status == 200
    with app.app_context():
        s = db.session()
        s.delete(s.scalars(select(Deployment)).one())
        s.commit()

    refused = launch(browser(app), lms, LOTTE)

    assert refused.status == 400
    assert "deployment" in refused.text.lower()


def test_a_new_deployment_and_a_new_platform_work_at_once(app: Flask, lms: TestLMS) -> None:
    moving_clock(app)
    other = TestLMS(tool_base="http://tool.test", client_id="other-client")
    try:
        page = browser(app).get("http://tool.test/lti/login", params=other.login_params(LOTTE))
        assert page.status == 400  # unknown: and nothing is kept of that
        without_deployment = {**other.tool_registration(), "deployment_ids": []}
        with app.app_context():
            add_platform(db.session(), **without_deployment)
            db.session().commit()
        page = browser(app).get("http://tool.test/lti/login", params=other.login_params(LOTTE))
        assert page.status == 302
        with app.app_context():
            platform_id = (
                db.session()
                .scalars(select(Platform.id).where(Platform.client_id == "other-client"))
                .one()
            )
        elsewhere(
            app,
            Deployment.__table__.insert().values(
                platform_id=platform_id,
                deployment_id=other.deployment_id,
                created_at=datetime.now(UTC),
            ),
        )

        assert launch(browser(app), other, LOTTE).status == 200
    finally:
        other.close()


def test_the_cache_is_bounded() -> None:
    cache = Registrations(max_entries=2)
    loads: list[str] = []

    def load(name: str) -> Any:
        return lambda: loads.append(name) or name

    for name in ("a", "b", "c", "a"):
        cache._cached(name, load(name))

    assert loads == ["a", "b", "c", "a"]  # full after b: started again at c
    assert len(cache._entries) <= 2


def test_a_returning_students_launch_reads_one_row_and_writes_nothing(
    app: Flask, lms: TestLMS
) -> None:
    assert launch(browser(app), lms, LOTTE).status == 200
    again = browser(app)
    auth = login(again, lms, LOTTE)
    form = lms.authorize(auth, LOTTE)
    seen = statements_of(app)

    page = again.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})

    assert page.status == 303
    # the state taken (its nonce spent), and person ⋈ course ⟕ membership: nothing else
    assert len(seen) == 2, seen
    assert seen[0].lstrip().upper().startswith("DELETE FROM LAUNCH_STATE")
    assert not any(s.lstrip().upper().startswith(("UPDATE", "INSERT")) for s in seen)


def test_a_launch_is_stamped_again_after_the_interval(app: Flask, lms: TestLMS, set_clock) -> None:
    start = set_clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), running=True)
    launch(browser(app), lms, LOTTE)
    set_clock(start + LAUNCH_STAMP_INTERVAL - timedelta(seconds=30), running=True)
    launch(browser(app), lms, LOTTE)
    with app.app_context():
        first = db.session().scalars(select(Membership.last_launch_at)).one()
    set_clock(start + LAUNCH_STAMP_INTERVAL + timedelta(seconds=30), running=True)
    launch(browser(app), lms, LOTTE)
    with app.app_context():
        later = db.session().scalars(select(Membership.last_launch_at)).one()

    assert first is not None and abs(first - start) < timedelta(seconds=5)
    assert later is not None and later >= start + LAUNCH_STAMP_INTERVAL


def test_a_members_first_launch_writes_what_changed_in_one_update(app: Flask, lms: TestLMS) -> None:
    """Known from the roster (or corrected by a coach) but never launched: her own launch
    writes her roles, her role and its source, and the stamp, in one UPDATE of her membership."""
    launch(browser(app), lms, LOTTE)
    elsewhere(
        app,
        update(Membership).values(
            role=Role.COACH,
            role_source=RoleSource.COACH,
            launch_role=None,
            active=False,
            lti_roles=[],
            last_launch_at=None,
            updated_at=datetime(2020, 1, 1, tzinfo=UTC),
        ),
    )
    again = browser(app)
    auth = login(again, lms, LOTTE)
    form = lms.authorize(auth, LOTTE)
    seen = statements_of(app)

    page = again.post(form["launch_url"], {"id_token": form["id_token"], "state": form["state"]})

    assert page.status == 303
    writes = [s for s in seen if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE MEMBERSHIP"), seen
    with app.app_context():
        member = db.session().scalars(select(Membership)).one()
        assert (member.role, member.role_source, member.launch_role, member.active) == (
            Role.STUDENT,
            RoleSource.LAUNCH,
            Role.STUDENT,
            True,
        )
        assert member.lti_roles == [LEARNER]
        assert member.last_launch_at is not None
        assert member.updated_at > datetime(2020, 1, 1, tzinfo=UTC)


def test_changed_claims_are_still_written(app: Flask, lms: TestLMS) -> None:
    launch(browser(app), lms, LOTTE)
    renamed = LmsPerson("student-1", "Lotte Janssens-Peeters", [LEARNER], "lotte@new.example", "en")

    launch(browser(app), lms, renamed)

    with app.app_context():
        person = db.session().scalars(select(Person)).one()
        assert (person.name, person.email) == ("Lotte Janssens-Peeters", "lotte@new.example")


def test_pages_after_a_launch_ask_the_database_nothing_for_their_frame_origins(
    app: Flask, lms: TestLMS
) -> None:
    client = english_client(app)
    client.environ_base["HTTP_ORIGIN"] = "https://moodle.hogeschool.example"
    assert launch(FlaskBrowser(client), lms, LOTTE).status == 200
    client.environ_base.pop("HTTP_ORIGIN")
    elsewhere(app, update(Platform).values(origins=["https://elsewhere.example"]))
    seen = statements_of(app)

    page = client.get("/student")

    assert "https://moodle.hogeschool.example" in page.headers["Content-Security-Policy"]
    assert not any("FROM platform" in s for s in seen), seen


def test_the_launch_rate_limit_still_refuses(app: Flask, lms: TestLMS) -> None:
    assert isinstance(limiter.storage, SweptMemoryStorage)
    app.config["LAUNCH_RATE_LIMIT"] = "3/minute"
    client = english_client(app)
    statuses = [
        client.get("/lti/login", query_string=lms.login_params(LOTTE)).status_code for _ in range(4)
    ]

    assert statuses == [302, 302, 302, 429]
