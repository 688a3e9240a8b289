"""Inbound webhooks: Jira issue updates and Slack button clicks, verified on the raw body first."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from shared.api import ApiError, ApiResponse, json_response
from shared.lifecycle import change_status
from shared.ports import Outcome
from shared.services import Services
from shared.tickets import Ticket, TicketStatus

__all__ = ["handle_jira", "handle_slack", "jira_signature_ok", "slack_signature_ok"]

log = logging.getLogger(__name__)
SLACK_WINDOW_SECONDS = 300
TARGET_ACTION = {"resolved": "resolve", "acknowledged": "acknowledge", "reopened": "reopen"}
SLACK_ACTIONS = {"ack": "acknowledge", "acknowledge": "acknowledge", "resolve": "resolve", "reopen": "reopen"}


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    return lowered.get(name.lower(), "")


def _same(expected: str, given: str) -> bool:
    """Constant-time compare of bytes (compare_digest refuses non-ASCII str with a TypeError)."""
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))


def jira_signature_ok(secret: str | None, body: bytes, header: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return _same(expected, header[len("sha256="):].lower())


def slack_signature_ok(secret: str | None, body: bytes, timestamp: str, signature: str, now: float) -> bool:
    if not secret or not timestamp.isascii() or not timestamp.isdigit() \
            or abs(now - int(timestamp)) > SLACK_WINDOW_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    return _same("v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest(), signature)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ApiError(400, "invalid_json", "body is not JSON") from None


def _obj(value: Any) -> dict[str, Any]:
    """Webhook fields are untrusted shapes: anything that is not an object reads as empty."""
    return value if isinstance(value, dict) else {}


def _apply(svc: Services, ticket: Ticket, action: str, actor: str, origin: str, note: str | None) -> Outcome:
    if origin == "jira" and action == "acknowledge" and ticket.status == TicketStatus.RESOLVED:
        # Jira moved Done → In Progress: the incident is live again and someone is on it.
        _, outcome = change_status(svc, ticket.id, "reopen", actor, origin, note)
        return outcome.extend(change_status(svc, ticket.id, action, actor, origin, note)[1])
    return change_status(svc, ticket.id, action, actor, origin, note)[1]


def _jira_ticket(svc: Services, issue: dict[str, Any]) -> Ticket | None:
    key = issue.get("key") if isinstance(issue.get("key"), str) else ""
    ticket = svc.store.find_by_jira_key(key) if key else None
    if ticket is None:  # the issue may predate the stored key (crash after create): use our label
        labels = _obj(issue.get("fields")).get("labels")
        labels = labels if isinstance(labels, list) else []
        ids = [label[len("aiops-"):] for label in labels if isinstance(label, str) and label.startswith("aiops-T")]
        ticket = next((t for t in (svc.store.get(i) for i in ids) if t), None)
    return ticket


def handle_jira(body: bytes, headers: Mapping[str, str], svc: Services) -> tuple[ApiResponse, Outcome]:
    if not jira_signature_ok(svc.settings.jira_webhook_secret, body, _header(headers, "X-Hub-Signature")):
        raise ApiError(401, "bad_signature", "X-Hub-Signature does not match the body")
    payload = _json(body)
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid_payload", "a Jira webhook body is a JSON object")
    delivery = _header(headers, "X-Atlassian-Webhook-Identifier")
    items = _obj(payload.get("changelog")).get("items")
    items = items if isinstance(items, list) else []
    status_item = next((i for i in items if isinstance(i, dict) and
                        str(i.get("fieldId") or i.get("field") or "").lower() == "status"), None)
    if payload.get("webhookEvent") != "jira:issue_updated" or status_item is None:
        return json_response(200, {"status": "ignored", "reason": "not a status change"}), Outcome()
    to_status = str(status_item.get("toString") or "")[:100]
    target = svc.settings.jira_status_map.get(to_status.strip().lower())
    ticket = _jira_ticket(svc, _obj(payload.get("issue")))
    if target is None or ticket is None:
        reason = "unmapped status" if target is None else "no ticket for this issue"
        return json_response(200, {"status": "ignored", "reason": reason}), Outcome()
    user = _obj(payload.get("user"))
    actor = f"jira:{str(user.get('displayName') or user.get('accountId') or 'unknown')[:100]}"
    # Claimed before applying, atomically: a redelivery, or one of several arriving together, finds
    # the claim and applies nothing.
    if delivery and not svc.seen_events.first_time("jira", delivery):
        return json_response(200, {"status": "duplicate"}), Outcome()
    try:
        outcome = _apply(svc, ticket, TARGET_ACTION[target], actor, "jira", f"Jira status → {to_status}")
    except Exception:
        if delivery:  # not applied after all: Jira's retry must get through
            svc.seen_events.forget("jira", delivery)
        raise
    return json_response(200, {"status": "applied", "ticket_id": ticket.id, "change": target}), outcome


def _slack_ticket(svc: Services, ref: str) -> Ticket | None:
    """Our buttons carry the ticket id; older alert messages carried the Azure alertId."""
    return svc.store.get(ref) or svc.store.find_by_alert_guid(ref)


def handle_slack(body: bytes, headers: Mapping[str, str], svc: Services) -> tuple[ApiResponse, Outcome]:
    ok = slack_signature_ok(svc.settings.slack_signing_secret, body, _header(headers, "X-Slack-Request-Timestamp"),
                            _header(headers, "X-Slack-Signature"), time.time())
    if not ok:
        raise ApiError(401, "bad_signature", "Slack signature or timestamp is not valid")
    try:
        payload = json.loads(parse_qs(body.decode())["payload"][0])
    except (KeyError, IndexError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ApiError(400, "invalid_payload", "expected form field payload=<JSON>") from None
    actions = payload.get("actions") if isinstance(payload, dict) else None
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    verb, _, ref = str(action.get("value") or "").partition("|")
    domain_action = SLACK_ACTIONS.get(verb) or SLACK_ACTIONS.get(str(action.get("action_id") or ""))
    ticket = _slack_ticket(svc, ref) if ref else None
    if domain_action is None or ticket is None:
        return ApiResponse(200, b""), Outcome()  # not one of our buttons: acknowledge the delivery
    user = _obj(payload.get("user"))
    actor = f"slack:{str(user.get('username') or user.get('name') or user.get('id') or 'unknown')[:100]}"
    try:
        outcome = _apply(svc, ticket, domain_action, actor, "slack", None)
    except ApiError as exc:  # e.g. acknowledging a resolved ticket: tell the clicker, not Slack's retry
        return json_response(200, {"response_type": "ephemeral", "text": exc.message}), Outcome()
    return ApiResponse(200, b""), outcome
