"""The tool's own RSA keys: made on first use, rotated by `flask keys rotate`, published as JWKS."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.lti.models import ToolKey


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = uuid.uuid4().hex
    public = json.loads(JWK.from_pem(pem.encode()).export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(kid=kid, private_pem=pem, public_jwk=public)


def signing_key(session: Session) -> ToolKey:
    """The newest active key; the first call on a new database makes one."""
    key = session.scalars(
        select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id.desc()).limit(1)
    ).first()
    if key is not None:
        return key
    key = _new_key()
    session.add(key)
    try:
        session.commit()
    except IntegrityError:  # pragma: no cover - two servers racing on first start
        session.rollback()
    return signing_key(session)


def rotate(session: Session) -> ToolKey:
    """Retire every active key and make a new one; the retired ones stay published a while."""
    now = utcnow()
    for key in session.scalars(select(ToolKey).where(ToolKey.retired_at.is_(None))):
        key.retired_at = now
    key = _new_key()
    session.add(key)
    session.commit()
    return key


def published_keys(session: Session, grace_days: int) -> list[dict[str, object]]:
    """Public JWKs of the active key and of keys retired within the grace period."""
    signing_key(session)
    cutoff = utcnow() - timedelta(days=grace_days)
    keys = session.scalars(
        select(ToolKey)
        .where(or_(ToolKey.retired_at.is_(None), ToolKey.retired_at > cutoff))
        .order_by(ToolKey.id.desc())
    )
    return [dict(k.public_jwk) for k in keys]
