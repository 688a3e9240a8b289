"""A test-only Function App (Blueprint-based) that exercises every binding devhost hosts."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from pathlib import Path

import azure.functions as func

bp = func.Blueprint()
_lock = threading.Lock()
_in_flight = {"now": 0, "max": 0}


def _record(name: str, data: dict) -> None:
    """Append a JSON line to $SAMPLE_STATE_DIR/<name>.jsonl so the test process can see what happened."""
    with _lock, open(Path(os.environ["SAMPLE_STATE_DIR"]) / f"{name}.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(data, default=str) + "\n")


def _json(data: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(data), status_code=status, mimetype="application/json")


@bp.route(route="hello/{name:alpha}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"name": req.route_params["name"], "params": dict(req.params), "method": req.method,
                  "principal": req.headers.get("x-ms-client-principal"), "url": req.url})


@bp.route(route="items/export.csv", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def items_export(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("id,name\n1,a\n", mimetype="text/csv", headers={"X-Export": "yes"})


@bp.route(route="items/{id}", methods=["GET", "DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
def items_get(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"id": req.route_params["id"], "method": req.method}, status=200)


@bp.route(route="secure/echo", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def secure_echo(req: func.HttpRequest) -> func.HttpResponse:
    body = req.get_body()
    return func.HttpResponse(body, status_code=201, mimetype="application/octet-stream",
                             headers={"X-Length": str(len(body))})


@bp.route(route="async/{n:int}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def async_route(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0.01)
    return _json({"doubled": int(req.route_params["n"]) * 2})


@bp.route(route="boom", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("sample failure for the 500 test")


@bp.route(route="storage/{name:alpha}", methods=["PUT"], auth_level=func.AuthLevel.ANONYMOUS)
def storage_put(req: func.HttpRequest) -> func.HttpResponse:
    from azure.data.tables import TableServiceClient

    service = TableServiceClient.from_connection_string(os.environ["AzureWebJobsStorage"])
    table = service.create_table_if_not_exists("devhostsample")
    table.upsert_entity({"PartitionKey": "p", "RowKey": req.route_params["name"], "v": req.get_body().decode()})
    return _json({"stored": table.get_entity("p", req.route_params["name"])["v"]})


@bp.route(route="enqueue", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.service_bus_queue_output(arg_name="out", queue_name="%SAMPLE_QUEUE%", connection="ServiceBusConnection")
def enqueue(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    out.set(req.get_body().decode())
    return _json({"queued": True}, status=202)


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%SAMPLE_QUEUE%", connection="ServiceBusConnection")
@bp.generic_output_binding(arg_name="push", type="signalR", hub_name="samples",
                           connection_string_setting="AzureSignalRConnectionString")
def on_sample(msg: func.ServiceBusMessage, push: func.Out[str]) -> None:
    payload = json.loads(msg.get_body())
    push.set(json.dumps({"target": "sampleReceived", "arguments": [
        {"payload": payload, "message_id": msg.message_id, "delivery_count": msg.delivery_count,
         "enqueued": msg.enqueued_time_utc is not None, "sequence_number": msg.sequence_number}]}))


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%RELAY_QUEUE%", connection="ServiceBusConnection")
@bp.service_bus_queue_output(arg_name="$return", queue_name="%SAMPLE_QUEUE%", connection="ServiceBusConnection")
def relay(msg: func.ServiceBusMessage) -> str:
    return json.dumps({**json.loads(msg.get_body()), "relayed": True})


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%POISON_QUEUE%", connection="ServiceBusConnection")
def poison(msg: func.ServiceBusMessage) -> None:
    _record("poison", {"message_id": msg.message_id, "delivery_count": msg.delivery_count,
                       "application_properties": msg.application_properties,
                       "user_properties": msg.user_properties, "content_type": msg.content_type,
                       "correlation_id": msg.correlation_id, "body": msg.get_body().decode()})
    raise ValueError("poison message always fails")


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%WATCHED_QUEUE%", connection="ServiceBusConnection")
def watched(msg: func.ServiceBusMessage) -> None:
    raise ValueError("watched message fails so that its dead letter trigger runs")


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%WATCHED_QUEUE%/$DeadLetterQueue",
                              connection="ServiceBusConnection")
@bp.generic_output_binding(arg_name="push", type="signalR", hub_name="samples",
                           connection_string_setting="AzureSignalRConnectionString")
def watched_dead_letters(msg: func.ServiceBusMessage, push: func.Out[str]) -> None:
    push.set({"target": "deadLettered", "arguments": [
        {"body": msg.get_body().decode(), "reason": msg.dead_letter_reason,
         "delivery_count": msg.delivery_count}]})


@bp.service_bus_queue_trigger(arg_name="msg", queue_name="%SLOW_QUEUE%", connection="ServiceBusConnection")
def slow(msg: func.ServiceBusMessage) -> None:
    with _lock:
        _in_flight["now"] += 1
        _in_flight["max"] = max(_in_flight["max"], _in_flight["now"])
    try:
        time.sleep(float(json.loads(msg.get_body())["seconds"]))
    finally:
        with _lock:
            _in_flight["now"] -= 1
            peak = _in_flight["max"]
    _record("slow", {"message_id": msg.message_id, "delivery_count": msg.delivery_count, "peak": peak})


@bp.timer_trigger(schedule="%TICK_SCHEDULE%", arg_name="timer", run_on_startup=False)
@bp.generic_output_binding(arg_name="push", type="signalR", hub_name="samples",
                           connection_string_setting="AzureSignalRConnectionString")
def tick(timer: func.TimerRequest, push: func.Out[str]) -> None:
    push.set([{"target": "tick", "arguments": [{"past_due": timer.past_due}]}])


@bp.route(route="negotiate", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_input_binding(arg_name="info", type="signalRConnectionInfo", hub_name="samples",
                          connection_string_setting="AzureSignalRConnectionString")
def negotiate(req: func.HttpRequest, info: str) -> func.HttpResponse:
    return func.HttpResponse(info, mimetype="application/json")


@bp.route(route="broadcast", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_output_binding(arg_name="push", type="signalR", hub_name="samples",
                           connection_string_setting="AzureSignalRConnectionString")
def broadcast(req: func.HttpRequest, push: func.Out[str]) -> func.HttpResponse:
    push.set(req.get_body().decode())
    return func.HttpResponse(status_code=204)


@bp.function_name("warmup")
@bp.warm_up_trigger("warmup")
def warmup(warmup) -> None:  # type: ignore[no-untyped-def]
    time.sleep(0.2)  # ready must wait for it: a slow warmup shows whether it does
    _record("warmup", {"pid": os.getpid(), "type": type(warmup).__name__})


app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(bp)

