"""The knowledge base: what the officer finds while typing, what a supervisor approves, and the list of rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.consultation.knowledge import (
    KnowledgeError,
    add_draft,
    add_regulation,
    approve,
    deactivate_regulation,
    drafts,
    edit,
    list_regulations,
    search,
)
from shared.db import write
from shared.models import FaqEntry, FaqStatus, Regulation, RegulationKind, Topic, User
from shared.seed import seed
from tests.conftest import NOW, make_user


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, "petugas1")


@pytest.fixture
def supervisor(session: Session) -> User:
    return make_user(session, "supervisor1", role="supervisor")


def topic_id(session: Session, code: str) -> int:
    return session.scalars(select(Topic.id).where(Topic.code == code)).one()


def approved(
    session: Session, officer: User, supervisor: User, question: str, answer: str, references: str = ""
) -> FaqEntry:
    """An entry written by an officer and approved by a supervisor, as the desk makes them."""
    entry = add_draft(session, question, answer, topic_id(session, "lainnya"), references, officer.id, NOW)
    return approve(session, entry.id, supervisor.id, NOW + timedelta(minutes=5))


def found(session: Session, query: str, **options: bool) -> list[int]:
    return [hit.id for hit in search(session, query, **options)]


def test_a_match_in_the_question_outranks_a_match_only_in_the_answer(
    session: Session, officer: User, supervisor: User
) -> None:
    in_answer = approved(
        session,
        officer,
        supervisor,
        "Kapan hasil penelitian administrasi diumumkan?",
        "Rekapitulasi hasil penelitian disampaikan kepada partai. Berita acara rekapitulasi ditandatangani. "
        "Salinan rekapitulasi dapat diminta di kantor.",
    )
    in_question = approved(
        session, officer, supervisor, "Di mana salinan rekapitulasi bisa diminta?", "Di kantor KPU, pada jam kerja."
    )
    assert found(session, "rekapitulasi") == [in_question.id, in_answer.id]


def test_every_word_counts_as_the_beginning_of_a_word(session: Session, officer: User, supervisor: User) -> None:
    entry = approved(session, officer, supervisor, "Rekapitulasi verifikasi faktual", "Lihat berita acaranya.")
    assert all("SIPOL" in hit.question for hit in search(session, "sipo")) and search(session, "sipo")
    for typed in ("re", "rekap", "rekapitulasi", "rekap verif", "verifikasi fak", "REKAP  verif fakt"):
        assert entry.id in found(session, typed), typed
    assert found(session, "rekapx") == []


def test_a_word_is_found_while_its_suffix_is_being_typed(session: Session, officer: User, supervisor: User) -> None:
    entry = approved(session, officer, supervisor, "Kelengkapan dokumen", "Partai mendaftarkan pengurusnya.")
    for typed in ("kelengkapa", "dokumen kelengkapa", "mendaftarka", "kelengkapan mendaftarkan"):
        assert found(session, typed)[:1] == [entry.id], typed  # a sample's answer has "kelengkapannya" too


def test_a_word_is_found_while_it_is_typed_past_its_prefix(session: Session, officer: User, supervisor: User) -> None:
    # PostgreSQL indexes "kelengkapan" as the stem "lengkap", which "kelengk" does not begin: the unstemmed words
    # have to be in the index too.
    entry = approved(session, officer, supervisor, "Kelengkapan dokumen keanggotaan", "Pencatutan identitas dicatat.")
    for typed in ("kelengk", "keangg", "pencat", "dokumen kelengk", "keanggotaan pencatu", "kelengkapan dokumen ke"):
        assert entry.id in found(session, typed), typed


def test_words_joined_by_slashes_dots_or_brackets_are_found_one_by_one(
    session: Session, officer: User, supervisor: User
) -> None:
    # PostgreSQL's parser reads "KTA/KTP" as a file name, "sipol.kpu.go.id" as a host and "<Simpan>" as a tag.
    entry = approved(
        session,
        officer,
        supervisor,
        "Status MS/BMS/TMS anggota",
        "Cocokkan KTA/KTP, buka sipol.kpu.go.id lalu klik <Simpan>.",
        references="Keputusan KPU 519/2022",
    )
    for typed in ("ktp", "kta", "bms", "tms", "ms", "kpu", "sipol kpu", "kpu go id", "simpan", "2022"):
        assert entry.id in found(session, typed), typed
    for typed in ("KTA/KTP", "kta/kt", "MS/BMS/TMS", "bms/tms", "sipol.kpu.go.id", "519/2022"):
        assert found(session, typed) == [entry.id], typed


def test_accents_do_not_matter(session: Session, officer: User, supervisor: User) -> None:
    accented = approved(session, officer, supervisor, "Nama André tercatat ganda", "Bu Thérèse membawa KTP-el.")
    plain = approved(session, officer, supervisor, "Nama Andre salah ketik", "Perbaiki di SIPOL.")
    for typed in ("andre", "andré", "ANDRÉ", "andr", "Andre\u0301", "nama andré"):
        assert set(found(session, typed)) == {accented.id, plain.id}, typed
    for typed in ("therese", "thérèse", "THERESE", "thér"):
        assert found(session, typed) == [accented.id], typed


def test_case_and_punctuation_do_not_matter(session: Session, officer: User, supervisor: User) -> None:
    approved(session, officer, supervisor, "Keanggotaan ganda di partai lain", "Cocokkan NIK-nya dengan KTP.")
    reference = search(session, "sipol")
    assert reference
    for variant in ("SIPOL?", "Sipol!!", '"sipol"', "¿sipol?", "(sipol)", "sipol:*", "-sipol-"):
        assert search(session, variant) == reference, variant
    assert found(session, "keanggotaan, ganda.") == found(session, "KEANGGOTAAN GANDA") != []


def test_a_rule_number_is_found_as_typed(session: Session, officer: User, supervisor: User) -> None:
    entry = approved(
        session, officer, supervisor, "Syarat kantor tetap", "Lihat peraturannya.", references="UU 7/2017, Pasal 173"
    )
    for typed in ("UU 7/2017", "uu 7/20", "7/2017", "pasal 173"):
        assert found(session, typed) == [entry.id], typed


def test_entries_holding_every_word_come_first_and_otherwise_any_word_will_do(
    session: Session, officer: User, supervisor: User
) -> None:
    both = approved(session, officer, supervisor, "Rekapitulasi suara", "Dibacakan dalam rapat pleno terbuka.")
    one = approved(session, officer, supervisor, "Rekapitulasi anggota", "Dicetak dari aplikasi.")
    assert found(session, "rekapitulasi suara") == [both.id]
    assert set(found(session, "rekapitulasi qwertyuiop")) == {both.id, one.id}


def test_a_query_too_short_to_mean_anything_finds_nothing(session: Session) -> None:
    assert search(session, "sipol")
    for typed in ("", "   ", "s", "?", "s ?", "!!!"):
        assert search(session, typed) == [], typed
    assert search(session, "sipol", limit=0) == []
    assert len(search(session, "sipol", limit=1)) == 1


def test_a_hit_carries_what_the_screen_shows(session: Session) -> None:
    (hit,) = search(session, "login sipol")
    assert hit.question.startswith("[Contoh]") and "SIPOL" in hit.question
    assert "kata sandi" in hit.answer
    assert (hit.topic("id"), hit.topic("en")) == ("Akun dan login SIPOL", "SIPOL account and login")
    assert hit.status is FaqStatus.APPROVED and hit.sample and hit.rank > 0


def test_a_draft_is_found_only_once_a_supervisor_approves_it(session: Session, officer: User, supervisor: User) -> None:
    draft = add_draft(session, "Bagaimana rekapitulasi dicetak?", "Dari menu laporan.", None, "", officer.id, NOW)
    assert found(session, "rekapitulasi") == []
    assert found(session, "rekapitulasi", include_drafts=True) == [draft.id]
    assert search(session, "rekapitulasi", include_drafts=True)[0].status is FaqStatus.DRAFT
    assert [entry.id for entry in drafts(session)] == [draft.id]

    approve(session, draft.id, supervisor.id, NOW)
    assert found(session, "rekapitulasi") == [draft.id]
    assert drafts(session) == []
    session.refresh(draft)
    assert (draft.status, draft.approved_by, draft.approved_at) == (FaqStatus.APPROVED, supervisor.id, NOW)
    with pytest.raises(KnowledgeError, match="sudah disetujui"):
        approve(session, draft.id, supervisor.id, NOW)


@pytest.mark.parametrize("role", ["officer", "provincial"])
def test_only_a_supervisor_or_admin_can_approve(session: Session, officer: User, role: str) -> None:
    draft = add_draft(session, "Rekapitulasi", "Jawaban.", None, "", officer.id, NOW)
    colleague = make_user(session, "rekan1", role=role)
    with pytest.raises(KnowledgeError, match="Hanya supervisor atau administrator") as refused:
        approve(session, draft.id, colleague.id, NOW)
    assert (
        refused.value.text("en") == "Only a supervisor or an administrator can approve answers in the knowledge base."
    )
    assert found(session, "rekapitulasi") == []
    admin = make_user(session, "admin1", role="admin")
    approve(session, draft.id, admin.id, NOW)
    assert found(session, "rekapitulasi") == [draft.id]


def test_a_deactivated_supervisor_cannot_approve(session: Session, officer: User, supervisor: User) -> None:
    draft = add_draft(session, "Rekapitulasi", "Jawaban.", None, "", officer.id, NOW)
    with write(session):
        session.get_one(User, supervisor.id).active = False
    with pytest.raises(KnowledgeError, match="dinonaktifkan"):
        approve(session, draft.id, supervisor.id, NOW)


def test_an_officer_improves_a_draft_but_only_a_supervisor_changes_an_approved_answer(
    session: Session, officer: User, supervisor: User
) -> None:
    draft = add_draft(session, "Rekapitulasi", "Jawaban lama.", None, "", officer.id, NOW)
    edit(session, draft.id, "Rekapitulasi suara", "Jawaban baru.", None, "", officer.id, NOW)
    approve(session, draft.id, supervisor.id, NOW)
    with pytest.raises(KnowledgeError, match="hanya dapat diubah oleh supervisor"):
        edit(session, draft.id, "Rekapitulasi", "Jawaban yang salah.", None, "", officer.id, NOW)
    later = NOW + timedelta(days=1)
    edit(session, draft.id, "Rekapitulasi suara", "Jawaban yang diperbaiki.", None, "", supervisor.id, later)
    (hit,) = search(session, "rekapitulasi")
    assert (hit.answer, hit.status) == ("Jawaban yang diperbaiki.", FaqStatus.APPROVED)
    session.refresh(draft)
    assert draft.approved_at == later


def test_a_sample_a_supervisor_rewrites_becomes_the_offices_own(session: Session, supervisor: User) -> None:
    (sample,) = search(session, "login sipol")
    edit(session, sample.id, "Lupa kata sandi SIPOL", "Jawaban kantor.", None, "", supervisor.id, NOW)
    (hit,) = search(session, "lupa sipol")
    assert (hit.id, hit.sample, hit.question) == (sample.id, False, "Lupa kata sandi SIPOL")


def test_the_index_follows_edits_and_deletions(session: Session, officer: User, supervisor: User) -> None:
    entry = approved(session, officer, supervisor, "Rekapitulasi suara", "Dibacakan dalam rapat pleno.")
    edit(session, entry.id, "Penetapan hasil", "Diumumkan dalam rapat pleno.", None, "", supervisor.id, NOW)
    assert found(session, "rekapitulasi") == []
    assert found(session, "penetapan") == [entry.id]
    assert found(session, "pleno") == [entry.id]

    with write(session):
        session.execute(delete(FaqEntry).where(FaqEntry.id == entry.id))
    assert found(session, "penetapan") == []
    # SQLite hands the deleted entry's id to the next one: a stale index row would make it answer to old words.
    newer = approved(session, officer, supervisor, "Jadwal verifikasi", "Lihat jadwal tahapan.")
    assert found(session, "penetapan") == found(session, "pleno") == []
    assert found(session, "jadwal") == [newer.id]


HOSTILE = [
    '"',
    '"sipol',
    "sipol*",
    "*",
    "NEAR(sipol login)",
    "NEAR(",
    "sipol AND",
    "OR OR",
    "NOT sipol",
    "question:sipol",
    "{question answer}: sipol",
    "^sipol",
    "sipol:*A",
    ":",
    "&|!()",
    "sipol & | ! ( ) <-> <2>",
    "'sipol'",
    "sipol' OR '1'='1",
    "\x00sipol\x00",
    "\x1b[31msipol",
    "\ud800sipol",
    "sipol\u200b\u202e",
    "a" * 10_000,
    "sipol " * 2_000,
    "9" * 5_000,
    "7/" * 300,
    "/" * 100,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_text_is_searched_for_as_words(session: Session, query: str) -> None:
    hits = search(session, query)
    assert isinstance(hits, list) and len(hits) <= 10
    assert search(session, "sipol")  # the session is still usable afterwards


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.one_of(
        st.text(max_size=60),
        st.text(st.characters(exclude_categories=[]), max_size=30),
        st.lists(
            st.sampled_from(
                [
                    '"',
                    "*",
                    "NEAR(",
                    ":",
                    "&",
                    "|",
                    "!",
                    "(",
                    ")",
                    "<->",
                    "-",
                    "^",
                    "/",
                    "sipol",
                    "AND",
                    "OR",
                    "NOT",
                    "ß",
                    "İ",
                    "\x00",
                    " ",
                ]
            ),
            max_size=12,
        ).map("".join),
    ),
    include_drafts=st.booleans(),
)
def test_no_text_makes_the_search_fail(session: Session, query: str, include_drafts: bool) -> None:
    hits = search(session, query, include_drafts=include_drafts)
    assert len(hits) <= 10 and all(hit.question for hit in hits)


def test_samples_are_seeded_once_and_marked_as_samples(session: Session) -> None:
    samples = list(session.scalars(select(FaqEntry).where(FaqEntry.sample)))
    assert 4 <= len(samples) <= 6
    for entry in samples:
        assert entry.status is FaqStatus.APPROVED and entry.topic is not None
        assert entry.question.startswith("[Contoh]") and "bukan jawaban resmi kantor" in entry.answer
        assert "Pasal" not in entry.answer + entry.references  # no invented articles passed off as the office's
    assert seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=3)["faq_samples"] == 0

    with write(session):
        session.execute(delete(FaqEntry).where(FaqEntry.sample))
    officer = make_user(session, "petugas1")
    add_draft(session, "Pertanyaan kantor", "Jawaban kantor.", None, "", officer.id, NOW)
    assert seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=3)["faq_samples"] == 0
    assert session.scalars(select(FaqEntry).where(FaqEntry.sample)).all() == []


@pytest.mark.parametrize(
    ("question", "answer", "references", "message"),
    [
        ("", "Jawaban.", "", "Pertanyaan wajib diisi."),
        ("  \n ", "Jawaban.", "", "Pertanyaan wajib diisi."),
        ("Pertanyaan", " ", "", "Jawaban wajib diisi."),
        ("x" * 501, "Jawaban.", "", "Pertanyaan paling banyak 500 karakter."),
        ("Pertanyaan", "x" * 10_001, "", "Jawaban paling banyak 10000 karakter."),
        ("Pertanyaan", "Jawaban.", "x" * 1_001, "Dasar hukum paling banyak 1000 karakter."),
        ("Per\x00tanyaan", "Jawaban.", "", "Pertanyaan berisi karakter tersembunyi"),
        ("Pertanyaan", "Jawa\u202eban.", "", "Jawaban berisi karakter tersembunyi"),
        ("Pertanyaan", "Jawaban.", "UU\x1b7/2017", "Dasar hukum berisi karakter tersembunyi"),
    ],
)
def test_an_entry_is_refused_with_a_message_the_officer_understands(
    session: Session, officer: User, question: str, answer: str, references: str, message: str
) -> None:
    with pytest.raises(KnowledgeError, match=message):
        add_draft(session, question, answer, None, references, officer.id, NOW)
    assert drafts(session) == []


def test_an_entry_keeps_its_lines_and_loses_stray_spaces(session: Session, officer: User) -> None:
    entry = add_draft(
        session, "  Lupa\tkata   sandi\n SIPOL? ", "Langkah 1.\r\nLangkah 2.\t(lihat)\n", None, "", officer.id, NOW
    )
    assert (entry.question, entry.answer) == ("Lupa kata sandi SIPOL?", "Langkah 1.\nLangkah 2.\t(lihat)")


def test_an_entry_needs_a_known_topic_and_an_active_account(session: Session, officer: User) -> None:
    with pytest.raises(KnowledgeError, match="Pilih topik konsultasi."):
        add_draft(session, "Pertanyaan", "Jawaban.", 9999, "", officer.id, NOW)
    with pytest.raises(KnowledgeError, match="Akun tidak ada"):
        add_draft(session, "Pertanyaan", "Jawaban.", None, "", 9999, NOW)
    with pytest.raises(KnowledgeError, match="tidak ada di basis pengetahuan"):
        edit(session, 9999, "Pertanyaan", "Jawaban.", None, "", officer.id, NOW)
    entry = add_draft(session, "Pertanyaan", "Jawaban.", topic_id(session, "domisili"), "", officer.id, NOW)
    assert entry.topic_id == topic_id(session, "domisili")


def test_a_rule_is_added_listed_deactivated_and_brought_back(session: Session) -> None:
    rule = add_regulation(session, "juknis", "  Juknis   Verifikasi 2022 ", "Petunjuk teknis verifikasi partai politik")
    assert (rule.short_name, rule.kind, rule.active) == ("Juknis Verifikasi 2022", RegulationKind.GUIDELINE, True)
    names = [r.short_name for r in list_regulations(session)]
    assert names[0] == "UU 7/2017" and names[-1] == "Juknis Verifikasi 2022"

    deactivate_regulation(session, "juknis verifikasi 2022")
    assert "Juknis Verifikasi 2022" not in [r.short_name for r in list_regulations(session)]
    assert "Juknis Verifikasi 2022" in [r.short_name for r in list_regulations(session, active_only=False)]
    with pytest.raises(KnowledgeError, match="sudah dinonaktifkan"):
        deactivate_regulation(session, "Juknis Verifikasi 2022")

    back = add_regulation(session, RegulationKind.CIRCULAR, "JUKNIS VERIFIKASI 2022", "Judul baru")
    assert (back.id, back.kind, back.title, back.active) == (rule.id, RegulationKind.CIRCULAR, "Judul baru", True)


@pytest.mark.parametrize(
    ("kind", "short_name", "title", "message"),
    [
        ("perda", "Perda 1/2020", "Peraturan daerah", "Jenis peraturan tidak dikenal"),
        ("uu", "", "Judul", "Nama singkat peraturan wajib diisi"),
        ("uu", "x" * 81, "Judul", "Nama singkat peraturan paling banyak 80 karakter."),
        ("uu", "UU\x007/2017", "Judul", "Nama singkat peraturan berisi karakter tersembunyi"),
        ("uu", "UU 7/2017\n", "Judul", "Nama singkat peraturan berisi karakter tersembunyi"),
        ("uu", "UU\u200b8/2017", "Judul", "Nama singkat peraturan berisi karakter tersembunyi"),
        ("uu", "UU 8/2017", "  ", "Judul peraturan wajib diisi."),
        ("uu", "UU 8/2017", "x" * 301, "Judul peraturan paling banyak 300 karakter."),
        ("uu", "UU 8/2017", "Judul\tbaru", "Judul peraturan berisi karakter tersembunyi"),
        ("uu", "uu 7/2017", "Undang-Undang Pemilu", "Peraturan UU 7/2017 sudah ada dalam daftar."),
    ],
)
def test_a_rule_is_refused_with_a_message_the_admin_understands(
    session: Session, kind: str, short_name: str, title: str, message: str
) -> None:
    before = sorted(session.scalars(select(Regulation.short_name)))
    with pytest.raises(KnowledgeError, match=message):
        add_regulation(session, kind, short_name, title)
    assert sorted(session.scalars(select(Regulation.short_name))) == before


def test_deactivating_an_unknown_rule_names_it(session: Session) -> None:
    with pytest.raises(KnowledgeError, match="Peraturan PKPU 99/2099 tidak ada dalam daftar."):
        deactivate_regulation(session, " PKPU 99/2099 ")
