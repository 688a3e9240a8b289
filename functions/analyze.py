"""Analyze stage: catalog + Gemini root cause for the enriched ticket."""

import azure.functions as func

from functions._glue import SIGNALR
from functions._stage import run_stage
from shared.stages.analyze import handle_analyze

bp = func.Blueprint()


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%ANALYZE_QUEUE%", connection="ServiceBusConnection")
@bp.generic_output_binding(**SIGNALR)
def analyze_stage(msg: func.ServiceBusMessage, signalr: func.Out[str]) -> None:
    run_stage("analyze", msg, signalr, handle_analyze)
