"""Fake ARM (Data Factory 2018-06-01) and Synapse workspace (2020-12-01) pipeline-run APIs, checking requests."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.fakes_http.base import FakeServer, Recorded, Reply

__all__ = ["ArmServer", "Pipelines", "load_fixture", "FIXTURES"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "adf"
ADF_API = "2018-06-01"
SYNAPSE_API = "2020-12-01"
SYNAPSE_ARM_API = "2021-06-01"
_FACTORY = (r"(?i)/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
            r"/providers/Microsoft\.DataFactory/factories/(?P<name>[^/]+)")
_WORKSPACE_ARM = (r"(?i)/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
                  r"/providers/Microsoft\.Synapse/workspaces/(?P<name>[^/]+)")
_WORKSPACE = r"(?i)/synapse/(?P<name>[^/]+)"  # tests set the Synapse endpoint to {url}/synapse/{workspace}
PIPELINE_OPERANDS = {"PipelineName", "Status", "RunStart", "RunEnd", "RunGroupId", "TriggerName",
                     "TriggerRunTimestamp", "LatestOnly"}
ACTIVITY_OPERANDS = {"ActivityName", "ActivityType", "Status", "ActivityRunStart", "ActivityRunEnd"}
OPERATORS = {"Equals", "NotEquals", "In", "NotIn"}
ORDER_FIELDS = {"RunStart", "RunEnd", "PipelineName", "Status", "ActivityName", "ActivityRunStart",
                "ActivityRunEnd", "TriggerName", "TriggerRunTimestamp"}


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def _arm_error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}})


def _time(value: Any) -> datetime:
    text = str(value)
    text = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    return datetime.fromisoformat(text)


@dataclass
class Pipelines:
    """One factory or Synapse workspace: its ARM tags, pipeline runs and activity runs by run id."""

    tags: dict[str, str] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resource: dict[str, Any] | None = None


class ArmServer(FakeServer):
    """ARM and Synapse data plane in one server. ARM calls need `Bearer <arm_token>`, Synapse calls
    `Bearer <synapse_token>` (the two audiences), both the right `api-version`, and run queries the
    required `lastUpdatedAfter`/`lastUpdatedBefore` and well-formed filters."""

    def __init__(self, arm_token: str = "arm-fake-token", synapse_token: str = "synapse-fake-token") -> None:
        super().__init__()
        self.arm_token, self.synapse_token = arm_token, synapse_token
        self.factories: dict[tuple[str, str, str], Pipelines] = {}
        self.workspaces: dict[str, Pipelines] = {}
        self.page_size = 100
        self.route("GET", _FACTORY, self._get_factory)
        self.route("POST", _FACTORY + r"/queryPipelineRuns", self._query_runs)
        self.route("POST", _FACTORY + r"/pipelineruns/(?P<run>[^/]+)/queryActivityruns", self._query_activities)
        self.route("GET", _FACTORY + r"/pipelineruns/(?P<run>[^/]+)", self._get_run)
        self.route("GET", _WORKSPACE_ARM, self._get_workspace)
        self.route("POST", _WORKSPACE + r"/queryPipelineRuns", self._query_runs)
        self.route("POST", _WORKSPACE + r"/pipelines/(?P<pipeline>[^/]+)/pipelineruns/(?P<run>[^/]+)/queryActivityruns",
                   self._query_activities)
        self.route("GET", _WORKSPACE + r"/pipelineruns/(?P<run>[^/]+)", self._get_run)

    # -- data ---------------------------------------------------------------------------------

    def add_factory(self, sub: str, rg: str, name: str, **kw: Any) -> Pipelines:
        return self.factories.setdefault((sub.lower(), rg.lower(), name.lower()), Pipelines(**kw))

    def add_workspace(self, name: str, **kw: Any) -> Pipelines:
        return self.workspaces.setdefault(name.lower(), Pipelines(**kw))

    def reset(self) -> ArmServer:
        """Forget recorded requests, scripted faults and errors (the data stays)."""
        for log in (self.requests, self.faults, self.errors):
            log.clear()
        self.page_size = 100
        return self

    def synapse_endpoint(self) -> str:
        return self.url + "/synapse/{workspace}"

    def with_samples(self) -> ArmServer:
        """The sample estate: adf-contoso-prod on 2025-06-03 and Synapse workspace syn-contoso-prod."""
        factory = load_fixture("factory_get.json")
        runs = load_fixture("pipeline_runs_factory_2025-06-03.json")["value"]
        first = load_fixture("pipeline_run_get_failed.json")["runId"]
        second = "b4d2f6a8-1c3e-4f5a-8b7c-9d0e1f2a3b4c"
        self.add_factory("11111111-2222-3333-4444-555555555555", "rg-dataplatform-prod", "adf-contoso-prod",
                         tags=factory["tags"], runs=runs, resource=factory,
                         activities={first: load_fixture("activity_runs_query_failed.json")["value"],
                                     second: load_fixture("activity_runs_second_run.json")["value"]})
        syn_runs = load_fixture("synapse_pipeline_runs_failed.json")["value"]
        self.add_workspace("syn-contoso-prod", tags={"cost_center": "CC-3300"}, runs=syn_runs,
                           activities={syn_runs[0]["runId"]: load_fixture("synapse_activity_runs_failed.json")["value"]})
        return self

    # -- checks -------------------------------------------------------------------------------

    def _denied(self, rec: Recorded, synapse: bool, api: str) -> Reply | None:
        header = rec.headers.get("authorization")
        if not header:
            self.errors.append(f"{rec.path}: no Authorization header")
            return _arm_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        if not re.fullmatch(r"Bearer \S+", header):
            self.errors.append(f"{rec.path}: malformed Authorization header")
            return _arm_error(401, "AuthenticationFailed",
                              "Authentication failed. The 'Authorization' header is provided in an invalid format.")
        if header != f"Bearer {self.synapse_token if synapse else self.arm_token}":
            self.errors.append(f"{rec.path}: token for the wrong audience")
            return _arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        versions = rec.query.get("api-version")
        if not versions:
            self.errors.append(f"{rec.path}: no api-version")
            return _arm_error(400, "MissingApiVersionParameter",
                              "The api-version query parameter (?api-version=) is required for all requests.")
        if versions != [api]:
            self.errors.append(f"{rec.path}: api-version {versions}")
            return _arm_error(400, "InvalidApiVersionParameter",
                              f"The api-version '{versions[0]}' is invalid. The supported versions are '{api}'.")
        return None

    def _target(self, rec: Recorded, match: re.Match[str]) -> tuple[Pipelines | None, Reply | None]:
        synapse = rec.path.lower().startswith("/synapse/")
        denied = self._denied(rec, synapse, SYNAPSE_API if synapse else ADF_API)
        if denied:
            return None, denied
        if synapse:
            found = self.workspaces.get(match["name"].lower())
        else:
            found = self.factories.get((match["sub"].lower(), match["rg"].lower(), match["name"].lower()))
        if found is None:
            kind = "Microsoft.Synapse/workspaces" if synapse else "Microsoft.DataFactory/factories"
            return None, _arm_error(404, "ResourceNotFound", f"The Resource '{kind}/{match['name']}' was not found.")
        return found, None

    @staticmethod
    def _window(rec: Recorded, operands: set[str]) -> tuple[dict[str, Any], datetime, datetime]:
        assert rec.headers.get("content-type", "").startswith("application/json"), "body must be JSON"
        body = rec.json()
        assert isinstance(body, dict), "the body must be a RunFilterParameters object"
        for name in ("lastUpdatedAfter", "lastUpdatedBefore"):
            assert body.get(name), f"{name} is required"
        after, before = _time(body["lastUpdatedAfter"]), _time(body["lastUpdatedBefore"])
        assert after.tzinfo and before.tzinfo, "times must carry a UTC offset"
        assert after < before, "lastUpdatedAfter must be before lastUpdatedBefore"
        for flt in body.get("filters") or []:
            assert flt.get("operand") in operands, f"unknown filter operand {flt.get('operand')!r}"
            assert flt.get("operator") in OPERATORS, f"unknown filter operator {flt.get('operator')!r}"
            assert isinstance(flt.get("values"), list) and flt["values"], "filter values must be a non-empty list"
        for order in body.get("orderBy") or []:
            assert order.get("orderBy") in ORDER_FIELDS and order.get("order") in ("ASC", "DESC"), f"bad orderBy {order}"
        return body, after, before

    @staticmethod
    def _matches(item: dict[str, Any], filters: list[dict[str, Any]], fields: dict[str, str]) -> bool:
        for flt in filters:
            key = fields.get(flt["operand"])
            if key is None:
                continue  # accepted but not modelled by the fake
            hit = str(item.get(key)) in [str(v) for v in flt["values"]]
            if hit != (flt["operator"] in ("Equals", "In")):
                return False
        return True

    def _paged(self, items: list[dict[str, Any]], body: dict[str, Any]) -> Reply:
        start = int(body.get("continuationToken") or 0)
        page = items[start:start + self.page_size]
        more = start + self.page_size < len(items)
        return Reply(200, {"value": copy.deepcopy(page), "continuationToken": str(start + self.page_size) if more else None})

    # -- routes -------------------------------------------------------------------------------

    def _query_runs(self, rec: Recorded, match: re.Match[str]) -> Reply:
        target, denied = self._target(rec, match)
        if denied:
            return denied
        body, after, before = self._window(rec, PIPELINE_OPERANDS)
        fields = {"PipelineName": "pipelineName", "Status": "status", "RunGroupId": "runGroupId"}
        hits = [r for r in target.runs if after <= _time(r["lastUpdated"]) <= before
                and self._matches(r, body.get("filters") or [], fields)]
        hits.sort(key=lambda r: r["runStart"])
        return self._paged(hits, body)

    def _query_activities(self, rec: Recorded, match: re.Match[str]) -> Reply:
        target, denied = self._target(rec, match)
        if denied:
            return denied
        body, after, before = self._window(rec, ACTIVITY_OPERANDS)
        if "pipeline" in match.groupdict():
            run = next((r for r in target.runs if r["runId"] == match["run"]), None)
            assert run is None or run["pipelineName"] == match["pipeline"], "pipeline name does not match the run"
        fields = {"ActivityName": "activityName", "ActivityType": "activityType", "Status": "status"}
        acts = [a for a in target.activities.get(match["run"], [])
                if after <= _time(a.get("activityRunEnd") or a["activityRunStart"]) <= before
                and self._matches(a, body.get("filters") or [], fields)]
        return self._paged(acts, body)

    def _get_run(self, rec: Recorded, match: re.Match[str]) -> Reply:
        target, denied = self._target(rec, match)
        if denied:
            return denied
        run = next((r for r in target.runs if r["runId"] == match["run"]), None)
        if run is None:
            return _arm_error(404, "PipelineRunNotFound", f"The pipeline run '{match['run']}' was not found.")
        return Reply(200, run)

    def _get_factory(self, rec: Recorded, match: re.Match[str]) -> Reply:
        target, denied = self._target(rec, match)
        if denied:
            return denied
        resource = target.resource or {"name": match["name"], "type": "Microsoft.DataFactory/factories"}
        return Reply(200, {**resource, "tags": target.tags})

    def _get_workspace(self, rec: Recorded, match: re.Match[str]) -> Reply:
        denied = self._denied(rec, False, SYNAPSE_ARM_API)
        if denied:
            return denied
        target = self.workspaces.get(match["name"].lower())
        if target is None:
            return _arm_error(404, "ResourceNotFound", f"The Resource 'Microsoft.Synapse/workspaces/{match['name']}' was not found.")
        return Reply(200, {"name": match["name"], "type": "Microsoft.Synapse/workspaces", "tags": target.tags})
