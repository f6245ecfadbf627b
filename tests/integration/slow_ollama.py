"""A fake ollama that is slow to come up: `python slow_ollama.py PORT SECONDS`.

It listens at once but answers GET /api/version with 503 until SECONDS have passed since it
started, then with 200 and {"version": "0.0.0-fake"}, as a model server loading its models would.
"""

from __future__ import annotations

import http.server
import json
import sys
import time

STARTED = time.monotonic()


class Handler(http.server.BaseHTTPRequestHandler):
    delay = 3.0

    def do_GET(self) -> None:
        ready = time.monotonic() - STARTED >= self.delay
        body = json.dumps({"version": "0.0.0-fake"} if ready else {"error": "loading"}).encode()
        self.send_response(200 if ready and self.path == "/api/version" else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the log would only show our own probes."""


def main() -> None:
    port, Handler.delay = int(sys.argv[1]), float(sys.argv[2])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"fake ollama listening on {port}, ready in {Handler.delay:g}s", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
