"""The school's contact person (aanspreekpunt) as a guest who signs for the school.

Most schools sign through the mentor; some want their contact person or director to sign. The
coach asks for that on one agreement's page: the contact person becomes a guest (like a mentor,
known by e-mail) and gets a personal sign-in link; once in, they see that agreement (and any
other they were asked to sign), and nothing of the placements themselves.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from lti_app.agreements.models import Agreement, DocumentState
from lti_app.agreements.revising import record_change
from lti_app.agreements.service import AgreementError
from lti_app.guests.invitations import mail_with_sign_in_link
from lti_app.notifications.service import InvalidAddress, normalise_address
from lti_app.placements.models import Placement
from lti_app.roster.models import Person
from lti_app.schools.mentors import MentorDetails, mentor_for


def ask_contact_to_sign(
    session: Session, agreement: Agreement, placement: Placement, coach: Person
) -> None:
    """:raise AgreementError: nothing is out for signing, or the school has no usable address."""
    if not any(d.state == DocumentState.SIGNING for d in agreement.documents):
        raise AgreementError(_l("Send the agreement for signing first."))
    school = placement.school
    try:
        address = normalise_address(school.contact_email or "")
    except InvalidAddress:
        raise AgreementError(
            _l("The school has no e-mail address for its contact person: add it to the school.")
        ) from None
    guest = mentor_for(
        session,
        school.college_id,
        MentorDetails(email=address, name=school.contact_name),
        overwrite=False,
    )
    agreement.school_contact_id = guest.id
    mail_with_sign_in_link(
        session,
        guest,
        _l("Please sign the placement agreement of %(student)s"),
        "mail/agreement_contact.html",
        {
            "name": guest.display_name,
            "student": placement.student.display_name,
            "school": school.name,
            "coach": coach.display_name,
            "course": placement.course.title,
        },
        created_by=coach,
    )
    record_change(
        session, agreement, "school_contact_asked", coach.get_id(), contact=guest.get_id()
    )
