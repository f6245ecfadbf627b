"""Reading the dashboard's server-sent events as a page does: `event:` names the kind, `data:` holds JSON."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any


def read_events(resp: http.client.HTTPResponse) -> Iterator[tuple[str, Any]]:
    """(kind, data) for each event until the stream ends; comment lines (keep-alives) are skipped."""
    kind = ""
    for raw in iter(resp.readline, b""):
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            yield kind, json.loads(line[6:])
