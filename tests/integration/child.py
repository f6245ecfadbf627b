"""A real child program for integration tests: `python child.py MODE [ARGS...]`.

Modes:
  crash CODE              exit with CODE at once (after one line on stderr)
  sleep                   print a line, then sleep forever; exit 0 on SIGTERM
  ticker                  print a numbered line every 0.1 s, forever
  stubborn N PIDFILE      ignore SIGTERM, start N grandchildren that also ignore it, write all pids
  escape PIDFILE          start a grandchild that leaves the process group (setsid), write pids
  daemons N SECONDS [clean]  start N grandchildren that each fork, setsid(), fork again and exec
                          `sleep SECONDS` (keeping our stdout), then exit: classic daemons;
                          with "clean" the sleep runs with an empty environment
  flood N                 write N numbered lines to stdout as fast as possible, then sleep
  serve PORT [hang]       HTTP health server on PORT; with "hang", accept and never answer
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time


def sleep_forever() -> None:
    while True:
        time.sleep(3600)


def stubborn(n: int, pidfile: str) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    kids = [subprocess.Popen([sys.executable, "-c",
                              "import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)"])
            for _ in range(n)]
    write_pids(pidfile, [os.getpid(), *(k.pid for k in kids)])
    print("stubborn and ready", flush=True)
    sleep_forever()


def escape(pidfile: str) -> None:
    kid = subprocess.Popen([sys.executable, "-c", "import os,time; os.setsid(); time.sleep(3600)"])
    time.sleep(0.2)
    write_pids(pidfile, [os.getpid(), kid.pid])
    sleep_forever()


DAEMONIZE = """
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvpe("sleep", ["sleep", sys.argv[1]], {} if sys.argv[2:] == ["clean"] else dict(os.environ))
    os._exit(0)
os.wait()
"""


def daemons(n: int, seconds: str, *clean: str) -> None:
    for _ in range(n):
        subprocess.run([sys.executable, "-c", DAEMONIZE, seconds, *clean], check=True)
    print(f"started {n} daemons", flush=True)
    sleep_forever()


def write_pids(path: str, pids: list[int]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(pids, f)
    os.replace(tmp, path)


def flood(n: int) -> None:
    out = sys.stdout
    for i in range(n):
        out.write(f"line {i:07d} the quick brown fox jumps over the lazy dog\n")
    out.flush()
    sleep_forever()


def serve(port: int, hang: bool) -> None:
    import socket
    from http.server import BaseHTTPRequestHandler, HTTPServer

    if hang:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(16)
        held = []
        while True:
            conn, _ = s.accept()
            held.append(conn)  # never answer

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"status": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    HTTPServer(("127.0.0.1", port), Health).serve_forever()


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if mode == "crash":
        print(f"fatal: giving up with {args[0]}", file=sys.stderr, flush=True)
        sys.exit(int(args[0]))
    elif mode == "sleep":
        print("sleeping", flush=True)
        sleep_forever()
    elif mode == "ticker":
        n = 0
        while True:
            print(f"tick {n}", flush=True)
            n += 1
            time.sleep(0.1)
    elif mode == "stubborn":
        stubborn(int(args[0]), args[1])
    elif mode == "escape":
        escape(args[0])
    elif mode == "daemons":
        daemons(int(args[0]), *args[1:])
    elif mode == "flood":
        flood(int(args[0]))
    elif mode == "serve":
        serve(int(args[0]), len(args) > 1 and args[1] == "hang")


if __name__ == "__main__":
    main()
