"""azure.yaml, main.parameters.json and the hooks fit main.bicep: azd can run `azd up` end to end."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.unit.infra.bicep_reader import INFRA, REPO, load

MAIN = load(INFRA / "main.bicep")
AZURE_YAML = REPO / "azure.yaml"
HOOKS = INFRA / "hooks"


def read_yaml(text: str) -> dict:
    """Enough YAML for azure.yaml: nested mappings of scalars, comments, no lists or anchors."""
    root: dict = {}
    stack: list[tuple[int, dict]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.split(" #")[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        key, _, value = line.strip().partition(":")
        assert not key.startswith("-"), f"lists are not expected in azure.yaml: {raw}"
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if value.strip():
            parent[key] = value.strip().strip("'\"")
        else:
            parent[key] = {}
            stack.append((indent, parent[key]))
    return root


CONFIG = read_yaml(AZURE_YAML.read_text(encoding="utf-8"))


def parameters() -> dict[str, str]:
    data = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    return {name: spec["value"] for name, spec in data["parameters"].items()}


def test_services_deploy_the_function_app_and_the_dashboard() -> None:
    services = CONFIG["services"]
    assert services["api"] == {"project": ".", "language": "python", "host": "function"}
    assert services["web"]["project"] == "./web" and services["web"]["host"] == "staticwebapp"
    assert CONFIG["infra"]["path"] == "infra" and CONFIG["infra"]["module"] == "main"


def test_service_names_match_the_azd_tags_on_the_resources() -> None:
    tags = set()
    for path in (INFRA / "app").glob("*.bicep"):
        tags |= set(re.findall(r"'azd-service-name': '([\w-]+)'", path.read_text(encoding="utf-8")))
    assert tags == set(CONFIG["services"])


def test_parameters_file_names_only_real_parameters_and_every_required_one() -> None:
    declared = {p.name: p for p in MAIN.of_kind("param")}
    given = parameters()
    assert set(given) - set(declared) == set()
    required = {n for n, p in declared.items() if p.default is None}
    assert required - set(given) == set()
    for name, value in given.items():
        assert re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}", value), f"{name}: {value}"


def test_parameter_defaults_in_the_file_match_the_bicep_defaults() -> None:
    declared = {p.name: p for p in MAIN.of_kind("param")}
    for name, value in parameters().items():
        match = re.fullmatch(r"\$\{[A-Z0-9_]+=([^}]*)\}", value)
        if match and declared[name].default is not None:
            assert match[1] == declared[name].default.strip("'"), name


def test_hooks_use_outputs_and_settings_that_exist() -> None:
    outputs = {o.name for o in MAIN.of_kind("output")}
    env_from_params = {re.match(r"\$\{(\w+)", v)[1] for v in parameters().values()}
    for script in HOOKS.glob("*.sh"):
        text = script.read_text(encoding="utf-8")
        used = set(re.findall(r"\b(AZURE_[A-Z_]+|AIOPS_[A-Z_]+)\b", text))
        assert used - outputs - env_from_params == set(), script.name
    hook = CONFIG["hooks"]["postdeploy"]["run"]
    assert (REPO / hook).resolve() == (HOOKS / "postdeploy.sh").resolve()


def test_dashboard_package_gets_its_vendored_browser_code() -> None:
    # Service hooks run in the service folder; web/vendor/ is git-ignored and must be built first.
    hook = CONFIG["services"]["web"]["hooks"]["prepackage"]["run"]
    assert (REPO / "web" / hook).resolve() == (HOOKS / "vendor-web.sh").resolve()
    assert "web/vendor/" in (REPO / ".gitignore").read_text(encoding="utf-8")
    assert "scripts/vendor_web.py" in (HOOKS / "vendor-web.sh").read_text(encoding="utf-8")


@pytest.mark.parametrize("script", sorted(p.name for p in HOOKS.glob("*.sh")))
def test_hook_scripts_are_executable_posix_shell(script: str) -> None:
    path = HOOKS / script
    assert path.read_text(encoding="utf-8").startswith("#!/bin/sh\n# ")
    mode = subprocess.run(["git", "ls-files", "-s", str(path.relative_to(REPO))], cwd=REPO,
                          capture_output=True, text=True).stdout.split()
    if mode:  # committed: the executable bit must be in git, not only on this disk
        assert mode[0] == "100755"
    sh = shutil.which("sh")
    if sh:
        assert subprocess.run([sh, "-n", str(path)], capture_output=True).returncode == 0


def test_hooks_never_print_or_pass_key_values_on_the_command_line() -> None:
    post = (HOOKS / "postdeploy.sh").read_text(encoding="utf-8")
    assert "az functionapp keys set" in post and "--output none" in post
    assert "--key-value" not in post
    secret = (HOOKS / "set-secret.sh").read_text(encoding="utf-8")
    assert "--file /dev/stdin" in secret and "--value" not in secret


def test_yaml_reader_reads_nesting() -> None:
    assert read_yaml("a:\n  b: c\n  d:\n    e: f # note\ng: h\n") == {"a": {"b": "c", "d": {"e": "f"}}, "g": "h"}
