"""The code location of the shard job on Kubernetes (dagster-k8s; docs/aggregates.md).

Each step of ``shard_network`` (the split, every shard, the merge) runs in its own Kubernetes
Job, with the run configuration of deploy/k8s-shards.yaml: the batch folders (Parquet) are read
from object storage mounted at /mnt/batches, the shards' DuckDB files and aggregates files and
the merged warehouse live on a shared volume at /mnt/work. Load it with
``dagster dev -f deploy/k8s_definitions.py`` (or the Helm chart's user deployment).
"""
import dagster as dg
from dagster_k8s import k8s_job_executor

from pipeline.aggregates.job import ShardSettings, shard_job

shard_network_k8s = shard_job(executor_def=k8s_job_executor)

defs = dg.Definitions(jobs=[shard_network_k8s], resources={"shard_settings": ShardSettings()})
