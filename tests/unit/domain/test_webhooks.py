"""Jira and Slack webhooks: signatures on the raw body, idempotency, and status mapping."""

import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from shared.api import ApiError
from shared.config import load_settings
from shared.tickets import TicketStatus
from shared.webhooks import handle_jira, handle_slack, slack_signature_ok
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
SECRET = "jira-test-secret"
SLACK_SECRET = "slack-test-secret"


@pytest.fixture
def svc(monkeypatch):
    monkeypatch.setenv("JIRA_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SLACK_SECRET)
    return fake_services(settings=load_settings())


def jira_body(key: str, to_status: str) -> bytes:
    payload = json.loads((SAMPLES / "jira_webhook/derived_issue_updated_status_done.json").read_text())
    payload["issue"]["key"] = key
    next(i for i in payload["changelog"]["items"] if i["field"] == "status")["toString"] = to_status
    return json.dumps(payload).encode()


def jira_headers(body: bytes, delivery: str = "d-1", secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature": f"sha256={digest}", "X-Atlassian-Webhook-Identifier": delivery}


def test_a_signed_done_resolves_the_ticket_once(svc):
    ticket = stored_ticket(svc, jira_key="DATA-421")
    svc.store.mutate(ticket.id, lambda t: setattr(t, "jira_key", "DATA-421"))
    body = jira_body("DATA-421", "Done")
    response, outcome = handle_jira(body, jira_headers(body), svc)
    assert json.loads(response.body)["status"] == "applied"
    resolved = svc.store.get(ticket.id)
    assert resolved.status == TicketStatus.RESOLVED and resolved.resolved_by.startswith("jira:")
    [message] = outcome.messages
    assert message.body["origin"] == "jira"  # notify will not transition Jira back
    again, outcome = handle_jira(body, jira_headers(body), svc)
    assert json.loads(again.body)["status"] == "duplicate" and outcome.messages == []


def test_deliveries_arriving_together_apply_once_and_a_failed_one_can_be_retried(svc, monkeypatch):
    ticket = stored_ticket(svc, jira_key="DATA-422")
    svc.store.mutate(ticket.id, lambda t: setattr(t, "jira_key", "DATA-422"))
    body = jira_body("DATA-422", "Done")
    # Two deliveries of one event: the atomic claim lets exactly one through.
    statuses = [json.loads(handle_jira(body, jira_headers(body, "race"), svc)[0].body)["status"] for _ in range(2)]
    assert statuses == ["applied", "duplicate"]

    import shared.webhooks as webhooks

    real_apply = webhooks._apply
    monkeypatch.setattr(webhooks, "_apply", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("storage blip")))
    reopen = jira_body("DATA-422", "To Do")
    with pytest.raises(RuntimeError):
        handle_jira(reopen, jira_headers(reopen, "retry-me"), svc)
    monkeypatch.setattr(webhooks, "_apply", real_apply)
    response, _ = handle_jira(reopen, jira_headers(reopen, "retry-me"), svc)  # Jira's retry
    assert json.loads(response.body)["status"] == "applied"


def test_a_wrong_or_missing_signature_is_refused(svc):
    ticket = stored_ticket(svc, jira_key="DATA-1")
    body = jira_body("DATA-1", "Done")
    for headers in ({}, jira_headers(body, secret="other"), jira_headers(b"different body")):
        with pytest.raises(ApiError) as refused:
            handle_jira(body, headers, svc)
        assert refused.value.status == 401
    assert svc.store.get(ticket.id).status == TicketStatus.OPEN


@pytest.mark.parametrize("to_status,expected", [("In Progress", TicketStatus.ACKNOWLEDGED),
                                                ("Closed", TicketStatus.RESOLVED),
                                                ("In Review", TicketStatus.ACKNOWLEDGED)])
def test_status_map_defaults(svc, to_status, expected):
    stored_ticket(svc, jira_key="DATA-2")
    body = jira_body("DATA-2", to_status)
    handle_jira(body, jira_headers(body, delivery=to_status), svc)
    assert svc.store.find_by_jira_key("DATA-2").status == expected


def test_done_then_in_progress_reopens_and_acknowledges(svc):
    ticket = stored_ticket(svc, jira_key="DATA-3")
    for n, status in enumerate(("Done", "In Progress")):
        body = jira_body("DATA-3", status)
        handle_jira(body, jira_headers(body, delivery=f"d{n}"), svc)
    assert svc.store.get(ticket.id).status == TicketStatus.ACKNOWLEDGED
    assert "reopened" in svc.audit.actions(ticket.id)


def test_unmapped_status_and_unknown_issue_are_ignored(svc):
    stored_ticket(svc, jira_key="DATA-4")
    for key, status in (("DATA-4", "Blocked"), ("DATA-999", "Done")):
        body = jira_body(key, status)
        response, _ = handle_jira(body, jira_headers(body, delivery=key + status), svc)
        assert json.loads(response.body)["status"] == "ignored"


def slack_request(value: str, ts: int | None = None, secret: str = SLACK_SECRET) -> tuple[bytes, dict[str, str]]:
    payload = json.loads((SAMPLES / "slack_interactivity/derived_block_actions_alert_ack.json").read_text())
    payload["actions"][0]["value"] = value
    body = ("payload=" + quote(json.dumps(payload))).encode()
    stamp = str(ts if ts is not None else int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return body, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


def test_the_slack_doc_test_vector_verifies():
    vector = json.loads((SAMPLES / "slack_interactivity/request_signing_doc_test_vector.json").read_text())
    headers = vector["headers"]
    ts = int(headers["X-Slack-Request-Timestamp"])
    assert slack_signature_ok(vector["signing_secret"], vector["raw_body"].encode(), str(ts),
                              headers["X-Slack-Signature"], now=ts + 10)
    assert not slack_signature_ok(vector["signing_secret"], vector["raw_body"].encode(), str(ts),
                                  headers["X-Slack-Signature"], now=ts + 301)


def test_a_signed_acknowledge_button_acknowledges(svc):
    ticket = stored_ticket(svc)
    body, headers = slack_request(f"ack|{ticket.id}")
    response, outcome = handle_slack(body, headers, svc)
    assert response.status == 200
    acked = svc.store.get(ticket.id)
    assert acked.status == TicketStatus.ACKNOWLEDGED and acked.acknowledged_by.startswith("slack:")
    assert outcome.messages[0].body["origin"] == "slack"


def test_old_alert_buttons_carrying_the_azure_alert_id_still_work(svc):
    ticket = stored_ticket(svc, dedup_key="alert:5c1e4a7b-9d2f-4e63-8a10-3b7f6d2e9c41")
    body, headers = slack_request("ack|5c1e4a7b-9d2f-4e63-8a10-3b7f6d2e9c41")
    handle_slack(body, headers, svc)
    assert svc.store.get(ticket.id).status == TicketStatus.ACKNOWLEDGED


def test_slack_stale_or_forged_requests_are_401(svc):
    ticket = stored_ticket(svc)
    for body, headers in (slack_request(f"ack|{ticket.id}", ts=int(time.time()) - 301),
                          slack_request(f"ack|{ticket.id}", secret="forged")):
        with pytest.raises(ApiError) as refused:
            handle_slack(body, headers, svc)
        assert refused.value.status == 401
    assert svc.store.get(ticket.id).status == TicketStatus.OPEN


def test_acknowledging_a_resolved_ticket_from_slack_answers_the_user(svc):
    ticket = stored_ticket(svc, status=TicketStatus.RESOLVED)
    body, headers = slack_request(f"ack|{ticket.id}")
    response, outcome = handle_slack(body, headers, svc)
    assert response.status == 200 and "reopen" in json.loads(response.body)["text"]
    assert outcome.messages == []


@pytest.mark.parametrize("payload", [
    {"webhookEvent": "jira:issue_updated", "changelog": ["x"]},
    {"webhookEvent": "jira:issue_updated", "changelog": {"items": [{"field": 5, "toString": "Done"}]}},
    {"webhookEvent": "jira:issue_updated", "issue": "DATA-1",
     "changelog": {"items": [{"field": "status", "toString": "Done"}]}},
    {"webhookEvent": "jira:issue_updated", "issue": {"key": "DATA-1", "fields": "x"}, "user": "u",
     "changelog": {"items": [{"field": "status", "toString": "Done"}]}},
])
def test_signed_jira_bodies_of_odd_shapes_are_answered_not_crashed(svc, payload):
    body = json.dumps(payload).encode()
    response, _ = handle_jira(body, jira_headers(body), svc)
    assert response.status == 200 and json.loads(response.body)["status"] == "ignored"


def test_a_delivery_that_failed_is_not_marked_seen(svc, monkeypatch):
    stored_ticket(svc, jira_key="DATA-5")
    body = jira_body("DATA-5", "Done")
    import shared.webhooks as webhooks

    real = webhooks.change_status
    monkeypatch.setattr(webhooks, "change_status", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("storage")))
    with pytest.raises(RuntimeError):
        handle_jira(body, jira_headers(body, delivery="retry-me"), svc)
    monkeypatch.setattr(webhooks, "change_status", real)
    response, _ = handle_jira(body, jira_headers(body, delivery="retry-me"), svc)
    assert json.loads(response.body)["status"] == "applied"


def test_non_ascii_signatures_and_deep_json_are_4xx(svc):
    body = jira_body("DATA-6", "Done")
    with pytest.raises(ApiError) as bad_sig:
        handle_jira(body, {"X-Hub-Signature": "sha256=é"}, svc)
    assert bad_sig.value.status == 401
    deep = b"[" * 100000
    with pytest.raises(ApiError) as deep_json:
        handle_jira(deep, jira_headers(deep), svc)
    assert deep_json.value.status == 400
    assert not slack_signature_ok(SLACK_SECRET, b"x", str(int(time.time())), "v0=é", time.time())
