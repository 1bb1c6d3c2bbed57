"""The deploy/ examples with a bucket: every reelq process has the storage URL and no shared volume."""

from __future__ import annotations

from pathlib import Path

import yaml

from reelq.storage.url import parse_storage_url

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def test_compose_with_minio_shares_no_volume_between_reelq_containers() -> None:
    doc = yaml.safe_load((DEPLOY / "compose-s3.yaml").read_text())
    reelq = {name: svc for name, svc in doc["services"].items() if svc.get("image") == "reelq:latest"}
    assert {"api-a", "api-b", "worker"} <= set(reelq)
    for svc in reelq.values():
        assert not svc.get("volumes"), "a reelq container mounts no shared volume"
        location = parse_storage_url(svc["environment"]["REELQ_STORAGE_URL"])
        assert location is not None and location.path_style and location.endpoint == "http://minio:9000"
        assert svc["environment"]["REELQ_SIGNING_SECRET"]


def test_kubernetes_deployments_mount_only_scratch() -> None:
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "reelq.yaml").read_text()))
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    assert parse_storage_url(config["data"]["REELQ_STORAGE_URL"]) is not None
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"reelq-api", "reelq-worker"}
    for d in deployments.values():
        volumes = d["spec"]["template"]["spec"]["volumes"]
        assert all(set(v) == {"name", "emptyDir"} for v in volumes), volumes  # no PVC, no NFS
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert {"configMapRef": {"name": "reelq"}} in container["envFrom"]
