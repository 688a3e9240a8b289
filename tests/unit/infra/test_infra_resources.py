"""Every Azure resource the deployment promises is declared, with the properties that make it key-less and correct."""

from __future__ import annotations

import re

import pytest

from tests.unit.infra.bicep_reader import INFRA, REPO, Bicep, all_files, load

FILES = all_files()
MAIN = load(INFRA / "main.bicep")

# Types an Azure Verified Module creates, by module path.
AVM_TYPES = {
    "avm/res/managed-identity/user-assigned-identity": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "avm/res/operational-insights/workspace": "Microsoft.OperationalInsights/workspaces",
    "avm/res/insights/component": "Microsoft.Insights/components",
}

REQUIRED_TYPES = [
    "Microsoft.Resources/resourceGroups",
    "Microsoft.ManagedIdentity/userAssignedIdentities",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Storage/storageAccounts/blobServices/containers",
    "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies",
    "Microsoft.Storage/storageAccounts/tableServices/tables",
    "Microsoft.Storage/storageAccounts/managementPolicies",
    "Microsoft.ServiceBus/namespaces",
    "Microsoft.ServiceBus/namespaces/queues",
    "Microsoft.Web/serverfarms",
    "Microsoft.Web/sites",
    "Microsoft.Web/sites/config",
    "Microsoft.SignalRService/signalR",
    "Microsoft.Web/staticSites",
    "Microsoft.Web/staticSites/linkedBackends",
    "Microsoft.KeyVault/vaults",
    "Microsoft.OperationalInsights/workspaces",
    "Microsoft.Insights/components",
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.Insights/actionGroups",
    "Microsoft.Insights/metricAlerts",
    "Microsoft.Insights/scheduledQueryRules",
    "Microsoft.Insights/diagnosticSettings",
]


def created_types() -> set[str]:
    types = set()
    for bicep in FILES:
        for decl in bicep.of_kind("resource"):
            if not decl.existing:
                types.add(decl.type_ref.split("@")[0])
        for decl in bicep.of_kind("module"):
            if decl.type_ref.startswith("br/"):
                types.add(AVM_TYPES[decl.type_ref.split(":")[1]])
    return types


def resource(file: str, type_name: str) -> tuple[Bicep, str]:
    """The body of the one non-existing resource of that type in app/<file>."""
    bicep = load(INFRA / "app" / file)
    found = [d for d in bicep.of_kind("resource") if d.type_ref.split("@")[0] == type_name and not d.existing]
    assert len(found) == 1, f"{file}: {len(found)} resources of type {type_name}"
    return bicep, bicep.body_text(found[0])


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("type_name", REQUIRED_TYPES)
def test_resource_type_is_created(type_name: str) -> None:
    assert type_name in created_types()


def test_verified_modules_are_used_for_identity_and_monitoring() -> None:
    refs = {d.type_ref.split(":")[1] for d in MAIN.of_kind("module") if d.type_ref.startswith("br/")}
    assert refs == set(AVM_TYPES)


def test_storage_is_key_less_and_tls12() -> None:
    _, body = resource("storage.bicep", "Microsoft.Storage/storageAccounts")
    assert re.search(r"\ballowSharedKeyAccess:\s*false\b", body)
    assert re.search(r"\bminimumTlsVersion:\s*'TLS1_2'", body)
    assert re.search(r"\ballowBlobPublicAccess:\s*false\b", body)
    assert re.search(r"\bsupportsHttpsTrafficOnly:\s*true\b", body)


def code_names(attribute: str, fallback: tuple[str, ...]) -> tuple[str, ...]:
    try:
        from shared.adapters import names
    except ImportError:  # pragma: no cover - the module exists; kept for a checkout without it
        return fallback
    return tuple(getattr(names, attribute))


def bicep_list(bicep: Bicep, var: str) -> list[str]:
    decl = bicep.get("var", var)
    return re.findall(r"'([^']+)'", bicep.body_text(decl))


def bicep_string(bicep: Bicep, var: str) -> str:
    match = re.search(r"=\s*'([^']*)'", bicep.get("var", var).text)
    assert match, f"var {var} is not a string literal"
    return match[1]


def test_every_table_the_code_uses_is_created() -> None:
    tables = bicep_list(MAIN, "tableNames")
    expected = set(code_names("TABLES", ("tickets", "ticketindex", "dedup", "rcacache", "webhookevents")))
    assert expected <= set(tables)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]{2,62}", t) for t in tables), "invalid table name"
    storage = load(INFRA / "app" / "storage.bicep")
    assert "for table in tableNames" in storage.masked


def test_every_container_the_code_uses_is_created() -> None:
    containers = {bicep_string(MAIN, "rawAlertsContainer"), bicep_string(MAIN, "auditContainer")}
    assert set(code_names("CONTAINERS", ("raw-alerts", "audit"))) <= containers
    assert bicep_string(MAIN, "rawAlertsContainer") == "raw-alerts"
    assert bicep_string(MAIN, "auditContainer") == "audit"


def test_raw_alerts_cool_after_30_days_and_go_after_365() -> None:
    bicep, body = resource("storage.bicep", "Microsoft.Storage/storageAccounts/managementPolicies")
    text = flat(body)
    assert "prefixMatch: ['${rawAlertsContainer}/']" in text
    assert "tierToCool: { daysAfterModificationGreaterThan: rawAlertsCoolAfterDays }" in text
    assert "delete: { daysAfterModificationGreaterThan: rawAlertsDeleteAfterDays }" in text
    assert bicep.get("param", "rawAlertsCoolAfterDays").default == "30"
    assert bicep.get("param", "rawAlertsDeleteAfterDays").default == "365"


def test_audit_container_can_be_made_immutable_and_stays_appendable() -> None:
    bicep, body = resource("storage.bicep",
                           "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies")
    decl = [d for d in bicep.of_kind("resource") if d.name == "auditRetention"][0]
    assert "if (auditImmutabilityDays > 0)" in decl.text
    assert "parent: audit" in body and "allowProtectedAppendWrites: true" in body
    assert "auditImmutabilityDays" in {p.name for p in MAIN.of_kind("param")}


def test_service_bus_is_standard_and_key_less() -> None:
    _, body = resource("servicebus.bicep", "Microsoft.ServiceBus/namespaces")
    assert re.search(r"name:\s*'Standard'", body)
    assert re.search(r"\bdisableLocalAuth:\s*true\b", body)


def test_function_app_is_flex_consumption_python_311_with_the_user_assigned_identity() -> None:
    _, plan = resource("function.bicep", "Microsoft.Web/serverfarms")
    assert "tier: 'FlexConsumption'" in plan and "name: 'FC1'" in plan
    _, site = resource("function.bicep", "Microsoft.Web/sites")
    text = flat(site)
    assert "kind: 'functionapp,linux'" in text
    assert "type: 'UserAssigned'" in text
    assert "keyVaultReferenceIdentity: identity.id" in text
    assert "runtime: { name: 'python' version: '3.11' }" in text
    assert "authentication: { type: 'UserAssignedIdentity' userAssignedIdentityResourceId: identity.id }" in text
    assert "httpsOnly: true" in text


def test_publishing_passwords_are_off() -> None:
    bicep = load(INFRA / "app" / "function.bicep")
    policies = [bicep.body_text(d) for d in bicep.of_kind("resource")
                if d.type_ref.startswith("Microsoft.Web/sites/basicPublishingCredentialsPolicies@")]
    assert sorted(re.search(r"name: '(\w+)'", p)[1] for p in policies) == ["ftp", "scm"]
    assert all("allow: false" in p for p in policies)


def test_signalr_is_serverless_and_key_less() -> None:
    _, body = resource("signalr.bicep", "Microsoft.SignalRService/signalR")
    assert "flag: 'ServiceMode'\n        value: 'Serverless'" in body
    assert re.search(r"\bdisableLocalAuth:\s*true\b", body)
    assert "allowedOrigins: allowedOrigins" in body
    assert "allowedOrigins: [dashboard.outputs.url]" in MAIN.text


def test_static_web_app_is_standard_and_linked_to_the_function_app() -> None:
    _, swa = resource("staticwebapp.bicep", "Microsoft.Web/staticSites")
    assert "name: 'Standard'" in swa and "'azd-service-name': 'web'" in swa
    bicep, link = resource("dashboard-link.bicep", "Microsoft.Web/staticSites/linkedBackends")
    assert "backendResourceId: functionApp.id" in link


def test_linking_does_not_lock_webhook_callers_out() -> None:
    _, auth = resource("dashboard-link.bicep", "Microsoft.Web/sites/config")
    text = flat(auth)
    assert "name: 'authsettingsV2'" in text
    assert "requireAuthentication: false" in text and "unauthenticatedClientAction: 'AllowAnonymous'" in text
    assert "azureStaticWebApps: { enabled: true" in text


def test_key_vault_uses_rbac() -> None:
    _, body = resource("keyvault.bicep", "Microsoft.KeyVault/vaults")
    assert re.search(r"\benableRbacAuthorization:\s*true\b", body)
    assert re.search(r"\benableSoftDelete:\s*true\b", body)
    assert "accessPolicies" not in body


def test_app_insights_is_workspace_based_without_local_auth() -> None:
    body = MAIN.body_text(MAIN.get("module", "appInsights"))
    assert "workspaceResourceId: logAnalytics.outputs.resourceId" in body
    assert re.search(r"\bdisableLocalAuth:\s*true\b", body)


def test_action_group_calls_the_ingestion_function_with_the_common_schema() -> None:
    _, body = resource("alerts.bicep", "Microsoft.Insights/actionGroups")
    assert re.search(r"\buseCommonAlertSchema:\s*true\b", body)
    assert "/api/alerts/azure-monitor?code=${functionHost.listKeys().functionKeys.azuremonitor}" in body


def test_adf_metric_alert_is_split_by_pipeline_name() -> None:
    bicep, body = resource("alerts.bicep", "Microsoft.Insights/metricAlerts")
    text = flat(body)
    assert "metricName: 'PipelineFailedRuns'" in text
    assert "metricNamespace: 'Microsoft.DataFactory/factories'" in text
    assert "dimensions: [ { name: 'Name' operator: 'Include' values: ['*'] } ]" in text
    assert "actionGroupId: actionGroup.id" in text


def test_adf_log_alert_watches_failed_activity_runs() -> None:
    _, body = resource("alerts.bicep", "Microsoft.Insights/scheduledQueryRules")
    assert "ADFActivityRun" in body
    assert 'where Status == "Failed"' in body
    assert "skipQueryValidation: true" in body
    assert "actionGroups: [actionGroup.id]" in body


def test_sample_alert_rules_exist_only_with_a_data_factory() -> None:
    bicep = load(INFRA / "app" / "alerts.bicep")
    for decl in bicep.of_kind("resource"):
        if decl.type_ref.startswith(("Microsoft.Insights/metricAlerts@", "Microsoft.Insights/scheduledQueryRules@")):
            assert "if (!empty(dataFactoryResourceId))" in decl.text


def test_diagnostic_settings_send_adf_and_databricks_logs_to_the_workspace() -> None:
    _, adf = resource("adf-source.bicep", "Microsoft.Insights/diagnosticSettings")
    assert "logAnalyticsDestinationType: 'Dedicated'" in adf
    for category in ("ActivityRuns", "PipelineRuns", "TriggerRuns"):
        assert f"category: '{category}'" in adf
    _, dbw = resource("databricks-source.bicep", "Microsoft.Insights/diagnosticSettings")
    assert "'jobs'" in dbw and "'clusters'" in dbw
    for name in ("adfSource", "databricksSource"):
        decl = MAIN.get("module", name)
        assert " if (" in decl.text, f"{name} must be conditional on its parameter"
        assert "logAnalyticsWorkspaceId: logAnalytics.outputs.resourceId" in MAIN.body_text(decl)


def test_alerts_wait_for_the_hook_that_creates_the_function_keys() -> None:
    assert "module alerts 'app/alerts.bicep' = if (alertWebhookEnabled)" in MAIN.text
    hook = (REPO / "infra" / "hooks" / "postdeploy.sh").read_text()
    assert "--key-name \"$key\"" in hook and "azuremonitor databricks" in hook
    assert "azd env set AIOPS_ALERT_WEBHOOK_ENABLED true" in hook
