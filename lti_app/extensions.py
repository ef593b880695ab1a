"""Flask extensions, created unbound here and bound to the app in create_app()."""

from __future__ import annotations

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from lti_app.core import ratelimits  # noqa: F401 - registers the driehoek-memory:// storage

babel = Babel()
cache = Cache()
csrf = CSRFProtect()
login_manager = LoginManager()
# Storage is chosen in create_app: Redis when REDIS_URL is set, else process memory.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
