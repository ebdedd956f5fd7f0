"""A local notification sink for apprise's ``json://`` service: an HTTP server on a free
loopback port that records each POSTed JSON body (at most ``limit``; later posts get 503) and
shuts itself down after ``lifetime`` seconds if a test forgets to."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink:
    def __init__(self, limit: int = 50, lifetime: float = 30.0) -> None:
        self.posts: list[dict] = []
        self.paths: list[str] = []
        self.limit = limit
        self.lifetime = lifetime
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if len(sink.posts) >= sink.limit:
                    self.send_response(503)
                else:
                    sink.posts.append(json.loads(body or b"{}"))
                    sink.paths.append(self.path)
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]

    def __enter__(self) -> Sink:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self._watchdog = threading.Timer(self.lifetime, self._server.shutdown)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._watchdog.cancel()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
