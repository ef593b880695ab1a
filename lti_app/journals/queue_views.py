"""The coach's grading queue (GET /journals/queue): per assignment of the course, everything
handed in and waiting, oldest first, resubmissions marked; what is graded but not released yet.

Who opens it: a coach (stagebegeleider) with forty students, on a laptop, on the evening she
sets aside for grading. She came to know how much is waiting and to work through it without
hunting: the oldest first, one click into a review and next/previous from there. She gives up
when the list mixes what waits with what is done, or when she cannot tell a resubmission from a
first hand-in. ``?assignment=<id>`` shows one assignment only.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from lti_app import db
from lti_app.journals import assignments, queue
from lti_app.journals.blueprint import bp
from lti_app.journals.review_access import coach_course
from lti_app.security import Permission, requires


@bp.route("/journals/queue", endpoint="queue")
@requires(Permission.REVIEW_JOURNALS)
def queue_page() -> Any:
    """:raise 403: not a coach of the session's course."""
    course = coach_course()
    s = db.session()
    listed = assignments.course_assignments(s, course.id) if course else []
    wanted = request.args.get("assignment", "")
    chosen = [a for a in listed if str(a.id) == wanted] if wanted.isdigit() else listed
    return render_template(
        "journals/queue.html",
        course=course,
        queues=queue.course_queue(s, chosen),
        filtered=len(chosen) != len(listed),
        assignments=listed,
    )
