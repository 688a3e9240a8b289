"""`--demo`: a stand-in Databricks workspace and Azure Resource Manager for the demo alerts' estate.

The demo alerts (`demo_alerts/`) come from one made-up estate: factory adf-contoso-prod, Synapse
workspace syn-contoso-prod, the nightly-sales-etl job. Without those APIs the demo tickets could only
show what the alerts themselves say; with these stand-ins they show what a deployment fetches:
the failed runs and activities, the notebook's exception and trace, the cluster's termination reason,
and the analysis that follows. They are the same request-checking fake servers the tests use
(`tests/fakes_http/`, data in `tests/fixtures/api/`), so they need the repository's `tests/` folder;
without it, or when DATABRICKS_HOST / ARM_BASE_URL are set, the demo runs without them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DemoEstate", "start_demo_estate"]

log = logging.getLogger("devhost.demo")


@dataclass
class DemoEstate:
    servers: list[Any] = field(default_factory=list)
    lines: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()


def start_demo_estate(preset: frozenset[str]) -> DemoEstate:
    """Start the stand-ins the environment does not already point elsewhere, and set their settings."""
    estate = DemoEstate()
    from shared.integrations import LOCAL_ARM_TOKEN  # what the app sends to a local ARM

    try:
        from tests.fakes_http.arm_server import ArmServer
        from tests.fakes_http.databricks_server import DatabricksServer
    except ImportError as exc:
        estate.lines["demo estate"] = f"not started ({exc.name} is missing): tickets show the alerts alone"
        return estate
    configured = preset | {name for name in ("DATABRICKS_HOST", "ARM_BASE_URL") if os.environ.get(name)}
    if "DATABRICKS_HOST" not in configured:
        databricks = DatabricksServer().with_samples().start()
        estate.servers.append(databricks)
        os.environ["DATABRICKS_HOST"], os.environ["DATABRICKS_TOKEN"] = databricks.url, databricks.token
        estate.lines["demo databricks"] = f"{databricks.url} (stand-in workspace for the demo alerts)"
    if "ARM_BASE_URL" not in configured:
        arm = ArmServer(arm_token=LOCAL_ARM_TOKEN, synapse_token=LOCAL_ARM_TOKEN).with_samples().start()
        estate.servers.append(arm)
        os.environ["ARM_BASE_URL"], os.environ["SYNAPSE_ENDPOINT"] = arm.url, arm.synapse_endpoint()
        estate.lines["demo arm"] = f"{arm.url} (stand-in Azure Resource Manager and Synapse for the demo alerts)"
    return estate
