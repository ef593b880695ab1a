"""Input hygiene: a NUL (or another control character) in any field of any form is refused with
a 4xx before anything is written, on SQLite and on PostgreSQL (where it used to be a 500).

The walk takes every POST endpoint of the URL map, opens the page its form is on as someone who
may use it (coach, coordinator, student, mentor or anyone), reads the form's fields and CSRF
token, and posts it again with a NUL in each field in turn, in a button's value and in the query
string. A POST endpoint missing from ``WALK`` fails the first test.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from lti_app import clock, db
from lti_app.db import Base
from lti_app.guests.models import MentorInvitation
from lti_app.journals.models import ReviewState
from lti_app.placements.models import Placement, PlacementState
from tests.feedback import add_form
from tests.feedback_requests import add_request
from tests.functional.test_placements import HtmlForm, forms_of
from tests.guests import (
    add_entry,
    add_mentor,
    add_placement,
    csrf,
    english_client,
    issue_sign_in_link,
    launch_client,
    launched_course,
    path_of,
    person_id,
    sign_in_mentor,
    text,
)
from tests.journal_reviews import journal_world
from tests.launching import FlaskBrowser, Page, launch, login
from tests.lms import ADMIN, LEARNER, Person, TestLMS
from tests.signing import (
    BRAM,
    COACH,
    ELS,
    LOTTE,
    Parties,
    make_agreement,
    post,
    send_for_signing,
    sign,
)

NUL = "\x00"
SOFIE = Person("coordinator-1", "Sofie Maes", [ADMIN], "sofie@hogeschool.example", locale="en")
NOOR = Person("student-3", "Noor Willems", [LEARNER], "noor@student.example", locale="en")
NEW_MENTOR = "wim.claes@sint-jozef.example"


# -- the world: one course, its people, and something of every kind to act on -------------------


@dataclass
class World:
    app: Flask
    lms: TestLMS
    clients: dict[str, FlaskClient]
    ids: dict[str, Any]


def build_world(app: Flask, lms: TestLMS) -> World:
    coach = launch_client(app, lms, COACH)
    clients = {
        "coach": coach,
        "coordinator": launch_client(app, lms, SOFIE),
        "lotte": launch_client(app, lms, LOTTE),
        "bram": launch_client(app, lms, BRAM),
        "noor": launch_client(app, lms, NOOR),
        "anyone": english_client(app),
    }
    course = launched_course(app)
    els = add_mentor(app, ELS, "Els Mertens")
    lotte, bram, noor = (person_id(app, p.sub) for p in (LOTTE, BRAM, NOOR))
    an = person_id(app, COACH.sub)

    def placement(student: int, **values: Any) -> int:
        return add_placement(
            app, mentors=[els], course_id=course, student_id=student, coach_id=an, **values
        )

    # Lotte's placement: agreement awaiting signatures, an hour entry, an invited second mentor.
    signing_placement = placement(lotte)
    clients["els"] = english_client(app)
    sign_in_mentor(app, clients["els"], ELS)
    parties = Parties(app, clients["lotte"], clients["els"], coach, signing_placement, course)
    awaiting = make_agreement(parties)
    send_for_signing(parties, awaiting)
    # Lotte's second placement: an agreement signed by all, with an addendum being signed.
    parties.placement = placement(lotte)
    active = make_agreement(parties)
    send_for_signing(parties, active)
    for client in (parties.student, parties.mentor, parties.coach):
        assert sign(client, active).status_code == 303
    addendum = post(
        coach,
        f"/agreements/{active}/addenda/new",
        f"/agreements/{active}/addenda/new",
        {"title": "Verlenging", "body": "De stage loopt tot 14 mei."},
    )
    assert addendum.status_code == 303, text(addendum)[:800]
    # Noor's placements: one with a draft agreement, one with none yet.
    parties.placement = placement(noor)
    draft = make_agreement(parties)
    without_agreement = placement(noor)
    # Bram's proposal, waiting for the coach.
    proposal = placement(bram, state=PlacementState.PROPOSED)

    entry = add_entry(app, signing_placement, day=clock.today() - timedelta(days=1), note="3A")
    feedback_form = add_form(app, signing_placement, mentor_id=els)
    feedback_draft = add_form(app, signing_placement, mentor_id=els, submitted=False)
    invited = post(
        coach,
        f"/placements/{signing_placement}",
        f"/coach/placements/{signing_placement}/invitations",
        {"email": NEW_MENTOR, "name": "Wim Claes", "language": "nl"},
    )
    assert invited.status_code == 303, text(invited)[:800]

    spent = path_of(issue_sign_in_link(app, ELS))  # used below, so its page offers a new one
    elsewhere = english_client(app)
    used = elsewhere.post(spent, data={"csrf_token": csrf(text(elsewhere.get(spent)))})
    assert used.status_code == 303, text(used)[:800]
    deep_linker = english_client(app)
    page = launch(FlaskBrowser(deep_linker), lms, COACH, deep_link=True, follow=False)
    assert page.status == 303, page.text[:800]
    clients["deep_linker"] = deep_linker

    feedback_request = add_request(app, signing_placement, mentor_id=els)
    journals = journal_world(app, coach, (clients["lotte"], signing_placement), course)

    with app.app_context():
        s = db.session()
        found = s.get(Placement, signing_placement)
        assert found is not None
        documents = _documents(s, awaiting) + _documents(s, active)
        ids = {
            "placement": signing_placement,
            "proposal": proposal,
            "without_agreement": without_agreement,
            "awaiting": awaiting,
            "active": active,
            "draft": draft,
            "awaiting_document": documents[0],
            "addendum": documents[-1],
            "entry": entry,
            "feedback_form": feedback_form,
            "feedback_draft": feedback_draft,
            "school": found.school_id,
            "els": els,
            "template": _template_id(s),
            "invitation": s.scalar(
                select(func.max(MentorInvitation.id)).where(
                    MentorInvitation.placement_id == signing_placement
                )
            ),
            "spent_link": spent,
            "fresh_link": path_of(issue_sign_in_link(app, ELS)),
            "member": _roster_only_member(s, lms, course),
            "feedback_request": feedback_request,
            **_feedback_versions(s, found),
            **journals,
        }
    return World(app, lms, clients, ids)


def _feedback_versions(s: Session, placement: Placement) -> dict[str, int]:
    """The programme's framework and a template with a checklist, saved as their version 1."""
    from lti_app.feedback import versions
    from lti_app.feedback.models import FormKind

    programme = versions.programme_of(s, placement.course)
    assert programme is not None
    ids = {
        "framework": versions.framework_for(s, programme).id,
        "feedback_template": versions.template_for(s, programme, FormKind.LESSON_PLAN).id,
    }
    s.commit()
    return ids


def _roster_only_member(s: Session, lms: TestLMS, course_id: int) -> int:
    """Someone only the LMS's roster knows: a coach may correct their role."""
    from lti_app.roster.models import Membership, Role, RoleSource
    from lti_app.roster.models import Person as Member

    person = Member(issuer=lms.issuer, sub="roster-only-1", name="Rik Roster")
    membership = Membership(
        course_id=course_id,
        person=person,
        role=Role.STUDENT,
        source="nrps",
        role_source=RoleSource.ROSTER,
    )
    s.add(membership)
    s.commit()
    return membership.id


def _documents(s: Session, agreement_id: int) -> list[int]:
    from lti_app.agreements.models import AgreementDocument

    return list(
        s.scalars(
            select(AgreementDocument.id)
            .where(AgreementDocument.agreement_id == agreement_id)
            .order_by(AgreementDocument.number)
        )
    )


def _template_id(s: Session) -> int:
    from lti_app.agreements.models import AgreementTemplate

    found = s.scalar(select(func.max(AgreementTemplate.id)))
    assert found is not None
    return int(found)


# -- what the walk posts ------------------------------------------------------------------------


@dataclass(frozen=True)
class FormPage:
    """A form as its user finds it: who opens which page (a path with {ids} of the world)."""

    who: str
    page: str
    uploads: tuple[str, ...] = ()  # file fields, tried with a NUL in the name (and content)


@dataclass(frozen=True)
class Attempt:
    """One request with a NUL somewhere, and what it says where the NUL is."""

    client: FlaskClient
    url: str
    data: dict[str, Any]
    where: str


# Every POST endpoint, and the page its form is on. The LTI protocol and the sandbox LMS have no
# form of Driehoek's own: their attempts are made below.
WALK: dict[str, FormPage | Callable[[World], Iterator[Attempt]]] = {
    "core.language": FormPage("anyone", "/verify"),
    "verify.verify": FormPage("anyone", "/verify", ("file",)),
    "journals.deep_link": FormPage("deep_linker", "/lti/deep-link"),
    "roster.start_sync": FormPage("coach", "/coach"),
    "roster.correct_role": FormPage("coach", "/coach/roster/members/{member}/role"),
    "programmes.course_programme": FormPage("coordinator", "/course/programme"),
    # placements and schools
    "placements.propose_placement": FormPage("bram", "/my/placements/new"),
    "placements.edit_proposal": FormPage("bram", "/my/placements/{proposal}/edit"),
    "placements.approve_placement": FormPage("coach", "/placements/{proposal}"),
    "placements.return_placement": FormPage("coach", "/placements/{proposal}"),
    "placements.new_placement": FormPage("coach", "/placements/new"),
    "placements.edit_placement": FormPage("coach", "/placements/{placement}/edit"),
    "placements.import_placements": FormPage("coach", "/placements/import", ("file",)),
    "schools.new_school": FormPage("coach", "/schools/new"),
    "schools.edit_school": FormPage("coach", "/schools/{school}/edit"),
    # mentors: invitations, sign-in links, sessions
    "mentors.invite": FormPage("coach", "/placements/{placement}"),
    "mentors.resend": FormPage("coach", "/placements/{placement}"),
    "mentors.revoke": FormPage("coach", "/placements/{placement}"),
    "mentors.end_sessions": FormPage("coach", "/placements/{placement}"),
    "mentors.request_link": FormPage("anyone", "/mentor/request-link"),
    "mentors.sign_in": FormPage("anyone", "{fresh_link}"),
    "mentors.renew": FormPage("anyone", "{spent_link}"),
    "mentors.sign_out": FormPage("els", "/mentor"),
    "mentors.sign_out_everywhere": FormPage("els", "/mentor"),
    # hours
    "hours.log": FormPage("lotte", "/hours/placements/{placement}"),
    "hours.edit": FormPage("lotte", "/hours/entries/{entry}/edit"),
    "hours.delete": FormPage("lotte", "/hours/entries/{entry}/edit"),
    "hours.approve_week": FormPage("els", "/mentor/placements/{placement}"),
    "hours.reject": FormPage("els", "/mentor/placements/{placement}/hours/{entry}/reject"),
    # agreements and their templates
    "agreements.create": FormPage("coach", "/placements/{without_agreement}"),
    "agreements.send": FormPage("coach", "/agreements/{draft}"),
    "agreements.edit_fields": FormPage("lotte", "/agreements/{awaiting}/fields"),
    "agreements.sign": FormPage("lotte", "/agreements/{awaiting}"),
    "agreements.ask_school_contact": FormPage("coach", "/agreements/{awaiting}"),
    "agreements.cancel": FormPage("coach", "/agreements/{awaiting}"),
    "agreements.complete": FormPage("coach", "/agreements/{active}"),
    "agreements.end_early": FormPage("coach", "/agreements/{active}"),
    "agreements.new_addendum": FormPage("coach", "/agreements/{active}/addenda/new"),
    "agreements.edit_addendum": FormPage("coach", "/agreements/documents/{addendum}/edit"),
    "agreement_templates.new": FormPage("coordinator", "/agreement-templates/new"),
    "agreement_templates.edit": FormPage("coordinator", "/agreement-templates/{template}/edit"),
    # feedback
    "feedback.new_request": FormPage("lotte", "/feedback/placements/{placement}/requests/new"),
    "feedback.withdraw_request": FormPage("lotte", "/feedback/placements/{placement}"),
    # feedback forms
    "feedback.save": FormPage("els", "/feedback/forms/{feedback_draft}"),
    "feedback.correct": FormPage("els", "/feedback/forms/{feedback_form}"),
    # feedback: the coordinator's framework and form templates
    "feedback.edit_framework": FormPage("coordinator", "/feedback/admin/frameworks/{framework}"),
    "feedback.edit_template": FormPage(
        "coordinator", "/feedback/admin/templates/{feedback_template}"
    ),
    # journals: assignments, handing in (Noor has not yet), the coach's review of Lotte's
    "journals.new_assignment": FormPage("coach", "/journals/assignments"),
    "journals.edit_assignment": FormPage("coach", "/journals/assignments/{assignment}/edit"),
    "journals.hand_in": FormPage("noor", "/journals/assignments/{assignment}/mine"),
    "journals.review": FormPage("coach", "/journals/reviews/{review}"),
}


class NoForm(AssertionError):
    """The page did not show the form (the world is not as the walk expects)."""


def _with_nul(values: dict[str, str], where: str) -> Iterator[tuple[dict[str, str], str]]:
    for name in values:
        yield {**values, name: values[name] + NUL}, where + name


def _login_attempts(path: str) -> Callable[[World], Iterator[Attempt]]:
    """The OIDC login (and its new-window variant): a NUL in each login parameter."""

    def attempts(w: World) -> Iterator[Attempt]:
        for data, where in _with_nul(w.lms.login_params(LOTTE), "login parameter "):
            yield Attempt(english_client(w.app), path, data, where)

    return attempts


def _launch_attempts(w: World) -> Iterator[Attempt]:
    """A launch after a real login, with a NUL in its id_token or its state."""
    for name in ("id_token", "state"):
        client = english_client(w.app)
        browser = FlaskBrowser(client)
        form = w.lms.authorize(login(browser, w.lms, LOTTE), LOTTE)
        data = {"id_token": form["id_token"], "state": form["state"]}
        data[name] += NUL
        yield Attempt(client, "/lti/launch", data, name)


def _sandbox_attempts(path: str, values: dict[str, str]) -> Callable[[World], Iterator[Attempt]]:
    def attempts(w: World) -> Iterator[Attempt]:
        for data, where in _with_nul(values, ""):
            yield Attempt(english_client(w.app), path, data, where)

    return attempts


def _response_attempts(w: World) -> Iterator[Attempt]:
    """The student's response to a form (its form sits on the form page, which includes
    feedback/_response.html once the form page is merged): each field with a NUL."""
    client = w.clients["lotte"]
    token = csrf(text(client.get(f"/feedback/placements/{w.ids['placement']}")))
    values = {"csrf_token": token, "response": "Dank je.", "follow_up": "Korter uitleggen."}
    for data, where in _with_nul(values, "field "):
        yield Attempt(client, f"/feedback/forms/{w.ids['feedback_form']}/response", data, where)


WALK["feedback.respond"] = _response_attempts
WALK["lti.login"] = _login_attempts("/lti/login")
WALK["lti.continue_in_new_window"] = _login_attempts("/lti/continue")
WALK["launch.launch"] = _launch_attempts
WALK["sandbox.token"] = _sandbox_attempts(
    "/sandbox/token",
    {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "scope": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    },
)
WALK["sandbox.deep_link_return"] = _sandbox_attempts(
    "/sandbox/deep-link-return", {"JWT": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}
)
WALK["sandbox.lineitems"] = _sandbox_attempts(
    "/sandbox/ags/demo-stage-so-2026/lineitems", {"label": "Journal", "scoreMaximum": "20"}
)
WALK["sandbox.scores"] = _sandbox_attempts(
    "/sandbox/ags/demo-stage-so-2026/lineitems/1/scores", {"userId": "student-sofie"}
)
WALK["sandbox.set_faults"] = _sandbox_attempts(
    "/sandbox/gradebook/faults", {"csrf_token": "x", "kind": "500", "count": "1"}
)


def _feedback_attempts(path: str, values: dict[str, str]) -> Callable[[World], Iterator[Attempt]]:
    """Posts the fill page's script makes (autosave) or another package's page offers (start a
    form, fb-requests' placement page): as Els, with her token."""

    def attempts(w: World) -> Iterator[Attempt]:
        client = w.clients["els"]
        token = csrf(text(client.get("/mentor")))
        url = path.format(**w.ids)
        for data, where in _with_nul({"csrf_token": token, **values}, "field "):
            if not where.endswith("csrf_token"):
                yield Attempt(client, url, data, where)

    return attempts


WALK["feedback.new_form"] = _feedback_attempts(
    "/feedback/placements/{placement}/forms", {"kind": "lesson_observation", "request_id": ""}
)
WALK["feedback.autosave"] = _feedback_attempts(
    "/feedback/forms/{feedback_draft}/autosave", {"revision": "1", "answers": "{}"}
)
WALK["sandbox.mentor_sign_in"] = _sandbox_attempts("/sandbox/mentor/els", {"csrf_token": "x"})


def _attachment_attempts(w: World) -> Iterator[Attempt]:
    """Els attaches a file to her draft: the fields templates/feedback/_attachments.html writes
    (no page shows that form on its own: the form and request pages include it)."""
    from tests.feedback import add_form

    client = w.clients["els"]
    draft = add_form(w.app, w.ids["placement"], mentor_id=w.ids["els"], submitted=False)
    action = f"/feedback/placements/{w.ids['placement']}/attachments"
    fields = {
        "csrf_token": csrf(text(client.get("/mentor"))),
        "form_id": str(draft),
        "next": f"/feedback/forms/{draft}",
    }
    for data, where in _with_nul(fields, "field "):
        yield Attempt(
            client, action, {**data, "file": (io.BytesIO(b"%PDF-1.4\n"), "plan.pdf")}, where
        )
    named = {**fields, "file": (io.BytesIO(b"%PDF-1.4\n"), "plan\x00.pdf")}
    yield Attempt(client, action, named, "file name of file")


WALK["feedback.upload"] = _attachment_attempts


def _journal_page(state: str) -> Callable[[World], Iterator[Attempt]]:
    """Lotte's own entry (a draft: the editor; submitted: the read page, with "revise"), made
    for the walk; the forms on its page, each field in turn given a NUL."""

    def attempts(w: World) -> Iterator[Attempt]:
        from tests.journals import add_entry

        entry = add_entry(w.app, w.ids["placement"], submitted=state == "submitted")
        endpoint = "journals.save_entry" if state == "draft" else "journals.revise_entry"
        # Her hand-in waits for the coach, which locks her entries: "revise" is offered while
        # the coach asks for a resubmission, so ask for one during this walk.
        held = _review_state(w, ReviewState.RESUBMIT) if state == "submitted" else None
        yield from _form_attempts(w, endpoint, FormPage("lotte", f"/journals/entries/{entry}"))
        if held is not None:
            _review_state(w, held)

    return attempts


def _review_state(w: World, state: Any) -> Any:
    """Set the walk's review to ``state``; the state it had."""
    from lti_app.journals.models import JournalReview

    with w.app.app_context():
        review = db.session().get(JournalReview, w.ids["review"])
        assert review is not None
        before, review.state = review.state, state
        db.session().commit()
        return before


def _review_button(path: str) -> Callable[[World], Iterator[Attempt]]:
    """The review page's buttons that post its one form elsewhere (``formaction``): comment,
    resubmission, release."""

    def attempts(w: World) -> Iterator[Attempt]:
        review = f"/journals/reviews/{w.ids['review']}"
        page = Page(0, {}, text(w.clients["coach"].get(review)), "")
        [form] = [f for f in forms_of(page) if f.action == review]
        yield from _each_field(w.clients["coach"], path.format(**w.ids), form)

    return attempts


def _journal_posts(path: str, values: dict[str, str]) -> Callable[[World], Iterator[Attempt]]:
    """Posts no page's form makes on its own (the editor's script, a submit by revision): as
    Lotte, with her token, on a draft of hers."""

    def attempts(w: World) -> Iterator[Attempt]:
        from tests.journals import add_entry

        client = w.clients["lotte"]
        token = csrf(text(client.get("/student")))
        url = path.format(entry=add_entry(w.app, w.ids["placement"], submitted=False))
        for data, where in _with_nul({"csrf_token": token, **values}, "field "):
            if not where.endswith("csrf_token"):
                yield Attempt(client, url, data, where)

    return attempts


def _resend_attempts(w: World) -> Iterator[Attempt]:
    """The resend button of a grade the LMS refused (its form is on the review page only then):
    as the coach, with her token, each field given a NUL."""
    from lti_app.grading.models import ScoreSync, SyncState
    from lti_app.grading.service import line_item_for, release_score
    from lti_app.journals.models import JournalReview
    from lti_app.roster.models import Person

    with w.app.app_context():
        s = db.session()
        review = s.get(JournalReview, w.ids["review"])
        assert review is not None
        course = review.assignment.course
        item = line_item_for(
            s, course=course, resource_id="hygiene", label="Hygiene", score_maximum=20
        )
        student = s.get(Person, review.student_id)
        assert student is not None
        score = release_score(
            s,
            line_item=item,
            student=student,
            score_given=12,
            score_maximum=20,
            comment="",
            released_by=None,
            review_url="",
        )
        score.state = SyncState.FAILED
        s.commit()
        score_id = score.id
    client = w.clients["coach"]
    token = csrf(text(client.get(f"/journals/reviews/{w.ids['review']}")))
    url = f"/grading/scores/{score_id}/resend"
    for data, where in _with_nul({"csrf_token": token, "next": "/journals/queue"}, "field "):
        if not where.endswith("csrf_token"):
            yield Attempt(client, url, data, where)
    with w.app.app_context():
        kept = db.session().get(ScoreSync, score_id)
        assert kept is not None and kept.state == SyncState.FAILED  # nothing resent


WALK["grading.resend"] = _resend_attempts
WALK["journals.new_entry"] = FormPage("lotte", "/journals/placements/{placement}")
WALK["journals.prompt_sets"] = FormPage("coordinator", "/journals/prompts")
WALK["journals.save_entry"] = _journal_page("draft")
WALK["journals.revise_entry"] = _journal_page("submitted")
WALK["journals.submit_entry"] = _journal_posts(
    "/journals/entries/{entry}/submit", {"revision": "1"}
)
WALK["journals.autosave"] = _journal_posts(
    "/journals/entries/{entry}/autosave", {"revision": "1", "answers": "{}"}
)
WALK["journals.comment_entry"] = _review_button(
    "/journals/reviews/{review}/entries/{journal_entry}/comment"
)
WALK["journals.ask_resubmission"] = _review_button("/journals/reviews/{review}/resubmit")
WALK["journals.release"] = _review_button("/journals/reviews/{review}/release")


def _form_attempts(w: World, endpoint: str, spec: FormPage) -> Iterator[Attempt]:
    """The forms on the page that post to ``endpoint``, each field in turn given a NUL."""
    client = w.clients[spec.who]
    path = spec.page.format(**w.ids)
    page = client.get(path)
    html = text(page)
    forms = (
        [_language_form(html)] if endpoint == "core.language" else forms_of(Page(0, {}, html, ""))
    )
    adapter = w.app.url_map.bind("tool.test")
    found = False
    for form in forms:
        action = form.action or path
        try:
            if adapter.match(urlsplit(action).path, method="POST")[0] != endpoint:
                continue
        except HTTPException:
            continue
        found = True
        yield from _each_field(client, action, form)
        for name in spec.uploads:
            yield from _uploads(client, action, form, name, endpoint)
    if not found:
        raise NoForm(f"{endpoint}: no form posting to it on {path} ({page.status_code})")


def _each_field(client: FlaskClient, action: str, form: HtmlForm) -> Iterator[Attempt]:
    for data, where in _with_nul(form.fields, "field "):
        yield Attempt(client, action, data, where)
    for name, value in form.buttons:
        yield Attempt(client, action, {**form.fields, name: value + NUL}, f"button {name}")
    yield Attempt(client, action + "?next=%00", dict(form.fields), "query string")


def _uploads(
    client: FlaskClient, action: str, form: HtmlForm, name: str, endpoint: str
) -> Iterator[Attempt]:
    content = b"%PDF-1.4\n" if endpoint == "verify.verify" else _csv()
    named = {**form.fields, name: (io.BytesIO(content), "placements\x00.csv")}
    yield Attempt(client, action, named, f"file name of {name}")
    if endpoint == "placements.import_placements":  # read as text: a NUL inside counts too
        inside = {**form.fields, name: (io.BytesIO(_csv(NUL)), "placements.csv")}
        yield Attempt(client, action, inside, f"content of {name}")


def _csv(extra: str = "") -> bytes:
    header = "student_email;school;mentor_name;mentor_email;start_date;end_date\r\n"
    row = f"bram@student.example;Sint-Jozefscollege{extra};Jan;jan@school.example;;\r\n"
    return (header + row).encode()


def _language_form(html: str) -> HtmlForm:
    return HtmlForm("/language", "post", {"csrf_token": csrf(html), "language": "nl", "next": "/"})


def attempts_of(w: World, endpoint: str) -> Iterator[Attempt]:
    spec = WALK[endpoint]
    if isinstance(spec, FormPage):
        yield from _form_attempts(w, endpoint, spec)
    else:
        yield from spec(w)


# -- what the database holds --------------------------------------------------------------------


def row_counts(app: Flask) -> dict[str, int]:
    tables = Base.metadata.sorted_tables
    query = select(
        *[select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables]
    )
    with app.extensions["db_engine"].connect() as conn:
        return dict(conn.execute(query).one()._mapping)


def stored_control_characters(app: Flask) -> list[str]:
    """Where the database holds a control character (SQLite keeps a NUL; PostgreSQL refuses it)."""
    found = []
    with app.extensions["db_engine"].connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in row._mapping.items():
                    if any(_has_control(v) for v in _strings(value)):
                        found.append(f"{table.name}.{column}")
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_control(value: str) -> bool:
    return bool(_CONTROL.search(value))


# -- the tests ----------------------------------------------------------------------------------


def test_every_post_endpoint_is_walked(app: Flask) -> None:
    posting = {r.endpoint for r in app.url_map.iter_rules() if "POST" in (r.methods or ())}
    assert posting == set(WALK), {
        "not walked (add them to WALK)": sorted(posting - set(WALK)),
        "no longer in the app": sorted(set(WALK) - posting),
    }


def test_a_nul_in_any_field_of_any_form_is_refused_and_nothing_is_written(
    app: Flask, lms: TestLMS
) -> None:
    world = build_world(app, lms)
    assert stored_control_characters(app) == []
    failures: list[str] = []
    seen: set[str] = set()
    tried = 0
    for endpoint in sorted(WALK):
        try:
            for attempt in attempts_of(world, endpoint):
                before = row_counts(app)
                response = attempt.client.post(attempt.url, data=attempt.data)
                tried += 1
                if not 400 <= response.status_code < 500:
                    failures.append(f"{endpoint} ({attempt.where}): {response.status_code}")
                elif "Traceback" in text(response):
                    failures.append(f"{endpoint} ({attempt.where}): a traceback on the page")
                if row_counts(app) != before:
                    failures.append(f"{endpoint} ({attempt.where}): rows written")
        except NoForm as missing:
            failures.append(str(missing))
        stored = sorted(set(stored_control_characters(app)) - seen)
        if stored:
            failures.append(f"{endpoint}: control characters stored in {stored}")
            seen.update(stored)
    assert not failures, "\n".join(failures)
    assert tried > 3 * len(WALK)  # every form was found and tried field by field


# -- how a refusal reads, and what is not refused -----------------------------------------------

FORM_REFUSED = (
    "The form contained a character that cannot be stored (a control character). "
    "Remove it and send again."
)
ADDRESS_REFUSED = "The address contained a character that cannot be stored (a control character)."


def _hour_entries(app: Flask) -> list[str]:
    from lti_app.hours.models import HourEntry

    with app.app_context():
        return list(db.session().scalars(select(HourEntry.note).order_by(HourEntry.id)))


@pytest.fixture
def lotte_logs_hours(app: Flask, lms: TestLMS) -> Callable[[str], Any]:
    """Lotte, with a placement, posts the hours form with ``note``."""
    lotte = launch_client(app, lms, LOTTE)
    els = add_mentor(app, ELS, "Els Mertens")
    placement = add_placement(
        app,
        mentors=[els],
        course_id=launched_course(app),
        student_id=person_id(app, LOTTE.sub),
    )
    path = f"/hours/placements/{placement}"

    def log(note: str) -> Any:
        page = text(lotte.get(path))
        data = {
            "csrf_token": csrf(page),
            "day": clock.today().isoformat(),
            "kind": "observation",
            "amount": "50",
            "unit": "minutes",
            "note": note,
        }
        return lotte.post(path, data=data)

    return log


def test_the_refusal_says_what_was_wrong_and_shows_what_was_typed(
    app: Flask, lotte_logs_hours: Callable[[str], Any]
) -> None:
    response = lotte_logs_hours("Observed class 3A\x00 with Els\nand took notes")

    assert response.status_code == 400
    page = text(response)
    assert FORM_REFUSED in page
    # What she typed is on the page, the invisible character shown where it sits.
    assert "Observed class 3A<mark>\u2400</mark> with Els\nand took notes" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert _hour_entries(app) == []


def test_tabs_and_line_breaks_in_multi_line_text_are_kept(
    app: Flask, lotte_logs_hours: Callable[[str], Any]
) -> None:
    note = "Les 1: observatie\r\nLes 2:\tco-teaching"

    assert lotte_logs_hours(note).status_code == 303

    assert _hour_entries(app) == [note]


@pytest.mark.parametrize(
    "character", ["\x00", "\x1b", "\x7f", "\x85", "\x0b"], ids=["NUL", "ESC", "DEL", "NEL", "VT"]
)
def test_other_control_characters_are_refused_too(
    app: Flask, lotte_logs_hours: Callable[[str], Any], character: str
) -> None:
    response = lotte_logs_hours(f"Les{character}1")
    assert response.status_code == 400
    assert FORM_REFUSED in text(response)
    assert _hour_entries(app) == []


@pytest.mark.parametrize("query", ["q=%00", "q=Aalst%0A", "q=%09", "school=%00", "%00=1"])
def test_a_control_character_in_the_address_is_refused(
    app: Flask, lms: TestLMS, query: str
) -> None:
    coach = launch_client(app, lms, COACH)
    assert coach.get("/schools?q=Aalst").status_code == 200

    for path in ("/schools", "/coach"):
        response = coach.get(f"{path}?{query}")
        assert response.status_code == 400, (path, response.status_code)
        assert ADDRESS_REFUSED in text(response)


def test_a_json_body_is_looked_at_too(app: Flask) -> None:
    anyone = english_client(app)
    token = csrf(text(anyone.get("/verify")))

    response = anyone.post(
        "/language", json={"language": "nl\ud800"}, headers={"X-CSRFToken": token}
    )

    assert response.status_code == 400
    assert FORM_REFUSED in text(response)


def test_a_csv_file_with_a_nul_says_on_which_line(app: Flask, lms: TestLMS) -> None:
    coach = launch_client(app, lms, COACH)
    token = csrf(text(coach.get("/placements/import")))

    response = coach.post(
        "/placements/import",
        data={"csrf_token": token, "file": (io.BytesIO(_csv(NUL)), "placements.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert "Line 2 of the file holds a character that cannot be stored" in text(response)


NEW_SCHOOL = {"school_id": "0", "new_school-name": "Atheneum Aalst"}
NAME_FIELDS = [
    pytest.param("coach", "/schools/new", "name", {}, id="school"),
    pytest.param("coach", "/schools/new", "contact_name", {}, id="contact person"),
    pytest.param("coach", "/placements/new", "mentors-0-name", {}, id="mentor"),
    pytest.param("coach", "/placements/new", "new_school-contact_name", NEW_SCHOOL, id="contact"),
    pytest.param("coordinator", "/agreement-templates/new", "programme", {}, id="programme"),
    pytest.param("coordinator", "/agreement-templates/new", "college_name", {}, id="college"),
]


@pytest.mark.parametrize(("who", "path", "name", "extra"), NAME_FIELDS)
def test_a_name_is_one_line(
    app: Flask, lms: TestLMS, who: str, path: str, name: str, extra: dict[str, str]
) -> None:
    from tests.functional.test_placements import errors_on, form_on

    client = launch_client(app, lms, COACH if who == "coach" else SOFIE)
    browser = FlaskBrowser(client)
    form = form_on(browser.get(browser.base + path))
    assert name in form.fields, sorted(form.fields)
    before = row_counts(app)

    typed = {**form.fields, **extra, name: "Sint-Jozefscollege\r\nAalst"}
    response = client.post(path, data=typed)

    assert response.status_code == 422
    assert "Keep this on one line: remove the line break." in errors_on(
        Page(422, {}, text(response), path)
    )
    assert "Sint-Jozefscollege" in text(response)  # what was typed stays in the form
    assert row_counts(app) == before
