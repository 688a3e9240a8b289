"""Dead-letter triggers: a poisoned stage message turns its ticket into a visible pipeline_error."""

import azure.functions as func

from functions._glue import SIGNALR, push, queue_body
from shared.bootstrap import get_services
from shared.deadletter import handle_dead_letter

bp = func.Blueprint()


def _reason(msg: func.ServiceBusMessage) -> tuple[str | None, str | None]:
    props = {str(k): v for k, v in (getattr(msg, "application_properties", None) or {}).items()}
    reason = getattr(msg, "dead_letter_reason", None) or props.get("DeadLetterReason")
    description = getattr(msg, "dead_letter_error_description", None) or props.get("DeadLetterErrorDescription")
    return (str(reason) if reason else None), (str(description) if description else None)


def _handle(stage: str, msg: func.ServiceBusMessage, signalr: func.Out[str]) -> None:
    outcome = handle_dead_letter(queue_body(msg), stage, *_reason(msg), get_services())
    push(signalr, outcome)


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%ENRICH_QUEUE%/$DeadLetterQueue",
                              connection="ServiceBusConnection")
@bp.generic_output_binding(**SIGNALR)
def enrich_dead_letter(msg: func.ServiceBusMessage, signalr: func.Out[str]) -> None:
    _handle("enrich", msg, signalr)


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%ANALYZE_QUEUE%/$DeadLetterQueue",
                              connection="ServiceBusConnection")
@bp.generic_output_binding(**SIGNALR)
def analyze_dead_letter(msg: func.ServiceBusMessage, signalr: func.Out[str]) -> None:
    _handle("analyze", msg, signalr)


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%NOTIFY_QUEUE%/$DeadLetterQueue",
                              connection="ServiceBusConnection")
@bp.generic_output_binding(**SIGNALR)
def notify_dead_letter(msg: func.ServiceBusMessage, signalr: func.Out[str]) -> None:
    _handle("notify", msg, signalr)
