"""A second test-only Function App without Service Bus: demo replay targets, auth and settings probes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def _record(route: str, req: func.HttpRequest) -> func.HttpResponse:
    entry = {"route": route, "key": req.headers.get("x-functions-key"), "body": json.loads(req.get_body())}
    with open(Path(os.environ["TINY_STATE_DIR"]) / "alerts.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    return func.HttpResponse(json.dumps({"results": []}), status_code=202, mimetype="application/json")


@app.route(route="alerts/azure-monitor", methods=["POST"])
def azure_monitor(req: func.HttpRequest) -> func.HttpResponse:
    return _record("azure-monitor", req)


@app.route(route="alerts/databricks", methods=["POST"])
def databricks(req: func.HttpRequest) -> func.HttpResponse:
    return _record("databricks", req)


@app.route(route="whoami", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def whoami(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({
        "principal": req.headers.get("x-ms-client-principal"),
        "greeting": os.environ.get("TINY_GREETING"), "overridden": os.environ.get("TINY_OVERRIDDEN"),
        "enrich_queue": os.environ.get("ENRICH_QUEUE")}), mimetype="application/json")


@app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)
def yearly_but_on_startup(timer: func.TimerRequest) -> None:
    _note("startup", {"past_due": timer.past_due})


@app.timer_trigger(schedule="%TINY_SCHEDULE%", arg_name="timer")
def every_second(timer: func.TimerRequest) -> None:
    _note("ticks", {"past_due": timer.past_due})


def _note(name: str, entry: dict) -> None:
    with open(Path(os.environ["TINY_STATE_DIR"]) / f"{name}.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


@app.route(route="guarded", methods=["GET"])
def guarded(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")
