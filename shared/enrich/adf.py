"""ADF and Synapse pipeline runs over REST: ARM for Data Factory, the workspace endpoint for Synapse."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from shared.adapters.http import retrying_session
from shared.enrich.tokens import ARM_SCOPE, SYNAPSE_SCOPE, TokenProvider
from shared.errors import IntegrationError, PermanentError, RetryableError, is_retryable_status

__all__ = ["Scope", "ArmDataFactory", "build_adf", "parse_resource_id", "arm_time",
           "ADF_API_VERSION", "SYNAPSE_API_VERSION", "DEFAULT_SYNAPSE_ENDPOINT"]

log = logging.getLogger(__name__)

ADF_API_VERSION = "2018-06-01"
SYNAPSE_API_VERSION = "2020-12-01"
SYNAPSE_ARM_API_VERSION = "2021-06-01"  # the workspace resource itself (tags)
DEFAULT_SYNAPSE_ENDPOINT = "https://{workspace}.dev.azuresynapse.net"
MAX_PAGES = 10

# Strict on purpose: the names end up in request URLs (the Synapse one in the host name, with a
# bearer token), so only what Azure allows in them passes - a "#", "@" or "." cannot redirect a call.
_RESOURCE = re.compile(
    r"^/?subscriptions/(?P<sub>[0-9A-Za-z-]{1,64})/resourceGroups/(?P<rg>[-\w.()]{1,90})/providers/"
    r"(?P<provider>Microsoft\.DataFactory/factories|Microsoft\.Synapse/workspaces)/"
    r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:/|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Scope:
    """Where one factory's (or Synapse workspace's) pipeline-run operations live."""

    kind: str  # "adf" | "synapse"
    name: str  # factory or workspace name
    base_url: str  # operations are relative to this (ARM factory URL, or the Synapse endpoint)
    api_version: str
    token_scope: str
    resource_id: str | None = None  # the ARM id, when subscription and resource group are known
    arm_base_url: str | None = None

    @property
    def system(self) -> str:
        return "Synapse" if self.kind == "synapse" else "ADF"

    def monitor_url(self, run_id: str) -> str | None:
        """The run's page in ADF Studio / Synapse Studio, for the ticket's run_page link."""
        if not self.resource_id:
            return None
        if self.kind == "synapse":
            return f"https://web.azuresynapse.net/monitoring/pipelineruns/{run_id}?workspace={quote(self.resource_id, safe='')}"
        return f"https://adf.azure.com/monitoring/pipelineruns/{run_id}?factory={quote(self.resource_id, safe='')}"


def parse_resource_id(resource_id: str | None) -> tuple[str, str, str, str] | None:
    """(kind, subscription, resource group, name) of a factory or Synapse workspace ARM id."""
    match = _RESOURCE.match((resource_id or "").strip())
    if not match:
        return None
    kind = "synapse" if match["provider"].lower().startswith("microsoft.synapse") else "adf"
    return kind, match["sub"], match["rg"], match["name"]


def arm_time(value: datetime) -> str:
    """ISO 8601 UTC as the run-query filters expect (lastUpdatedAfter/Before)."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _arm_error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code)[:80] if code else None


class ArmDataFactory:
    """queryPipelineRuns / queryActivityruns / pipelineruns/{id} with bearer tokens from
    `token_provider(scope)`. Retries 429/5xx honouring Retry-After (`retrying_session`)."""

    def __init__(self, base_url: str, token_provider: TokenProvider, *,
                 default_factory: tuple[str, str, str] | None = None,
                 synapse_endpoint: str = DEFAULT_SYNAPSE_ENDPOINT,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token_provider = token_provider
        self.default_factory = default_factory  # (subscription, resource group, factory) from settings
        self.synapse_endpoint = synapse_endpoint.rstrip("/")
        self._session = session or retrying_session(total=3, backoff=0.5, timeout=20.0, max_retry_after=20.0)

    def __repr__(self) -> str:
        return f"ArmDataFactory(base_url={self.base_url!r})"

    def factory_scope(self, subscription: str, resource_group: str, factory: str) -> Scope:
        rid = (f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
               f"/providers/Microsoft.DataFactory/factories/{factory}")
        return Scope("adf", factory, self.base_url + rid, ADF_API_VERSION, ARM_SCOPE, rid, self.base_url)

    def synapse_scope(self, workspace: str, subscription: str | None = None,
                      resource_group: str | None = None) -> Scope:
        rid = (f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
               f"/providers/Microsoft.Synapse/workspaces/{workspace}") if subscription and resource_group else None
        endpoint = self.synapse_endpoint.format(workspace=workspace)
        return Scope("synapse", workspace, endpoint, SYNAPSE_API_VERSION, SYNAPSE_SCOPE, rid, self.base_url)

    def scope_for(self, resource_id: str | None) -> Scope | None:
        """The factory/workspace an alert names, else the factory from the settings."""
        parsed = parse_resource_id(resource_id)
        if parsed:
            kind, sub, rg, name = parsed
            return self.synapse_scope(name, sub, rg) if kind == "synapse" else self.factory_scope(sub, rg, name)
        if self.default_factory and all(self.default_factory):
            return self.factory_scope(*self.default_factory)
        return None

    # -- operations -------------------------------------------------------------------------

    def get_pipeline_run(self, scope: Scope, run_id: str) -> dict[str, Any]:
        return self._request(scope, "GET", f"/pipelineruns/{quote(run_id, safe='')}")

    def query_pipeline_runs(self, scope: Scope, pipeline: str | None, start: datetime, end: datetime,
                            status: str | None = "Failed") -> list[dict[str, Any]]:
        filters = []
        if pipeline:
            filters.append({"operand": "PipelineName", "operator": "Equals", "values": [pipeline]})
        if status:
            filters.append({"operand": "Status", "operator": "Equals", "values": [status]})
        body = {"lastUpdatedAfter": arm_time(start), "lastUpdatedBefore": arm_time(end), "filters": filters,
                "orderBy": [{"orderBy": "RunStart", "order": "ASC"}]}
        return self._paged(scope, "/queryPipelineRuns", body)

    def query_activity_runs(self, scope: Scope, run_id: str, start: datetime, end: datetime,
                            pipeline: str | None = None) -> list[dict[str, Any]]:
        """Every activity run of one pipeline run (Synapse needs the pipeline name in the path)."""
        path = f"/pipelineruns/{quote(run_id, safe='')}/queryActivityruns"
        if scope.kind == "synapse":
            if not pipeline:
                raise PermanentError("Synapse", "activity runs need the pipeline name")
            path = f"/pipelines/{quote(pipeline, safe='')}" + path
        body = {"lastUpdatedAfter": arm_time(start), "lastUpdatedBefore": arm_time(end),
                "orderBy": [{"orderBy": "ActivityRunStart", "order": "ASC"}]}
        return self._paged(scope, path, body)

    def get_resource_tags(self, scope: Scope) -> dict[str, str]:
        """The factory's (or workspace's) ARM tags, for cost attribution."""
        if not scope.resource_id:
            return {}
        api = SYNAPSE_ARM_API_VERSION if scope.kind == "synapse" else ADF_API_VERSION
        url = (scope.arm_base_url or self.base_url) + scope.resource_id
        body = self._send("ARM", ARM_SCOPE, "GET", url, api, None)
        tags = body.get("tags") or {}
        return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}

    # -- transport ---------------------------------------------------------------------------

    def _paged(self, scope: Scope, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = self._request(scope, "POST", path, body)
            items.extend(v for v in page.get("value") or [] if isinstance(v, dict))
            token = page.get("continuationToken")
            if not token:
                break
            body = {**body, "continuationToken": token}
        return items

    def _request(self, scope: Scope, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._send(scope.system, scope.token_scope, method, scope.base_url + path, scope.api_version, body)

    def _send(self, system: str, token_scope: str, method: str, url: str, api_version: str,
              body: dict[str, Any] | None) -> dict[str, Any]:
        try:
            token = self._token_provider(token_scope)
        except Exception as exc:  # noqa: BLE001 - azure-identity raises several unrelated types
            log.warning("no %s token: %s", system, type(exc).__name__)
            raise PermanentError(system, "no access token (credential unavailable)") from None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            response = self._session.request(method, url, params={"api-version": api_version},
                                             json=body, headers=headers)
        except requests.RequestException as exc:
            raise _transport_error(system, exc) from None
        if response.status_code >= 400:
            code = _arm_error_code(response)
            detail = f"{response.status_code}" + (f" {code}" if code else "")
            cls = RetryableError if is_retryable_status(response.status_code) else PermanentError
            log.info("%s %s %s failed: %s", system, method, url.rsplit("/", 1)[-1], detail)
            raise cls(system, detail, status=response.status_code)
        try:
            data = response.json()
        except ValueError:
            raise PermanentError(system, f"{response.status_code} with a non-JSON body") from None
        return data if isinstance(data, dict) else {}


def _transport_error(system: str, exc: requests.RequestException) -> IntegrationError:
    text = str(exc).lower()
    if isinstance(exc, requests.Timeout) or "timed out" in text or "timeout" in text:
        return RetryableError(system, "timed out")
    return RetryableError(system, "connection failed")


def build_adf(settings: Any, credential: Any = None, token_provider: TokenProvider | None = None,
              synapse_endpoint: str | None = None) -> ArmDataFactory | None:
    """The adapter for the settings: ARM at ARM_BASE_URL with Entra ID tokens from `credential`
    (e.g. DefaultAzureCredential). None without any way to get a token."""
    if token_provider is None:
        if credential is None:
            return None
        from shared.enrich.tokens import entra_token_provider

        token_provider = entra_token_provider(credential)
    factory = (settings.adf_subscription_id, settings.adf_resource_group, settings.adf_factory_name)
    return ArmDataFactory(settings.arm_base_url, token_provider,
                          default_factory=factory if all(factory) else None,
                          synapse_endpoint=synapse_endpoint or getattr(settings, "synapse_endpoint", None)
                          or DEFAULT_SYNAPSE_ENDPOINT)
