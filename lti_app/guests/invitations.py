"""Mentors as guests: invitation links that survive mail scanners, sent, resent and revoked.

A link is ``{BASE_URL}/m/<token>``; only the token's SHA-256 is stored. Following one (opening
it spends nothing, only the button's POST does) is in links.py. A mentor is one person across
placements and courses, known by e-mail. What a signed-in mentor may see is in access.py.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.guests.links import find, hash_token, record
from lti_app.guests.models import InvitationState, MentorInvitation
from lti_app.notifications.service import normalise_address, redact_after_delivery, send_mail
from lti_app.placements.models import ChangeRecord, Placement, PlacementMentor, PlacementState
from lti_app.placements.service import college_of
from lti_app.roster.models import Person
from lti_app.schools.mentors import MentorDetails, mentor_for
from lti_app.schools.models import Mentor

# The plain token lives in the stored mail only until the mail server has it.
SIGN_IN_LINK = redact_after_delivery(re.compile(r"/m/[A-Za-z0-9_-]{20,}"))

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
LANGUAGES = ("nl", "en")


class InvitationError(Exception):
    """A coach's request that cannot be done; ``message`` says why, in the coach's words."""

    def __init__(self, message: Any):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class IssuedLink:
    invitation: MentorInvitation
    url: str  # carries the token: never logged, never stored


def _base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


# -- mentors on a placement ---------------------------------------------------------------------


def find_or_add_mentor(
    session: Session, placement: Placement, email: str, name: str, locale: str, actor: Person
) -> Mentor:
    """The mentor with this address (created when new, in ``locale``), linked to the placement.

    An existing mentor keeps their name and language: they are one person, and another coach
    may know them already.

    :raise InvalidAddress: ``email`` is not one plain address.
    """
    address = normalise_address(email).lower()
    college_id = college_of(session, placement)
    known = (
        session.scalar(
            select(Mentor.id).where(Mentor.college_id == college_id, Mentor.email == address)
        )
        is not None
    )
    mentor = mentor_for(
        session, college_id, MentorDetails(email=address, name=name), overwrite=False
    )
    if not known:
        mentor.locale = locale if locale in LANGUAGES else "nl"
    if not is_placement_mentor(session, placement.id, mentor.id):
        session.add(PlacementMentor(placement_id=placement.id, mentor_id=mentor.id))
        session.add(
            ChangeRecord(
                entity="placement",
                entity_id=placement.id,
                action="mentor_added",
                actor=actor.get_id(),
                changes={"mentor_id": mentor.id},
            )
        )
        session.flush()
    return mentor


def is_placement_mentor(session: Session, placement_id: int, mentor_id: int) -> bool:
    return (
        session.scalar(
            select(PlacementMentor.id).where(
                PlacementMentor.placement_id == placement_id,
                PlacementMentor.mentor_id == mentor_id,
            )
        )
        is not None
    )


# -- issuing links ------------------------------------------------------------------------------


def _issue(
    session: Session,
    mentor: Mentor,
    placement: Placement | None,
    created_by: Person | None,
    now: datetime,
    valid_days: int | None = None,
) -> tuple[MentorInvitation, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    days = (
        valid_days if valid_days is not None else int(current_app.config["INVITATION_VALID_DAYS"])
    )
    invitation = MentorInvitation(
        mentor_id=mentor.id,
        placement_id=placement.id if placement else None,
        token_hash=hash_token(token),
        state=InvitationState.SENT,
        expires_at=now + timedelta(days=days),
        created_by_id=created_by.id if created_by else None,
        created_at=now,
    )
    session.add(invitation)
    session.flush()
    return invitation, f"{_base_url()}/m/{token}"


def _mail_context(mentor: Mentor, invitation: MentorInvitation, url: str) -> dict[str, Any]:
    return {
        "mentor_name": mentor.name,
        "url": url,
        "expires_at": invitation.expires_at,
        "session_days": int(current_app.config["MENTOR_SESSION_DAYS"]),
        "request_url": f"{_base_url()}/mentor/request-link",
    }


def invite(
    session: Session,
    placement: Placement,
    mentor: Mentor,
    invited_by: Person | None,
    *,
    now: datetime | None = None,
) -> IssuedLink:
    """Send ``mentor`` a new invitation to ``placement``; older unused links to it stop working.

    :raise InvitationError: the placement is not approved, or the mentor is not on it.
    """
    now = now or utcnow()
    if placement.state != PlacementState.APPROVED:
        raise InvitationError(_l("Approve the placement before you invite its mentor."))
    if not is_placement_mentor(session, placement.id, mentor.id):
        raise InvitationError(_l("This person is not a mentor of this placement."))
    superseded = _revoke_unused(session, mentor.id, placement.id, now)
    invitation, url = _issue(session, mentor, placement, invited_by, now)
    context = _mail_context(mentor, invitation, url)
    context.update(
        student_name=placement.student.display_name,
        school_name=placement.school.name,
        course_title=placement.course.title,
        coach_name=invited_by.display_name if invited_by else "",
    )
    mail = send_mail(
        session,
        mentor.email,
        _l("Invitation: mentor of %(student_name)s in Driehoek"),
        "mail/mentor_invitation.html",
        context,
        mentor.locale,
    )
    invitation.mail_id = mail.id
    record(
        session,
        invitation.id,
        "sent",
        invited_by.get_id() if invited_by else "system",
        {
            "mentor_id": mentor.id,
            "placement_id": placement.id,
            "mail_id": mail.id,
            "expires_at": invitation.expires_at.isoformat(),
            "supersedes": superseded,
        },
    )
    session.flush()
    return IssuedLink(invitation, url)


def resend(
    session: Session, invitation: MentorInvitation, by: Person, *, now: datetime | None = None
) -> IssuedLink:
    """A new link for the same mentor and placement; the older unused ones are revoked.

    :raise InvitationError: see :func:`invite`; or the invitation was a general sign-in link.
    """
    if invitation.placement is None:
        raise InvitationError(_l("This link belongs to no placement."))
    return invite(session, invitation.placement, invitation.mentor, by, now=now)


def revoke(
    session: Session, invitation: MentorInvitation, by: Person, *, now: datetime | None = None
) -> None:
    """Make an unused link stop working.

    A link that already signed the mentor in is not revoked: withdrawing it would end nothing
    that a coach could see, so the coach is pointed to "sign out everywhere" (sessions.py)
    instead. One conditional UPDATE decides against :func:`spend`: a link is either spent or
    revoked, never both, so no sign-in can come from a withdrawn link.

    :raise InvitationError: the link was used already.
    """
    if invitation.revoked_at is not None:
        return
    now = now or utcnow()
    revoked = session.execute(
        update(MentorInvitation)
        .where(
            MentorInvitation.id == invitation.id,
            MentorInvitation.used_at.is_(None),
            MentorInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now, state=InvitationState.REVOKED)
        .execution_options(synchronize_session=False)
    )
    session.refresh(invitation)
    if int(getattr(revoked, "rowcount", 0) or 0) != 1:
        if invitation.revoked_at is not None:
            return
        raise InvitationError(
            _l(
                "This link was already used, so it can no longer be withdrawn. While the mentor "
                "is signed in, “Sign out everywhere” ends their sign-ins."
            )
        )
    record(session, invitation.id, "revoked", by.get_id(), {})
    session.flush()


def _revoke_unused(session: Session, mentor_id: int, placement_id: int, now: datetime) -> list[int]:
    unused = list(
        session.scalars(
            select(MentorInvitation).where(
                MentorInvitation.mentor_id == mentor_id,
                MentorInvitation.placement_id == placement_id,
                MentorInvitation.used_at.is_(None),
                MentorInvitation.revoked_at.is_(None),
                MentorInvitation.expires_at > now,
            )
        )
    )
    for old in unused:
        old.revoked_at = now
        old.state = InvitationState.REVOKED
        record(session, old.id, "revoked", "system", {"superseded": True})
    return [old.id for old in unused]


def send_sign_in_link(
    session: Session, email: str, *, now: datetime | None = None
) -> IssuedLink | None:
    """Mail a fresh sign-in link (tied to no placement) to the mentor with this address.

    Returns the link, or None for an address that is no mentor's. A view must answer the same
    either way, so that nobody learns from the answer whether an address belongs to a mentor.
    """
    try:
        address = normalise_address(email).lower()
    except ValueError:
        return None
    # A teacher who mentors for two colleges is a guest of each: each sends its own link.
    mentors = session.scalars(select(Mentor).where(Mentor.email == address).order_by(Mentor.id))
    links = [_send_general_link(session, mentor, now or utcnow()) for mentor in mentors]
    if not links:
        log.info("sign-in link asked for an address that is no mentor's")
        return None
    return links[0]


def renew_from_link(
    session: Session, token: str, *, now: datetime | None = None
) -> IssuedLink | None:
    """Mail a fresh sign-in link to the mentor whose (dead) link this is, at their own address."""
    invitation = find(session, token)
    if invitation is None:
        return None
    return _send_general_link(session, invitation.mentor, now or utcnow())


def _send_general_link(session: Session, mentor: Mentor, now: datetime) -> IssuedLink:
    return mail_with_sign_in_link(
        session, mentor, _l("Your sign-in link for Driehoek"), "mail/mentor_link.html", {}, now=now
    )


def mail_with_sign_in_link(
    session: Session,
    mentor: Mentor,
    subject: Any,
    template: str,
    context: dict[str, Any],
    *,
    placement: Placement | None = None,
    created_by: Person | None = None,
    now: datetime | None = None,
    valid_days: int | None = None,
) -> IssuedLink:
    """Mail ``template`` to a mentor (or another school guest) with a fresh personal sign-in
    link in it: the template gets ``url`` and the link's other details besides ``context``.
    ``valid_days`` shortens the link's life (default ``INVITATION_VALID_DAYS``)."""
    invitation, url = _issue(
        session, mentor, placement, created_by, now or utcnow(), valid_days=valid_days
    )
    mail = send_mail(
        session,
        mentor.email,
        subject,
        template,
        {**_mail_context(mentor, invitation, url), **context},
        mentor.locale,
    )
    invitation.mail_id = mail.id
    record(session, invitation.id, "sent", "system", {"mentor_id": mentor.id, "mail_id": mail.id})
    session.flush()
    return IssuedLink(invitation, url)


def get_invitation(
    session: Session, placement_id: int, invitation_id: int
) -> MentorInvitation | None:
    invitation = session.get(MentorInvitation, invitation_id)
    if invitation is None or invitation.placement_id != placement_id:
        return None
    return invitation
