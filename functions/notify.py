"""Notify stage: one Jira issue and one Slack thread per ticket, kept in sync."""

import azure.functions as func

from functions._glue import SIGNALR
from functions._stage import run_stage
from shared.stages.notify import handle_notify

bp = func.Blueprint()


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%NOTIFY_QUEUE%", connection="ServiceBusConnection")
@bp.generic_output_binding(**SIGNALR)
def notify_stage(msg: func.ServiceBusMessage, signalr: func.Out[str]) -> None:
    run_stage("notify", msg, signalr, handle_notify)
