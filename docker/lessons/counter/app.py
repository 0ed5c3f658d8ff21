#!/usr/bin/env python3
"""counter: the web half of the Kubernetes lessons' two-tier example app.

Every GET adds one to the key `hits` in redis and answers with the new count and the
name of the container (the pod) that answered, so a learner sees both the shared state
and the load balancing. Settings come from the environment, as in a compose file:
REDIS_HOST (default redis), REDIS_PORT (6379) and PORT (5000). Only the standard
library and Debian's python3-redis, so the image builds without the internet.
"""
import os
import signal
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

REDIS_HOST = os.environ.get("REDIS_HOST", "redis")
REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
PORT = int(os.environ.get("PORT", "5000"))
NAME = socket.gethostname()

# Connects on first use and again after a failure, so the app may start before redis.
store = redis.Redis(
    host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=2, socket_timeout=2
)


class Counter(BaseHTTPRequestHandler):
    server_version = "counter/1.0"

    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, "ok\n")
            return
        try:
            hits = store.incr("hits")
        except redis.RedisError as error:
            self.reply(503, f"{NAME} cannot reach redis at {REDIS_HOST}:{REDIS_PORT}: {error}\n")
            return
        times = "time" if hits == 1 else "times"
        self.reply(200, f"Hello from {NAME}! This page has been seen {hits} {times}.\n")

    def reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    # As PID 1 in a container, Python would ignore SIGTERM: stop at once instead, so a
    # pod that is deleted or scaled away goes without waiting out its grace period.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = ThreadingHTTPServer(("", PORT), Counter)
    print(f"counter listening on port {PORT}, counting in redis at {REDIS_HOST}:{REDIS_PORT}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
