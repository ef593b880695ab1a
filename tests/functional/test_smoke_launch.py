from tests.lms import Person, TestLMS


def test_student_launch_shows_student_home(launched, student: Person) -> None:
    page = launched(student)
    assert page.status == 200, page.text[:800]
    assert "Lotte" in page.text


def test_coach_launch_shows_course_roster(launched, coach: Person, student: Person) -> None:
    launched(student)
    page = launched(coach)
    assert page.status == 200, page.text[:800]
    assert "Lotte Janssens" in page.text
    assert "Stage SO" in page.text


def test_lms_fixture_is_lti1p3platform(lms: TestLMS) -> None:
    assert lms.issuer.startswith("http://127.0.0.1:")
