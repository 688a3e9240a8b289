"""Notify recovers a Slack message an earlier delivery posted but did not store (no second post)."""

from shared.stages.notify import handle_notify
from shared.tickets import SlackRef, Stage
from tests.fakes import fake_services
from tests.unit.domain.helpers import stored_ticket


class CountingSlack:
    def __init__(self) -> None:
        self.posts = 0

    def post_ticket(self, ticket, dashboard_url):  # noqa: ANN001
        self.posts += 1
        return SlackRef(channel="C1", ts=f"1700000000.{self.posts:06d}")


def test_a_crash_after_posting_does_not_post_twice():
    slack = CountingSlack()
    svc = fake_services(slack=slack)
    ticket = stored_ticket(svc, stage=Stage.ANALYZED)
    svc.record(ticket.id, "notify", "slack_posted", channel="C1", ts="1699999999.000001")  # the dead delivery
    handle_notify({"ticket_id": ticket.id, "stage": "notify", "kind": "ticket"}, svc)
    assert slack.posts == 0
    assert svc.store.get(ticket.id).slack.ts == "1699999999.000001"


def test_a_first_delivery_posts_once():
    slack = CountingSlack()
    svc = fake_services(slack=slack)
    ticket = stored_ticket(svc, stage=Stage.ANALYZED)
    for _ in range(2):
        handle_notify({"ticket_id": ticket.id, "stage": "notify", "kind": "ticket"}, svc)
    assert slack.posts == 1


class ThreadSlack(CountingSlack):
    def __init__(self) -> None:
        super().__init__()
        self.replies: list[str] = []

    def thread_reply(self, ticket, text):  # noqa: ANN001
        self.replies.append(text)

    def update_ticket(self, ticket, dashboard_url, note=None):  # noqa: ANN001
        return None


def test_sla_warning_and_breach_are_posted_once_per_deadline():
    from datetime import timedelta

    from shared.lifecycle import change_status
    from shared.timers import check_sla

    slack = ThreadSlack()
    svc = fake_services(slack=slack)
    ticket = stored_ticket(svc, priority="P2", slack=SlackRef(channel="C1", ts="1.1"))
    svc.clock.advance(svc.settings.sla_seconds_p2 * 0.85)
    for message in check_sla(svc).messages:
        handle_notify(message.body, svc)
    handle_notify({"ticket_id": ticket.id, "stage": "notify", "kind": "sla_warning"}, svc)  # redelivered
    assert len(slack.replies) == 1 and "not acknowledged yet" in slack.replies[0]
    svc.clock.advance(svc.settings.sla_seconds_p2)
    check_sla(svc)
    breach = {"ticket_id": ticket.id, "stage": "notify", "kind": "sla_breached"}
    handle_notify(breach, svc)
    handle_notify(breach, svc)
    assert len(slack.replies) == 2 and "SLA breached" in slack.replies[1]
    change_status(svc, ticket.id, "resolve", "a", "dashboard")
    change_status(svc, ticket.id, "reopen", "a", "dashboard")  # a new deadline, a new escalation
    svc.clock.advance(svc.settings.sla_seconds_p2 + timedelta(minutes=1).total_seconds())
    check_sla(svc)
    handle_notify(breach, svc)
    assert len(slack.replies) == 3 and "SLA breached" in slack.replies[2]
