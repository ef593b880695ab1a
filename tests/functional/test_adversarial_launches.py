"""Launches Driehoek must refuse: each ends on a 4xx page that says so, and writes nobody down.

The cases follow the IMS LTI 1.3 certification suite's "known bad payloads"
(https://www.imsglobal.org/spec/lti/v1p3/cert/#known-bad-payloads) and the attacks pylti1p3
2.0.0 left open (see the docstring of ``lti_app/lti/tool.py``). Every hand-built token starts
from a real OIDC login, so the state cookie and the nonce are the ones the tool issued: only
the thing under test is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import text

from tests.launching import FlaskBrowser, Page, login
from tests.lms import CLAIM, INSTRUCTOR, Person, TestLMS, public_pem, rsa_pem

REFUSED_TITLE = "Driehoek could not be opened"
TABLES = ("person", "course", "membership")


def rows(app: Flask) -> dict[str, int]:
    with app.extensions["db_engine"].connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}  # noqa: S608


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def raw_sign(claims: Any, lms: TestLMS, header: dict[str, Any] | None = None) -> str:
    """RS256 with the platform's own key, for bodies PyJWT refuses to encode (an iss that is a list)."""
    head = {"alg": "RS256", "typ": "JWT", "kid": lms.kid} if header is None else header
    signing_input = f"{b64json(head)}.{b64json(claims)}"
    rsa = RSAAlgorithm(RSAAlgorithm.SHA256)
    signature = rsa.sign(signing_input.encode(), rsa.prepare_key(lms.private_pem))
    return f"{signing_input}.{b64(signature)}"


@dataclass
class Attempt:
    """One browser that has done the real OIDC login and now posts a launch of our making."""

    app: Flask
    browser: FlaskBrowser
    lms: TestLMS
    person: Person
    state: str
    nonce: str

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Valid claims with ``overrides`` applied; an override of None removes the claim."""
        claims = self.lms.claims(self.person, self.nonce)
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, **overrides: Any) -> str:
        return raw_sign(self.claims(**overrides), self.lms)

    def post(self, id_token: str | None, state: str | None = None) -> Page:
        form = {"id_token": id_token, "state": self.state if state is None else state}
        return self.browser.post(
            self.browser.base + "/lti/launch", {k: v for k, v in form.items() if v is not None}
        )

    def launch(self, **overrides: Any) -> Page:
        return self.post(self.token(**overrides))


@pytest.fixture
def english(client: FlaskClient) -> FlaskClient:
    # The refusal texts asserted below are the English ones, whatever catalogue exists.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def attempt(
    app: Flask, english: FlaskClient, browser: FlaskBrowser, lms: TestLMS, student: Person
) -> Attempt:
    auth = login(browser, lms, student)
    return Attempt(app, browser, lms, student, auth["state"], auth["nonce"])


@pytest.fixture
def assert_refused(app: Flask) -> Callable[..., None]:
    """Check a refusal the way its user meets it, and that nothing was written."""
    before = rows(app)

    def check(page: Page, *, says: str = REFUSED_TITLE) -> None:
        assert 400 <= page.status < 500, (page.status, page.text[:800])
        assert page.headers.get("Content-Type", "").startswith("text/html")
        assert "<h1>" in page.text
        assert says in page.text, page.text[:1500]
        assert "Traceback" not in page.text
        assert rows(app) == before

    return check


def not_signed_in(browser: FlaskBrowser) -> bool:
    return browser.get(browser.base + "/home").status == 401


# -- the signature and its key ------------------------------------------------------------------


def test_no_kid_sent_in_jwt_header(attempt: Attempt, assert_refused) -> None:
    page = attempt.post(attempt.lms.sign(attempt.claims(), headers={}))
    assert_refused(page)
    assert not_signed_in(attempt.browser)


def test_incorrect_kid_in_jwt_header(attempt: Attempt, assert_refused) -> None:
    page = attempt.post(attempt.lms.sign(attempt.claims(), headers={"kid": "imstester_66067"}))
    assert_refused(page)
    assert not_signed_in(attempt.browser)


def test_signature_by_another_key_with_the_platforms_kid(attempt: Attempt, assert_refused) -> None:
    forged = attempt.lms.sign(attempt.claims(), key=rsa_pem())
    assert_refused(attempt.post(forged))
    # The forgery must not have burnt the nonce: the real platform's launch still works.
    assert attempt.launch().status == 303


def test_alg_none_is_refused(attempt: Attempt, assert_refused) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": attempt.lms.kid}
    token = f"{b64json(header)}.{b64json(attempt.claims())}."
    assert_refused(attempt.post(token))
    assert not_signed_in(attempt.browser)


def test_hs256_signed_with_the_platforms_public_key_is_refused(
    attempt: Attempt, assert_refused
) -> None:
    """Algorithm confusion: the public key, known to all, used as an HMAC secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": attempt.lms.kid}
    signing_input = f"{b64json(header)}.{b64json(attempt.claims())}"
    secret = public_pem(attempt.lms.private_pem).encode()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert_refused(attempt.post(f"{signing_input}.{b64(signature)}"))
    assert not_signed_in(attempt.browser)


# -- timestamps ---------------------------------------------------------------------------------


def test_expired_exp_is_refused(attempt: Attempt, assert_refused) -> None:
    now = int(time.time())
    page = attempt.launch(iat=now - 3600, exp=now - 600)
    assert_refused(page, says="has expired")


def test_iat_in_the_future_is_refused(attempt: Attempt, assert_refused) -> None:
    now = int(time.time())
    page = attempt.launch(iat=now + 3600, exp=now + 3900)
    assert_refused(page, says="clock")


def test_timestamps_incorrect(attempt: Attempt, assert_refused) -> None:
    """The certification suite's case: iat 11111 and exp 22222."""
    assert_refused(attempt.launch(iat=11111, exp=22222))


def test_missing_exp_is_refused(attempt: Attempt, assert_refused) -> None:
    claims = attempt.claims()
    del claims["exp"]
    assert_refused(attempt.post(attempt.lms.sign(claims)))


# -- audience and authorised party --------------------------------------------------------------


def test_wrong_aud_is_refused(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(aud="another-tool", azp=None))


def test_aud_list_with_the_client_id_but_no_azp_is_refused(
    attempt: Attempt, assert_refused
) -> None:
    page = attempt.launch(aud=[attempt.lms.client_id, "another-tool"], azp=None)
    assert_refused(page)


def test_azp_not_in_aud_is_refused(attempt: Attempt, assert_refused) -> None:
    page = attempt.launch(aud=[attempt.lms.client_id, "another-tool"], azp="a-third-tool")
    assert_refused(page)


def test_azp_other_than_the_single_aud_is_refused(attempt: Attempt, assert_refused) -> None:
    """OIDC Core §3.1.3.7: when azp is present it must be our client id."""
    assert_refused(attempt.launch(aud=attempt.lms.client_id, azp="another-tool"))


def test_aud_list_with_azp_naming_us_is_accepted(attempt: Attempt) -> None:
    page = attempt.launch(aud=[attempt.lms.client_id, "another-tool"], azp=attempt.lms.client_id)
    assert page.status == 303, page.text[:800]


# -- issuer and deployment ----------------------------------------------------------------------


def test_unknown_issuer_is_refused(attempt: Attempt, assert_refused) -> None:
    page = attempt.launch(iss="https://lms.elsewhere.example")
    assert_refused(page, says="not registered with Driehoek")


@pytest.mark.parametrize("iss", [["https://lms.example"], {"iss": "x"}, 42])
def test_issuer_that_is_not_a_string_is_refused(attempt: Attempt, assert_refused, iss) -> None:
    assert_refused(attempt.launch(iss=iss))


def test_issuer_with_a_nul_character_is_refused(attempt: Attempt, assert_refused) -> None:
    """PostgreSQL refuses NUL in text: the lookup must find nothing, not fail with a 500."""
    assert_refused(attempt.launch(iss=attempt.lms.issuer + "\x00"))


def test_aud_with_a_nul_character_is_refused(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(aud=attempt.lms.client_id + "\x00", azp=None))


def test_unknown_deployment_id_is_refused(attempt: Attempt, assert_refused) -> None:
    page = attempt.launch(**{CLAIM + "deployment_id": "deployment-we-never-saw"})
    assert_refused(page, says="deployment of Driehoek is not registered")


def test_deployment_id_claim_missing(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(**{CLAIM + "deployment_id": None}))


# -- nonce, state and replay --------------------------------------------------------------------


def test_wrong_nonce_is_refused(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(nonce="0" * len(attempt.nonce)))


def test_nonce_issued_with_another_state_is_refused(
    attempt: Attempt, app: Flask, lms: TestLMS, assert_refused
) -> None:
    other = login(FlaskBrowser(app.test_client()), lms, attempt.person)
    assert_refused(attempt.launch(nonce=other["nonce"]))


def test_missing_nonce_is_refused(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(nonce=None))


def test_replayed_launch_is_refused(attempt: Attempt, app: Flask) -> None:
    token = attempt.token()
    first = attempt.post(token)
    assert first.status == 303, first.text[:800]
    after_first = rows(app)
    assert after_first == {"person": 1, "course": 1, "membership": 1}

    again = attempt.post(token)
    assert again.status == 400, again.text[:800]
    assert "already used" in again.text
    assert rows(app) == after_first


def test_replayed_launch_from_another_browser_is_refused(attempt: Attempt, app: Flask) -> None:
    token = attempt.token()
    assert attempt.post(token).status == 303
    after_first = rows(app)

    thief = FlaskBrowser(app.test_client())
    thief.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    cookie = "lti1p3-" + attempt.state
    thief.client.set_cookie(cookie, attempt.state)
    page = thief.post(thief.base + "/lti/launch", {"id_token": token, "state": attempt.state})
    assert 400 <= page.status < 500
    assert rows(app) == after_first
    assert not_signed_in(thief)


def test_state_that_does_not_match_its_cookie_is_refused(attempt: Attempt, assert_refused) -> None:
    attempt.browser.client.set_cookie("lti1p3-" + attempt.state, "state-of-someone-else")
    assert_refused(attempt.launch())


def test_state_the_tool_never_issued_is_refused(attempt: Attempt, assert_refused) -> None:
    forged_state = "state-00000000-0000-0000-0000-000000000000"
    attempt.browser.client.set_cookie("lti1p3-" + forged_state, forged_state)
    page = attempt.post(attempt.token(), state=forged_state)
    assert_refused(page, says="took too long or was already used")


def test_no_state_cookie_is_refused(attempt: Attempt, app: Flask, assert_refused) -> None:
    """A browser that did not do the login (or blocked its cookie) posts the launch."""
    stranger = FlaskBrowser(app.test_client())
    stranger.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = stranger.post(
        stranger.base + "/lti/launch", {"id_token": attempt.token(), "state": attempt.state}
    )
    assert_refused(page, says="Open Driehoek in a new window")
    assert not_signed_in(stranger)


def test_state_with_a_nul_character_is_refused(attempt: Attempt, assert_refused) -> None:
    nul_state = attempt.state + "\x00"
    attempt.browser.client.set_cookie("lti1p3-" + nul_state, nul_state)
    page = attempt.post(attempt.token(), state=nul_state)
    assert_refused(page, says="took too long or was already used")


@pytest.mark.parametrize("param", ["iss", "client_id"])
def test_login_with_a_nul_character_is_refused(
    attempt: Attempt, assert_refused, param: str
) -> None:
    params = attempt.lms.login_params(attempt.person)
    params[param] += "\x00"
    page = attempt.browser.get(attempt.browser.base + "/lti/login", params=params)
    assert_refused(page, says="not registered with Driehoek")


def test_missing_state_is_refused(attempt: Attempt, assert_refused) -> None:
    page = attempt.browser.post(attempt.browser.base + "/lti/launch", {"id_token": attempt.token()})
    assert_refused(page)


def test_missing_id_token_is_refused(attempt: Attempt, assert_refused) -> None:
    page = attempt.browser.post(attempt.browser.base + "/lti/launch", {"state": attempt.state})
    assert_refused(page, says="incomplete request")


# -- the LTI message itself ---------------------------------------------------------------------


def test_message_type_claim_missing(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(**{CLAIM + "message_type": None}))


@pytest.mark.parametrize(
    "message_type", ["LtiSubmissionReviewRequest", "DataPrivacyLaunchRequest", "Nonsense"]
)
def test_unsupported_message_type_is_refused(
    attempt: Attempt, assert_refused, message_type: str
) -> None:
    assert_refused(attempt.launch(**{CLAIM + "message_type": message_type}))


def test_wrong_lti_version(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(**{CLAIM + "version": "11.3"}))


def test_no_lti_version(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(**{CLAIM + "version": None}))


def test_invalid_lti_message(attempt: Attempt, assert_refused) -> None:
    """The certification suite's case: a signed JWT that is no LTI launch at all."""
    assert_refused(attempt.post(raw_sign({"name": "badltilaunch"}, attempt.lms)))


def test_missing_lti_claims(attempt: Attempt, assert_refused) -> None:
    missing = ("aud", "iss", "sub", CLAIM + "deployment_id", CLAIM + "roles")
    assert_refused(attempt.launch(**dict.fromkeys(missing)))


def test_role_claim_missing(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(**{CLAIM + "roles": None}))


@pytest.mark.parametrize(
    "roles",
    [42, INSTRUCTOR, {INSTRUCTOR: True}],
    ids=["number", "string-not-array", "object-not-array"],
)
def test_roles_claim_that_is_not_an_array_is_refused(
    attempt: Attempt, assert_refused, roles: Any
) -> None:
    page = attempt.launch(**{CLAIM + "roles": roles})
    assert_refused(page, says="Driehoek is for students, coaches and coordinators")
    assert page.status == 403


def test_resource_link_id_claim_missing(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(**{CLAIM + "resource_link": None}))


def test_user_claim_missing(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.launch(sub=None), says="the platform sent no user")


@pytest.mark.parametrize("sub", [12345, {"id": "student-1"}], ids=["number", "object"])
def test_user_claim_that_is_not_a_string_is_refused(attempt: Attempt, assert_refused, sub) -> None:
    assert_refused(attempt.launch(sub=sub))


def test_target_link_uri_of_another_tool_is_refused(attempt: Attempt, assert_refused) -> None:
    page = attempt.launch(**{CLAIM + "target_link_uri": "https://other-tool.example/launch"})
    assert_refused(page)


# -- tokens that are no JWT ---------------------------------------------------------------------


def test_body_that_is_not_an_object_is_refused(attempt: Attempt, assert_refused) -> None:
    assert_refused(attempt.post(raw_sign(["iss", attempt.lms.issuer], attempt.lms)))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("just-one-part", id="one-part"),
        pytest.param("two.parts", id="two-parts"),
        pytest.param("a.b.c.d", id="four-parts"),
        pytest.param("!!!.@@@.###", id="bad-base64"),
        pytest.param(f"{b64(b'not json')}.{b64(b'{also not')}.{b64(b'sig')}", id="not-json"),
        pytest.param(f"{b64(bytes([0xFF, 0xFE]))}.{b64json({})}.{b64(b'x')}", id="not-utf8"),
        pytest.param(f"{b64json([1, 2])}.{b64json({})}.{b64(b'x')}", id="header-not-object"),
        pytest.param(f"{b64json({'alg': 'RS256'})}.{b64json('x')}.{b64(b'x')}", id="body-string"),
    ],
)
def test_malformed_token_is_refused(attempt: Attempt, assert_refused, token: str) -> None:
    assert_refused(attempt.post(token))


def test_two_megabyte_token_is_refused(attempt: Attempt, assert_refused) -> None:
    padding = "A" * (2 * 1024 * 1024)
    token = f"{b64json({'alg': 'RS256', 'kid': attempt.lms.kid})}.{padding}.{b64(b'x')}"
    assert_refused(attempt.post(token))


# -- a race for one nonce -----------------------------------------------------------------------


def test_concurrent_launches_with_the_same_nonce_yield_one_success(
    app: Flask, lms: TestLMS, student: Person
) -> None:
    """Two (here: four) posts of one launch at the same moment, each with the state cookie."""
    first = FlaskBrowser(app.test_client())
    auth = login(first, lms, student)
    form = lms.authorize(auth, student)
    cookie = "lti1p3-" + form["state"]
    assert first.client.get_cookie(cookie) is not None

    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        c.set_cookie(cookie, form["state"])
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    lock = threading.Lock()

    def post(c: FlaskClient) -> None:
        barrier.wait()
        response = c.post(
            "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(statuses) == [303, 400, 400, 400], statuses
    assert rows(app) == {"person": 1, "course": 1, "membership": 1}
