"""Ingestion storm through devhost: 2,000 alerts over 200 failures, then a sequential pass, against bare storage.

Prints JSON lines: the storm (throughput, p50/p99, tickets, occurrences, 5xx), the sequential pass
(p50) with the bare Azurite create_entity p50 measured in the same run, and the bare storage work
one alert needs (a Table insert + a blob upload) at the same concurrency, with the ratios the
targets are stated in. Run: `.venv/bin/python bench/ingest_storm.py [--alerts 2000 --failures 200]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.storm_payloads import distinct_failures  # noqa: E402

KEY = "bench-key"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2) if ordered else 0.0


async def post_all(base: str, jobs: list[tuple[str, bytes]], concurrency: int) -> tuple[list[float], list[dict], int, float]:
    import aiohttp

    latencies: list[float] = []
    results: list[dict] = []
    errors_5xx = 0
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors_5xx
        while not queue.empty():
            route, body = queue.get_nowait()
            started = time.perf_counter()
            async with session.post(f"{base}/api/alerts/{route}", data=body,
                                    headers={"x-functions-key": KEY, "content-type": "application/json"}) as resp:
                payload = await resp.read()
            latencies.append(time.perf_counter() - started)
            if resp.status >= 500:
                errors_5xx += 1
            elif resp.status == 202:
                results.extend(json.loads(payload)["results"])

    connector = aiohttp.TCPConnector(limit=concurrency)
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return latencies, results, errors_5xx, time.perf_counter() - started


async def bare_storage(connection: str, pairs: int, concurrency: int) -> float:
    """One Table insert + one blob upload per alert, issued by its own async client."""
    from azure.data.tables.aio import TableServiceClient
    from azure.storage.blob.aio import BlobServiceClient

    from shared.adapters.storage_clients import AZURITE_BLOB_API_VERSION

    name = "bench" + uuid.uuid4().hex[:8]
    tables = TableServiceClient.from_connection_string(connection)
    blobs = BlobServiceClient.from_connection_string(connection, api_version=AZURITE_BLOB_API_VERSION)
    async with tables, blobs:
        table = await tables.create_table(name)
        container = await blobs.create_container(name)
        body = b'{"alert": "' + b"x" * 1500 + b'"}'
        semaphore = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with semaphore:
                await table.create_entity({"PartitionKey": "p", "RowKey": f"r{i}", "doc": "x" * 1500})
                await container.upload_blob(f"b/{i}.json", body)

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(pairs)))
        return pairs / (time.perf_counter() - started)


def wait_for_pipeline(base: str, timeout: float = 120.0) -> float:
    """Seconds until every ticket reached the notified stage (the storm's stages drain first, so
    the sequential pass measures ingestion rather than the backlog behind it)."""
    import requests

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        pending, cursor = 0, None
        while True:
            params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
            page = requests.get(f"{base}/api/tickets", params=params, timeout=30).json()
            pending += sum(item["stage"] != "notified" for item in page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        if pending == 0:
            break
        time.sleep(0.5)
    return time.perf_counter() - started


def idle_sequential(base: str, jobs: list[tuple[str, bytes]]) -> list[float]:
    """Ingestion's own latency: each alert waits for the previous one's stages to finish first."""
    import requests

    session, latencies = requests.Session(), []
    for route, body in jobs:
        started = time.perf_counter()
        reply = session.post(f"{base}/api/alerts/{route}", data=body, headers={"x-functions-key": KEY}, timeout=30)
        latencies.append(time.perf_counter() - started)
        ticket_id = reply.json()["results"][0]["ticket_id"]
        deadline = time.perf_counter() + 20
        while time.perf_counter() < deadline:
            if session.get(f"{base}/api/tickets/{ticket_id}", timeout=30).json().get("stage") == "notified":
                break
            time.sleep(0.02)
    return latencies


def bare_insert_p50(connection: str, n: int = 200) -> float:
    from azure.data.tables import TableServiceClient

    service = TableServiceClient.from_connection_string(connection)
    table = service.create_table("seq" + uuid.uuid4().hex[:8])
    timings = []
    for i in range(n):
        started = time.perf_counter()
        table.create_entity({"PartitionKey": "p", "RowKey": f"r{i}", "doc": "x" * 1500})
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--failures", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sequential", type=int, default=200)
    args = parser.parse_args()

    from devhost.testing import run_devhost

    host = run_devhost(env={"INGEST_API_KEY": KEY, "DEVHOST_LOG_LEVEL": "WARNING"}, timeout=90)
    try:
        rng = random.Random(7)
        failures = distinct_failures(args.failures, rng)
        jobs = [f for f in failures for _ in range(args.alerts // args.failures)]
        rng.shuffle(jobs)
        latencies, results, errors, seconds = asyncio.run(post_all(host.base_url, jobs, args.concurrency))
        final = {}
        for r in results:
            final[r["ticket_id"]] = max(final.get(r["ticket_id"], 0), r["occurrences"])
        storm = {"bench": "ingest_storm", "alerts": len(jobs), "distinct_failures": args.failures,
                 "concurrency": args.concurrency, "seconds": round(seconds, 2),
                 "alerts_per_s": round(len(jobs) / seconds, 1), "p50_ms": percentile(latencies, 0.5),
                 "p99_ms": percentile(latencies, 0.99), "tickets_created": sum(r["status"] == "created" for r in results),
                 "distinct_tickets": len(final), "occurrences_sum": sum(final.values()), "http_5xx": errors}
        connection = host.settings["AzureWebJobsStorage"]
        bare_pairs = asyncio.run(bare_storage(connection, 1000, args.concurrency))
        storm["bare_storage_pairs_per_s"] = round(bare_pairs, 1)
        storm["throughput_ratio"] = round(storm["alerts_per_s"] / bare_pairs, 3)
        print(json.dumps(storm), flush=True)

        drained = wait_for_pipeline(host.base_url)
        print(json.dumps({"bench": "pipeline_drain", "tickets": len(final), "seconds_after_storm": round(drained, 1)}),
              flush=True)
        sequential = distinct_failures(args.sequential, random.Random(99))
        seq_latencies, _, seq_errors, _ = asyncio.run(post_all(host.base_url, sequential, 1))
        insert_p50 = bare_insert_p50(connection)
        seq_p50 = percentile(seq_latencies, 0.5)
        print(json.dumps({"bench": "ingest_sequential", "alerts": len(sequential), "p50_ms": seq_p50,
                          "bare_create_entity_p50_ms": round(insert_p50, 2),
                          "ratio_to_bare_insert": round(seq_p50 / insert_p50, 2), "http_5xx": seq_errors}), flush=True)
        idle = idle_sequential(host.base_url, distinct_failures(50, random.Random(123)))
        print(json.dumps({"bench": "ingest_sequential_idle", "alerts": 50, "p50_ms": percentile(idle, 0.5),
                          "ratio_to_bare_insert": round(percentile(idle, 0.5) / insert_p50, 2),
                          "note": "each alert sent once the previous one's pipeline finished"}), flush=True)
    finally:
        host.stop()


if __name__ == "__main__":
    main()
