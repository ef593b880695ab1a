"""The AGS client's small rules: where scores go, what a timestamp looks like, how long a
platform's Retry-After asks us to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from lti_app.grading.canvas import is_canvas
from lti_app.lti.ags import ags_timestamp, scores_url
from lti_app.lti.answers import MAX_RETRY_AFTER_SECONDS, retry_after


def test_scores_go_to_the_line_item_path_plus_scores_before_its_query() -> None:
    assert scores_url("https://lms.example/ags/1/lineitems/7") == (
        "https://lms.example/ags/1/lineitems/7/scores"
    )
    assert scores_url(
        "https://lms.example/mod/lti/services.php/2/lineitems/7/lineitem?type_id=3"
    ) == ("https://lms.example/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=3")
    assert (
        scores_url("https://lms.example/lineitems/7/") == "https://lms.example/lineitems/7/scores"
    )


def test_timestamps_are_utc_with_milliseconds() -> None:
    brussels = timezone(timedelta(hours=1))
    moment = datetime(2026, 12, 8, 10, 42, 5, 123456, tzinfo=brussels)
    assert ags_timestamp(moment) == "2026-12-08T09:42:05.123+00:00"


def test_retry_after_in_seconds_or_as_a_date_capped_at_an_hour() -> None:
    now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert retry_after("120") == 120
    assert retry_after(" 0 ") == 0
    assert retry_after("Tue, 08 Dec 2026 09:02:30 GMT", now=now) == 150
    assert retry_after("Tue, 08 Dec 2026 08:00:00 GMT", now=now) == 0  # in the past
    assert retry_after("86400") == MAX_RETRY_AFTER_SECONDS
    for nonsense in (None, "", "soon", "-5", "1.5e3"):
        assert retry_after(nonsense) is None


def test_canvas_is_recognised_by_its_issuer() -> None:
    assert is_canvas("https://canvas.instructure.com")
    assert is_canvas("https://canvas.beta.instructure.com")
    assert not is_canvas("https://moodle.hogeschool.example")
    assert not is_canvas("https://notinstructure.com")
