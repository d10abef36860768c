"""A local robot stub on 127.0.0.1 for the webhook tests: records what it receives, verifies
DingTalk and Feishu signatures like the real platforms, and can be told to fail or stall."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict[str, Any]


@dataclass
class Robot:
    """Behaviour switches: ``secret`` (verify signatures), ``fail_with`` (HTTP status for the
    next ``failures`` calls, or forever when failures is None), ``stall`` (seconds to wait)."""

    secret: str = ""
    fail_with: int = 0
    failures: int | None = None
    stall: float = 0.0
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _dingtalk_ok(robot: Robot, query: dict[str, str]) -> bool:
    timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
    if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600_000:
        return False
    to_sign = f"{timestamp}\n{robot.secret}".encode()
    expected = base64.b64encode(hmac.new(robot.secret.encode(), to_sign, hashlib.sha256).digest())
    return hmac.compare_digest(expected.decode(), sign)


def _feishu_ok(robot: Robot, body: dict[str, Any]) -> bool:
    timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 3600:
        return False
    key = f"{timestamp}\n{robot.secret}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, sign)


def _handler(robot: Robot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            return

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if robot.stall:
                time.sleep(robot.stall)
            if robot.fail_with and (robot.failures is None or robot.failures > 0):
                if robot.failures is not None:
                    robot.failures -= 1
                self._answer(robot.fail_with, {"error": "stub failure"})
                return
            robot.received.append(Received(parts.path, query, body))
            if parts.path.startswith("/dingtalk"):
                if robot.secret and not _dingtalk_ok(robot, query):
                    self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
                    return
                self._answer(200, {"errcode": 0, "errmsg": "ok"})
            elif parts.path.startswith("/feishu"):
                if robot.secret and not _feishu_ok(robot, body):
                    self._answer(200, {"code": 19021, "msg": "sign match fail"})
                    return
                self._answer(200, {"code": 0, "msg": "success", "data": {}})
            else:
                self._answer(200, {"errcode": 0, "errmsg": "ok"})

    return Handler


def serve(robot: Robot) -> Iterator[Robot]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(robot))
    robot.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield robot
    finally:
        server.shutdown()
        server.server_close()
