"""`--demo`: replay the bundled sample alerts against the ingestion routes so tickets appear."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp

__all__ = ["DEMO_DIR", "demo_requests", "post_demo_alerts"]

log = logging.getLogger("devhost.demo")
DEMO_DIR = Path(__file__).parent / "demo_alerts"
ROUTES = {"azure_monitor_": "alerts/azure-monitor", "databricks_": "alerts/databricks"}


def demo_requests(directory: Path = DEMO_DIR) -> list[tuple[Path, str]]:
    """(file, route below the prefix) for every demo alert, in name order."""
    found = []
    for path in sorted(directory.glob("*.json")):
        route = next((r for prefix, r in ROUTES.items() if path.name.startswith(prefix)), None)
        if route:
            found.append((path, route))
    return found


async def post_demo_alerts(base_url: str, api_key: str | None, route_prefix: str = "api",
                           directory: Path = DEMO_DIR) -> list[tuple[str, int]]:
    """POST each demo alert; returns (file name, status). Failures are logged, never raised."""
    results: list[tuple[str, int]] = []
    headers = {"Content-Type": "application/json", **({"x-functions-key": api_key} if api_key else {})}
    prefix = f"/{route_prefix}" if route_prefix else ""
    async with aiohttp.ClientSession() as session:
        for path, route in demo_requests(directory):
            url = f"{base_url}{prefix}/{route}"
            try:
                async with session.post(url, data=path.read_bytes(), headers=headers) as response:
                    status, text = response.status, (await response.text())[:300]
            except aiohttp.ClientError as exc:
                log.warning("demo: %s -> %s failed: %s", path.name, url, exc)
                results.append((path.name, 0))
                continue
            results.append((path.name, status))
            if status == 404:
                log.warning("demo: %s -> %s: 404, the ingestion function is not there (yet)", path.name, url)
            elif status >= 400:
                log.warning("demo: %s -> %s: %d %s", path.name, url, status, text)
            else:
                log.info("demo: %s -> %s: %d %s", path.name, url, status, text)
    return results
