"""deploy/k8s/ checked offline: our manifests against Kubernetes' schemas (kubernetes-validate,
bundled schemas), the Helm values against the Rasa charts' own values.schema.json (vendored in
deploy/k8s/chart-schemas/), and the pieces against each other and against the local profile."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from bot.ops.production import ENDPOINTS
from bot.ops.settings import ROOT

pytestmark = pytest.mark.production

K8S = ROOT / "deploy" / "k8s"
SCHEMAS = K8S / "chart-schemas"
KUBERNETES_VERSION = "1.28.0"
CHARTS = {
    "rasa-values.yaml": "rasa-1.17.8",
    "rasa-action-server-values.yaml": "rasa-action-server-1.0.9",
}
# Maps the charts leave open (any key): channel names, extra endpoints, store settings, and
# the settings of the charts' subcharts (PostgreSQL, Redis) that we only reference.
OPEN_MAPS = {
    ("applicationSettings", "credentials", "additionalChannelCredentials"),
    ("applicationSettings", "endpoints", "trackerStore"),
    ("applicationSettings", "endpoints", "lockStore"),
    ("postgresql",),
    ("redis",),
    ("resources",),
    ("readinessProbe",),
    ("livenessProbe",),
}


def manifests() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / "web.yaml").read_text()) if d]


def values(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / name).read_text())
    return loaded


def merged(defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of a chart's values.yaml with -f values (maps merge, the rest replaces)."""
    out = copy.deepcopy(defaults)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def unknown_keys(ours: Any, defaults: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Keys we set that the chart does not have: a typo there would be silently ignored."""
    if not isinstance(ours, dict) or not isinstance(defaults, dict) or path in OPEN_MAPS:
        return []
    found = []
    for key, value in ours.items():
        if key not in defaults:
            found.append(".".join((*path, key)))
        else:
            found += unknown_keys(value, defaults[key], (*path, key))
    return found


@pytest.mark.parametrize("doc", manifests(), ids=lambda d: f"{d['kind']}-{d['metadata']['name']}")
def test_manifest_is_valid_kubernetes(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_manifest_check_catches_a_mistake() -> None:
    deployment = next(d for d in manifests() if d["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_helm_values_match_the_chart(name: str) -> None:
    chart = CHARTS[name]
    defaults = yaml.safe_load((SCHEMAS / f"{chart}.values.yaml").read_text())
    schema = json.loads((SCHEMAS / f"{chart}.values.schema.json").read_text())
    ours = values(name)
    jsonschema.validate(merged(defaults, ours), schema)
    assert unknown_keys(ours, defaults) == []


def test_the_values_check_catches_a_mistake() -> None:
    chart = CHARTS["rasa-values.yaml"]
    defaults = yaml.safe_load((SCHEMAS / f"{chart}.values.yaml").read_text())
    schema = json.loads((SCHEMAS / f"{chart}.values.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(merged(defaults, {"replicaCount": "two"}), schema)
    assert unknown_keys({"replicaCounts": 2}, defaults) == ["replicaCounts"]


def test_kubernetes_layout_matches_the_local_production_profile() -> None:
    rasa = values("rasa-values.yaml")
    actions = values("rasa-action-server-values.yaml")
    settings = rasa["applicationSettings"]
    local_endpoints = yaml.safe_load(Path(ENDPOINTS).read_text())
    local_credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())

    # Same channels (and settings) as credentials.yml, same lock store class as run-prod.
    channels = settings["credentials"]["additionalChannelCredentials"]
    assert {k: v or {} for k, v in channels.items()} == {
        k: v or {} for k, v in local_credentials.items()
    }
    assert settings["endpoints"]["lockStore"]["type"] == local_endpoints["lock_store"]["type"]
    assert settings["endpoints"]["trackerStore"]["dialect"] == "postgresql"
    assert settings["enableAPI"] is False
    assert rasa["replicaCount"] >= 2 and actions["replicaCount"] >= 2
    assert rasa["postgresql"]["install"] is False and rasa["redis"]["install"] is False

    # Rasa calls the action server chart's Service.
    url = rasa["rasa-action-server"]["external"]["url"]
    assert url.startswith(f"http://{actions['fullnameOverride']}.")
    assert url.endswith("/webhook") and actions["service"]["port"] == 80

    # The Ingress sends the chat channels to the Rasa Service and the rest to the web app,
    # with no session affinity anywhere.
    docs = {(d["kind"], d["metadata"]["name"]): d for d in manifests()}
    ingress = docs[("Ingress", "assistant")]
    routes = {
        p["path"]: (p["backend"]["service"]["name"], p["backend"]["service"]["port"]["number"])
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    web = docs[("Service", "assistant-web")]
    assert routes == {
        "/webhooks/rest/": (rasa["fullnameOverride"], rasa["service"]["port"]),
        "/socket.io/": (rasa["fullnameOverride"], rasa["service"]["port"]),
        "/": (web["metadata"]["name"], web["spec"]["ports"][0]["port"]),
    }
    annotations = " ".join(ingress["metadata"].get("annotations", {}))
    assert "affinity" not in annotations
    assert "sessionAffinity" not in web["spec"]
