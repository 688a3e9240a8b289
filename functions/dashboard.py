"""Dashboard API: tickets list/detail/actions, summary, CSV export and SignalR negotiate."""

import azure.functions as func

from functions._glue import SIGNALR, http, push, send
from shared.api import ApiError, json_response
from shared.bootstrap import get_services
from shared.dashboard_api import READER, RESPONDER, act, authorize, export_csv, list_tickets, ticket_detail
from shared.lifecycle import ACTIONS
from shared.summary import summary_for

bp = func.Blueprint()
PRINCIPAL = "x-ms-client-principal"


def _read(req: func.HttpRequest) -> None:
    authorize(req.headers.get(PRINCIPAL), READER)


@bp.route(route="tickets", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def tickets_list(req: func.HttpRequest) -> func.HttpResponse:
    def handle():  # type: ignore[no-untyped-def]
        _read(req)
        return list_tickets(dict(req.params), get_services())
    return http(req, handle, "tickets_list")


@bp.route(route="tickets/export.csv", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def tickets_export(req: func.HttpRequest) -> func.HttpResponse:
    def handle():  # type: ignore[no-untyped-def]
        _read(req)
        return export_csv(dict(req.params), get_services())
    return http(req, handle, "tickets_export")


@bp.route(route="tickets/{id}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def ticket_get(req: func.HttpRequest) -> func.HttpResponse:
    def handle():  # type: ignore[no-untyped-def]
        _read(req)
        return ticket_detail(req.route_params["id"], get_services())
    return http(req, handle, "ticket_get")


@bp.route(route="tickets/{id}/{action}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_output_binding(**SIGNALR)
def ticket_action(req: func.HttpRequest, signalr: func.Out[str]) -> func.HttpResponse:
    def handle():  # type: ignore[no-untyped-def]
        if req.route_params["action"] not in ACTIONS:
            raise ApiError(404, "not_found", "actions are acknowledge, resolve and reopen")
        principal = authorize(req.headers.get(PRINCIPAL), RESPONDER)
        svc = get_services()
        response, outcome = act(req.route_params["id"], req.route_params["action"], req.get_body() or b"",
                                principal, svc)
        send(outcome, svc.publisher, best_effort=True)
        push(signalr, outcome)
        return response
    return http(req, handle, "ticket_action")


@bp.route(route="summary", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def summary(req: func.HttpRequest) -> func.HttpResponse:
    def handle():  # type: ignore[no-untyped-def]
        _read(req)
        return json_response(200, summary_for(dict(req.params), get_services()))
    return http(req, handle, "summary")


@bp.route(route="negotiate", methods=["POST", "GET"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_input_binding(arg_name="connection_info", type="signalRConnectionInfo", hub_name="tickets",
                          connection_string_setting="AzureSignalRConnectionString")
def negotiate(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    def handle():  # type: ignore[no-untyped-def]
        _read(req)
        from shared.api import ApiResponse

        body = connection_info if isinstance(connection_info, str) else str(connection_info)
        return ApiResponse(200, body.encode())
    return http(req, handle, "negotiate")
