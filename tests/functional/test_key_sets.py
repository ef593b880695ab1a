"""The platform's key set: cached, refetched when the platform rotates, never hammered."""

from __future__ import annotations

from jwcrypto.jwk import JWK

from tests.launching import FlaskBrowser, launch, login
from tests.lms import Person, TestLMS, rsa_pem


def _fetches(lms: TestLMS) -> int:
    return sum(1 for method, path in lms.requests_seen if path == "/jwks.json")


def test_key_set_is_fetched_once_for_many_launches(
    browser: FlaskBrowser, lms: TestLMS, student: Person, coach: Person
) -> None:
    for person in (student, coach, student):
        assert launch(browser, lms, person).status == 200
    assert _fetches(lms) == 1


def test_a_rotated_platform_key_is_picked_up(
    browser: FlaskBrowser, lms: TestLMS, student: Person
) -> None:
    assert launch(browser, lms, student).status == 200
    lms.private_pem = rsa_pem()  # the platform rotates: new key, new kid, new JWKS
    lms.kid = JWK.from_pem(lms.private_pem.encode()).thumbprint()
    lms.registration.set_platform_private_key(lms.private_pem)
    assert launch(browser, lms, student).status == 200
    assert _fetches(lms) == 2


def test_unknown_key_ids_do_not_make_the_tool_hammer_the_platform(
    browser: FlaskBrowser, lms: TestLMS, student: Person
) -> None:
    assert launch(browser, lms, student).status == 200
    for i in range(5):
        auth = login(browser, lms, student)
        token = lms.sign(lms.claims(student, auth["nonce"]), headers={"kid": f"forged-{i}"})
        page = browser.post(
            browser.base + "/lti/launch", {"id_token": token, "state": auth["state"]}
        )
        assert page.status == 400
    assert _fetches(lms) <= 2
