"""Message formats and signing of the enterprise-IM robots, e-mail, and the one HTTP call.

* DingTalk (钉钉) custom robot: JSON ``{"msgtype": "markdown", ...}``; with a signing secret
  the URL gets ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(key=secret,
  msg="{timestamp}\\n{secret}")), URL-encoded. Answers ``{"errcode": 0, "errmsg": "ok"}``.
* WeCom (企业微信) group robot: the ``key`` is part of the URL, no signature; JSON
  ``{"msgtype": "markdown", "markdown": {"content": ...}}``; answers ``{"errcode": 0}``.
* Feishu (飞书) custom bot: ``{"msg_type": "post", ...}``; with a secret the body carries
  ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b"")).
  Answers ``{"code": 0, ...}`` (older bots: ``{"StatusCode": 0}``).

Errors are sorted into :class:`Transient` (timeouts, connection errors, HTTP 5xx and 429,
the robots' rate limits: retried with back-off) and :class:`Permanent` (anything else: logged
and given up, since sending the same request again cannot succeed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

# The robots' "too many messages" codes: worth trying again later.
THROTTLED = {"dingtalk": {130101, 130102}, "wecom": {45009, 45033}, "feishu": {9499, 11232}}


class DeliveryError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class Transient(DeliveryError):
    """Try again later."""


class Permanent(DeliveryError):
    """Trying again cannot help."""


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str = ""  # absolute URL or empty


@dataclass(frozen=True)
class Request:
    url: str
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


# --- signing -----------------------------------------------------------------------------------
def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query += list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# --- message formats ---------------------------------------------------------------------------
def _markdown(message: Message, *, link_text: str) -> str:
    text = f"#### {message.title}\n\n{message.body}".rstrip()
    if message.link:
        text += f"\n\n[{link_text}]({message.link})"
    return text


def dingtalk_request(
    *, url: str, secret: str, message: Message, timestamp_ms: int, link_text: str = "查看详情"
) -> Request:
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": _markdown(message, link_text=link_text)},
    }
    if secret:
        url = _with_query(
            url, timestamp=str(timestamp_ms), sign=dingtalk_sign(secret, timestamp_ms)
        )
    return Request(url, payload)


def wecom_request(*, url: str, message: Message, link_text: str = "查看详情") -> Request:
    content = f"**{message.title}**\n{message.body}".rstrip()
    if message.link:
        content += f"\n[{link_text}]({message.link})"
    return Request(url, {"msgtype": "markdown", "markdown": {"content": content}})


def feishu_request(
    *, url: str, secret: str, message: Message, timestamp_s: int, link_text: str = "查看详情"
) -> Request:
    lines: list[list[dict[str, str]]] = [
        [{"tag": "text", "text": line}] for line in message.body.splitlines() if line.strip()
    ]
    if message.link:
        lines.append([{"tag": "a", "text": link_text, "href": message.link}])
    payload: dict[str, Any] = {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": message.title, "content": lines}}},
    }
    if secret:
        payload = {
            "timestamp": str(timestamp_s),
            "sign": feishu_sign(secret, timestamp_s),
            **payload,
        }
    return Request(url, payload)


# --- sending -----------------------------------------------------------------------------------
def _check_answer(channel: str, status: int, raw: bytes) -> None:
    """The robots answer 200 with an error code in the body for most failures."""
    try:
        answer = json.loads(raw.decode() or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # a 2xx without JSON (a proxy, a stub): HTTP said yes
    if not isinstance(answer, dict):
        return
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code in (0, None, "0"):
        return
    text = str(answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or "")
    message = f"{channel} answered error {code}: {text}".strip()
    if isinstance(code, int) and code in THROTTLED.get(channel, set()):
        raise Transient(message, status_code=status)
    raise Permanent(message, status_code=status)


def post_json(channel: str, request: Request, *, timeout: float) -> int:
    """POST the request; returns the HTTP status or raises Transient / Permanent."""
    if not request.url.startswith(("http://", "https://")):
        raise Permanent("the webhook URL must start with http:// or https://")
    data = json.dumps(request.payload, ensure_ascii=False).encode()
    http_request = urllib.request.Request(
        request.url, data=data, headers=request.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            status = int(response.status)
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        status = exc.code
        detail = exc.read(500).decode(errors="replace") if exc.fp else ""
        error = f"HTTP {status}: {detail or exc.reason}".strip()
        if status >= 500 or status == 429:
            raise Transient(error, status_code=status) from None
        raise Permanent(error, status_code=status) from None
    except TimeoutError as exc:
        raise Transient(f"timed out after {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise Transient(f"timed out after {timeout:g} s") from exc
        raise Transient(f"connection failed: {exc.reason}") from exc
    except OSError as exc:
        raise Transient(f"connection failed: {exc}") from exc
    _check_answer(channel, status, raw)
    return status
