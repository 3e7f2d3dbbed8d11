"""Starting reference data: the office, the Pemilu 2024 parties and consultation topics."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import write
from shared.models import Office, Party, Province, Regulation, RegulationKind, Topic
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

# The rules an answer most often cites, as GUIDE-level facts; offices add their Juknis and circulars.
REGULATIONS: tuple[tuple[RegulationKind, str, str], ...] = (
    (RegulationKind.LAW, "UU 7/2017", "Undang-Undang Nomor 7 Tahun 2017 tentang Pemilihan Umum"),
    (
        RegulationKind.KPU_REGULATION,
        "PKPU 4/2022",
        "Peraturan KPU Nomor 4 Tahun 2022 tentang Pendaftaran, Verifikasi, dan Penetapan Partai Politik Peserta"
        " Pemilihan Umum Anggota Dewan Perwakilan Rakyat dan Dewan Perwakilan Rakyat Daerah",
    ),
    (
        RegulationKind.KPU_DECISION,
        "Keputusan KPU 519/2022",
        "Keputusan KPU Nomor 519 Tahun 2022 (nomor urut partai politik peserta Pemilu 2024)",
    ),
    (
        RegulationKind.KPU_DECISION,
        "Keputusan KPU 552/2022",
        "Keputusan KPU Nomor 552 Tahun 2022 (nomor urut partai politik lokal Aceh peserta Pemilu 2024)",
    ),
    (
        RegulationKind.KPU_DECISION,
        "Keputusan KPU Kota Kupang 19/2022",
        "Keputusan KPU Kota Kupang Nomor 19 Tahun 2022 (standar operasional prosedur helpdesk)",
    ),
    (RegulationKind.LAW, "UU 27/2022", "Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi"),
)


def seed(
    session: Session,
    office_name: str,
    timezone: str,
    desks: int = 2,
    province_name: str = "KPU Provinsi Nusa Tenggara Timur",
    report_code: str = "KPG",
) -> dict[str, int]:
    """Insert what is missing, give seeded rows the English names they lack, and keep the office and its province
    in step with the configuration; idempotent."""
    added = {"offices": 0, "parties": 0, "topics": 0, "regulations": 0}
    with write(session):
        province = session.scalar(select(Province).order_by(Province.id).limit(1))
        if province is None:
            province = Province(code="main", name=province_name)
            session.add(province)
        province.name = province_name
        office = session.scalar(select(Office).order_by(Office.id).limit(1))
        if office is None:
            office = Office(code="main", name=office_name, timezone=timezone)
            session.add(office)
            added["offices"] += 1
        office.name, office.timezone, office.report_code, office.province = (
            office_name,
            timezone,
            report_code,
            province,
        )
        known_rules = set(session.scalars(select(Regulation.short_name)))
        for order, (kind, short_name, title) in enumerate(REGULATIONS):
            if short_name not in known_rules:
                session.add(Regulation(kind=kind, short_name=short_name, title=title, sort_order=order))
                added["regulations"] += 1
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
