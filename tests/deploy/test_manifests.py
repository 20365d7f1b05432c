"""deploy/ checked offline: Kubernetes schemas, hadolint, nginx's own parser, and
the settings that must agree across files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import Settings, knobs
from tests.deploy.nginx import Nginx, nginx_binary
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]
K8S = sorted((REPO / "deploy" / "k8s").glob("*.yaml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    if path is None:
        pytest.fail(f"{name} is not installed (it is in the dev extra)")
    return path


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _kind(kind: str) -> dict[str, Any]:
    (doc,) = [
        d
        for p in K8S
        for d in _docs(p)
        if d["kind"] == kind and d["metadata"]["name"] == "session-gateway"
    ]
    return doc


def test_kubernetes_manifests_validate_strictly() -> None:
    assert K8S, "no manifests"
    result = subprocess.run(
        [_tool("kubernetes-validate"), "--strict", *map(str, K8S)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {d["kind"] for p in K8S for d in _docs(p)}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
    } <= kinds


def test_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [_tool("hadolint"), str(REPO / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_grace_period_covers_the_drain_and_probes_use_the_endpoints() -> None:
    config = _kind("ConfigMap")["data"]
    # The credential secret comes from the Secret (a placeholder there): with
    # Redis configured, settings refuse to start without a real one.
    settings = Settings.from_env({**config, "GATEWAY_CREDENTIAL_SECRET": "k" * 32})
    assert settings.log_format == "json" and settings.redis_url
    pod = _kind("Deployment")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > settings.drain_delay + settings.drain_seconds
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["ports"][0]["containerPort"] == settings.port
    # Every key the ConfigMap sets is a setting the gateway reads.
    known = {knob.variable for knob in knobs()}
    assert {k for k in config if k.startswith("GATEWAY_")} <= known


def test_compose_runs_replicas_behind_nginx_with_shared_settings() -> None:
    compose = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["gateway"]["deploy"]["replicas"] >= 2
    env = services["gateway"]["environment"]
    assert env["GATEWAY_REDIS_URL"].startswith("redis://redis:")
    assert "GATEWAY_CREDENTIAL_SECRET" in env
    grace = int(services["gateway"]["stop_grace_period"].rstrip("s"))
    assert grace > float(env["GATEWAY_DRAIN_DELAY"]) + float(env["GATEWAY_DRAIN_SECONDS"])
    volumes = services["nginx"]["volumes"]
    assert any("gateway.conf.template" in v for v in volumes)


@pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (make nginx)")
def test_nginx_template_parses(tmp_path: Path) -> None:
    nginx = Nginx(tmp_path / "nginx", free_port(), ["127.0.0.1:1", "127.0.0.1:2"])
    result = nginx.check()
    assert result.returncode == 0, result.stderr
    text = nginx.config.read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "${" not in text, "every variable filled"
