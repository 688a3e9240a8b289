"""The Function App: one Blueprint per module of functions/, registered here and nothing else."""

import azure.functions as func

from functions import analyze, dashboard, deadletter, enrich, health, ingest, notify, timers, warmup, webhooks

app = func.FunctionApp()

for module in (warmup, health, ingest, enrich, analyze, notify, deadletter, timers, webhooks, dashboard):
    app.register_functions(module.bp)
