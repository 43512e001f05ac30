"""Issue 14, item 8: deploy/kubernetes/ renders, every object is valid, and nothing in it
drifts from the code: probes ask paths the processes serve, commands are `meet`
subcommands, every environment name is one the code reads, and the settings it gives
start a production process.

Offline: `kubectl kustomize` renders, kubernetes-validate checks each object against the
API's own schemas (shipped in the package), strictly (an unknown field is an error).
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import redis
import yaml
from django.http.request import validate_host
from django.urls import resolve

from mediaworker.config import recordings_root, udp_ports
from mediaworker.exposition import endpoint_app
from meet import health
from tests.conftest import ROOT, missing_service, redis_for_tests
from tests.meet.commands import meet_subcommand_exists

KUBE = ROOT / "deploy" / "kubernetes"
KUSTOMIZATIONS = ["base", "overlays/example"]
# The oldest Kubernetes still maintained when this was written, and the newest schema the
# validator ships.
VERSIONS = ["1.31.0", kubernetes_validate.latest_version()]
# The packages the image runs (pyproject's setuptools list): where environment names are read.
PACKAGES = (
    "meet", "identity", "rooms", "scheduling", "signaling", "broadcasts", "archive",
    "competitions", "mediaworker", "realtime", "placement",
)  # fmt: skip
OUR_IMAGE = "meet"
WORKLOADS = {"Deployment", "DaemonSet", "Job"}
START_TIMEOUT_SECS = 60.0


@functools.cache
def _render(kustomization: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        missing_service("kubectl (kustomize)")
        raise AssertionError("unreachable")
    done = subprocess.run(
        [kubectl, "kustomize", str(KUBE / kustomization)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def _objects(kustomization: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in _render(kustomization) if o["kind"] == kind}


def _pods(kustomization: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(workload name, pod spec) of every workload."""
    for obj in _render(kustomization):
        if obj["kind"] in WORKLOADS:
            yield obj["metadata"]["name"], obj["spec"]["template"]["spec"]


def _containers(kustomization: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(workload name, pod spec, container) of every container, init containers too."""
    for name, pod in _pods(kustomization):
        for container in pod.get("initContainers", []) + pod["containers"]:
            yield name, pod, container


def _ours(container: dict[str, Any]) -> bool:
    return str(container["image"]).rsplit("/", 1)[-1].split(":")[0] == OUR_IMAGE


def _settings_map(kustomization: str) -> dict[str, str]:
    maps = _objects(kustomization, "ConfigMap")
    (name,) = [n for n in maps if n.startswith("meet-settings-")]
    return dict(maps[name]["data"])


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container.get("env", [])}


def _meet_invocations(command: list[str]) -> list[list[str]]:
    """The `meet ...` argument lists a command runs, also inside `sh -c '...'`."""
    words = list(command)
    if words[:2] == ["sh", "-c"]:
        words = shlex.split(words[2].replace(";", " ; "))
    return [words[i + 1 :] for i, word in enumerate(words) if word == "meet"]


def _is_media(container: dict[str, Any]) -> bool:
    return container.get("command", [])[:2] == ["meet", "media"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_is_valid_for_the_api(kustomization: str, version: str) -> None:
    """Strict: a misspelled or misplaced field fails here, not in `kubectl apply`."""
    objects = _render(kustomization)
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "DaemonSet", "Job", "HorizontalPodAutoscaler", "Ingress"} <= kinds
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_the_validator_refuses_a_field_the_api_does_not_have() -> None:
    """The check above would pass anything if the validator were not strict."""
    deployment = _objects("base", "Deployment")["meet-web"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_parts_of_the_production_shape_are_there() -> None:
    """Web with an autoscaler, Service and Ingress; scheduler; media workers and coturn on
    the host network; the migrate Job; PostgreSQL and Redis as external names."""
    deployments = _objects("base", "Deployment")
    assert set(deployments) == {"meet-web", "meet-scheduler"}
    assert "replicas" not in deployments["meet-web"]["spec"]  # the autoscaler's number
    assert deployments["meet-scheduler"]["spec"]["replicas"] == 1
    assert deployments["meet-scheduler"]["spec"]["strategy"]["type"] == "Recreate"
    daemons = _objects("base", "DaemonSet")
    assert set(daemons) == {"meet-media", "meet-coturn"}
    for daemon in daemons.values():
        pod = daemon["spec"]["template"]["spec"]
        assert pod["hostNetwork"] is True and pod["dnsPolicy"] == "ClusterFirstWithHostNet"
        assert pod["nodeSelector"]
    (hpa,) = _objects("base", "HorizontalPodAutoscaler").values()
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "meet-web")
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (job,) = _objects("base", "Job").values()
    assert _meet_invocations(job["spec"]["template"]["spec"]["containers"][0]["command"]) == [
        ["setup", "--no-demo"]
    ]
    services = _objects("base", "Service")
    external = {
        n: s["spec"]["externalName"] for n, s in services.items() if "externalName" in s["spec"]
    }
    assert set(external) == {"meet-postgres", "meet-redis"}


def test_the_ingress_reaches_the_web_pods_with_websocket_timeouts() -> None:
    (ingress,) = _objects("base", "Ingress").values()
    notes = ingress["metadata"]["annotations"]
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    template = (ROOT / "deploy/nginx/templates/meet.conf.template").read_text()
    body = re.search(r"client_max_body_size (\w+);", template)
    assert body and notes["nginx.ingress.kubernetes.io/proxy-body-size"] == body[1]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = _objects("base", "Service")[backend["name"]]
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == backend["port"]["name"]]
    web = _objects("base", "Deployment")["meet-web"]["spec"]["template"]
    ports = {p["name"]: p["containerPort"] for p in web["spec"]["containers"][0]["ports"]}
    assert port["targetPort"] in ports
    assert service["spec"]["selector"].items() <= web["metadata"]["labels"].items()
    (policy,) = _objects("base", "NetworkPolicy").values()
    assert policy["spec"]["podSelector"]["matchLabels"] == service["spec"]["selector"]
    assert policy["spec"]["ingress"][0]["ports"][0]["port"] == ports[port["targetPort"]]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_the_ingress_host_is_the_one_the_settings_allow(kustomization: str) -> None:
    """An overlay that renames the site renames it everywhere: Django refuses a Host not in
    ALLOWED_HOSTS (400) and a form posted from an origin not in CSRF_TRUSTED_ORIGINS."""
    config = _settings_map(kustomization)
    (ingress,) = _objects(kustomization, "Ingress").values()
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts == {config["MEET_ROOM_HOST"]}
    assert {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]} == hosts
    for host in hosts:
        assert validate_host(host, config["ALLOWED_HOSTS"].split(","))
        assert f"https://{host}" in config["CSRF_TRUSTED_ORIGINS"].split(",")
        assert f"turns:turn.{host}:" in config["MEET_TURN_URLS"]


def test_the_web_probes_ask_the_health_view_with_an_allowed_host() -> None:
    """Issue 14: the probes' paths exist in the URLconf; the Host they send is allowed
    (the kubelet's default, the pod's address, would be refused with a 400)."""
    allowed = _settings_map("base")["ALLOWED_HOSTS"].split(",")
    web = _objects("base", "Deployment")["meet-web"]["spec"]["template"]["spec"]
    (container,) = web["containers"]
    probes = [container[k] for k in ("startupProbe", "readinessProbe", "livenessProbe")]
    for probe in probes:
        get = probe["httpGet"]
        assert resolve(get["path"]).func is health.healthz
        (host,) = [h["value"] for h in get["httpHeaders"] if h["name"] == "Host"]
        assert validate_host(host, allowed), (host, allowed)
        assert get["port"] in {p["name"] for p in container["ports"]}
    # Two minutes of failures before a restart: readiness takes it out of the Service first.
    live, ready = container["livenessProbe"], container["readinessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] >= 120
    assert ready["periodSeconds"] * ready["failureThreshold"] < 120


def _answers(path: str) -> str:
    """The status line the worker's and scheduler's endpoint gives ``path``."""
    answered: list[str] = []
    app = endpoint_app(lambda: (True, "probe"))
    list(app({"PATH_INFO": path}, lambda status, headers: answered.append(status)))
    return answered[0]


def test_the_scheduler_probes_its_own_endpoint() -> None:
    """The scheduler serves /healthz on MEET_SCHEDULER_METRICS_PORT (9311 unless set)."""
    from django.conf import settings

    pod = _objects("base", "Deployment")["meet-scheduler"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert "MEET_SCHEDULER_METRICS_PORT" not in _settings_map("base")
    assert ports == {"metrics": settings.MEET_SCHEDULER_METRICS_PORT}
    assert _settings_map("base")["MEET_SCHEDULER_METRICS_HOST"] == "0.0.0.0"
    for kind in ("readinessProbe", "livenessProbe"):
        get = container[kind]["httpGet"]
        assert get["port"] in ports and _answers(get["path"]) == "200 OK"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_each_media_worker_probes_its_own_port_and_has_its_own_udp_range(
    kustomization: str,
) -> None:
    """On the host network the workers of a node share its ports: each container has its
    own UDP range and metrics port (9320 + N, as meet-media@N), and its probe asks that."""
    pod = _objects(kustomization, "DaemonSet")["meet-media"]["spec"]["template"]["spec"]
    ranges: list[tuple[int, int]] = []
    for container in pod["containers"]:
        assert _is_media(container)
        index = int(container["name"].removeprefix("media-"))
        env = _env(container)
        port = int(env["MEET_MEDIA_METRICS_PORT"]["value"])
        assert port == 9320 + index
        host = env["MEET_MEDIA_METRICS_HOST"]["value"]
        span = udp_ports({"MEET_MEDIA_UDP_PORTS": env["MEET_MEDIA_UDP_PORTS"]["value"]})
        assert span is not None
        ranges.append(span)
        assert env["MEET_MEDIA_ICE_HOSTS"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.hostIP"
        for kind in ("readinessProbe", "livenessProbe"):
            command = container[kind]["exec"]["command"]
            assert command[:2] == ["python", "-c"]
            compile(command[2], "probe", "exec")
            url = re.search(r"http://([\d.]+):(\d+)(/\w+)", command[2])
            assert url and (url[1], int(url[2])) == (host, port)
            assert _answers(url[3]) == "200 OK"
    ranges.sort()
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:], strict=False)), ranges
    if kustomization == "overlays/example":
        assert len(ranges) > 1


def _code_literals(packages: tuple[str, ...]) -> str:
    return "\n".join(
        path.read_text()
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


@functools.cache
def _read_names(packages: tuple[str, ...]) -> frozenset[str]:
    """Every quoted UPPER_CASE name in the packages' code (what os.environ is asked for)."""
    return frozenset(re.findall(r"""["']([A-Z][A-Z0-9_]+)["']""", _code_literals(packages)))


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_environment_name_is_one_the_code_reads(kustomization: str) -> None:
    """Issue 14: a renamed setting must fail here, not leave a cluster on a default. The
    Django processes' names are read by the web side's code (meet/settings.py for most);
    the media worker loads no Django, so its names must be read by mediaworker/."""
    web_side = _read_names(PACKAGES)
    worker_side = _read_names(("mediaworker",))
    settings_text = (ROOT / "meet" / "settings.py").read_text()
    config = _settings_map(kustomization)
    assert set(config) <= web_side, set(config) - web_side
    # The settings module itself reads the core ones (the rest through its helpers).
    core = {"MEET_MODE", "ALLOWED_HOSTS", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}
    for name in core & (set(config) | _secret_keys(kustomization)):
        assert re.search(rf"""["']{name}["']""", settings_text), name
    for workload, _, container in _containers(kustomization):
        if not _ours(container):
            continue
        names = set(_env(container))
        known = worker_side if _is_media(container) else web_side
        assert names <= known, (workload, container["name"], names - known)
        for item in _env(container).values():
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:  # the Secret's keys are the variables' own names
                assert (ref["name"], ref["key"]) == ("meet-secrets", item["name"])


def _secret_keys(kustomization: str) -> set[str]:
    keys = set()
    for _, _, container in _containers(kustomization):
        for item in container.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                keys.add(ref["key"])
    return keys


def _production_env(tmp_path: Path) -> dict[str, str]:
    """The web container's environment in the example overlay, with made-up secrets."""
    config = _settings_map("overlays/example")
    assert config["MEET_MODE"] == "production"
    web = _objects("base", "Deployment")["meet-web"]["spec"]["template"]["spec"]["containers"][0]
    made_up = {
        "SECRET_KEY": secrets.token_hex(32),  # as the guide makes them
        "DATABASE_URL": "postgres://meet:password@meet-postgres:5432/meet",
        "REDIS_URL": "redis://:password@meet-redis:6379/0",
        "MEET_TURN_SECRET": secrets.token_hex(32),
        "EMAIL_URL": "smtp://user:password@smtp.sogd.edu.vn:587/?tls=True",
        "MEET_METRICS_TOKEN": secrets.token_hex(32),
        "MEET_SIGNIN_PROVIDERS": "",
    }
    assert {item["name"] for item in web["env"] if "valueFrom" in item} == set(made_up)
    plain = {item["name"]: item["value"] for item in web["env"] if "value" in item}
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    # The image's MEET_VAR_DIR (Dockerfile ENV), where the data volume is mounted.
    var_dir = re.search(r"MEET_VAR_DIR=(\S+)", (ROOT / "Dockerfile").read_text())
    assert var_dir and var_dir[1] == "/var/lib/meet"
    return {
        **keep, **config, **plain, **made_up,
        "MEET_VAR_DIR": var_dir[1],
        "DJANGO_SETTINGS_MODULE": "meet.settings",
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }  # fmt: skip


_SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "static": str(s.STATIC_ROOT), "media": str(s.MEDIA_ROOT),
    "recordings": str(s.MEET_RECORDINGS_ROOT), "allowed": s.ALLOWED_HOSTS,
    "exempt": s.SECURE_REDIRECT_EXEMPT, "layer": s.CHANNEL_LAYERS["default"]["BACKEND"],
}))
"""


def test_the_settings_it_gives_start_a_production_process(tmp_path: Path) -> None:
    """The ConfigMap and the Secret's names, with made-up secrets, pass Django's
    deployment checks in a fresh process (production mode refuses a bad setting), and put
    every file where the pods mount their volumes."""
    env = _production_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "meet.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    shown = subprocess.run(
        [sys.executable, "-c", _SHOW_SETTINGS],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    seen = json.loads(shown.stdout.strip().splitlines()[-1])
    pod = _objects("base", "Deployment")["meet-web"]["spec"]["template"]["spec"]
    (collect,) = [c for c in pod["initContainers"] if c["name"] == "collectstatic"]
    (web,) = pod["containers"]
    mounts = {m["mountPath"]: m["name"] for m in web["volumeMounts"]}
    assert {m["mountPath"] for m in collect["volumeMounts"]} == {seen["static"]}
    assert mounts[seen["static"]] == "static" and mounts[env["MEET_VAR_DIR"]] == "data"
    for path in (seen["media"], seen["recordings"]):
        assert Path(path).parent == Path(env["MEET_VAR_DIR"]), path
    # The media worker writes recordings where the web serves them from.
    assert str(recordings_root(env)) == seen["recordings"]
    assert "^healthz$" in seen["exempt"] and "127.0.0.1" in seen["allowed"]
    assert seen["layer"] == "channels_redis.core.RedisChannelLayer"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_command_is_a_meet_subcommand_that_exists(kustomization: str) -> None:
    for workload, _, container in _containers(kustomization):
        if not _ours(container):
            continue
        invocations = _meet_invocations(container["command"])
        assert invocations, (workload, container["command"])
        for args in invocations:
            assert meet_subcommand_exists(args[0]), (workload, args)


def _image_uid() -> int:
    dockerfile = (ROOT / "Dockerfile").read_text()
    found = re.search(r"useradd --system --uid (\d+) [^\n]* meet \\", dockerfile)
    assert found and "\nUSER meet\n" in dockerfile
    return int(found[1])


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_pod_is_unprivileged_with_a_read_only_root(kustomization: str) -> None:
    """Non-root (our image as its own user's number: a name cannot be checked by the
    kubelet), no privilege escalation, no capabilities, a read-only root file system, no
    service account token, and requests and limits for CPU and memory."""
    uid = _image_uid()
    for workload, pod, container in _containers(kustomization):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True and context["seccompProfile"]["type"]
        assert pod["automountServiceAccountToken"] is False
        if _ours(container):
            assert context["runAsUser"] == uid, workload
        mine = container["securityContext"]
        assert mine["readOnlyRootFilesystem"] is True, (workload, container["name"])
        assert mine["allowPrivilegeEscalation"] is False
        assert mine["capabilities"]["drop"] == ["ALL"]
        assert "add" not in mine["capabilities"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), workload
        # Writes go to mounted volumes only: /tmp everywhere, the data volume where needed.
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts or container["name"] == "collectstatic", workload


def test_every_meet_pod_shares_one_data_volume() -> None:
    """Recordings are written by the workers, served by the web, finished by the
    scheduler: one ReadWriteMany claim mounted at MEET_VAR_DIR in each."""
    (claim,) = _objects("base", "PersistentVolumeClaim").values()
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for name in ("meet-web", "meet-scheduler", "meet-media"):
        (pod,) = [p for w, p in _pods("base") if w == name]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["data"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]


def test_coturn_runs_deploy_coturn_as_compose_does() -> None:
    """The copies kustomize reads are deploy/coturn/'s files; the image is compose's."""
    for name in ("turnserver.conf", "run.sh"):
        copy = KUBE / "base" / "coturn" / name
        assert copy.read_bytes() == (ROOT / "deploy" / "coturn" / name).read_bytes(), name
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    pod = _objects("base", "DaemonSet")["meet-coturn"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == compose["services"]["coturn"]["image"]
    assert container["command"][-1] == "/opt/meet/coturn/run.sh"
    assert not [a for a in container["args"] if "secret" in a]
    env = _env(container)
    assert env["MEET_TURN_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "MEET_TURN_SECRET"
    assert env["MEET_TURN_CONF"]["value"] == "/opt/meet/coturn/turnserver.conf"


def test_the_guide_explains_more_than_one_server() -> None:
    """docs/deploy.md's chapter names the manifests, every key of meet-secrets, the labels
    the nodes need and the shared state."""
    guide = (ROOT / "docs" / "deploy.md").read_text()
    chapter = guide.split("## 17. More than one server", 1)[-1]
    assert chapter != guide
    for key in _secret_keys("base"):
        assert key in chapter, key
    for daemon in _objects("base", "DaemonSet").values():
        ((label, value),) = daemon["spec"]["template"]["spec"]["nodeSelector"].items()
        assert f"{label}={value}" in chapter
    for term in ("meet:placement", "deploy/kubernetes/overlays/example", "ReadWriteMany", "CDN"):
        assert term in chapter, term


def _local_paths(pod: dict[str, Any], container: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """Each of the container's mount paths -> a folder here holding what the volume holds
    (the ConfigMap's files; a made-up certificate for the TLS Secret; empty otherwise)."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    maps = _objects("base", "ConfigMap")
    local = {}
    for mount in container["volumeMounts"]:
        folder = tmp_path / mount["name"]
        folder.mkdir()
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            for name, text in maps[volume["configMap"]["name"]]["data"].items():
                (folder / name).write_text(text)
        elif "secret" in volume:
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                 "-subj", "/CN=turn.hop.edu.net.vn", "-keyout", str(folder / "tls.key"),
                 "-out", str(folder / "tls.crt")],
                capture_output=True, check=True, timeout=60,
            )  # fmt: skip
        local[mount["mountPath"]] = str(folder)
    return local


def test_the_coturn_pod_starts_coturn_that_answers_its_probe(tmp_path: Path) -> None:
    """The DaemonSet's command, arguments (with Kubernetes' $(VAR) expansion) and
    environment start a real coturn (Debian's) from the mounted files, which answers the
    probe's STUN request and allocates with the Secret's MEET_TURN_SECRET. Only the
    ports move to free ones: the test shares the machine."""
    from tests.meet.test_coturn_run import SECRET, _allocates, _free_port, _stun_answers

    tools = ("turnserver", "turnutils_stunclient", "turnutils_uclient", "openssl")
    if not all(shutil.which(tool) for tool in tools):
        missing_service("coturn (turnserver, turnutils_stunclient, turnutils_uclient), openssl")
    pod = _objects("base", "DaemonSet")["meet-coturn"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    config = _settings_map("base")
    assert container["readinessProbe"]["exec"]["command"] == ["turnutils_stunclient", "127.0.0.1"]
    conf_text = (KUBE / "base" / "coturn" / "turnserver.conf").read_text()
    assert re.search(r"^listening-port=3478$", conf_text, re.MULTILINE)  # STUN's own port
    local = _local_paths(pod, container, tmp_path)

    mounted = "|".join(re.escape(path) for path in sorted(local, key=len, reverse=True))

    def here(text: str) -> str:
        """The text with each mount path replaced by its folder here (one pass)."""
        return re.sub(rf"(?<![\w/])({mounted})(?![\w.-])", lambda m: local[m[1]], text)

    env = {"PATH": "/usr/bin:/bin"}
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = here(item["value"])
        elif "configMapKeyRef" in item["valueFrom"]:
            env[item["name"]] = config[item["valueFrom"]["configMapKeyRef"]["key"]]
        else:
            assert item["valueFrom"]["secretKeyRef"]["key"] == "MEET_TURN_SECRET"
            env[item["name"]] = SECRET

    def expand(arg: str) -> str:
        """Kubernetes' $(NAME) in arguments: the container's variable."""
        return re.sub(r"\$\((\w+)\)", lambda found: env[str(found[1])], here(arg))

    args = [expand(arg) for arg in container["args"]]
    assert f"--realm={config['MEET_ROOM_HOST']}" in args
    port, tls_port = _free_port(), _free_port()
    ports = [f"--listening-port={port}", f"--tls-listening-port={tls_port}"]
    # Loopback, which the shipped file denies as a peer, is this test's peer.
    local_peer = ["--allow-loopback-peers", "--allowed-peer-ip=127.0.0.1"]
    moved = ["--listening-ip=127.0.0.1", *local_peer, *ports]
    command = [here(word) for word in container["command"]]
    coturn = subprocess.Popen(
        [*command, *args, *moved],
        env=env,
        stdout=(tmp_path / "coturn.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(40):
            if _stun_answers(port):
                break
            assert coturn.poll() is None, (tmp_path / "coturn.log").read_text()[-3000:]
            time.sleep(0.25)
        else:
            raise AssertionError("coturn never answered the probe's STUN request")
        assert _allocates(port, SECRET)
        coturn.send_signal(signal.SIGTERM)
        coturn.wait(timeout=30)
    finally:
        if coturn.poll() is None:
            coturn.kill()
            coturn.wait(timeout=10)


def _redis_or_skip() -> str:
    url = redis_for_tests()
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        missing_service(f"Redis at {url}")
    return url


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        if ready():
            return
        time.sleep(0.25)
    pytest.fail(f"not ready within {START_TIMEOUT_SECS} s: {log.read_text()[-3000:]}")


def _healthz(port: int, host: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        answer = connection.getresponse()
        return answer.status, answer.read()
    except OSError:
        return 0, b""
    finally:
        connection.close()


def test_the_web_pods_probe_gets_200_from_a_production_daphne(tmp_path: Path) -> None:
    """The web container's command and environment (the example overlay's settings) serve
    /healthz to the probe's request, over plain HTTP in production mode, with the probe's
    Host; the kubelet's default Host (the pod's address) would get a 400."""
    env = _production_env(tmp_path)
    port = _free_tcp_port()
    env.update(
        REDIS_URL=_redis_or_skip(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'meet.sqlite3'}",  # SELECT 1 is all it asks
        MEET_VAR_DIR=str(tmp_path),
        PORT=str(port),
    )
    pod = _objects("base", "Deployment")["meet-web"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert _env(container)["HOST"]["value"] == "0.0.0.0" and env["HOST"] == "0.0.0.0"
    probe = container["readinessProbe"]["httpGet"]
    (host,) = [h["value"] for h in probe["httpHeaders"] if h["name"] == "Host"]
    log = tmp_path / "web.log"
    command = [sys.executable, "-m", "meet.cli", *container["command"][1:]]
    with log.open("w") as out:
        web = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=out, stderr=out)
    try:
        _wait_until(lambda: _healthz(port, host)[0] != 0, web, log)
        status, body = _healthz(port, host)
        assert status == 200 and json.loads(body)["status"] == "ok", body
        assert _healthz(port, f"10.244.1.7:{port}")[0] == 400
    finally:
        web.terminate()
        web.wait(timeout=30)


def test_the_media_workers_probe_succeeds_against_a_running_worker(tmp_path: Path) -> None:
    """`meet media` with media-0's environment (the node's address and Redis as the
    kubelet would give them, a free metrics port for the fixed one) answers the container's
    own probe command."""
    pod = _objects("base", "DaemonSet")["meet-media"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    port = str(_free_tcp_port())
    fixed = _env(container)["MEET_MEDIA_METRICS_PORT"]["value"]
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"].replace(fixed, port)
        elif "fieldRef" in item["valueFrom"]:
            env[item["name"]] = "127.0.0.1"  # status.hostIP
        else:
            env[item["name"]] = _redis_or_skip()
    env.update(MEET_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    probe = container["readinessProbe"]["exec"]["command"]
    assert probe[0] == "python" and f":{fixed}/" in probe[2]
    check = [sys.executable, *probe[1:-1], probe[-1].replace(f":{fixed}/", f":{port}/")]
    log = tmp_path / "media.log"
    command = [sys.executable, "-m", "meet.cli", *container["command"][1:]]
    with log.open("w") as out:
        worker = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=out, stderr=out)
    try:
        _wait_until(
            lambda: subprocess.run(check, capture_output=True, timeout=10).returncode == 0,
            worker,
            log,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert worker.returncode == 0 or worker.returncode == -signal.SIGTERM
