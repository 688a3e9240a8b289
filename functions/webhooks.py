"""POST /api/webhooks/jira and /api/webhooks/slack: two-way sync with the collaboration tools."""

import azure.functions as func

from functions._glue import SIGNALR, http, push, send
from shared.bootstrap import get_services
from shared.webhooks import handle_jira, handle_slack

bp = func.Blueprint()


def _handle(req: func.HttpRequest, signalr: func.Out[str], handler):  # type: ignore[no-untyped-def]
    svc = get_services()
    response, outcome = handler(req.get_body() or b"", dict(req.headers), svc)
    send(outcome, svc.publisher, best_effort=True)
    push(signalr, outcome)
    return response


@bp.route(route="webhooks/jira", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_output_binding(**SIGNALR)
def webhook_jira(req: func.HttpRequest, signalr: func.Out[str]) -> func.HttpResponse:
    return http(req, lambda: _handle(req, signalr, handle_jira), "webhook_jira")


@bp.route(route="webhooks/slack", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_output_binding(**SIGNALR)
def webhook_slack(req: func.HttpRequest, signalr: func.Out[str]) -> func.HttpResponse:
    return http(req, lambda: _handle(req, signalr, handle_slack), "webhook_slack")
