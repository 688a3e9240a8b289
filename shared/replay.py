"""Re-submit archived raw alerts through the ingestion path: `python -m shared.replay --help`.

Every request body is archived (raw-alerts/yyyy/mm/dd/<request-id>.json, with the kind, HTTP status,
result statuses and ticket ids as metadata). After a parser fix or an outage, replay the ones that
were rejected or answered 503; dedup makes a replayed failure join its ticket rather than open a
second one (and an accepted alert replayed counts as one more occurrence, as a resend would).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from shared.services import Services

__all__ = ["replay", "main"]


def _days(since: date, until: date) -> Iterator[str]:
    day = since
    while day <= until:
        yield f"{day:%Y/%m/%d}/"
        day += timedelta(days=1)


def _selected(meta: dict[str, str], statuses: set[str] | None, http: set[str] | None) -> bool:
    if http is not None and meta.get("http_status") not in http:
        return False
    return statuses is None or bool(statuses & set((meta.get("status") or "").split(",")))


def replay(svc: Services, since: date, until: date, *, request_id: str | None = None,
           statuses: set[str] | None = None, http: set[str] | None = None, dry_run: bool = False,
           ) -> Iterator[dict[str, Any]]:
    """Yield one report per archived body selected; re-submit it unless `dry_run`."""
    from shared.ingest_http import KINDS, handle_alert_request

    for prefix in _days(since, until):
        for name, meta in svc.archive.entries(prefix):
            if request_id and not name.endswith(f"/{request_id}.json"):
                continue
            if not _selected(meta, statuses, http) or meta.get("kind") not in KINDS:
                continue
            report: dict[str, Any] = {"blob": name, "kind": meta.get("kind"), "was": meta.get("http_status")}
            if not dry_run:
                response, _ = handle_alert_request(meta["kind"], svc.archive.get(name), svc)
                report["http_status"] = response.status
                body = json.loads(response.body or b"{}")
                report["results"] = body.get("results") or body.get("error")
            yield report


def _set(value: str | None) -> set[str] | None:
    return {v.strip() for v in value.split(",") if v.strip()} if value else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--since", type=date.fromisoformat, default=date.today(), help="first day (YYYY-MM-DD)")
    parser.add_argument("--until", type=date.fromisoformat, default=None, help="last day (default: --since)")
    parser.add_argument("--request-id", help="replay one request (the x-request-id of its reply)")
    parser.add_argument("--http-status", help="only bodies answered with these statuses, e.g. 422,503")
    parser.add_argument("--status", help="only bodies whose results had these statuses, e.g. rejected,ignored")
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed")
    args = parser.parse_args(argv)
    if not (args.request_id or args.http_status or args.status):
        parser.error("choose what to replay: --request-id, --http-status or --status")
    from shared.bootstrap import get_services

    count = 0
    for report in replay(get_services(), args.since, args.until or args.since, request_id=args.request_id,
                         statuses=_set(args.status), http=_set(args.http_status), dry_run=args.dry_run):
        print(json.dumps(report, default=str), flush=True)
        count += 1
    print(json.dumps({"replayed" if not args.dry_run else "selected": count}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
