"""Enrich stage: fetch the real error from Databricks / ADF (and spawn run tickets for run-less alerts)."""

import azure.functions as func

from functions._glue import SIGNALR
from functions._stage import run_stage
from shared.spawn import spawn_run_ticket
from shared.stages.enrich import handle_enrich

bp = func.Blueprint()


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%ENRICH_QUEUE%", connection="ServiceBusConnection")
@bp.generic_output_binding(**SIGNALR)
def enrich_stage(msg: func.ServiceBusMessage, signalr: func.Out[str]) -> None:
    run_stage("enrich", msg, signalr, lambda body, svc: (spawn_run_ticket if body.get("stage") == "spawn" else handle_enrich)(body, svc))
