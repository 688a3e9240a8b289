"""The Function App: one Blueprint per module of functions/, registered here and nothing else."""

import azure.functions as func

from functions import health, ingest

app = func.FunctionApp()

for module in (health, ingest):
    app.register_functions(module.bp)
