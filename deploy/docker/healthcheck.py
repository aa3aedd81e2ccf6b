"""The container's health check: exit 0 when the service answers 200 on a path, 1 otherwise.

    python /app/bin/healthcheck.py [/healthz]

The slim image has no curl or wget, but it has Python. The service listens on
`DAYBOOK_HTTP_PORT` (all interfaces in the image), so the check asks 127.0.0.1 on that port.
"""

from __future__ import annotations

import os
import sys
import urllib.request

DEFAULT_PATH = "/healthz"
TIMEOUT_S = 3.0


def check(path: str = DEFAULT_PATH, *, port: str | None = None) -> int:
    port = port or os.environ.get("DAYBOOK_HTTP_PORT", "8000")
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            status = response.status
    # URLError and HTTPError (a non-2xx answer) are both OSErrors; so are refusals and timeouts.
    except OSError as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(check(*sys.argv[1:2]))
