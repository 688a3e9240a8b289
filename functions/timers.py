"""Timers: the SLA monitor every minute, and the redrive of tickets stuck before a stage."""

import azure.functions as func

from functions._glue import SIGNALR, push, send
from shared.bootstrap import get_services
from shared.timers import check_sla, redrive_stuck

bp = func.Blueprint()


@bp.timer_trigger(arg_name="timer", schedule="0 */1 * * * *", run_on_startup=False)
@bp.generic_output_binding(**SIGNALR)
def sla_monitor(timer: func.TimerRequest, signalr: func.Out[str]) -> None:
    svc = get_services()
    outcome = check_sla(svc)
    send(outcome, svc.publisher, best_effort=True)
    push(signalr, outcome)


@bp.timer_trigger(arg_name="timer", schedule="30 */5 * * * *", run_on_startup=False)
def redrive(timer: func.TimerRequest) -> None:
    svc = get_services()
    send(redrive_stuck(svc), svc.publisher, best_effort=True)
