#!/usr/bin/env python3
"""A webhook endpoint for tests/api/webhooks: checks every call's signature
with the `standardwebhooks` package (an implementation independent of
Herald's), fails its first calls with 500, then accepts.

Usage: webhook_receiver.py [FAIL_FIRST]

Listens on 127.0.0.1 on a free port and prints "port N" on the first line
of standard output; then reads the endpoint's secret (whsec_...) as one
line from standard input before it answers anything.

POST (any path): an event. A bad signature gets 401 and is counted; the
first FAIL_FIRST calls (default 3) get 500; later ones 204, the event kept
once per webhook-id.
GET /state: JSON {"calls", "failed", "bad_signatures", "accepted": [ids in
order of acceptance, repeats included], "events": {id: body}}.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from standardwebhooks.webhooks import Webhook
except ImportError:
    sys.exit("standardwebhooks is missing: python3 -m pip install standardwebhooks==1.3.0")

LOCK = threading.Lock()
STATE = {"calls": 0, "failed": 0, "bad_signatures": 0, "accepted": [], "events": {}}


def make_handler(webhook, fail_first):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != "/state":
                return self.answer(404)
            with LOCK:
                body = json.dumps(STATE).encode()
            self.answer(200, body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            payload = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with LOCK:
                STATE["calls"] += 1
                calls = STATE["calls"]
            try:
                event = webhook.verify(payload, headers)
            except Exception as e:  # any failure to verify is a bad signature
                with LOCK:
                    STATE["bad_signatures"] += 1
                return self.answer(401, json.dumps({"error": str(e)}).encode())
            if calls <= fail_first:
                with LOCK:
                    STATE["failed"] += 1
                return self.answer(500, b'{"error":"failing on purpose"}')
            msg_id = headers["webhook-id"]
            with LOCK:
                STATE["accepted"].append(msg_id)
                STATE["events"].setdefault(msg_id, event)
            self.answer(204)

    return Handler


def main() -> int:
    fail_first = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    print(f"port {server.server_address[1]}", flush=True)
    secret = sys.stdin.readline().strip()
    server.RequestHandlerClass = make_handler(Webhook(secret), fail_first)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
