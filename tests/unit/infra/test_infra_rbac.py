"""Each identity gets exactly the built-in roles it needs, on the narrowest scope, under deterministic names."""

from __future__ import annotations

import re

import pytest

from tests.unit.infra.bicep_reader import INFRA, all_files, load

RBAC = load(INFRA / "app" / "rbac.bicep")

# Built-in role definition ids, as published in the Azure built-in roles reference.
BUILT_IN = {
    "storageBlobDataContributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "storageTableDataContributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "serviceBusDataSender": "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    "serviceBusDataReceiver": "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    "signalRAppServer": "420fcaa2-552c-430f-98ca-3264be4806c7",
    "signalRRestApiOwner": "fd53cd77-2268-407a-8f46-7e7863d0f521",
    "keyVaultSecretsUser": "4633458b-17de-408a-b874-0445c86b69e6",
    "keyVaultSecretsOfficer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "monitoringMetricsPublisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}
# Roles that would give far more than the app needs.
TOO_BROAD = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "090c5cfd-751d-490a-894a-3ce6f1109419": "Azure Service Bus Data Owner",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "7e4f1700-ea5a-4f59-8f37-079cfe29dce3": "SignalR Service Owner",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
}

# role key -> the existing resource it must be scoped to
EXPECTED_SCOPES = {
    "storageBlobDataContributor": "storage",
    "storageTableDataContributor": "storage",
    "serviceBusDataSender": "queues[i]",
    "serviceBusDataReceiver": "queues[i]",
    "signalRAppServer": "signalR",
    "signalRRestApiOwner": "signalR",
    "keyVaultSecretsUser": "keyVault",
    "keyVaultSecretsOfficer": "keyVault",
    "monitoringMetricsPublisher": "appInsights",
}


def role_ids() -> dict[str, str]:
    return dict(re.findall(r"(\w+):\s*'([0-9a-f-]{36})'", RBAC.body_text(RBAC.get("var", "roles"))))


def assignments() -> list[tuple[str, str]]:
    """(declaration name, body) of every role assignment in rbac.bicep."""
    return [(d.name, RBAC.body_text(d)) for d in RBAC.of_kind("resource")
            if d.type_ref.startswith("Microsoft.Authorization/roleAssignments@")]


def test_role_ids_are_the_built_in_ones() -> None:
    assert role_ids() == BUILT_IN


@pytest.mark.parametrize("role", sorted(BUILT_IN))
def test_each_role_is_assigned_once_on_its_resource_with_a_deterministic_name(role: str) -> None:
    found = [(name, body) for name, body in assignments() if f"roles.{role})" in body]
    assert len(found) == 1, f"{role}: {[n for n, _ in found]}"
    _, body = found[0]
    scope = EXPECTED_SCOPES[role]
    assert re.search(rf"\bscope: {re.escape(scope)}\n", body), f"{role} must be scoped to {scope}"
    assert re.search(rf"name: guid\({re.escape(scope)}\.id, \w+, roles\.{role}\)", body)
    assert f"subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.{role})" in body


def test_the_app_identity_is_a_service_principal_and_the_deployer_is_optional() -> None:
    for name, body in assignments():
        if name == "deployerSecrets":
            assert "principalId: deployerPrincipalId" in body
        else:
            assert "principalId: principalId" in body and "principalType: 'ServicePrincipal'" in body
    decl = RBAC.get("resource", "deployerSecrets")
    assert "if (!empty(deployerPrincipalId))" in decl.text


def test_queue_roles_cover_every_stage_queue() -> None:
    for name in ("queueSend", "queueReceive"):
        assert "for (queue, i) in queueNames" in RBAC.body_text(RBAC.get("resource", name))


def test_role_assignments_everywhere_use_guid_names_and_no_broad_roles() -> None:
    seen = 0
    for bicep in all_files():
        for decl in bicep.of_kind("resource"):
            if decl.type_ref.startswith("Microsoft.Authorization/roleAssignments@"):
                seen += 1
                assert re.search(r"^\s*name: guid\(", bicep.body_text(decl), re.M), f"{bicep.path.name}:{decl.name}"
        for guid, role in TOO_BROAD.items():
            assert guid not in bicep.text, f"{bicep.path.name} assigns {role}"
    assert seen >= len(BUILT_IN) + 1


def test_data_factory_lookups_get_only_the_run_query_actions_on_that_factory() -> None:
    adf = load(INFRA / "app" / "adf-source.bicep")
    body = adf.body_text(adf.get("resource", "runReader"))
    role = adf.body_text(adf.get("resource", "runQueryRole"))
    assert "scope: factory" in body and "roleDefinitionId: runQueryRole.id" in body
    # queryPipelineRuns / queryActivityruns are POST actions: Reader (*/read) would get 403.
    for action in ("factories/querypipelineruns/action", "factories/pipelineruns/queryactivityruns/action"):
        assert f"'Microsoft.DataFactory/{action}'" in role
    assert "/write" not in role and "'*'" not in role
