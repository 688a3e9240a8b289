"""The Function App's settings cover everything the code reads, in identity form, with secrets from Key Vault."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from shared.config import Settings
from tests.unit.infra.bicep_reader import INFRA, REPO, load

FUNCTION = load(INFRA / "app" / "function.bicep")
MAIN = load(INFRA / "main.bicep")

# Connection-string forms the code accepts locally; in Azure their identity-based form (NAME__...) is set instead.
CONNECTION_STRING_FORMS = {"AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString"}
# Local stand-ins, set empty in Azure: devhost's ingestion key (Azure checks function keys) and a static ARM
# token (Azure uses the managed identity). function.bicep says why in a comment.
NOT_IN_AZURE = {"INGEST_API_KEY", "ARM_TOKEN"}
# Set only when given; absent means the app's own default applies.
OPTIONAL_VARS = {"jiraStatusSetting", "jiraTransitionSetting"}
SECRETS = {
    "GEMINI_API_KEY": "gemini-api-key",
    "JIRA_API_TOKEN": "jira-api-token",
    "JIRA_WEBHOOK_SECRET": "jira-webhook-secret",
    "SLACK_BOT_TOKEN": "slack-bot-token",
    "SLACK_SIGNING_SECRET": "slack-signing-secret",
    "DATABRICKS_TOKEN": "databricks-token",
}
# Settings Flex Consumption rejects or ignores (runtime and deployment moved to functionAppConfig).
FLEX_DEPRECATED = {
    "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_WORKER_RUNTIME_VERSION",
    "FUNCTIONS_MAX_HTTP_CONCURRENCY", "FUNCTIONS_WORKER_PROCESS_COUNT", "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTSHARE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_NODE_DEFAULT_VERSION",
    "SCM_DO_BUILD_DURING_DEPLOYMENT", "ENABLE_ORYX_BUILD", "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT",
    "WEBSITE_TIME_ZONE", "TZ", "AzureWebJobsStorage",
}


def app_settings() -> dict[str, str]:
    """Every setting name the appsettings resource writes, mapped to its Bicep value expression."""
    return {name: value for name, (value, _) in _settings_with_origin().items()}


def _settings_with_origin() -> dict[str, tuple[str, str]]:
    decl = FUNCTION.get("resource", "appSettings")
    body = FUNCTION.body_text(decl)
    union = re.search(r"properties:\s*union\(([^)]*)\)", body)
    assert union, "appsettings must be a union of the settings vars"
    settings: dict[str, tuple[str, str]] = {}
    for var in (v.strip() for v in union[1].split(",")):
        vdecl = FUNCTION.get("var", var)
        if vdecl.body:
            found = FUNCTION.object_keys(vdecl.body[0])
        else:  # var x = cond ? {} : { NAME: value }
            found = {k: v.strip() for k, v in re.findall(r"\{\s*([A-Za-z_]\w*):\s*([^}]*)\}", vdecl.text)}
        settings.update({name: (value, var) for name, value in found.items()})
    return settings


SETTINGS = app_settings()
ORIGIN = {name: var for name, (_, var) in _settings_with_origin().items()}


def contract_aliases() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(c) for c in alias.choices)
        elif alias:
            names.add(str(alias))
    return names


def binding_strings() -> list[tuple[str, str, str]]:
    """(file, keyword, value) for every string keyword argument in functions/*.py."""
    out = []
    for path in sorted((REPO / "functions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        out.append((path.name, kw.arg, kw.value.value))
    return out


def test_settings_are_read_from_the_bicep() -> None:
    assert len(SETTINGS) > 40
    assert SETTINGS["ENRICH_QUEUE"] == "queues.enrich"


@pytest.mark.parametrize("alias", sorted(contract_aliases()))
def test_every_setting_the_code_reads_is_set(alias: str) -> None:
    if alias in CONNECTION_STRING_FORMS:
        assert any(name.startswith(alias + "__") for name in SETTINGS), f"{alias}: no identity-based form"
        assert alias not in SETTINGS, f"{alias}: a connection string must not be set in Azure"
    elif alias in NOT_IN_AZURE:
        assert SETTINGS.get(alias) == "''", f"{alias} must be set empty in Azure"
        assert re.search(rf"//.*{alias}", FUNCTION.text), f"say why {alias} is empty"
    else:
        assert alias in SETTINGS


def test_every_binding_expression_in_functions_has_a_value() -> None:
    expressions = {name for _, _, value in binding_strings() for name in re.findall(r"%([A-Za-z_]\w*)%", value)}
    assert {"ENRICH_QUEUE", "SLA_TIMER_SCHEDULE", "REDRIVE_TIMER_SCHEDULE"} <= SETTINGS.keys()
    assert expressions - set(SETTINGS) == set()


def test_every_connection_name_in_functions_is_configured_by_identity() -> None:
    connections = {value for _, kw, value in binding_strings()
                   if kw in ("connection", "connection_string_setting", "connectionStringSetting")}
    for name in connections | {"AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString"}:
        assert SETTINGS.get(f"{name}__credential") == "'managedidentity'", name
        assert SETTINGS.get(f"{name}__clientId") == "clientId", name
        assert name not in SETTINGS


def test_identity_based_connections_name_their_endpoints() -> None:
    assert SETTINGS["AzureWebJobsStorage__accountName"] == "storage.name"
    assert SETTINGS["ServiceBusConnection__fullyQualifiedNamespace"] == "serviceBusNamespace"
    assert SETTINGS["AzureSignalRConnectionString__serviceUri"] == "'https://${signalRHostName}'"
    assert SETTINGS["AZURE_CLIENT_ID"] == "clientId"
    assert "var clientId = identity.properties.clientId" in FUNCTION.text
    assert "serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace" in MAIN.text


def test_telemetry_goes_to_application_insights_with_entra_auth() -> None:
    assert SETTINGS["APPLICATIONINSIGHTS_CONNECTION_STRING"] == "appInsights.properties.ConnectionString"
    assert SETTINGS["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "'ClientId=${clientId};Authorization=AAD'"


@pytest.mark.parametrize(("setting", "secret"), sorted(SECRETS.items()))
def test_secrets_are_key_vault_references(setting: str, secret: str) -> None:
    value = SETTINGS[setting]
    assert f"'@Microsoft.KeyVault(SecretUri=${{secretsUri}}{secret}/)'" in value
    assert value.startswith(f"contains(enabledSecrets, '{secret}') ?") and value.endswith(": ''")
    assert "var secretsUri = '${keyVault.properties.vaultUri}secrets/'" in FUNCTION.text
    hook = (INFRA / "hooks" / "set-secret.sh").read_text()
    assert secret in hook


def test_no_other_setting_is_a_key_vault_reference_or_a_literal_secret() -> None:
    for name, value in SETTINGS.items():
        if name not in SECRETS:
            assert "@Microsoft.KeyVault" not in value, name
    # Secret values never pass through the template: no @secure() parameter exists to carry one.
    assert "@secure()" not in FUNCTION.text and "@secure()" not in MAIN.text


def test_no_setting_flex_consumption_deprecates() -> None:
    assert FLEX_DEPRECATED & set(SETTINGS) == set()


def _bicep_default(value: str) -> object:
    """The default an app-setting expression evaluates to when only function.bicep defaults apply."""
    params = {p.name: p.default for p in FUNCTION.of_kind("param")}
    match = re.fullmatch(r"string\((\w+)\)|(\w+)|(\w+) \? 'true' : 'false'", value)
    if not match:
        return NotImplemented
    name = next(g for g in match.groups() if g)
    default = params.get(name)
    if default is None:
        return NotImplemented
    if default.startswith("'"):
        return default.strip("'") or None
    return json.loads(default)


def test_bicep_defaults_equal_the_app_defaults() -> None:
    compared, mismatched = [], []
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        name = str(alias.choices[0]) if isinstance(alias, AliasChoices) else str(alias)
        if name not in SETTINGS or ORIGIN[name] in OPTIONAL_VARS:
            continue  # not set in Azure, or only when given (then the app default applies)
        actual = _bicep_default(SETTINGS[name])
        if actual is NotImplemented:
            continue  # computed from a resource or a required parameter
        expected = info.get_default(call_default_factory=True)
        if isinstance(expected, float):
            actual = float(actual)  # Bicep has no float: the fraction is a decimal string
        compared.append(name)
        if actual != expected:
            mismatched.append(f"{name}: Bicep {actual!r}, app {expected!r}")
    assert mismatched == []
    assert {"SLA_SECONDS_P1", "SLA_WARNING_FRACTION", "REDRIVE_AFTER_SECONDS", "RESOLVE_CLOSES_TICKET",
            "TEAM_RULES", "GEMINI_MODEL", "JIRA_ISSUE_TYPE"} <= set(compared)


def test_queue_names_equal_the_app_defaults_and_create_the_queues() -> None:
    body = MAIN.body_text(MAIN.get("var", "queues"))
    queues = dict(re.findall(r"(\w+):\s*'([^']+)'", body))
    assert queues == {
        "enrich": Settings.model_fields["enrich_queue"].default,
        "analyze": Settings.model_fields["analyze_queue"].default,
        "notify": Settings.model_fields["notify_queue"].default,
    }
    service_bus = MAIN.body_text(MAIN.get("module", "serviceBus"))
    assert "queueNames: [queues.enrich, queues.analyze, queues.notify]" in service_bus
    assert "queues: queues" in MAIN.body_text(MAIN.get("module", "functionApp"))


def test_dashboard_url_is_the_static_web_app() -> None:
    assert SETTINGS["DASHBOARD_URL"] == "dashboardUrl"
    assert "dashboardUrl: dashboard.outputs.url" in MAIN.text


def test_binding_scan_reads_decorator_keywords(tmp_path: Path) -> None:
    source = 'bp.service_bus_queue_trigger(arg_name="m", queue_name="%ENRICH_QUEUE%", connection="X")\n'
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    values = [kw.value.value for kw in calls[0].keywords]
    assert "%ENRICH_QUEUE%" in values and "X" in values


def test_timer_schedules_set_in_azure_match_the_code() -> None:
    # While the timers carry literal schedules, the settings must not promise different ones.
    literal = {value for _, kw, value in binding_strings() if kw == "schedule" and "%" not in value}
    defaults = {p.default.strip("'") for p in FUNCTION.of_kind("param") if p.name.endswith("TimerSchedule")}
    assert literal <= defaults
