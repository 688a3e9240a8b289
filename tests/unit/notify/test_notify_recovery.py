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
