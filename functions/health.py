"""GET /api/health: storage, Service Bus and each integration's configured state."""

import azure.functions as func

from functions._glue import http
from shared.api import json_response
from shared.health import check_health

bp = func.Blueprint()


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    def handle():  # type: ignore[no-untyped-def]
        report = check_health()
        return json_response(200, report)  # the body says what is degraded

    return http(req, handle, "health")
