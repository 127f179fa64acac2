"""Stored uploads (stock file, photo ZIP) live exactly as long as an import job may need them.

Kept after the dry run (the commit reads them again) and while the commit runs; deleted once the
commit is saved, when a job fails, when an RQ job is stopped, and on discard. The report stays.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask import current_app

from app.extensions import db
from app.models.inventory import ImportBatch, ImportStatus
from app.services import inventory_jobs
from app.services.inventory_jobs import COMMIT, DRY_RUN, job_stopped, run_import_batch
from app.services.storage import get_storage
from app.tenancy import scoped
from tests.conftest import csrf_token
from tests.inventory.factories import VINS
from tests.inventory.test_routes import _base, _batch_id, _csv, _jpeg, _mapping_post, _upload, _zip

ROWS = (f"{VINS[0]},A-1,Honda,Accord,2003,100,1,Used,", "null,,Ford,Focus,2015,9000,80000,Used,")


def _batch(app, world, batch_id: int) -> ImportBatch:
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        batch = db.session.get(ImportBatch, batch_id)
        db.session.expunge(batch)
        return batch


def _stored(app, *keys: str) -> list[bool]:
    with app.app_context():
        storage = get_storage(app.config)
        return [storage.exists(key) for key in keys]


def _previewed(app, client, login, world, photos: bytes | None = None) -> tuple[int, str, str | None]:
    login(world.emails["principal_a1"])
    batch_id = _batch_id(_upload(client, world, _csv(*ROWS), photos=photos))
    _mapping_post(client, world, batch_id)
    batch = _batch(app, world, batch_id)
    assert batch.status is ImportStatus.PREVIEWED
    return batch_id, batch.file_key, batch.photos_key


def test_commit_deletes_the_upload_after_saving_and_keeps_the_report(app, client, login, world):
    batch_id, file_key, photos_key = _previewed(app, client, login, world, photos=_zip({f"{VINS[0]}.jpg": _jpeg()}))
    assert file_key and photos_key and _stored(app, file_key, photos_key) == [True, True]  # the dry run keeps them
    token = csrf_token(client, f"{_base(world)}/import/{batch_id}")
    assert client.post(f"{_base(world)}/import/{batch_id}/commit", data={"csrf_token": token}).status_code == 303
    batch = _batch(app, world, batch_id)
    assert batch.status is ImportStatus.COMMITTED and batch.saved and batch.created_count == 1
    assert (batch.file_key, batch.photos_key) == (None, None) and _stored(app, file_key, photos_key) == [False, False]
    assert batch.rejected_count == 1 and batch.issues and batch.photos_attached == 1  # the report stays
    page = client.get(f"{_base(world)}/import/{batch_id}").get_data(as_text=True)
    assert "Saved." in page and "photos attached" in page
    assert client.get(f"{_base(world)}/import/{batch_id}/errors.csv").status_code == 200
    # Saving again (a double tap) says so instead of failing on the missing file.
    again = client.post(f"{_base(world)}/import/{batch_id}/commit", data={"csrf_token": token}, follow_redirects=True)
    assert again.status_code == 200 and "This import cannot be saved now" in again.get_data(as_text=True)


def test_the_commit_job_still_has_the_upload_while_it_runs(app, client, login, world):
    batch_id, file_key, _photos = _previewed(app, client, login, world)
    during: list[bool] = []
    with app.app_context():
        run_import_batch(batch_id, world.ids["a1"], world.ids["brand_a"], COMMIT,
                         on_progress=lambda rows, total: during.extend(_stored(current_app, file_key)))
    assert during and all(during)  # present at every progress step of the running commit
    assert _stored(app, file_key) == [False] and _batch(app, world, batch_id).file_key is None


def test_a_failed_job_drops_the_upload_and_keeps_the_error(app, client, login, world):
    batch_id, file_key, _photos = _previewed(app, client, login, world)
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        batch = db.session.get(ImportBatch, batch_id)
        batch.mapping = {column: "" for column in batch.mapping}  # nothing mapped: the job refuses the file
        db.session.commit()
    with app.app_context():
        assert run_import_batch(batch_id, world.ids["a1"], world.ids["brand_a"], COMMIT) == "failed"
    batch = _batch(app, world, batch_id)
    assert batch.status is ImportStatus.FAILED and "No column is mapped to" in batch.error_message and not batch.saved
    assert batch.file_key is None and _stored(app, file_key) == [False]
    assert batch.issues and batch.rejected_count == 1  # the dry run's report is still there
    page = client.get(f"{_base(world)}/import/{batch_id}").get_data(as_text=True)
    assert "No column is mapped to" in page and "Upload a file again" in page
    assert client.get(f"{_base(world)}/import/{batch_id}/mapping").status_code == 404  # nothing left to map


def test_an_unexpected_error_drops_the_upload_too(app, client, login, world, monkeypatch):
    batch_id, file_key, _photos = _previewed(app, client, login, world)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(inventory_jobs, "import_file", broken)
    with app.app_context():
        try:
            run_import_batch(batch_id, world.ids["a1"], world.ids["brand_a"], DRY_RUN)
        except RuntimeError:
            pass
        else:  # pragma: no cover - the job must re-raise for RQ to record the failure
            raise AssertionError("the job swallowed the error")
    batch = _batch(app, world, batch_id)
    assert batch.status is ImportStatus.FAILED and "Nothing was saved" in batch.error_message
    assert batch.file_key is None and _stored(app, file_key) == [False]


def test_a_stopped_rq_job_ends_failed_without_its_upload(app, client, login, world):
    batch_id, file_key, _photos = _previewed(app, client, login, world)
    with app.app_context(), scoped(dealer_id=world.ids["a1"], brand_id=world.ids["brand_a"]):
        db.session.get(ImportBatch, batch_id).status = ImportStatus.RUNNING
        db.session.commit()
    with app.app_context():
        job_stopped(SimpleNamespace(args=(batch_id, world.ids["a1"], world.ids["brand_a"], COMMIT)), None)
    batch = _batch(app, world, batch_id)
    assert batch.status is ImportStatus.FAILED and batch.error_message == "The import was stopped. Nothing was saved."
    assert batch.file_key is None and _stored(app, file_key) == [False]


def test_discard_deletes_the_upload(app, client, login, world):
    batch_id, file_key, photos_key = _previewed(app, client, login, world, photos=_zip({"x.jpg": _jpeg()}))
    token = csrf_token(client, f"{_base(world)}/import/{batch_id}")
    assert client.post(f"{_base(world)}/import/{batch_id}/discard", data={"csrf_token": token}).status_code == 303
    batch = _batch(app, world, batch_id)
    assert batch.status is ImportStatus.DISCARDED and (batch.file_key, batch.photos_key) == (None, None)
    assert _stored(app, file_key, photos_key) == [False, False]
