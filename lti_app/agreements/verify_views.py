"""The verification page: anyone holding a PDF, or the SHA-256 printed on it, learns whether it
is a version that was signed in Driehoek, and by whom and when.

Who opens it: a school's administration or an examiner months later, with a printed or mailed
PDF and no account. The answer shows only what the PDF itself shows, less the parties' e-mail
addresses: whoever holds a hash learns what was signed, by whom and when, not how to reach them.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from flask import Blueprint, render_template, request

from lti_app import db
from lti_app.agreements import signing
from lti_app.agreements.forms import VerifyForm
from lti_app.extensions import limiter
from lti_app.security import public

bp = Blueprint("verify", __name__)


@bp.after_request
def _private(response: Any) -> Any:
    from lti_app.agreements.views import private

    return private(response)


CHECKS_PER_CLIENT = "30/minute"
MAX_PDF_BYTES = 5 * 1024 * 1024


# Loose on purpose: anything that looks like an address is hidden, a false hit costs nothing.
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


def without_addresses(text: str) -> str:
    """The signed text with every e-mail address (and the <…> around it) left out."""
    from flask_babel import gettext as _

    hidden = _("[e-mail address]")
    return re.sub(r" +\n", "\n", _ADDRESS.sub(hidden, text))


def _result(digest: str, *, uploaded: bool = False) -> dict[str, Any]:
    document = signing.signed_with_hash(db.session(), digest)
    shown = without_addresses(document.text) if document is not None else None
    return {"digest": digest, "document": document, "uploaded": uploaded, "text": shown}


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(CHECKS_PER_CLIENT, methods=["POST"])
@public
def verify() -> Any:
    form = VerifyForm()
    result = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            if upload:
                data = upload.read(MAX_PDF_BYTES + 1)
                if len(data) > MAX_PDF_BYTES or not data.startswith(b"%PDF"):
                    form.file.errors = [*form.file.errors, _not_a_pdf()]
                    status = 422
                else:
                    result = _result(hashlib.sha256(data).hexdigest(), uploaded=True)
            else:
                result = _result(form.digest.data.strip().lower())
        else:
            status = 422
    return render_template("agreements/verify.html", form=form, result=result), status


def _not_a_pdf() -> str:
    from flask_babel import gettext as _

    return _("That is not a PDF from Driehoek (or it is larger than 5 MB).")


@bp.route("/verify/<digest>")
@limiter.limit(CHECKS_PER_CLIENT)
@public
def verify_hash(digest: str) -> Any:
    """The address printed on every PDF."""
    form = VerifyForm(data={"digest": digest[:64]})
    return render_template("agreements/verify.html", form=form, result=_result(digest[:64].lower()))
