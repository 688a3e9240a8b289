"""Two deliveries of one ticket at the same moment create one Jira issue and one Slack message."""

import threading
import time

import pytest

from shared.errors import RetryableError
from shared.notify.lease import exclusively
from shared.stages.notify import handle_notify
from shared.tickets import Stage
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket
from tests.unit.notify.notify_samples import FakeJiraClient, FakeSlackClient


class SlowJira(FakeJiraClient):
    """Search finds nothing, then the create takes a while: the window two deliveries race through."""

    def ensure_issue(self, ticket, dashboard_url, *, recheck=False, before_create=None):  # noqa: ANN001
        def slow_create():
            if before_create:
                before_create()
            time.sleep(0.3)
        return super().ensure_issue(ticket, dashboard_url, recheck=recheck, before_create=slow_create)


def test_simultaneous_deliveries_create_one_issue_and_post_one_message():
    jira, slack = SlowJira(), FakeSlackClient()
    svc = fake_services(jira=jira, slack=slack)
    ticket = stored_ticket(svc, stage=Stage.ANALYZED)
    body = {"ticket_id": ticket.id, "stage": "notify", "kind": "ticket"}
    start, errors = threading.Barrier(2), []

    def deliver() -> None:
        start.wait()
        try:
            handle_notify(dict(body), svc)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(jira.issues) == 1 and len(slack.posts) == 1
    stored = svc.store.get(ticket.id)
    assert stored.jira_key == "OPS-1" and stored.slack is not None and stored.stage == Stage.NOTIFIED
    assert stored.notify_lease is None  # released
    assert "notify_lease" not in stored.to_json()


def test_a_lease_held_past_the_wait_asks_for_a_redelivery_and_a_failed_holder_releases():
    svc = fake_services()
    ticket = stored_ticket(svc, stage=Stage.ANALYZED)
    inside = threading.Event()
    release = threading.Event()

    def hold(fresh):  # noqa: ANN001
        inside.set()
        release.wait(10)
        raise RuntimeError("the holder's Slack call blew up")

    holder = threading.Thread(target=lambda: pytest.raises(RuntimeError, exclusively, svc, ticket.id, hold))
    holder.start()
    inside.wait(10)
    with pytest.raises(RetryableError):
        exclusively(svc, ticket.id, lambda fresh: "never", wait_seconds=0.3)
    release.set()
    holder.join(10)
    assert svc.store.get(ticket.id).notify_lease is None  # released although the work failed
    assert exclusively(svc, ticket.id, lambda fresh: fresh.id) == ticket.id
