"""Gunicorn config for the browser tests: the server's side of Chromium's --host-resolver-rules.

The browser reaches the two test sites, ``https://tool.test:PORT`` and ``https://lms.test:PORT``,
through ``--host-resolver-rules``. The server calls the same URLs itself: the tool fetches the
sandbox LMS's key set (``key_set_url``), and the sandbox fetches the tool's key set when a
deep-linking response comes back. Those names resolve nowhere, so this file, loaded with
``gunicorn -c``, maps them for the server process (and the workers it forks) before the app is
imported. ``BROWSER_TEST_HOST_MAP`` holds ``name=address`` pairs separated by commas.

Nothing else changes: gunicorn's other settings come from its command line. Only this file's
module-level code runs (in the gunicorn master, before it forks the workers).
"""

from __future__ import annotations

import os
import socket
from typing import Any

_HOSTS = dict(
    pair.strip().split("=", 1)
    for pair in os.environ.get("BROWSER_TEST_HOST_MAP", "").split(",")
    if pair.strip()
)
_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    return _real_getaddrinfo(_HOSTS.get(name, host), *args, **kwargs)


if _HOSTS:
    socket.getaddrinfo = _getaddrinfo

# gunicorn ≥ 25 opens a control socket at one fixed path per user; a test server must not take
# over (or be taken over by) another gunicorn on this machine.
control_socket_disable = True
