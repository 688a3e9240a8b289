"""The Bicep files are well formed and wired together: nesting, declarations, modules, symbols, functions."""

from __future__ import annotations

import re

import pytest

from tests.unit.infra.bicep_reader import INFRA, Bicep, all_files, check_statements, load

FILES = all_files()
IDS = [b.path.relative_to(INFRA).as_posix() for b in FILES]

API_VERSION = re.compile(r"^[A-Za-z]+\.[A-Za-z]+(/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}(-preview)?$")
AVM_REF = re.compile(r"^br/public:avm/(res|ptn|utl)/[a-z0-9-]+/[a-z0-9-]+:\d+\.\d+\.\d+$")

# Bicep's built-in functions and decorators this project may call; anything else is a typo.
FUNCTIONS = {
    "any", "array", "bool", "concat", "contains", "empty", "endsWith", "environment", "filter", "first",
    "format", "guid", "indexOf", "int", "intersection", "join", "json", "last", "length", "listKeys",
    "loadJsonContent", "loadTextContent", "lastIndexOf", "map", "max", "min", "padLeft", "range", "reduce",
    "replace", "resourceGroup", "resourceId", "skip", "sort", "split", "startsWith", "string",
    "subscription", "subscriptionResourceId", "substring", "take", "tenant", "tenantResourceId", "toLower",
    "toObject", "toUpper", "trim", "union", "uniqueString", "uri", "dateTimeAdd", "utcNow", "deployer",
    "deployment", "extensionResourceId", "managementGroup", "reference", "items", "objectKeys",
    "if", "for",  # keywords that take parentheses
    # decorators
    "description", "allowed", "minValue", "maxValue", "minLength", "maxLength", "metadata", "secure",
    "batchSize", "export", "sealed", "discriminator",
}


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_brackets_strings_and_comments_are_balanced(bicep: Bicep) -> None:
    assert bicep.errors == []


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_every_top_level_line_is_a_declaration(bicep: Bicep) -> None:
    assert check_statements(bicep) == []
    assert bicep.decls, "no declarations at all"


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_file_opens_with_a_one_line_comment_saying_what_it_is(bicep: Bicep) -> None:
    assert bicep.text.startswith("// ")


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_resources_name_a_type_with_an_api_version(bicep: Bicep) -> None:
    for decl in bicep.of_kind("resource"):
        assert API_VERSION.match(decl.type_ref), f"{decl.name}: {decl.type_ref!r}"
        assert decl.body, f"{decl.name} has no body"


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_modules_point_at_files_that_exist_or_at_pinned_verified_modules(bicep: Bicep) -> None:
    for decl in bicep.of_kind("module"):
        ref = decl.type_ref
        if ref.startswith("br/"):
            assert AVM_REF.match(ref), f"{decl.name}: {ref} is not br/public:avm/...:<x.y.z>"
        else:
            assert (bicep.path.parent / ref).is_file(), f"{decl.name}: {ref} does not exist"


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_every_identifier_used_is_declared(bicep: Bicep) -> None:
    assert bicep.undeclared() == set()
    assert bicep.dotted_bases() - bicep.symbols == set()


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_only_known_functions_are_called(bicep: Bicep) -> None:
    calls = set(re.findall(r"(?<![\w.])([A-Za-z_]\w*)\s*\(", bicep.masked))
    assert calls - FUNCTIONS == set()


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_names_are_declared_once(bicep: Bicep) -> None:
    names = [d.name for d in bicep.decls if d.kind != "output"]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def _local_modules() -> list[tuple[Bicep, str, Bicep]]:
    out = []
    for bicep in FILES:
        for decl in bicep.of_kind("module"):
            if not decl.type_ref.startswith("br/"):
                out.append((bicep, decl.name, load(bicep.path.parent / decl.type_ref)))
    return out


@pytest.mark.parametrize(("caller", "name", "target"), _local_modules(),
                         ids=[f"{c.path.name}:{n}" for c, n, _ in _local_modules()])
def test_module_params_match_the_module(caller: Bicep, name: str, target: Bicep) -> None:
    decl = caller.get("module", name)
    params_at = caller.object_at_key(decl.body[0], "params")
    given = set(caller.object_keys(params_at)) if params_at is not None else set()
    declared = {p.name: p for p in target.of_kind("param")}
    assert given - set(declared) == set(), "params the module does not declare"
    required = {n for n, p in declared.items() if p.default is None and not p.type_ref.endswith("?")}
    assert required - given == set(), "required params not given"


def test_module_outputs_used_are_declared() -> None:
    for bicep in FILES:
        modules = {d.name: d for d in bicep.of_kind("module")}
        for symbol, output in re.findall(r"\b([A-Za-z_]\w*)\.outputs\.([A-Za-z_]\w*)", bicep.masked):
            assert symbol in modules, f"{bicep.path.name}: {symbol} is not a module"
            ref = modules[symbol].type_ref
            if ref.startswith("br/"):
                assert output in AVM_OUTPUTS[ref.split(":")[1]], f"{ref} has no output {output}"
            else:
                target = load(bicep.path.parent / ref)
                assert output in {o.name for o in target.of_kind("output")}, f"{ref} has no output {output}"


# Outputs of the pinned Azure Verified Modules this project reads (from each module's main.bicep).
AVM_OUTPUTS = {
    "avm/res/managed-identity/user-assigned-identity": {"name", "resourceId", "principalId", "clientId"},
    "avm/res/operational-insights/workspace": {"name", "resourceId", "logAnalyticsWorkspaceId"},
    "avm/res/insights/component": {"name", "resourceId", "applicationId", "instrumentationKey"},
}


def test_reader_notices_broken_files() -> None:
    broken = Bicep(INFRA / "x.bicep", "// x\nparam a string\nvar b = {\n  c: '${a'\n")
    assert broken.errors
    typo = Bicep(INFRA / "y.bicep", "// y\nparam name string\nvar x = naem\nvar y = { k: name }\n")
    assert typo.undeclared() == {"naem"}
    stray = Bicep(INFRA / "z.bicep", "// z\nparam a string\nbanana\n")
    assert check_statements(stray)


@pytest.mark.parametrize("bicep", FILES, ids=IDS)
def test_declarations_do_not_depend_on_each_other_in_a_cycle(bicep: Bicep) -> None:
    decls = {d.name: d for d in bicep.decls if d.kind in ("resource", "module", "var")}
    graph = {}
    for name, decl in decls.items():
        end = decl.body[1] if decl.body else decl.start + len(decl.text)
        text = bicep.masked[decl.start:end]
        # References only: not object keys (`storage: ...`) and not members (`x.storage`).
        words = re.findall(r"(?<![.\w])([A-Za-z_]\w*)\b(?!\s*:)", text)
        graph[name] = {w for w in words if w in decls and w != name}

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join(path + (node,))
        for nxt in graph[node]:
            visit(nxt, path + (node,))

    for node in graph:
        visit(node, ())
