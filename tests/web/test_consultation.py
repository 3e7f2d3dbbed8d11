"""The consultation workspace over HTTP: it opens when service starts, steps, autosave, conflicts, bad input."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from shared.consultation.models import Consultation, FaqEntry, FaqStatus, Photo, Problem
from shared.models import PrintJob, User
from tests.conftest import NOW, damaged_png, data_url, make_user, signature_png
from tests.factories import at_desk, checkin


@pytest.fixture
def staff(client: Any, officer: User) -> Any:
    return at_desk(client, "petugas1", 2)


@pytest.fixture
def officer(app: Any) -> User:
    with app.extensions["helpdesk"].sessions() as session:
        return make_user(session)  # type: ignore[no-any-return]


def open_workspace(app: Any, staff: Any) -> tuple[str, str]:
    """Call and start serving a visitor; returns the workspace's address and page."""
    with app.extensions["helpdesk"].sessions() as session:
        checkin(session)
    called = staff.post("/dashboard/call-next")
    visit_id = re.search(r"/dashboard/visits/(\d+)/start", called.text).group(1)
    started = staff.post(f"/dashboard/visits/{visit_id}/start")
    assert started.headers["HX-Redirect"] == f"/dashboard/consultations/visit/{visit_id}"
    address = staff.get(started.headers["HX-Redirect"]).headers["Location"]
    return address, staff.get(address).text


def test_starting_service_opens_the_workspace_at_step_2_beside_the_queue(app: Any, staff: Any) -> None:
    address, page = open_workspace(app, staff)
    assert "Maria Lodia Nenobais" in page and "0812-3456-7890" in page
    assert re.search(r'aria-current="step"[^>]*>\s*<span class="step-number">2<', page)
    assert 'id="board"' in page and 'sse-swap="board"' in page  # the live queue stays on screen
    moved = staff.post(f"{address}/steps/3")
    assert re.search(r'aria-current="step"[^>]*>\s*<span class="step-number">3<', moved.text)


def test_a_problem_saves_as_it_is_typed_and_a_stale_tab_is_told(app: Any, staff: Any) -> None:
    address, _ = open_workspace(app, staff)
    listed = staff.post(f"{address}/problems", data={"topic_id": "1", "description": "Lupa kata sandi SIPOL"})
    problem_id = re.search(r'data-problem="(\d+)"', listed.text).group(1)
    saved = staff.post(
        f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", "answer": "Atur ulang."}
    )
    assert "Tersimpan" in saved.text and 'value="2"' in saved.text  # the form's version moves on
    stale = staff.post(f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", "answer": "Lain"})
    assert "Diubah di tab lain." in stale.text and "Muat versi tersimpan" in stale.text
    assert "Atur ulang." in staff.get(address).text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer", "x\x00y", "Teks berisi karakter yang tidak diizinkan."),
        ("answer", "x" * 6000, "Teks terlalu panjang"),
        ("topic_id", "999999999999999999999", "Pilih topik dari daftar."),
        ("version", "abc", "Diubah di tab lain."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    app: Any, staff: Any, field: str, value: str, message: str
) -> None:
    address, _ = open_workspace(app, staff)
    listed = staff.post(f"{address}/problems", data={"topic_id": "1", "description": "Awal"})
    problem_id = re.search(r'data-problem="(\d+)"', listed.text).group(1)
    response = staff.post(f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", field: value})
    assert response.status_code == 200 and message in response.text
    with app.extensions["helpdesk"].sessions() as session:
        assert session.scalars(select(Problem.version)).all() == [1]


def test_another_officer_may_look_but_not_change(app: Any, staff: Any) -> None:
    address, _ = open_workspace(app, staff)
    with app.extensions["helpdesk"].sessions() as session:
        make_user(session, "petugas2")
    colleague = at_desk(app.test_client(), "petugas2", 1)
    page = colleague.get(address).text
    assert "Tambah masalah" not in page
    refused = colleague.post(f"{address}/problems", data={"topic_id": "1", "description": "Bukan meja saya"})
    assert refused.status_code == 409 and "ditangani petugas lain" in refused.text


def test_the_knowledge_base_is_searched_under_a_problem_and_an_answer_offered_as_a_draft(app: Any, staff: Any) -> None:
    address, _ = open_workspace(app, staff)
    listed = staff.post(f"{address}/problems", data={"topic_id": "1", "description": "Lupa kata sandi SIPOL"})
    problem_id = re.search(r'data-problem="(\d+)"', listed.text).group(1)
    with app.extensions["helpdesk"].sessions() as session:
        session.add(
            FaqEntry(
                question="Bagaimana jika lupa kata sandi SIPOL?",
                answer="Minta admin partai mengatur ulang.",
                status=FaqStatus.APPROVED,
                created_at=NOW,
            )
        )
        session.commit()
    found = staff.get(f"/dashboard/consultations/problems/{problem_id}/faq", query_string={"q": "SANDI sipo"})
    assert "Bagaimana jika lupa kata sandi SIPOL?" in found.text and "Jadikan rujukan" in found.text
    for hostile in ('"', "NEAR(", "*", "a" * 5000, "\x00"):
        assert (
            staff.get(f"/dashboard/consultations/problems/{problem_id}/faq", query_string={"q": hostile}).status_code
            == 200
        )

    staff.post(f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", "answer": "Atur ulang."})
    offered = staff.post(f"/dashboard/consultations/problems/{problem_id}/faq-draft")
    assert "Disimpan sebagai draf FAQ" in offered.text
    with app.extensions["helpdesk"].sessions() as session:
        make_user(session, "kepala", role="supervisor")
        draft_id = session.scalars(select(FaqEntry.id).where(FaqEntry.status == FaqStatus.DRAFT)).one()
    assert at_desk(app.test_client(), "petugas1", 2).get("/dashboard/knowledge/drafts").status_code == 403
    supervisor = at_desk(app.test_client(), "kepala", 1)
    assert "Lupa kata sandi SIPOL" in supervisor.get("/dashboard/knowledge/drafts").text
    approved = supervisor.post(f"/dashboard/knowledge/drafts/{draft_id}/approve")
    assert "Tidak ada draf yang menunggu persetujuan." in approved.text


def jpeg_with_location() -> bytes:
    image = Image.new("RGB", (800, 600), (30, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "S", 2: (10.0, 9.0, 0.0)}  # GPS: where the picture was taken
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_uploaded_cleaned_and_shown_to_staff_only(app: Any, staff: Any) -> None:
    address, page = open_workspace(app, staff)
    consultation_id = address.rsplit("/", 1)[1]
    assert 'capture="environment"' in page  # the tablet's camera through the file picker
    sent = staff.post(
        f"{address}/photos",
        data={"photo": (io.BytesIO(jpeg_with_location()), "meja.jpg"), "caption": "Penyerahan laporan"},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 200 and "Penyerahan laporan" in sent.text
    photo_url = re.search(r'src="(/dashboard/consultations/photos/\d+)"', sent.text).group(1)
    served = staff.get(photo_url)
    assert served.headers["Cache-Control"] == "no-store" and served.mimetype == "image/jpeg"
    assert 0x8825 not in Image.open(io.BytesIO(served.data)).getexif()  # the location is gone
    assert app.test_client().get(photo_url).status_code == 302  # signed-out: to the sign-in page
    assert consultation_id.isdigit()


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        (b"GIF89a" + b"\x00" * 100, "Foto harus berformat JPEG atau PNG.", 400),
        (b"\xff\xd8\xff" + b"\x00" * 100, "Foto rusak atau tidak terbaca.", 400),
        (b"", "Foto kosong.", 400),
        (b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 70_000), "Foto terlalu besar", 413),
    ],
)
def test_a_bad_upload_is_explained_and_nothing_is_kept(
    app: Any, staff: Any, data: bytes, message: str, status: int
) -> None:
    address, _ = open_workspace(app, staff)
    sent = staff.post(
        f"{address}/photos", data={"photo": (io.BytesIO(data), "x.jpg")}, content_type="multipart/form-data"
    )
    assert sent.status_code == status and message in sent.text
    with app.extensions["helpdesk"].sessions() as session:
        assert session.scalars(select(Photo)).all() == []
    photo_dir = Path(app.instance_path) / "photos"
    assert not photo_dir.exists() or list(photo_dir.iterdir()) == []


def test_the_visitor_signs_the_report_locks_the_receipt_prints_and_corrections_are_amendments(
    app: Any, staff: Any
) -> None:
    address, _ = open_workspace(app, staff)
    consultation_id = int(address.rsplit("/", 1)[1])
    refused = staff.post(f"{address}/receipt", data={"signature": data_url(signature_png())})
    assert refused.status_code == 409 and "Catat minimal satu masalah" in refused.text
    listed = staff.post(f"{address}/problems", data={"topic_id": "1", "description": "Lupa kata sandi SIPOL"})
    problem_id = re.search(r'data-problem="(\d+)"', listed.text).group(1)
    staff.post(
        f"/dashboard/consultations/problems/{problem_id}", data={"version": "1", "answer": "Atur ulang. Lalu masuk."}
    )
    for bad in ("", "data:image/png;base64,AAAA", data_url(damaged_png(signature_png()))):
        assert staff.post(f"{address}/receipt", data={"signature": bad}).status_code == 409

    signed = staff.post(f"{address}/receipt", data={"signature": data_url(signature_png())})
    assert "Nomor laporan 001/HD-KPU-KPG/XI/2026" in signed.text
    with app.extensions["helpdesk"].sessions() as session:
        consultation = session.get_one(Consultation, consultation_id)
        job = session.scalars(select(PrintJob).where(PrintJob.kind == "receipt")).one()
        assert consultation.locked and consultation.digest and len(consultation.digest) == 64
        signed_digest = consultation.digest
        assert job.payload["number"] == "001/HD-KPU-KPG/XI/2026" and job.payload["visitor"] == "M*** L*** N***"
        assert job.payload["problems"] == [{"topic": "Akun dan login SIPOL", "answer": "Atur ulang."}]
        assert job.payload["url"].endswith(f"/r/{consultation.receipt_token}")
        assert "0812" not in str(job.payload)
    again = staff.post(f"/dashboard/consultations/problems/{problem_id}", data={"version": "2", "answer": "Lain"})
    assert "hanya lewat ralat" in again.text
    assert staff.post(f"{address}/receipt", data={"signature": data_url(signature_png())}).status_code == 409

    amended = staff.post(f"{address}/amendments", data={"what": "Nama topik diperbaiki", "why": "Salah pilih"})
    assert "Nama topik diperbaiki" in amended.text and "Salah pilih" in amended.text
    assert staff.post(f"{address}/amendments", data={"what": "x\x00", "why": "y"}).status_code == 409
    pdf = staff.get(f"{address}/report.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "001/HD-KPU-KPG/XI/2026" in text and "Nama topik diperbaiki" in text
    assert f"{signed_digest[:8]} {signed_digest[8:16]}" in text  # the digest the receipt's proof page shows

    with app.extensions["helpdesk"].sessions() as session:
        make_user(session, "kepala", role="supervisor")
    assert staff.get(f"{address}/history").status_code == 403
    history = at_desk(app.test_client(), "kepala", 1).get(f"{address}/history").text
    for action in (
        "Layanan dimulai",
        "Masalah ditambah",
        "Masalah diubah",
        "Tanda terima ditandatangani",
        "Ralat ditambah",
    ):
        assert action in history
