"""Starting reference data: the office, the Pemilu 2024 parties, consultation topics and sample FAQ entries."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db import write
from shared.models import FaqEntry, FaqStatus, Office, Party, Province, Regulation, RegulationKind, Topic
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

SAMPLE_NOTE = (
    "\n\n[Contoh bawaan aplikasi, bukan jawaban resmi kantor. Supervisor mengganti teks ini dengan jawaban kantor"
    " berdasarkan peraturan dan petunjuk teknis yang berlaku.]"
)
# A few entries to try the knowledge-base search with, shown as samples until the office writes its own. They say
# how to handle a visitor, never what the law says: the office's answers rest on the texts it cites.
SAMPLE_FAQ: tuple[tuple[str, str, str, str], ...] = (
    (
        "sipol-akun",
        "[Contoh] Operator partai tidak bisa login ke SIPOL. Apa yang dilakukan helpdesk?",
        "Minta operator mencoba lagi dengan nama pengguna yang diketik tanpa spasi dan huruf besar-kecil kata sandi"
        " yang benar. Jangan meminta, mengetik atau mencatat kata sandi pengunjung. Jika akun tetap tidak bisa"
        " dipakai (terkunci atau lupa kata sandi), catat nama operator, partai dan nama akunnya, lalu teruskan ke"
        " helpdesk provinsi: masalah pengguna SIPOL partai dijawab di sana.",
        "SOP helpdesk kantor",
    ),
    (
        "unggah-anggota",
        "[Contoh] Unggah data anggota ke SIPOL ditolak karena NIK tidak valid. Apa yang perlu diperiksa?",
        "Bersama operator, cocokkan NIK pada berkas unggahan dengan KTP elektronik atau KTA anggota: 16 angka, tanpa"
        " spasi, titik atau tanda petik. Periksa juga kode wilayah dan bahwa berkas memakai templat unggah dari"
        " SIPOL. Perbaiki baris yang ditolak, lalu unggah ulang baris itu saja.",
        "Petunjuk teknis SIPOL yang berlaku",
    ),
    (
        "keanggotaan-ganda",
        "[Contoh] Apa arti keanggotaan ganda di SIPOL dan bagaimana menindaklanjutinya?",
        "Keanggotaan ganda berarti NIK yang sama tercatat sebagai anggota lebih dari satu kali, dalam satu partai"
        " atau di partai lain. Tunjukkan kepada pengunjung data mana yang tercatat ganda, jelaskan status hasil"
        " verifikasinya (MS, BMS atau TMS) dan langkah tindak lanjut menurut petunjuk teknis tahapan yang sedang"
        " berjalan. Pertanyaan tentang substansi persyaratan diteruskan ke helpdesk provinsi.",
        "Petunjuk teknis verifikasi yang berlaku",
    ),
    (
        "pencatutan",
        "[Contoh] Nama saya tercatat sebagai anggota partai tanpa persetujuan saya. Apa yang bisa saya lakukan?",
        "Catat nama, nomor HP dan partai yang mencantumkan nama pengunjung. Periksa bersama pengunjung apakah"
        " NIK-nya memang tercatat, tanpa menunjukkan data anggota lain. Jelaskan cara menyampaikan tanggapan atau"
        " pengaduan yang disediakan KPU untuk tahapan ini, dan dokumen yang perlu dibawa.",
        "",
    ),
    (
        "domisili",
        "[Contoh] Dokumen apa yang perlu disiapkan untuk keterangan domisili kantor tetap partai?",
        "Sebutkan dokumen yang dipersyaratkan untuk kantor tetap menurut petunjuk teknis tahapan yang sedang"
        " berjalan, lalu periksa kelengkapannya bersama pengunjung satu per satu. Catat dokumen yang belum ada. Jika"
        " persyaratannya belum jelas, teruskan pertanyaannya ke helpdesk provinsi.",
        "Petunjuk teknis verifikasi yang berlaku",
    ),
)


def seed(
    session: Session,
    office_name: str,
    timezone: str,
    desks: int = 2,
    province_name: str = "KPU Provinsi Nusa Tenggara Timur",
    report_code: str = "KPG",
    now: datetime | None = None,
) -> dict[str, int]:
    """Insert what is missing, give seeded rows the English names they lack, and keep the office and its province
    in step with the configuration; idempotent. Sample FAQ entries go only into an empty knowledge base."""
    now = now or datetime.now(UTC)
    added = {"offices": 0, "parties": 0, "topics": 0, "regulations": 0, "faq_samples": 0}
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
                topic = known_topics[code] = Topic(code=code, name_id=name_id, name_en=name_en, sort_order=order)
                session.add(topic)
                added["topics"] += 1
            elif not topic.name_en:
                topic.name_en = name_en
        # Only into an empty knowledge base: entries the office wrote, or samples it edited or kept, are its choice.
        if not session.scalar(select(func.count()).select_from(FaqEntry)):
            for code, question, answer, references in SAMPLE_FAQ:
                session.add(
                    FaqEntry(
                        question=question,
                        answer=answer + SAMPLE_NOTE,
                        topic=known_topics.get(code),
                        references=references,
                        status=FaqStatus.APPROVED,
                        sample=True,
                        created_at=now,
                        approved_at=now,
                    )
                )
                added["faq_samples"] += 1
    added["desks"] = ensure_desks(session, desks)
    return added
