"""Starting reference data: the office, the Pemilu 2024 parties and consultation topics."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import write
from shared.models import Office, Party, Topic
from shared.staff import ensure_desks

# Keputusan KPU 519/2022 and 552/2022; Aceh local parties (18-23) are left out outside Aceh.
PARTIES: tuple[tuple[int | None, str, str], ...] = (
    (1, "Partai Kebangkitan Bangsa", "PKB"),
    (2, "Partai Gerakan Indonesia Raya", "Gerindra"),
    (3, "Partai Demokrasi Indonesia Perjuangan", "PDI Perjuangan"),
    (4, "Partai Golongan Karya", "Golkar"),
    (5, "Partai NasDem", "NasDem"),
    (6, "Partai Buruh", "Partai Buruh"),
    (7, "Partai Gelombang Rakyat Indonesia", "Gelora"),
    (8, "Partai Keadilan Sejahtera", "PKS"),
    (9, "Partai Kebangkitan Nusantara", "PKN"),
    (10, "Partai Hati Nurani Rakyat", "Hanura"),
    (11, "Partai Garda Perubahan Indonesia", "Garuda"),
    (12, "Partai Amanat Nasional", "PAN"),
    (13, "Partai Bulan Bintang", "PBB"),
    (14, "Partai Demokrat", "Demokrat"),
    (15, "Partai Solidaritas Indonesia", "PSI"),
    (16, "Partai Persatuan Indonesia", "Perindo"),
    (17, "Partai Persatuan Pembangunan", "PPP"),
    (24, "Partai Ummat", "Partai Ummat"),
    (None, "Partai lain / belum terverifikasi", "Partai lain"),
)
# Party names are proper names; only generic entries have English ones: (name, short name).
PARTIES_EN: dict[str, tuple[str, str]] = {
    "Partai lain / belum terverifikasi": ("Other party / not yet verified", "Other party"),
}

TOPICS: tuple[tuple[str, str, str], ...] = (
    ("sipol-akun", "Akun dan login SIPOL", "SIPOL account and login"),
    (
        "unggah-anggota",
        "Unggah data anggota (KTA/KTP, NIK, kode wilayah)",
        "Uploading membership data (KTA/KTP, NIK, region codes)",
    ),
    ("keanggotaan-ganda", "Keanggotaan ganda (MS/BMS/TMS)", "Double membership (MS/BMS/TMS)"),
    ("anggota-luar-wilayah", "Anggota di luar kabupaten/kota", "Members outside the regency"),
    ("kepengurusan", "Kepengurusan (SK, 30% perempuan)", "Management decrees (30% women)"),
    ("domisili", "Domisili / kantor tetap", "Permanent office (domicile)"),
    ("kelengkapan-dokumen", "Kelengkapan dokumen", "Document completeness"),
    ("hasil-verifikasi", "Hasil verifikasi dan perbaikan", "Verification results and correction"),
    ("pencatutan", "Pengaduan pencatutan identitas", "Complaint about misused identity"),
    ("lainnya", "Lainnya", "Other"),
)


def seed(session: Session, office_name: str, timezone: str, desks: int = 2) -> dict[str, int]:
    """Insert what is missing, give seeded rows the English names they lack, and keep the office name in step with
    the configuration; idempotent."""
    added = {"offices": 0, "parties": 0, "topics": 0}
    with write(session):
        office = session.scalar(select(Office).order_by(Office.id).limit(1))
        if office is None:
            session.add(Office(code="main", name=office_name, timezone=timezone))
            added["offices"] += 1
        else:
            office.name, office.timezone = office_name, timezone
        known_parties = {party.name: party for party in session.scalars(select(Party))}
        for order, (number, name, short) in enumerate(PARTIES):
            name_en, short_en = PARTIES_EN.get(name, (None, None))
            party = known_parties.get(name)
            if party is None:
                party = Party(ballot_number=number, name=name, short_name=short, sort_order=order)
                session.add(party)
                added["parties"] += 1
            party.name_en, party.short_name_en = party.name_en or name_en, party.short_name_en or short_en
        known_topics = {topic.code: topic for topic in session.scalars(select(Topic))}
        for order, (code, name_id, name_en) in enumerate(TOPICS):
            topic = known_topics.get(code)
            if topic is None:
                session.add(Topic(code=code, name_id=name_id, name_en=name_en, sort_order=order))
                added["topics"] += 1
            elif not topic.name_en:
                topic.name_en = name_en
    added["desks"] = ensure_desks(session, desks)
    return added
