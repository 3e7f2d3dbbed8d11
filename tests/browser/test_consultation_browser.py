"""The consultation in Chromium by touch: the workspace at the desk and the provincial helpdesk answering live."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import PUSHED, add_officer, sign_in, sign_in_at_desk, wait_for_job
from tests.browser.kiosk_steps import draw_signature, fill_in_the_form
from tests.conftest import LiveServer, check_in_over_http


def test_an_escalation_reaches_the_province_live_and_its_answer_comes_back_live(
    touch_screens: Any, staffed_server: LiveServer
) -> None:
    server = staffed_server
    add_officer(server, "petrus", "Petrus Provinsi", role="provincial")
    check_in_over_http(server)
    province = touch_screens(1366, 768)
    sign_in(province, server, "petrus")
    expect(province.get_by_role("heading", name="Eskalasi masuk")).to_be_visible()
    expect(province.locator("#inbox")).to_contain_text("Tidak ada eskalasi yang menunggu.")

    desk = touch_screens(1280, 800)  # the officer's tablet
    sign_in_at_desk(desk, server, "Meja 2")
    desk.get_by_role("button", name="Panggil berikutnya").tap()
    desk.get_by_role("button", name="Mulai layanan").tap()
    desk.get_by_label("Masalah baru").fill("Status keanggotaan TMS setelah perbaikan")
    desk.get_by_role("button", name="Tambah masalah").tap()
    desk.get_by_text("Eskalasi ke helpdesk provinsi…").tap()
    desk.get_by_label("Catatan untuk provinsi").fill("Sudah dicek di SIPOL, status tetap TMS.")
    desk.get_by_role("button", name="Kirim ke helpdesk provinsi").tap()
    escalation = desk.locator(".escalation")
    expect(escalation).to_contain_text("Menunggu")

    item = province.locator(".inbox-item")
    expect(item).to_contain_text("Status keanggotaan TMS setelah perbaikan", timeout=PUSHED)  # live, no reload
    expect(item).to_contain_text("Sudah dicek di SIPOL")
    expect(item).not_to_contain_text("Maria")  # no visitor's name reaches the province
    item.get_by_role("button", name="Ambil dan jawab").tap()
    province.get_by_label("Jawaban").fill("Ajukan perbaikan data anggota sebelum batas waktu.")
    province.get_by_label("Rujukan").fill("PKPU 4/2022")
    province.get_by_role("button", name="Kirim jawaban").tap()
    expect(province.locator("#inbox")).to_contain_text("Tidak ada eskalasi yang menunggu.", timeout=PUSHED)

    expect(escalation).to_contain_text("Ajukan perbaikan data anggota", timeout=PUSHED)  # live in the workspace
    expect(escalation).to_contain_text("Petrus Provinsi")


def camera_photo(path: Path) -> Path:
    """A photo as a tablet's camera takes it."""
    Image.new("RGB", (1600, 1200), (40, 110, 60)).save(path, "JPEG", quality=85)
    return path


def test_one_visit_from_the_kiosk_to_the_signed_receipt_and_the_visitors_own_report(
    touch_screens: Any, staffed_server: LiveServer, tmp_path: Path
) -> None:
    server = staffed_server
    add_officer(server, "petrus", "Petrus Provinsi", role="provincial")
    kiosk = touch_screens(1080, 1920)  # step 1: the visitor checks in
    fill_in_the_form(kiosk, server, "Benediktus Lay")
    kiosk.get_by_role("button", name="Benar, ambil tiket").tap()
    expect(kiosk.locator(".ticket .number")).to_have_text("A-001")

    province = touch_screens(1366, 768)
    sign_in(province, server, "petrus")
    desk = touch_screens(1280, 800)  # the officer's tablet, by touch
    sign_in_at_desk(desk, server, "Meja 2")
    desk.get_by_role("button", name="Panggil berikutnya").tap()
    desk.get_by_role("button", name="Mulai layanan").tap()
    expect(desk.get_by_role("heading", name="Konsultasi A-001")).to_be_visible()

    for problem in ("Lupa kata sandi akun SIPOL", "Status anggota TMS setelah perbaikan"):  # step 2
        desk.get_by_label("Masalah baru").fill(problem)
        desk.get_by_role("button", name="Tambah masalah").tap()
        expect(desk.locator("article.problem").last).to_contain_text("Masalah")
    first, second = desk.locator("article.problem").nth(0), desk.locator("article.problem").nth(1)
    desk.get_by_role("button", name="3 Jawab permasalahan").tap()

    first.get_by_label("Cari di FAQ").fill("kata sand")  # step 3: the knowledge base, searched as typed
    hit = first.locator(".faq-hits li").first
    expect(hit).to_contain_text("[Contoh]")
    hit.get_by_role("button", name="Salin ke jawaban").tap()
    expect(first.locator(".save-state")).to_contain_text("Tersimpan")
    hit.get_by_role("button", name="Jadikan rujukan").tap()
    expect(first.locator(".reference-list")).to_contain_text("FAQ")

    desk.get_by_role("button", name="4 Eskalasi ke helpdesk provinsi").tap()  # step 4
    second.get_by_text("Eskalasi ke helpdesk provinsi…").tap()
    second.get_by_label("Catatan untuk provinsi").fill("Status tetap TMS setelah perbaikan diunggah.")
    second.get_by_role("button", name="Kirim ke helpdesk provinsi").tap()
    item = province.locator(".inbox-item")
    expect(item).to_contain_text("Status anggota TMS", timeout=PUSHED)
    item.get_by_role("button", name="Ambil dan jawab").tap()
    province.get_by_label("Jawaban").fill("Ajukan perbaikan ulang sebelum batas waktu tahap perbaikan.")
    province.get_by_role("button", name="Kirim jawaban").tap()
    expect(second.locator(".escalation")).to_contain_text("Ajukan perbaikan ulang", timeout=PUSHED)

    desk.get_by_role("button", name="6 Laporan, foto dan tanda terima").tap()  # steps 5 and 6
    desk.locator("form.add-photo input[type=file]").set_input_files(camera_photo(tmp_path / "meja.jpg"))
    desk.get_by_label("Keterangan (boleh kosong)").fill("Penyerahan laporan")
    desk.get_by_role("button", name="Unggah foto").tap()
    expect(desk.locator(".photo-grid")).to_contain_text("Penyerahan laporan")
    draw_signature(desk)  # the visitor signs on the tablet
    desk.get_by_role("button", name="Simpan tanda tangan dan cetak tanda terima").tap()
    expect(desk.locator("#closing")).to_contain_text("Nomor laporan 001/HD-KPU-KPG/")

    jobs = wait_for_job(server, 2)  # the ticket, then the receipt, over TCP to the printer
    printed = Image.open(server.printer.out_dir / f"job-{jobs[1]['job']:04d}.png")
    (receipt_url,) = [result.text for result in zxingcpp.read_barcodes(printed)]
    assert receipt_url.startswith(f"{server.url}/r/")

    phone = touch_screens(390, 800)
    phone.goto(receipt_url)
    expect(phone.locator("body")).to_contain_text("001/HD-KPU-KPG/")
    expect(phone.locator("body")).not_to_contain_text("Benediktus")  # only the masked name
    with phone.expect_download() as download:
        phone.get_by_role("link", name=re.compile("PDF")).tap()
    text = "".join(page.extract_text() for page in PdfReader(download.value.path()).pages)
    for expected in ("001/HD-KPU-KPG/", "Lupa kata sandi akun SIPOL", "Ajukan perbaikan ulang", "Penyerahan laporan"):
        assert expected in text


def test_a_refusal_is_shown_where_the_officer_looks(touch_screens: Any, staffed_server: LiveServer) -> None:
    server = staffed_server
    check_in_over_http(server)
    desk = touch_screens(1366, 768)
    sign_in_at_desk(desk, server, "Meja 2")
    desk.get_by_role("button", name="Panggil berikutnya").tap()
    desk.get_by_role("button", name="Mulai layanan").tap()
    draw_signature(desk)  # the visitor signs on the tablet
    desk.get_by_role("button", name="Simpan tanda tangan dan cetak tanda terima").tap()
    expect(desk.locator("#flash")).to_contain_text("Catat minimal satu masalah sebelum tanda terima.")
