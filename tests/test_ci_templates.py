"""The pre-deployment check as CI steps: the GitHub Action (action.yml) and the Azure Pipelines steps template
(ci/azure-pipelines/defender-apis-check.yml).

Static checks: every action a step uses is pinned by commit SHA (or its exception is documented here), no expression
is expanded inside a script (inputs and parameters reach the shell through ``env:`` only: script injection), every
input is described, used and shown in the README, and the install step asks for the pycep-parser range that
requirements-dev.txt asks for.

Then the steps run here, in order, as the runners would run them, against small ARM templates written into tmp_path:
each script is extracted and run by bash (GitHub's ``bash --noprofile --norc -eo pipefail``; Azure's Bash task's
``bash --noprofile --norc``) with the env the template passes, temp GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ENV
files (Azure: ``##vso`` logging commands read from stdout), and the workspace as working directory. Not run: the
steps that use an action or task (setup-python and UsePythonVersion, upload-sarif, PublishBuildArtifacts) and the pip
install step, which needs PyPI: the repo's .venv interpreter, which has requirements.txt and pycep-parser installed,
comes first on PATH instead, and the install step's requirements are checked statically.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
PIPELINE = ROOT / "ci" / "azure-pipelines" / "defender-apis-check.yml"
README_SECTION = "## Before deployment: templates in pull requests"

PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+)*\s*$")
# Azure Pipelines tasks cannot be pinned by commit: they are installed in the organisation and referenced by major
# version. These two are built-in tasks Microsoft ships with Azure DevOps (Microsoft/azure-pipelines-tasks).
DOCUMENTED_UNPINNED_TASKS = {
    "UsePythonVersion@0": "built-in task: puts the agent's cached Python on PATH",
    "PublishBuildArtifacts@1": "built-in task: the CodeAnalysisLogs artifact the SARIF SAST Scans Tab reads",
}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# The action's inputs and the pipeline template's parameters that mean the same thing.
SAME_PARAMETERS = {
    "paths": "paths",
    "parameters": "parametersFile",
    "fail-on": "failOn",
    "sarif": "sarif",
    "upload-sarif": "publishSarif",
    "python-version": "pythonVersion",
    "live": "live",
}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def action_steps() -> list[dict[str, Any]]:
    steps = load(ACTION)["runs"]["steps"]
    assert isinstance(steps, list)
    return steps


def pipeline_steps(parameters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The template's steps after conditional insertion (``${{ if eq(parameters.x, value) }}``), the only template
    directive it uses; without ``parameters`` every conditional block is kept."""
    steps: list[dict[str, Any]] = []
    for item in load(PIPELINE)["steps"]:
        directive = next((key for key in item if str(key).startswith("${{")), None)
        if directive is None:
            steps.append(item)
            continue
        match = re.fullmatch(r"\$\{\{\s*if eq\(parameters\.(\w+), (true|false)\)\s*\}\}", directive)
        assert match, f"the local run knows no template directive {directive!r}"
        if parameters is None or str(parameters[match[1]]).lower() == match[2]:
            steps.extend(item[directive])
    return steps


def pipeline_parameters() -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in load(PIPELINE)["parameters"]}


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert README_SECTION in text, "README.md has no section " + README_SECTION
    section = text.split(README_SECTION, 1)[1]
    return re.split(r"^## ", section, maxsplit=1, flags=re.MULTILINE)[0]


def pycep_requirement() -> str:
    for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("pycep-parser"):
            return line.split("#")[0].strip()
    raise AssertionError("requirements-dev.txt asks for no pycep-parser")


# ---------------------------------------------------------------------------------------------------- static checks


def test_action_is_composite_with_bash_run_steps():
    action = load(ACTION)
    assert action["name"] == "APIM Defender for APIs check"
    assert action["runs"]["using"] == "composite"
    for step in action_steps():
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step.get("shell") == "bash", f"a composite run step needs a shell: {step.get('name')}"
            # The local run runs every run step: one that may be skipped would need its `if:` evaluated here.
            assert "if" not in step, step.get("name")


def test_every_action_used_is_pinned_by_commit_sha_with_its_version():
    raw = ACTION.read_text(encoding="utf-8")
    used = [step["uses"] for step in action_steps() if "uses" in step]
    assert used, "action.yml uses no action"
    for uses in used:
        assert PINNED.fullmatch(uses), f"{uses}: pin by a full commit SHA"
        line = next(line for line in raw.splitlines() if uses in line)
        assert VERSION_COMMENT.search(line), f"{uses}: say which release the SHA is (# vX.Y.Z)"
    assert {u.split("@")[0] for u in used} == {"actions/setup-python", "github/codeql-action/upload-sarif"}


def test_every_pipeline_task_is_a_documented_builtin():
    for step in pipeline_steps():
        if "task" in step:
            assert step["task"] in DOCUMENTED_UNPINNED_TASKS, f"{step['task']}: pin it or document why it is not"
        else:
            assert set(step) & {"bash", "script"}, step
        assert "uses" not in step  # no GitHub action syntax in the pipeline


def test_no_expression_inside_a_script():
    """Inputs and parameters are expanded into env values, never into script text, where a crafted value (a branch
    name, a path) would run as code. No other ``${{ }}`` either, nor an Azure macro of a parameter."""
    for step in action_steps():
        if "run" in step:
            assert "${{" not in step["run"], f"{step.get('name')}: pass it through env:"
            assert "inputs." not in step["run"], step.get("name")
    for step in pipeline_steps():
        script = step.get("bash") or step.get("script")
        if script is not None:
            assert "${{" not in script, f"{step.get('displayName')}: pass it through env:"
            assert "parameters." not in script, step.get("displayName")
            # An Azure macro $(name) is text substitution too: the scripts read variables from env.
            assert not re.search(r"\$\([\w.]+\)", script), step.get("displayName")


def test_action_inputs_are_described_used_and_in_the_readme():
    action = load(ACTION)
    inputs = action["inputs"]
    assert set(inputs) == set(SAME_PARAMETERS)
    defaults = {
        "paths": ".",
        "parameters": "",
        "fail-on": "noncompliant",
        "sarif": "defender-apis.sarif",
        "upload-sarif": "true",
        "python-version": "3.11",
        "live": "false",
    }
    assert {name: spec.get("default") for name, spec in inputs.items()} == defaults
    text = ACTION.read_text(encoding="utf-8")
    section = readme_section()
    for name, spec in inputs.items():
        assert spec.get("description", "").strip(), f"input {name} has no description"
        assert f"inputs.{name}" in text, f"input {name} is never used"
        assert f"`{name}`" in section, f"input {name} is not in the README section"
    assert "exit-code" in action["outputs"]


def test_pipeline_parameters_match_the_action_and_are_documented():
    parameters = pipeline_parameters()
    inputs = load(ACTION)["inputs"]
    text = PIPELINE.read_text(encoding="utf-8")
    section = readme_section()
    for action_name, name in SAME_PARAMETERS.items():
        spec = parameters[name]
        default = spec.get("default")
        expected = inputs[action_name]["default"]
        assert str(default).lower() == expected, (name, default, expected)
        assert spec.get("displayName", "").strip(), f"parameter {name} has no displayName"
    assert parameters["failOn"]["values"] == ["noncompliant", "never", "critical", "high", "medium", "low", "info"]
    for name in parameters:
        assert f"parameters.{name}" in text, f"parameter {name} is never used"
        assert f"`{name}`" in section, f"parameter {name} is not in the README section"


def test_install_steps_ask_for_what_scan_template_needs():
    """requirements.txt from the checkout and pycep-parser in requirements-dev.txt's range; nothing else (not the
    test tools of requirements-dev.txt)."""
    pycep = pycep_requirement()
    scripts = [step["run"] for step in action_steps() if "pip install" in step.get("run", "")]
    scripts += [step["bash"] for step in pipeline_steps() if "pip install" in step.get("bash", "")]
    assert len(scripts) == 2
    for script in scripts:
        assert re.search(r'-r "\$\w+/requirements\.txt"', script), script
        assert f'"{pycep}"' in script, f"install {pycep}, as requirements-dev.txt does"
        assert "requirements-dev" not in script


def test_sarif_is_uploaded_and_published_where_the_viewers_read_it():
    upload = next(step for step in action_steps() if step.get("uses", "").startswith("github/codeql-action/upload"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif }}"
    assert "always()" in upload["if"] and "inputs.upload-sarif == 'true'" in upload["if"]
    publish = next(step for step in pipeline_steps() if step.get("task") == "PublishBuildArtifacts@1")
    assert publish["inputs"]["ArtifactName"] == "CodeAnalysisLogs"
    assert publish["inputs"]["PathtoPublish"] == "$(DefenderApisSarif)"
    assert "succeededOrFailed()" in publish["condition"]
    assert not any(step.get("task") == "PublishBuildArtifacts@1" for step in pipeline_steps({"publishSarif": False}))


# ---------------------------------------------------------------------------------------- the steps, run locally

SERVICE = "apim-shop"


def arm_template(with_collection: bool) -> dict[str, Any]:
    """One Developer-tier APIM service in a supported region with one REST API, and (``with_collection``) the API's
    apiCollection as the extension resource Bicep compiles ``scope: apim`` into."""
    service_id = "[resourceId('Microsoft.ApiManagement/service', parameters('serviceName'))]"
    api_id = "[resourceId('Microsoft.ApiManagement/service/apis', parameters('serviceName'), 'orders')]"
    resources: list[dict[str, Any]] = [
        {
            "type": "Microsoft.ApiManagement/service",
            "apiVersion": "2022-08-01",
            "name": "[parameters('serviceName')]",
            "location": "westeurope",
            "sku": {"name": "Developer", "capacity": 1},
            "properties": {"publisherEmail": "api@example.com", "publisherName": "Example"},
        },
        {
            "type": "Microsoft.ApiManagement/service/apis",
            "apiVersion": "2022-08-01",
            "name": "[format('{0}/{1}', parameters('serviceName'), 'orders')]",
            "dependsOn": [service_id],
            "properties": {"displayName": "Orders", "path": "orders", "protocols": ["https"]},
        },
    ]
    if with_collection:
        resources.append(
            {
                "type": "Microsoft.Security/apiCollections",
                "apiVersion": "2023-11-15",
                "name": "orders",
                "scope": "[format('Microsoft.ApiManagement/service/{0}', parameters('serviceName'))]",
                "dependsOn": [api_id],
            }
        )
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"serviceName": {"type": "string", "defaultValue": SERVICE}},
        "resources": resources,
    }


def write_template(workspace: Path, with_collection: bool) -> Path:
    path = workspace / "infra" / ("onboarded.json" if with_collection else "shop.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(arm_template(with_collection), indent=2) + "\n", encoding="utf-8")
    return path


def api_lines(template: Path) -> range:
    """The lines (1-based) of the API resource's JSON object in the written template."""
    lines = template.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if '"Microsoft.ApiManagement/service/apis"' in line)
    start = max(i for i in range(at) if lines[i].strip() == "{")
    end = next(i for i in range(at, len(lines)) if lines[i].strip() in ("}", "},"))
    return range(start + 1, end + 2)


def base_env(workspace: Path) -> dict[str, str]:
    """A clean runner environment: the repo's .venv Python first on PATH (in place of setup-python or
    UsePythonVersion and the pip install step), no PYTHONPATH and no MONITOR_* settings from the test's own env."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")])
    env = {"PATH": path, "HOME": os.environ.get("HOME", str(workspace)), "LANG": "C.UTF-8"}
    return env


@dataclass
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Run:
    steps: list[StepRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not run here: actions, tasks, the pip install step
    would_run: list[str] = field(default_factory=list)  # of the actions skipped, those whose `if:` holds
    condition_false: list[str] = field(default_factory=list)  # Azure: steps whose condition does not hold
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # GitHub: step id -> outputs
    variables: dict[str, str] = field(default_factory=dict)  # Azure: variables set with ##vso[task.setvariable]
    summary: str = ""

    @property
    def exit_code(self) -> int:
        """The job's result: the first step that failed, else 0 (the last step, which exits with the scan's code,
        when all before it succeeded)."""
        return next((step.returncode for step in self.steps if step.returncode != 0), 0)

    def log(self) -> str:
        return "\n".join(f"--- {s.name}: {s.returncode}\n{s.stdout}\n{s.stderr}" for s in self.steps)


def run_bash(argv: list[str], script: str, cwd: Path, env: Mapping[str, str], scripts: Path, name: str) -> StepRun:
    scripts.mkdir(exist_ok=True)
    file = scripts / f"step{len(list(scripts.iterdir()))}.sh"
    file.write_text(script, encoding="utf-8")
    done = subprocess.run(
        [*argv, str(file)], cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=240, check=False
    )
    return StepRun(name, done.returncode, done.stdout, done.stderr)


def read_github_file(path: Path) -> dict[str, str]:
    """name=value lines (the only form these steps write) of a GITHUB_OUTPUT or GITHUB_ENV file."""
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        assert sep, f"unexpected line in {path.name}: {line!r}"
        pairs[name] = value
    return pairs


def run_action(workspace: Path, runner: Path, **inputs: str) -> Run:
    """Runs action.yml's steps as GitHub's runner does a composite action's: inputs defaulted, expressions of env
    values evaluated (``inputs.*``, ``github.action_path``, ``steps.<id>.outputs.*``), each run step by ``bash
    --noprofile --norc -eo pipefail`` in the workspace, outputs and env carried to later steps."""
    spec = load(ACTION)["inputs"]
    values = {name: str(inputs.pop(name.replace("-", "_"), s.get("default", ""))) for name, s in spec.items()}
    assert not inputs, f"no such input: {inputs}"
    summary = runner / "step_summary.md"
    github_env = runner / "github_env"
    summary.touch()
    github_env.touch()
    run = Run()

    def evaluate(expression: str) -> str:
        if expression.startswith("inputs."):
            return values[expression.removeprefix("inputs.")]
        if expression == "github.action_path":
            return str(ROOT)
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if match:
            return run.outputs.get(match[1], {}).get(match[2], "")
        raise AssertionError(f"the local run cannot evaluate ${{{{ {expression} }}}}")

    def condition(text: str) -> bool:
        """``&&`` of always(), success() and ``==`` / ``!=`` comparisons with a string: what these steps use."""
        verdict = True
        for term in (t.strip() for t in text.split("&&")):
            if term in ("always()", "success()"):
                verdict = verdict and (term == "always()" or all(s.returncode == 0 for s in run.steps))
                continue
            match = re.fullmatch(r"([\w.-]+) (==|!=) '([^']*)'", term)
            assert match, f"the local run cannot evaluate if: {term}"
            equal = evaluate(match[1]) == match[3]
            verdict = verdict and (equal if match[2] == "==" else not equal)
        return verdict

    for step in action_steps():
        name = step.get("name", step.get("id", "?"))
        if "uses" in step:
            action = step["uses"].split("@")[0]
            run.skipped.append(action)
            if condition(step.get("if", "success()")):
                run.would_run.append(action)  # with what the earlier steps left behind
            continue
        if "pip install" in step["run"]:
            run.skipped.append("pip install")
            continue
        output = runner / f"output_{len(run.steps)}"
        output.touch()
        env = base_env(workspace) | read_github_file(github_env)
        env |= {
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_ENV": str(github_env),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner),
        }
        for key, value in step.get("env", {}).items():
            env[key] = EXPRESSION.sub(lambda m: evaluate(m[1]), str(value))
        argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # GitHub's `shell: bash`
        result = run_bash(argv, step["run"], workspace, env, runner / "scripts", name)
        run.steps.append(result)
        if "id" in step:
            run.outputs[step["id"]] = read_github_file(output)
        if result.returncode != 0:
            break  # the later steps (none has `if:`, test_action_is_composite_with_bash_run_steps) would not run
    run.summary = summary.read_text(encoding="utf-8")
    return run


def run_pipeline(workspace: Path, runner: Path, **parameters: Any) -> Run:
    """Runs the template's steps as an Azure Pipelines agent does: parameters defaulted and expanded into env
    values and workingDirectory (a boolean renders as True / False), macros ``$(name)`` of env values from the
    variables earlier steps set, each bash step by ``bash --noprofile --norc``, ``##vso`` commands read from
    stdout (setvariable: a variable, and an env var in later steps; uploadsummary: the summary)."""
    spec = pipeline_parameters()
    values: dict[str, Any] = {name: s.get("default") for name, s in spec.items()}
    values |= {"toolPath": str(ROOT), "workingDirectory": str(workspace)}
    unknown = set(parameters) - set(values)
    assert not unknown, f"no such parameter: {unknown}"
    values |= parameters
    run = Run()

    def expand(text: str) -> str:
        # str(): Azure renders a boolean parameter as True / False, as Python does.
        text = EXPRESSION.sub(lambda m: str(values[m[1].removeprefix("parameters.")]), text)
        return re.sub(r"\$\(([\w.]+)\)", lambda m: run.variables.get(m[1], m[0]), text)

    failed = False
    for step in pipeline_steps(values):
        name = step.get("displayName", "?")
        condition = step.get("condition", "succeeded()")
        unset = [v for v in re.findall(r"ne\(variables\['([\w.]+)'\], ''\)", condition) if not run.variables.get(v)]
        if unset or (failed and "succeededOrFailed()" not in condition and "always()" not in condition):
            run.condition_false.append(name)
            continue
        if "task" in step:
            run.skipped.append(step["task"])
            if step["task"] == "PublishBuildArtifacts@1":
                # Not run, but what it would publish must be there: the SARIF file the scan step named.
                published = Path(expand(step["inputs"]["PathtoPublish"]))
                assert published.is_file(), f"PublishBuildArtifacts would find no {published}"
            continue
        if "pip install" in step["bash"]:
            run.skipped.append("pip install")
            continue
        env = base_env(workspace) | {
            "AGENT_TEMPDIRECTORY": str(runner),
            "BUILD_SOURCESDIRECTORY": str(workspace),
            "SYSTEM_DEFAULTWORKINGDIRECTORY": str(workspace),
        }
        env |= {key.upper().replace(".", "_"): value for key, value in run.variables.items()}
        for key, value in step.get("env", {}).items():
            env[key] = expand(str(value))
        cwd = Path(expand(str(step.get("workingDirectory", workspace))))
        result = run_bash(["bash", "--noprofile", "--norc"], step["bash"], cwd, env, runner / "scripts", name)
        run.steps.append(result)
        for variable, value in re.findall(
            r"^##vso\[task\.setvariable variable=([\w.]+)[^\]]*\](.*)$", result.stdout, flags=re.MULTILINE
        ):
            run.variables[variable] = value
        for path in re.findall(r"^##vso\[task\.uploadsummary\](.*)$", result.stdout, flags=re.MULTILINE):
            run.summary += Path(path).read_text(encoding="utf-8")
        failed = failed or result.returncode != 0
    return run


def sarif_results(path: Path) -> list[dict[str, Any]]:
    assert path.is_file(), f"no SARIF at {path}"
    sarif = json.loads(path.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    return [result for run in sarif["runs"] for result in run.get("results", [])]


def location_file(uri: str, workspace: Path) -> Path:
    """A SARIF artifact URI (relative to the workspace, absolute, or file://) as a path."""
    parsed = urlparse(uri)
    path = Path(unquote(parsed.path if parsed.scheme == "file" else uri))
    return (path if path.is_absolute() else workspace / path).resolve()


def results_at(results: list[dict[str, Any]], template: Path, workspace: Path) -> list[dict[str, Any]]:
    found = []
    for result in results:
        for location in result.get("locations", []):
            physical = location.get("physicalLocation", {})
            uri = physical.get("artifactLocation", {}).get("uri", "")
            if uri and location_file(uri, workspace) == template.resolve():
                found.append(physical)
    return found


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def runner(tmp_path: Path) -> Path:
    path = tmp_path / "runner"
    path.mkdir()
    return path


RUNNERS = {"github": run_action, "azure": run_pipeline}


def fail_on(ci: str, value: str) -> dict[str, str]:
    return {"fail_on": value} if ci == "github" else {"failOn": value}


SARIF = "reports/defender-apis.sarif"  # in a directory the scan step creates


@pytest.mark.parametrize("ci", sorted(RUNNERS))
def test_noncompliant_template_fails_with_sarif_and_summary(ci, workspace, runner):
    template = write_template(workspace, with_collection=False)
    run = RUNNERS[ci](workspace, runner, paths="infra/shop.json", sarif=SARIF, **fail_on(ci, "noncompliant"))

    assert run.exit_code == 1, run.log()
    assert all(step.returncode == 0 for step in run.steps[:-1]), run.log()
    assert "pip install" in run.skipped
    results = sarif_results(workspace / SARIF)
    at_template = results_at(results, template, workspace)
    assert at_template, f"no SARIF result points at {template.name}: {results}"
    assert any(p.get("region", {}).get("startLine") in api_lines(template) for p in at_template), at_template
    assert any(r.get("level") == "error" for r in results), results
    # The Markdown report, in the job summary: a table that names the API.
    assert "|" in run.summary and "orders" in run.summary, run.summary
    assert "##vso" not in run.summary and "::error" not in run.summary


@pytest.mark.parametrize("ci", sorted(RUNNERS))
def test_fail_on_never_passes_the_same_template(ci, workspace, runner):
    write_template(workspace, with_collection=False)
    run = RUNNERS[ci](workspace, runner, paths="infra", sarif=SARIF, **fail_on(ci, "never"))

    assert run.exit_code == 0, run.log()
    assert sarif_results(workspace / SARIF), "the findings are reported whatever fail-on says"
    assert "orders" in run.summary


@pytest.mark.parametrize("ci", sorted(RUNNERS))
def test_template_with_the_collection_declared_passes(ci, workspace, runner):
    template = write_template(workspace, with_collection=True)
    run = RUNNERS[ci](workspace, runner, paths="infra/onboarded.json", **fail_on(ci, "noncompliant"))

    assert run.exit_code == 0, run.log()
    results = sarif_results(workspace / "defender-apis.sarif")  # the default
    assert not any(r.get("level") == "error" for r in results_at(results, template, workspace)), results
    assert "orders" in run.summary


@pytest.mark.parametrize("ci", sorted(RUNNERS))
def test_nothing_readable_exits_2(ci, workspace, runner):
    (workspace / "notes.json").write_text("not json {", encoding="utf-8")
    run = RUNNERS[ci](workspace, runner, paths="notes.json", **fail_on(ci, "never"))

    assert run.exit_code == 2, run.log()
    assert all(step.returncode == 0 for step in run.steps[:-1]), run.log()
    assert "no template could be read" in run.steps[0].stderr
    # No empty SARIF for upload-sarif or PublishBuildArtifacts to choke on: neither runs.
    assert not (workspace / "defender-apis.sarif").exists()
    assert "sarif" not in run.outputs.get("scan", {}) and "DefenderApisSarif" not in run.variables
    assert "github/codeql-action/upload-sarif" not in run.would_run
    if ci == "azure":
        assert run.condition_false == ["Publish the SARIF report (CodeAnalysisLogs)"]


def test_action_exposes_the_exit_code_and_sarif_path(workspace, runner):
    write_template(workspace, with_collection=False)
    run = run_action(workspace, runner, paths="infra")

    assert run.outputs["scan"] == {"exit-code": "1", "sarif": "defender-apis.sarif"}
    assert run.skipped == ["actions/setup-python", "pip install", "github/codeql-action/upload-sarif"]
    assert run.would_run == ["actions/setup-python", "github/codeql-action/upload-sarif"]


def test_action_uploads_no_sarif_when_told_not_to(workspace, runner):
    write_template(workspace, with_collection=False)
    run = run_action(workspace, runner, paths="infra", upload_sarif="false")

    assert run.exit_code == 1, run.log()
    assert (workspace / "defender-apis.sarif").is_file()
    assert run.would_run == ["actions/setup-python"]


@pytest.mark.parametrize("ci", sorted(RUNNERS))
def test_inputs_are_data_not_code(ci, workspace, runner):
    """A value that a shell would run, were it pasted into the script: here it is a file name that is not there."""
    write_template(workspace, with_collection=False)
    marker = workspace / "injected"
    crafted = f"infra $(touch {marker}) `touch {marker}`; touch {marker}"
    run = RUNNERS[ci](workspace, runner, paths=crafted, **fail_on(ci, "never"))

    assert not marker.exists(), run.log()
    assert run.steps, run.log()


@pytest.mark.parametrize("ci", sorted(RUNNERS))
def test_an_unknown_fail_on_stops_before_scanning(ci, workspace, runner):
    write_template(workspace, with_collection=False)
    run = RUNNERS[ci](workspace, runner, paths="infra", **fail_on(ci, "sometimes"))

    assert run.exit_code == 2, run.log()
    assert not (workspace / "defender-apis.sarif").exists()


BICEP = """\
param location string = 'westeurope'

resource apim 'Microsoft.ApiManagement/service@2022-08-01' = {
  name: 'apim-shop'
  location: location
  sku: {
    name: 'Developer'
    capacity: 1
  }
  properties: {
    publisherEmail: 'api@example.com'
    publisherName: 'Example'
  }
}

resource orders 'Microsoft.ApiManagement/service/apis@2022-08-01' = {
  parent: apim
  name: 'orders'
  properties: {
    displayName: 'Orders'
    path: 'orders'
    protocols: ['https']
  }
}
"""


@pytest.mark.parametrize("ci", sorted(RUNNERS))
def test_bicep_template_is_read_with_what_the_install_step_installs(ci, workspace, runner):
    """pycep-parser, which the install step adds to requirements.txt, reads Bicep: the finding is on the API's line."""
    template = workspace / "infra" / "main.bicep"
    template.parent.mkdir()
    template.write_text(BICEP, encoding="utf-8")
    run = RUNNERS[ci](workspace, runner, paths="infra", **fail_on(ci, "noncompliant"))

    assert run.exit_code == 1, run.log()
    located = results_at(sarif_results(workspace / "defender-apis.sarif"), template, workspace)
    line = BICEP.splitlines().index("resource orders 'Microsoft.ApiManagement/service/apis@2022-08-01' = {") + 1
    assert [p.get("region", {}).get("startLine") for p in located] == [line], located
