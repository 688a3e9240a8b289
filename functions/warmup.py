"""Warmup trigger: a new instance builds its clients and loads the RCA catalog before it takes traffic."""

import azure.functions as func
from azure.functions.warmup import WarmUpContext  # listed in azure.functions.__all__ but not exported

from shared.bootstrap import warm_up

bp = func.Blueprint()


@bp.function_name("warmup")  # the platform looks for this name (one warmup function per app)
@bp.warm_up_trigger("warmup")
def warmup(warmup: WarmUpContext) -> None:
    warm_up()
