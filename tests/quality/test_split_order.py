"""A batch's scores are split only after its sessions: a batch that another run receives between
one run's sessions split and its scores split must not have its scores split (and quarantined as
of unknown sessions) before its own sessions are staged. Found with partition runs in parallel."""
from pipeline import ingest, staging
from tests.quality.batches import new_batch
from tests.quality.conftest import assert_balanced


def test_scores_of_a_batch_received_between_the_two_splits_wait_for_its_sessions(tmp_path, wh):
    ingest.receive(wh, new_batch(tmp_path / "c1-2026-01", "c1").write())
    staging.stage_sessions(wh, staging.pending_batches(wh, "sessions"))  # one run's sessions step
    ingest.receive(wh, new_batch(tmp_path / "c2-2026-01", "c2").write())  # another run's batch arrives
    assert staging.pending_batches(wh, "measurements") == ["c1-2026-01"]
    staging.stage_measurements(wh, staging.pending_batches(wh, "measurements"))
    assert staging.pending_batches(wh, "sessions") == ["c2-2026-01"]  # still waiting for its own split
    staging.stage_pending(wh)
    for batch in ("c1-2026-01", "c2-2026-01"):
        assert_balanced(wh, batch)
    quarantined = wh.execute("select count(*) from quarantine.measurements").fetchone()[0]
    assert quarantined == 0
