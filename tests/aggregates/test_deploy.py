"""deploy/k8s-shards.yaml is a valid run configuration of the shard job on dagster-k8s."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import dagster as dg
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _k8s_definitions():
    pytest.importorskip("dagster_k8s")
    spec = importlib.util.spec_from_file_location("k8s_definitions", DEPLOY / "k8s_definitions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_k8s_configuration_loads_against_the_job():
    module = _k8s_definitions()
    job = module.defs.get_job_def("shard_network")
    assert job.executor_def.name == "k8s"
    config = yaml.safe_load((DEPLOY / "k8s-shards.yaml").read_text())
    resolved = dg.validate_run_config(job, config)
    assert resolved["resources"]["shard_settings"]["config"]["shards"] == 16
    assert resolved["execution"]["k8s"]["max_concurrent"] == 16
    assert {v["name"] for v in resolved["execution"]["k8s"]["volumes"]} == {"batches", "work"}


def test_a_wrong_key_is_refused():
    module = _k8s_definitions()
    job = module.defs.get_job_def("shard_network")
    config = yaml.safe_load((DEPLOY / "k8s-shards.yaml").read_text())
    config["resources"]["shard_settings"]["config"]["shard"] = 3  # a typo
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, config)
