"""Fake Slack Web API (chat.postMessage, chat.update): bot-token auth, channels and Block Kit limits."""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import parse_qs

from tests.fakes_http.base import FakeServer, Recorded, Reply

__all__ = ["FakeSlack", "validate_blocks"]

# Limits from docs.slack.dev/reference/block-kit/blocks and .../composition-objects.
TEXT_TYPES = {"plain_text", "mrkdwn"}
BUTTON_KEYS = {"type", "text", "action_id", "value", "url", "style", "confirm", "accessibility_label"}


def _text_object(obj: Any, where: str, limit: int, plain_only: bool = False) -> None:
    assert isinstance(obj, dict), f"{where}: must be a text object, not {type(obj).__name__}"
    kind = obj.get("type")
    assert kind in ({"plain_text"} if plain_only else TEXT_TYPES), f"{where}: type must be plain_text" + (
        "" if plain_only else " or mrkdwn")
    allowed = {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}
    assert set(obj) <= allowed, f"{where}: unexpected keys {sorted(set(obj) - allowed)}"
    text = obj.get("text")
    assert isinstance(text, str) and text, f"{where}: text must be more than 0 characters"
    assert len(text) <= limit, f"{where}: must be less than {limit + 1} characters (got {len(text)})"


def _button(el: dict[str, Any], where: str, action_ids: set[str]) -> None:
    assert set(el) <= BUTTON_KEYS, f"{where}: unexpected keys {sorted(set(el) - BUTTON_KEYS)}"
    _text_object(el.get("text"), f"{where}.text", 75, plain_only=True)
    action_id = el.get("action_id")
    if action_id is not None:
        assert isinstance(action_id, str) and 0 < len(action_id) <= 255, f"{where}: bad action_id"
        assert action_id not in action_ids, f"{where}: action_id {action_id!r} is not unique"
        action_ids.add(action_id)
    assert len(str(el.get("value", ""))) <= 2000, f"{where}: value longer than 2000"
    if "url" in el:
        assert re.match(r"^https?://", el["url"]) and len(el["url"]) <= 3000, f"{where}: url must be http(s), <= 3000"
    assert el.get("style") in (None, "primary", "danger"), f"{where}: style must be primary or danger"


def validate_blocks(blocks: Any) -> None:
    """Raise AssertionError with Slack's kind of complaint for the first invalid block."""
    assert isinstance(blocks, list), "blocks must be an array"
    assert len(blocks) <= 50, f"no more than 50 items allowed [json-pointer:/blocks] (got {len(blocks)})"
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        assert isinstance(block, dict) and isinstance(block.get("type"), str), f"{where}: must be an object with a type"
        if "block_id" in block:
            bid = block["block_id"]
            assert isinstance(bid, str) and 0 < len(bid) <= 255, f"{where}/block_id: 1-255 characters"
            assert bid not in block_ids, f"{where}/block_id: duplicate block_id {bid!r}"
            block_ids.add(bid)
        kind = block["type"]
        if kind == "header":
            assert set(block) <= {"type", "text", "block_id"}, f"{where}: unexpected keys"
            _text_object(block.get("text"), f"{where}/text", 150, plain_only=True)
        elif kind == "section":
            assert set(block) <= {"type", "text", "fields", "block_id", "accessory"}, f"{where}: unexpected keys"
            assert "text" in block or "fields" in block, f"{where}: must provide text or fields"
            if "text" in block:
                _text_object(block["text"], f"{where}/text", 3000)
            if "fields" in block:
                fields = block["fields"]
                assert isinstance(fields, list) and 0 < len(fields) <= 10, f"{where}/fields: 1 to 10 items"
                for j, f in enumerate(fields):
                    _text_object(f, f"{where}/fields/{j}", 2000)
        elif kind == "context":
            elements = block.get("elements")
            assert isinstance(elements, list) and 0 < len(elements) <= 10, f"{where}/elements: 1 to 10 items"
            for j, el in enumerate(elements):
                _text_object(el, f"{where}/elements/{j}", 3000)
        elif kind == "actions":
            elements = block.get("elements")
            assert isinstance(elements, list) and 0 < len(elements) <= 25, f"{where}/elements: 1 to 25 items"
            for j, el in enumerate(elements):
                assert isinstance(el, dict) and el.get("type") == "button", \
                    f"{where}/elements/{j}: the fake supports buttons only"
                _button(el, f"{where}/elements/{j}", action_ids)
        elif kind == "divider":
            assert set(block) <= {"type", "block_id"}, f"{where}: divider takes no fields"
        else:
            raise AssertionError(f"{where}: unsupported block type {kind!r}")


class FakeSlack(FakeServer):
    """Routes live under /api/ like slack.com/api/. Answers HTTP 200 with ok=false for API errors."""

    def __init__(self, token: str = "xoxb-test-token", channels: dict[str, str] | None = None) -> None:
        super().__init__()
        self.token = token
        self.channels = channels or {"#aiops-alerts": "C0AIOPS001", "aiops-alerts": "C0AIOPS001",
                                     "C0AIOPS001": "C0AIOPS001"}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.warnings: list[str] = []
        self._ts = 1733281200_000100
        self._ts_lock = threading.Lock()
        self.route("POST", r"/api/chat\.postMessage", self._post)
        self.route("POST", r"/api/chat\.update", self._update)

    def reset(self) -> None:
        """Forget messages, requests and faults, so one running server can serve many tests."""
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self.faults.clear()
            self.errors.clear()
            self.warnings.clear()

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def top_level(self) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if not m.get("thread_ts")]

    def replies(self, ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m.get("thread_ts") == ts]

    def _next_ts(self) -> str:
        with self._ts_lock:
            self._ts += 100
            raw = str(self._ts)
        return f"{raw[:10]}.{raw[10:]}"

    def _args(self, rec: Recorded) -> dict[str, Any]:
        ctype = rec.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            return rec.json() or {}
        form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
        if isinstance(form.get("blocks"), str):
            form["blocks"] = json.loads(form["blocks"])
        return form

    def _fail(self, error: str, **extra: Any) -> Reply:
        self.errors.append(error + (f": {extra}" if extra else ""))
        return Reply(200, {"ok": False, "error": error, **extra})

    def _check(self, rec: Recorded, args: dict[str, Any]) -> Reply | None:
        auth = rec.headers.get("authorization", "")
        if not auth:
            return self._fail("not_authed")
        if not auth.startswith("Bearer xoxb-") or auth != f"Bearer {self.token}":
            return self._fail("invalid_auth")
        if not args.get("channel"):
            return self._fail("channel_not_found")
        if "blocks" in args:
            try:
                validate_blocks(args["blocks"])
            except AssertionError as exc:
                return self._fail("invalid_blocks", errors=[str(exc)],
                                  response_metadata={"messages": [f"[ERROR] {exc}"]})
        text = args.get("text")
        if not text and not args.get("blocks"):
            return self._fail("no_text")
        if text and len(text) > 40000:
            return self._fail("msg_too_long")
        if args.get("blocks") and not text:
            self.warnings.append("blocks without a fallback text: notifications will be empty")
        return None

    def _post(self, rec: Recorded, m: re.Match[str]) -> Reply:
        args = self._args(rec)
        if (failed := self._check(rec, args)):
            return failed
        channel = self.channels.get(args["channel"])
        if channel is None:
            return self._fail("channel_not_found")
        thread_ts = args.get("thread_ts")
        if thread_ts and (channel, thread_ts) not in self.messages:
            return self._fail("thread_not_found")
        ts = self._next_ts()
        message = {"channel": channel, "ts": ts, "text": args.get("text"), "blocks": args.get("blocks"),
                   "thread_ts": thread_ts, "updates": []}
        self.messages[(channel, ts)] = message
        return Reply(200, {"ok": True, "channel": channel, "ts": ts,
                           "message": {"text": message["text"], "ts": ts, "blocks": message["blocks"]}})

    def _update(self, rec: Recorded, m: re.Match[str]) -> Reply:
        args = self._args(rec)
        if (failed := self._check(rec, args)):
            return failed
        channel = args["channel"]
        if not re.fullmatch(r"[CGD][A-Z0-9]+", channel) or channel not in self.channels.values():
            return self._fail("channel_not_found")  # chat.update takes the channel id, not a name
        if not args.get("ts"):
            return self._fail("invalid_arguments")
        message = self.messages.get((channel, args["ts"]))
        if message is None:
            return self._fail("message_not_found")
        message["updates"].append({"text": message["text"], "blocks": message["blocks"]})
        message["text"], message["blocks"] = args.get("text"), args.get("blocks")
        return Reply(200, {"ok": True, "channel": channel, "ts": args["ts"], "text": message["text"]})
