"""Notify stage: one Jira issue and one Slack message per ticket, kept in sync with every change."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from shared.notify.attempt import Attempt
from shared.notify.common import dashboard_ticket_url, headline
from shared.notify.lease import exclusively
from shared.notify.slack_blocks import escape, slack_date
from shared.ports import Outcome, TicketChange
from shared.services import Services
from shared.tickets import SlackRef, Stage, Ticket, TicketStatus, iso

__all__ = ["handle_notify", "KINDS"]

CHANGE_LABEL = {"acknowledged": "Acknowledged", "resolved": "Resolved", "reopened": "Reopened"}


def handle_notify(body: dict[str, Any], svc: Services) -> Outcome:
    """Handle one NOTIFY_QUEUE message; raises RetryableError (after doing what it could) to be redelivered."""
    ticket_id = str(body.get("ticket_id") or "")
    ticket = svc.store.get(ticket_id) if ticket_id else None
    if ticket is None:
        return Outcome()  # nothing to notify about; retrying would not make it appear
    kind = str(body.get("kind") or "ticket")
    handler = KINDS.get(kind)
    if handler is None:
        svc.record(ticket_id, "notify", "notify_ignored", kind=kind[:50])
        return Outcome()
    return handler(body, ticket, svc, Attempt(svc, ticket_id))


def _store(svc: Services, ticket: Ticket, change: Callable[[Ticket], bool | None]) -> Ticket:
    return svc.store.mutate(ticket.id, change) or ticket


# -- kind "ticket": the first notification ------------------------------------------------------

def _ensure_jira(ticket: Ticket, svc: Services, run: Attempt) -> tuple[Ticket, bool]:
    """The Jira issue, found or created. Returns the ticket and whether its key is new this delivery."""
    if svc.jira is None:
        # Noted once, by the delivery that notifies the ticket; no need to read the trail for it.
        if ticket.stage != Stage.NOTIFIED:
            run.note("jira_not_configured")
        return ticket, False
    if ticket.jira_key:
        return ticket, False  # stored on an earlier delivery: no search, no create
    recheck = run.done_before("jira_create_attempted")
    ok, result = run.call("jira", "create_issue", lambda: svc.jira.ensure_issue(
        ticket, svc.settings.dashboard_url, recheck=recheck,
        before_create=lambda: run.record("jira_create_attempted")))
    if not ok or result is None:
        return ticket, False
    key, created = result
    url = svc.jira.issue_url(key)
    run.record("jira_issue_created" if created else "jira_issue_found", key=key, url=url)

    def set_key(t: Ticket) -> bool:
        if t.jira_key:
            return False
        t.jira_key, t.jira_url = key, url
        return True

    ticket = _store(svc, ticket, set_key)
    target = svc.settings.jira_transitions.get(ticket.status.value)
    if created and target and ticket.status != TicketStatus.OPEN:
        # Someone acknowledged or resolved before the issue existed: bring Jira up to date.
        _transition(ticket, target, svc, run)
    return ticket, True


def _on_ticket(body: dict[str, Any], ticket: Ticket, svc: Services, run: Attempt) -> Outcome:
    creates = (svc.jira is not None and not ticket.jira_key) or (svc.slack is not None and ticket.slack is None)
    if not creates or ticket.split_into_runs:
        return _notify_ticket(ticket, svc, run)
    # Something may get created: only one delivery at a time, on the ticket as it is now.
    done = exclusively(svc, ticket.id, lambda fresh: _notify_ticket(fresh, svc, run))
    return done if done is not None else Outcome()


def _notify_ticket(ticket: Ticket, svc: Services, run: Attempt) -> Outcome:
    dashboard = svc.settings.dashboard_url
    if ticket.split_into_runs:  # its run tickets carry the incident to Jira and Slack
        run.record("notify_skipped", reason="split into run tickets", runs=ticket.split_into_runs[:20])
        run.finish()
        return Outcome(changes=[TicketChange("ticketed", _store(svc, ticket, _mark_notified(svc)))])
    ticket, new_key = _ensure_jira(ticket, svc, run)
    if svc.slack is None:
        if ticket.stage != Stage.NOTIFIED:
            run.note("slack_not_configured")
    elif ticket.slack is None:
        posted = _posted_before(run)
        if posted is not None:  # an earlier delivery posted, then died before storing the ref
            ticket = _store(svc, ticket, lambda t: _set_slack(t, posted))
        else:
            ok, ref = run.call("slack", "post_message", lambda: svc.slack.post_ticket(ticket, dashboard))
            if ok and isinstance(ref, SlackRef):
                run.record("slack_posted", channel=ref.channel, ts=ref.ts)  # the recovery record, first
                ticket = _store(svc, ticket, lambda t: _set_slack(t, ref))
    elif new_key:
        # The message went out on an earlier delivery while Jira was down: add the Jira button now.
        ok, _ = run.call("slack", "update_message", lambda: svc.slack.update_ticket(
            ticket, dashboard, note=f"Jira issue {ticket.jira_key} created"))
        if ok:
            run.record("slack_updated", reason="jira_linked")
    run.finish()
    ticket = _store(svc, ticket, _mark_notified(svc))
    return Outcome(changes=[TicketChange("ticketed", ticket)])


def _mark_notified(svc: Services) -> Callable[[Ticket], bool]:
    def notified(t: Ticket) -> bool:
        if t.stage == Stage.NOTIFIED:
            return False
        t.advance(Stage.NOTIFIED, svc.clock.now())
        return True
    return notified


def _posted_before(run: Attempt) -> SlackRef | None:
    """The message an earlier delivery posted, from its audit record (Slack has no label search)."""
    entry = run.last("slack_posted")
    if entry is None or not entry.details.get("channel") or not entry.details.get("ts"):
        return None
    return SlackRef(channel=str(entry.details["channel"]), ts=str(entry.details["ts"]))


def _set_slack(ticket: Ticket, ref: SlackRef) -> bool:
    if ticket.slack is not None:
        return False
    ticket.slack = ref
    return True


# -- kind "occurrence": repeats go to the thread, throttled ---------------------------------------

def _on_occurrence(body: dict[str, Any], ticket: Ticket, svc: Services, run: Attempt) -> Outcome:
    ref = ticket.slack
    if svc.slack is None or ref is None:
        return Outcome()
    now = svc.clock.now()
    new = ticket.occurrences - ref.repeats_reported
    interval = svc.settings.slack_repeat_interval_seconds
    if new <= 0 or (ref.last_repeat_at and (now - ref.last_repeat_at).total_seconds() < interval):
        return Outcome()  # within the interval: a later message reports the accumulated count
    since = "the last update" if ref.last_repeat_at else "this alert was posted"
    text = (f":repeat: Failed again: *{new}* more occurrence{'s' if new != 1 else ''} since {since} "
            f"({ticket.occurrences} in total, last seen {slack_date(ticket.last_seen_at)}).")
    ok, _ = run.call("slack", "thread_reply", lambda: svc.slack.thread_reply(ticket, text))
    if ok:
        run.record("slack_thread_reply", reason="occurrences", new=new, total=ticket.occurrences)

        def reported(t: Ticket) -> bool:
            if t.slack is None:
                return False
            t.slack.last_repeat_at = now
            t.slack.repeats_reported = max(t.slack.repeats_reported, ticket.occurrences)
            return True

        ticket = _store(svc, ticket, reported)
        # Refresh the count on the message itself; not worth a redelivery if it fails.
        run.call("slack", "update_message", lambda: svc.slack.update_ticket(ticket, svc.settings.dashboard_url),
                 best_effort=True)
    run.finish()
    return Outcome()


# -- kind "status": acknowledge / resolve / reopen from any origin -------------------------------

def _event_key(body: dict[str, Any], ticket: Ticket) -> str:
    """Identifies one status change across redeliveries. Without an `event_id`/`at` in the body, the
    ticket's own timestamp for the change tells an ack from the next ack after a reopen."""
    if body.get("event_id"):
        return str(body["event_id"])
    stamp = {"acknowledged": ticket.acknowledged_at, "resolved": ticket.resolved_at,
             "reopened": ticket.reopened_at}.get(str(body.get("change")))
    fields = {k: body.get(k) for k in ("change", "actor", "origin", "note", "at")} | {"stamp": stamp}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _transition(ticket: Ticket, target: str, svc: Services, run: Attempt) -> None:
    key = ticket.jira_key
    ok, moved = run.call("jira", "transition", lambda: svc.jira.transition(key, target))
    if ok:
        run.record("jira_transitioned" if moved else "jira_already_in_status", key=key, status=target)


def _comment(ticket: Ticket, event: str, text: str, svc: Services, run: Attempt) -> None:
    if run.done_before("jira_commented", event=event):
        return  # a redelivery: the comment is already there
    ok, comment_id = run.call("jira", "add_comment", lambda: svc.jira.add_comment(ticket.jira_key, text))
    if ok:
        run.record("jira_commented", key=ticket.jira_key, event=event, comment_id=comment_id)


def _on_status(body: dict[str, Any], ticket: Ticket, svc: Services, run: Attempt) -> Outcome:
    change = str(body.get("change") or "")
    origin = str(body.get("origin") or "dashboard")
    actor = str(body.get("actor") or "someone")
    note = str(body.get("note") or "").strip()
    line = f"{CHANGE_LABEL.get(change, change.capitalize())} by {actor} via {origin}" + (f": {note}" if note else "")
    if svc.slack is not None and ticket.slack is not None:
        ok, _ = run.call("slack", "update_message", lambda: svc.slack.update_ticket(
            ticket, svc.settings.dashboard_url, note=line))
        if ok:
            run.record("slack_updated", reason=change, origin=origin)
    if svc.jira is not None and ticket.jira_key and origin != "jira":
        target = svc.settings.jira_transitions.get(change)
        if target:
            _transition(ticket, target, svc, run)
        # Our Jira user performs the transition; the comment says who really did it.
        _comment(ticket, _event_key(body, ticket), line, svc, run)
    run.finish()
    return Outcome()


# -- kind "sla_breached": escalate in the thread -------------------------------------------------

def _on_sla_breached(body: dict[str, Any], ticket: Ticket, svc: Services, run: Attempt) -> Outcome:
    due = f" by {slack_date(ticket.sla_due_at)}" if ticket.sla_due_at else ""
    link = dashboard_ticket_url(svc.settings.dashboard_url, ticket.id)
    deadline = iso(ticket.sla_due_at)  # a reopened ticket has a deadline (and an escalation) of its own
    if svc.slack is not None and ticket.slack is not None:
        if not run.done_before("slack_escalated", due=deadline):
            mention = "<!here> " if ticket.priority in ("P1", "P2") else ""
            text = (f"{mention}:alarm_clock: *SLA breached*: this {ticket.priority} ticket was not acknowledged"
                    f"{due}. {escape(headline(ticket))} <{link}|Open the ticket>")
            ok, _ = run.call("slack", "thread_reply", lambda: svc.slack.thread_reply(ticket, text))
            if ok:
                run.record("slack_escalated", priority=ticket.priority, mention=bool(mention), due=deadline)
        ok, _ = run.call("slack", "update_message", lambda: svc.slack.update_ticket(
            ticket, svc.settings.dashboard_url, note="SLA breached: not acknowledged in time"))
        if ok:
            run.record("slack_updated", reason="sla_breached")
    if svc.jira is not None and ticket.jira_key:
        plain_due = f" by {ticket.sla_due_at:%Y-%m-%d %H:%M} UTC" if ticket.sla_due_at else ""
        _comment(ticket, f"sla_breached:{deadline}", f"SLA breached: this {ticket.priority} ticket was not "
                 f"acknowledged{plain_due}.", svc, run)
    run.finish()
    return Outcome()


def _on_sla_warning(body: dict[str, Any], ticket: Ticket, svc: Services, run: Attempt) -> Outcome:
    """A heads-up in the thread when most of the response window is gone and nobody has acknowledged."""
    deadline = iso(ticket.sla_due_at)
    if svc.slack is None or ticket.slack is None or ticket.acknowledged_at or not ticket.is_open \
            or run.done_before("slack_sla_warning", due=deadline):
        return Outcome()
    due = f" at {slack_date(ticket.sla_due_at)}" if ticket.sla_due_at else ""
    text = f":hourglass_flowing_sand: SLA due{due} and not acknowledged yet ({ticket.priority})."
    ok, _ = run.call("slack", "thread_reply", lambda: svc.slack.thread_reply(ticket, text), best_effort=True)
    if ok:
        run.record("slack_sla_warning", due=deadline)
    return Outcome()


KINDS: dict[str, Callable[[dict[str, Any], Ticket, Services, Attempt], Outcome]] = {
    "ticket": _on_ticket,
    "occurrence": _on_occurrence,
    "status": _on_status,
    "sla_breached": _on_sla_breached,
    "sla_warning": _on_sla_warning,
}
