"""POST /api/alerts/azure-monitor and /api/alerts/databricks: validate, dedup, ticket, 202."""

import azure.functions as func

from functions._glue import SIGNALR, http, push
from shared.ingest_http import handle_alert_request

bp = func.Blueprint()


@bp.route(route="alerts/azure-monitor", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.generic_output_binding(**SIGNALR)
def ingest_azure_monitor(req: func.HttpRequest, signalr: func.Out[str]) -> func.HttpResponse:
    return http(req, lambda: _handle(req, "azure-monitor", signalr), "ingest_azure_monitor", limit_body=False)


@bp.route(route="alerts/databricks", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.generic_output_binding(**SIGNALR)
def ingest_databricks(req: func.HttpRequest, signalr: func.Out[str]) -> func.HttpResponse:
    return http(req, lambda: _handle(req, "databricks", signalr), "ingest_databricks", limit_body=False)


def _handle(req: func.HttpRequest, kind: str, signalr: func.Out[str]):  # type: ignore[no-untyped-def]
    response, outcome = handle_alert_request(kind, req.get_body() or b"")
    push(signalr, outcome)
    return response
