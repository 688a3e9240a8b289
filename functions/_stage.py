"""Run a queue-triggered stage handler: parse, call, send next messages, push changes; raise to retry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import azure.functions as func

from functions._glue import push, queue_body, send, timed
from shared.bootstrap import get_services
from shared.ports import Outcome
from shared.services import Services

__all__ = ["run_stage"]

log = logging.getLogger("functions")


def run_stage(name: str, msg: func.ServiceBusMessage, signalr: func.Out[str],
              handler: Callable[[dict[str, Any], Services], Outcome]) -> None:
    body = queue_body(msg)
    done = timed(name, body.get("ticket_id"))
    if not body:
        return  # unreadable: completing it is all we can do (logged by queue_body)
    svc = get_services()
    outcome = handler(body, svc)  # RetryableError propagates: abandon → redelivery → dead letter
    send(outcome, svc.publisher)
    push(signalr, outcome)
    done()
