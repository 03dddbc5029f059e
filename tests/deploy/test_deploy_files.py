"""The deploy files against the code they start: no container engine runs here, so every file
under deploy/ is parsed and checked instead, and a change on either side that breaks them
fails `make test`.

- every `entrygo …` command line (compose command/entrypoint, k8s command/args, Dockerfile CMD/
  ENTRYPOINT, and `entrygo …` in backticks in the README) parses as a command of the Typer app,
  options and arguments included;
- every `ENTRYGO_*` name anywhere under deploy/ is a Settings field; every variable an EntryGo
  container gets is a setting or one of the unprefixed names `load_settings` reads;
- every image is pinned to a version (or digest), never latest; kustomize sets EntryGo's;
- compose: long-running services restart unless stopped, the app's have health checks that hit
  the real readiness route and metrics port; one-shots restart only on failure; api and worker
  wait for `entrygo bootstrap`; the SMTP host is a service of the file;
- k8s: every EntryGo pod runs `entrygo bootstrap` (or migrate) before its container; probes hit
  the real routes; metrics ports are declared and annotated for Prometheus; secret references
  resolve; SMTP credentials come from a Secret;
- Dockerfile: the COPY lines carry every package pyproject installs, and the processes' modules
  import from the copied files alone.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"

SETTINGS_VARS = {f"ENTRYGO_{name.upper()}" for name in Settings.model_fields}
# the names config/settings.py reads without the prefix (load_settings)
UNPREFIXED = set(
    re.findall(
        r'os\.environ(?:\.get\(|\[)\s*"([A-Z0-9_]+)"',
        (ROOT / "config" / "settings.py").read_text(encoding="utf-8"),
    )
)
# long-running processes (the others are one-shots)
SERVERS = {"api", "worker", "outbox", "dev", "mcp"}
POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}
PINNED_TAG = re.compile(r"\d+\.\d+")
BUILD_PY = [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py"]


# ---------------------------------------------------------------- reading the files


def deploy_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file())


def load_yaml(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose()["services"]
    return found


def manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    docs: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        docs += load_yaml(K8S / resource)
    return docs


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc.get("kind") == "Pod":
        spec: dict[str, Any] = doc["spec"]
        return spec
    if doc.get("kind") in POD_KINDS:
        template: dict[str, Any] = doc["spec"]["template"]
        return dict(template["spec"])
    if doc.get("kind") == "CronJob":
        job: dict[str, Any] = doc["spec"]["jobTemplate"]["spec"]
        return dict(job["template"]["spec"])
    return None


def containers(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, container) of a pod-carrying manifest: kind is containers or initContainers."""
    spec = pod_spec(doc)
    if spec is None:
        return
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind, []):
            yield kind, container


def argv(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def is_entrygo(args: list[str]) -> bool:
    return bool(args) and Path(args[0]).name == "entrygo"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, rest) with continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def dockerfile_argv(rest: str) -> list[str]:
    return [str(a) for a in json.loads(rest)] if rest.startswith("[") else shlex.split(rest)


# ---------------------------------------------------------------- the Typer app


def command_problem(args: list[str]) -> str | None:
    """None when `args` (starting with `entrygo`) is a command of the Typer app whose options
    and arguments parse, else what is wrong."""
    from entrygo.cli import app

    command: Any = typer.main.get_command(app)
    rest, path = list(args[1:]), ["entrygo"]
    while hasattr(command, "list_commands"):
        if not rest:
            return f"{' '.join(path)} needs a subcommand"
        sub = command.get_command(command.context_class(command), rest[0])
        if sub is None:
            return f"{' '.join(path)} has no command {rest[0]!r}"
        path.append(rest.pop(0))
        command = sub
    try:
        command.make_context(" ".join(path), rest)
    except Exception as exc:  # click's usage errors, from typer's vendored click
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        return f"{' '.join(args)}: {message}"
    return None


def entrygo_commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of every entrygo command line in deploy/."""
    found = []
    for name, service in services().items():
        for key in ("entrypoint", "command"):
            if is_entrygo(argv(service.get(key))):
                found.append((f"compose {name}.{key}", argv(service[key])))
    for doc in manifests():
        for kind, container in containers(doc):
            args = argv(container.get("command")) + argv(container.get("args"))
            if is_entrygo(args):
                where = f"k8s {doc['metadata']['name']} {kind}/{container['name']}"
                found.append((where, args))
    for word, rest in dockerfile_instructions():
        if word in {"CMD", "ENTRYPOINT"} and is_entrygo(dockerfile_argv(rest)):
            found.append((f"Dockerfile {word}", dockerfile_argv(rest)))
    for path in deploy_files():
        if path.suffix == ".md":
            for line in re.findall(r"`(entrygo [^`]*)`", path.read_text(encoding="utf-8")):
                found.append((f"{path.name}: {line}", shlex.split(line.replace("…", "x"))))
    return found


def test_every_deploy_file_parses() -> None:
    kinds = {".yaml", ".yml", ".json", ".md", ".sh", ".dockerignore", ""}
    for path in deploy_files():
        assert path.suffix in kinds, f"{path}: a file kind this test does not check"
        if path.suffix in {".yaml", ".yml"}:
            assert load_yaml(path), path
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


def test_every_entrygo_command_is_a_command_of_the_cli() -> None:
    found = entrygo_commands()
    problems = [f"{where}: {problem}" for where, a in found if (problem := command_problem(a))]
    assert problems == []
    # what the deployments need is actually started somewhere in each of them
    starts = {(where.split()[0], " ".join(a[:2])) for where, a in found}
    for where in ("compose", "k8s"):
        for command in ("entrygo bootstrap", "entrygo api", "entrygo worker"):
            assert (where, command) in starts, f"{where} never runs {command}"
    assert ("Dockerfile", "entrygo api") in starts


def test_the_checker_refuses_what_the_cli_refuses() -> None:
    assert command_problem(["entrygo", "bootstrap", "--account-name", "x"]) is None
    assert command_problem(["entrygo", "keys", "list", "--account", "acc_1"]) is None
    assert command_problem(["entrygo", "bootstrp"]) is not None
    assert command_problem(["entrygo", "bootstrap", "--acount-name", "x"]) is not None
    assert command_problem(["entrygo", "keys"]) is not None
    assert command_problem(["entrygo", "keys", "list"]) is not None  # --account is required
    assert command_problem(["entrygo", "api", "extra"]) is not None


# ---------------------------------------------------------------- settings


def test_every_entrygo_variable_is_a_setting() -> None:
    unknown = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in deploy_files()
        for name in re.findall(r"\bENTRYGO_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8"))
        if name not in SETTINGS_VARS
    }
    assert unknown == set()


def allowed_variable(name: str) -> bool:
    return name in SETTINGS_VARS or name in UNPREFIXED


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def runs_the_app(service: dict[str, Any]) -> bool:
    image = str(service.get("image", "")).rsplit("/", 1)[-1].split(":")[0]
    return "build" in service or image == "entrygo" or is_entrygo(argv(service.get("command")))


def test_compose_gives_the_app_only_settings() -> None:
    assert {"DATABASE_URL", "TEMPORAL_ADDRESS"} <= UNPREFIXED
    for name, service in services().items():
        if runs_the_app(service):
            wrong = [v for v in compose_environment(service) if not allowed_variable(v)]
            assert wrong == [], f"compose {name}: {wrong} are not read by the app"


def config_objects() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) → the keys of each ConfigMap and Secret in the manifests."""
    found = {}
    for doc in manifests():
        if doc.get("kind") in {"ConfigMap", "Secret"}:
            keys = {**(doc.get("data") or {}), **(doc.get("stringData") or {})}
            found[(doc["kind"], doc["metadata"]["name"])] = keys
    return found


def container_environment(container: dict[str, Any]) -> dict[str, Any]:
    """Every variable a container gets: envFrom'd ConfigMaps and Secrets, then env."""
    objects = config_objects()
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in source:
                ref = (kind, source[key]["name"])
                assert ref in objects, f"{container['name']}: {ref} is not in the manifests"
                env.update(objects[ref])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def test_k8s_gives_the_app_only_settings_and_references_resolve() -> None:
    objects = config_objects()
    seen = 0
    for doc in manifests():
        for _, container in containers(doc):
            if not is_entrygo(argv(container.get("command")) + argv(container.get("args"))):
                continue
            seen += 1
            env = container_environment(container)
            wrong = [v for v in env if not allowed_variable(v)]
            assert wrong == [], f"{container['name']}: {wrong} are not read by the app"
            for item in container.get("env", []):
                ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    keys = objects.get(("Secret", ref["name"]))
                    assert keys is not None, f"{item['name']}: no Secret {ref['name']}"
                    assert ref["key"] in keys, f"{item['name']}: {ref}"
    assert seen >= 4  # two deployments, each with its bootstrap init container


def test_smtp_credentials_come_from_a_secret() -> None:
    workers = [
        container
        for doc in manifests()
        for kind, container in containers(doc)
        if kind == "containers" and argv(container.get("command"))[:2] == ["entrygo", "worker"]
    ]
    assert workers
    for container in workers:
        env = {item["name"]: item for item in container.get("env", [])}
        for name in ("ENTRYGO_SMTP_USERNAME", "ENTRYGO_SMTP_PASSWORD"):
            assert "secretKeyRef" in env[name].get("valueFrom", {}), name
    for (kind, _), keys in config_objects().items():
        if kind == "ConfigMap":
            assert not {"ENTRYGO_SMTP_PASSWORD", "DATABASE_URL"} & set(keys)


def test_private_urls_stay_refused() -> None:
    values = [
        env.get("ENTRYGO_ALLOW_PRIVATE_URLS")
        for env in [compose_environment(s) for s in services().values()]
        + list(config_objects().values())
    ]
    assert [v for v in values if v is not None and str(v).lower() not in {"false", "0"}] == []


# ---------------------------------------------------------------- images


def kustomize_images() -> dict[str, str]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    found = {}
    for item in kustomization.get("images", []):
        name = item.get("newName", item["name"])
        if "digest" in item:
            found[item["name"]] = f"{name}@{item['digest']}"
        else:
            found[item["name"]] = f"{name}:{item.get('newTag', '')}"
    return found


def pin_problem(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return f"{image}: no tag"
    if tag == "latest" or not PINNED_TAG.search(tag):
        return f"{image}: not pinned to a version"
    return None


def all_images() -> list[tuple[str, str]]:
    found = [(f"compose {n}", str(s["image"])) for n, s in services().items() if "image" in s]
    rewrites = kustomize_images()
    for doc in manifests():
        for _, container in containers(doc):
            image = str(container["image"])
            found.append((f"k8s {container['name']}", rewrites.get(image, image)))
    for word, rest in dockerfile_instructions():
        if word == "FROM":
            found.append(("Dockerfile FROM", rest.split()[0]))
    return found


def test_every_image_is_pinned() -> None:
    problems = [f"{where}: {p}" for where, image in all_images() if (p := pin_problem(image))]
    assert problems == []
    for name, service in services().items():
        if "build" in service:
            assert "image" in service, f"compose {name}: name the built image with a version"


def test_the_pin_check_refuses_floating_tags() -> None:
    assert pin_problem("postgres:16.10-bookworm") is None
    assert pin_problem("registry.example.com:5000/entrygo:0.1.0") is None
    assert pin_problem("entrygo@sha256:" + "0" * 64) is None
    for floating in ("postgres", "postgres:latest", "postgres:16", "registry:5000/entrygo"):
        assert pin_problem(floating) is not None, floating


# ---------------------------------------------------------------- compose


def one_shots() -> set[str]:
    """Services another waits for to complete."""
    return {
        target
        for service in services().values()
        for target, condition in (service.get("depends_on") or {}).items()
        if isinstance(condition, dict)
        and condition.get("condition") == "service_completed_successfully"
    }


def healthcheck_text(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    return " ".join(argv(test))


def seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration))


def test_compose_services_restart_and_report_health() -> None:
    once = one_shots()
    for name, service in services().items():
        restart = str(service.get("restart", ""))
        if name in once:  # run again forever after success otherwise
            assert restart.startswith("on-failure"), f"compose {name}: restart {restart!r}"
            continue
        assert restart == "unless-stopped", f"compose {name}: restart {restart!r}"
        if runs_the_app(service) or name == "postgres":
            assert healthcheck_text(service), f"compose {name}: no healthcheck"
    for name, service in services().items():
        for target in service.get("depends_on") or {}:
            assert target in services(), f"compose {name} depends on a missing {target}"


def compose_service_running(command: str) -> dict[str, Any]:
    matches = [s for s in services().values() if argv(s.get("command"))[:2] == command.split()]
    assert len(matches) == 1, command
    return matches[0]


def checked_on_its_port(service: dict[str, Any], variable: str, default: int) -> None:
    """The service's health check asks its metrics port (/metrics or /health), which is
    published; and it sends to public addresses only."""
    port = compose_environment(service).get(variable, str(default))
    assert re.search(rf":{port}/(metrics|health)\b", healthcheck_text(service))
    published = " ".join(str(p) for p in service.get("ports", []) + service.get("expose", []))
    assert port in published
    assert compose_environment(service).get("ENTRYGO_ALLOW_PRIVATE_URLS", "false") == "false"


def test_compose_api_and_worker_wait_for_bootstrap_and_are_checked_where_they_serve() -> None:
    from api.routes import system

    bootstrap = [n for n, s in services().items() if argv(s.get("command"))[1:2] == ["bootstrap"]]
    assert len(bootstrap) == 1
    assert bootstrap[0] in one_shots()
    api, worker = compose_service_running("entrygo api"), compose_service_running("entrygo worker")
    for service in (api, worker):
        wait = service["depends_on"][bootstrap[0]]
        assert wait == {"condition": "service_completed_successfully"}

    ready = "/api/system/ready"
    assert ready in {getattr(r, "path", None) for r in system.router.routes}
    port = compose_environment(api).get("ENTRYGO_PORT", str(Settings().port))
    assert f":{port}{ready}" in healthcheck_text(api)

    checked_on_its_port(worker, "ENTRYGO_WORKER_METRICS_PORT", Settings().worker_metrics_port)

    from entrygo.worker import GRACEFUL_SHUTDOWN_SECONDS

    assert seconds(worker["stop_grace_period"]) > GRACEFUL_SHUTDOWN_SECONDS


def test_compose_sends_webhooks_from_the_outbox_service_only() -> None:
    worker, outbox = (
        compose_service_running("entrygo worker"),
        compose_service_running("entrygo outbox"),
    )
    assert compose_environment(worker).get("ENTRYGO_WORKER_OUTBOX") == "false"
    bootstrap = [n for n, s in services().items() if argv(s.get("command"))[1:2] == ["bootstrap"]]
    assert outbox["depends_on"][bootstrap[0]] == {"condition": "service_completed_successfully"}
    checked_on_its_port(outbox, "ENTRYGO_OUTBOX_METRICS_PORT", Settings().outbox_metrics_port)


def test_compose_postgres_and_smtp_relay() -> None:
    assert "pg_isready" in healthcheck_text(services()["postgres"])
    worker_env = compose_environment(compose_service_running("entrygo worker"))
    relay = worker_env["ENTRYGO_SMTP_HOST"]
    assert relay in services(), f"ENTRYGO_SMTP_HOST {relay} is no service of the file"
    assert worker_env["ENTRYGO_SMTP_PORT"].isdigit()


# ---------------------------------------------------------------- kubernetes


def deployments() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d.get("kind") == "Deployment"}


def main_container(doc: dict[str, Any]) -> dict[str, Any]:
    [container] = doc["spec"]["template"]["spec"]["containers"]
    return dict(container)


def port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    assert port in named, f"{container['name']}: no port named {port}"
    return int(named[port])


def test_k8s_pods_migrate_before_they_start() -> None:
    for name, doc in deployments().items():
        if not is_entrygo(argv(main_container(doc).get("command"))):
            continue
        first = [
            argv(c.get("command")) + argv(c.get("args"))
            for c in doc["spec"]["template"]["spec"].get("initContainers", [])
        ]
        assert any(a[:2] in (["entrygo", "bootstrap"], ["entrygo", "migrate"]) for a in first), (
            f"{name} starts without migrating"
        )


def test_k8s_probes_and_metrics_ports() -> None:
    from api.routes import metrics, system
    from entrygo.worker import GRACEFUL_SHUTDOWN_SECONDS

    routes = {getattr(r, "path", None) for r in [*system.router.routes, *metrics.router.routes]}
    found = set()
    for doc in deployments().values():
        container = main_container(doc)
        command = argv(container.get("command"))[:2]
        env = container_environment(container)
        annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
        if command == ["entrygo", "api"]:
            found.add("api")
            ready, live = container["readinessProbe"], container["livenessProbe"]
            assert ready["httpGet"]["path"] == "/api/system/ready" in routes
            assert live["httpGet"]["path"] == "/api/system/live" in routes
            port = int(env.get("ENTRYGO_PORT", Settings().port))
            assert port_number(container, ready["httpGet"]["port"]) == port
            assert port_number(container, live["httpGet"]["port"]) == port
            assert annotations.get("prometheus.io/path") == "/metrics" in routes
        elif command == ["entrygo", "worker"]:
            found.add("worker")
            port = int(env.get("ENTRYGO_WORKER_METRICS_PORT", Settings().worker_metrics_port))
            assert port in {p["containerPort"] for p in container["ports"]}
            assert annotations.get("prometheus.io/path") == "/metrics"
            probe = container["livenessProbe"]["httpGet"]
            assert port_number(container, probe["port"]) == port
            spec = doc["spec"]["template"]["spec"]
            assert spec["terminationGracePeriodSeconds"] > GRACEFUL_SHUTDOWN_SECONDS
            # webhooks go out from the outbox deployment only
            assert str(env.get("ENTRYGO_WORKER_OUTBOX")).lower() == "false"
        elif command == ["entrygo", "outbox"]:
            found.add("outbox")
            port = int(env.get("ENTRYGO_OUTBOX_METRICS_PORT", Settings().outbox_metrics_port))
            assert port in {p["containerPort"] for p in container["ports"]}
            assert annotations.get("prometheus.io/path") == "/metrics"
            probe = container["livenessProbe"]["httpGet"]
            assert probe["path"] == "/health"
            assert port_number(container, probe["port"]) == port
            spec = doc["spec"]["template"]["spec"]
            assert spec["terminationGracePeriodSeconds"] > Settings().webhook_timeout_seconds
        else:
            continue
        assert annotations.get("prometheus.io/scrape") == "true"
        assert annotations.get("prometheus.io/port") == str(port)
        assert str(env.get("ENTRYGO_HOST")) == "0.0.0.0"  # reachable from the probes
    assert found == {"api", "worker", "outbox"}


def test_k8s_image_is_set_by_kustomize() -> None:
    rewrites = kustomize_images()
    for doc in manifests():
        for _, container in containers(doc):
            if is_entrygo(argv(container.get("command"))):
                assert container["image"] in rewrites, container["name"]


# ---------------------------------------------------------------- Dockerfile


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def installed_packages() -> set[str]:
    include = project()["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.split(".")[0].rstrip("*") for pattern in include}


def copies() -> list[tuple[str, str]]:
    found = []
    for word, rest in dockerfile_instructions():
        if word == "COPY":
            parts = [p for p in rest.split() if not p.startswith("--")]
            found += [(source, parts[-1]) for source in parts[:-1]]
    return found


def test_the_dockerfile_copies_every_installed_package_and_the_sdk() -> None:
    copied = {source.rstrip("/") for source, _ in copies()}
    assert installed_packages() - copied == set()
    assert "sdk/python" in copied  # entrygo_mcp imports the SDK (entrygo_client)
    runs = " ".join(rest for word, rest in dockerfile_instructions() if word == "RUN")
    assert re.search(r"pip install .*\./sdk/python", runs)
    assert re.search(r"pip install .* \.(\s|$)", runs)


def test_the_copied_files_build_the_processes(tmp_path: Path) -> None:
    # what `pip install ./sdk/python .` puts in the image, built from the COPY'd files only
    # (setuptools' build_py, offline), then the processes' modules imported from it alone
    context = tmp_path / "context"
    for source, dest in copies():
        target = context / (source if dest in {".", "./"} else dest.rstrip("/"))
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    lib = tmp_path / "lib"
    for project_dir in (context, context / "sdk" / "python"):
        subprocess.run(
            [*BUILD_PY, "--build-lib", str(lib)],
            cwd=project_dir,
            check=True,
            capture_output=True,
        )
    for package in installed_packages():  # data files (templates, migrations, rule packs)
        for path in (ROOT / package).rglob("*"):
            data = path.is_file() and path.suffix not in {".py", ".pyc"}
            if data and "__pycache__" not in path.parts:
                assert (lib / path.relative_to(ROOT)).is_file(), path
    probe = (
        "import sys\n"
        # only the built tree: no checkout on the path, no editable install's finder
        "sys.meta_path[:] = [f for f in sys.meta_path"
        " if not getattr(f, '__module__', '').startswith('__editable__')]\n"
        "import entrygo.cli, entrygo.bootstrap, entrygo.worker, entrygo.outbox_process\n"
        "import api.app, entrygo_mcp.server\n"
        "import store.migrate\n"
        "assert entrygo.cli.__file__.startswith(sys.argv[1]), entrygo.cli.__file__\n"
        "print(len(store.migrate.migration_files()))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(lib)
    result = subprocess.run(
        [sys.executable, "-c", probe, str(lib)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    from store.migrate import migration_files

    assert int(result.stdout.strip()) == len(migration_files())


def test_the_image_runs_the_api_by_default_as_a_user() -> None:
    instructions = dockerfile_instructions()
    [cmd] = [dockerfile_argv(rest) for word, rest in instructions if word == "CMD"]
    assert cmd == ["entrygo", "api"]
    users = [rest for word, rest in instructions if word == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}
    exposed = " ".join(rest for word, rest in instructions if word == "EXPOSE").split()
    assert str(Settings().port) in exposed
    assert str(Settings().worker_metrics_port) in exposed


@pytest.mark.parametrize("path", ["k8s/kustomization.yaml", "compose.yaml", "Dockerfile"])
def test_the_deploy_files_exist(path: str) -> None:
    assert (DEPLOY / path).is_file()
