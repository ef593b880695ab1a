"""The sandbox LMS's gradebook for the demo course: a column per line item, a row per student,
each cell the score the tool sent (with its time and comment), how many requests it took, and a
"view in Driehoek" button that opens a submission review launch for the coach (``messages``).

Its second half sets failures for the score service, as a flaky LMS would answer: 500, 429 with
a ``Retry-After``, or a hang longer than the tool waits, for the next N score requests; it lists
the failures it injected, with their times, so one can watch a grade arrive after recovery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from lti_app.sandbox import ags_faults, platform
from lti_app.sandbox import ags_store as store
from lti_app.sandbox.blueprint import bp
from lti_app.sandbox.demo import MAIN
from lti_app.security import public

MAX_FAULTS = 100
MAX_RETRY_AFTER = 3600
MAX_HANG_SECONDS = 120


@dataclass(frozen=True)
class Cell:
    score: store.Score
    counts: dict[str, int]
    review_hint: str


@dataclass(frozen=True)
class Student:
    id: str
    name: str


def students() -> list[Student]:
    """The course's active learners, as its roster lists them."""
    members = platform.roster(MAIN.course["id"]) or []
    return [
        Student(m["user_id"], m["name"])
        for m in members
        if platform.LEARNER in m["roles"] and m["status"] == "Active"
    ]


def hang_default() -> int:
    return int(current_app.config["HTTP_TIMEOUT_SECONDS"]) + 2


@bp.route("/gradebook")
@public
def gradebook() -> Any:
    return _page()


def _page(error: str | None = None, status: int = 200) -> Any:
    course_id = MAIN.course["id"]
    with store.connect() as con:
        items = store.line_items(con, course_id)
        received = store.scores(con, course_id)
        counts = store.post_counts(con, course_id)
        pending = ags_faults.faults(con)
        injected = ags_faults.injected(con)
        link_titles = {link.id: link.title for link in store.links(con, course_id)}
    cells = {
        (s.line_item_id, s.user_id): Cell(
            s,
            counts.get((s.line_item_id, s.user_id), {}),
            platform.message_hint("review", line_item=s.line_item_id, for_user=s.user_id),
        )
        for s in received
    }
    labels = {i.id: i.label for i in items}
    return render_template(
        "sandbox/gradebook.html",
        course=MAIN.course,
        items=items,
        link_titles=link_titles,
        students=students(),
        cells=cells,
        pending=pending,
        injected=injected,
        labels=labels,
        error=error,
        message=request.args.get("message"),
        hang_default=hang_default(),
        college=MAIN,
        coach=MAIN.people[0],
        login_url=platform.tool_login_url(),
        launch_url=platform.tool_launch_url(),
        issuer=platform.issuer(),
        stored=store.STORED,
    ), status


@bp.route("/gradebook/faults", methods=["POST"])
@public
def set_faults() -> Any:
    """Set a failure for the next N score requests, or clear those still due."""
    if request.form.get("action") == "clear":
        with store.connect(write=True) as con:
            ags_faults.clear_faults(con)
        return redirect(
            url_for("sandbox.gradebook", message=_("No failures are due any more.")), 303
        )
    kind = request.form.get("kind", "")
    try:
        count = int(request.form.get("count", ""))
        retry_after = int(request.form.get("retry_after") or 0)
        hang = float(request.form.get("hang_seconds") or hang_default())
    except ValueError:
        return _page(_("Give whole numbers for the count and the seconds."), 400)
    if kind not in ags_faults.FAULT_KINDS:
        return _page(_("Choose what the score service should answer."), 400)
    if not 1 <= count <= MAX_FAULTS:
        return _page(_("The count must be between 1 and %(max)d.", max=MAX_FAULTS), 400)
    if not 0 <= retry_after <= MAX_RETRY_AFTER or not 0 < hang <= MAX_HANG_SECONDS:
        return _page(
            _(
                "Retry-After must be between 0 and %(retry)d seconds, a hang at most %(hang)d "
                "seconds.",
                retry=MAX_RETRY_AFTER,
                hang=MAX_HANG_SECONDS,
            ),
            400,
        )
    with store.connect(write=True) as con:
        ags_faults.add_fault(con, kind, count, retry_after, hang)
    message = ngettext(
        "The next score request will fail.", "The next %(num)d score requests will fail.", count
    )
    return redirect(url_for("sandbox.gradebook", message=message), 303)
