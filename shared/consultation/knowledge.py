"""The knowledge base: FAQ entries searched while the officer types, their approval, and the list of rules.

Search uses the database's own full-text index, made by migration 0007: on SQLite the FTS5 table `faq_search`
(kept in step with `faq_entries` by triggers), on PostgreSQL the generated tsvector column `faq_entries.search`
(question A, answer B, references C), which holds the Indonesian stems and, since migration 0008, the words as
written too, without accents and split at punctuation as FTS5 splits them. The officer's text never reaches either
query language: only its letters and digits do, rebuilt into a query of our own.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db import write
from shared.i18n import N_, Refusal
from shared.models import FaqEntry, FaqStatus, Regulation, RegulationKind, Role, Topic, User
from shared.text import hidden_characters, typed_text

APPROVING_ROLES = (Role.SUPERVISOR, Role.ADMIN)
MAX_QUERY_CHARS = 200  # a search box holding more than this holds a paste, not a question being typed
MAX_QUERY_WORDS = 8
MAX_WORD_CHARS = 40
MAX_LIMIT = 50
# bm25 weights for question, answer and references: a word in the question says most about what an entry is for.
SQLITE_WEIGHTS = (10.0, 2.0, 1.0)
# ts_rank_cd weights for D, C, B, A (references C, answer B, question A), as PostgreSQL orders them.
POSTGRESQL_WEIGHTS = "{0.05, 0.1, 0.2, 1.0}"

# Line breaks and tabs are what a textarea legitimately sends; other control and format characters (zero-width,
# bidirectional overrides), private-use and unassigned code points are refused.


class KnowledgeError(Refusal):
    """A knowledge-base entry or a rule cannot be saved or changed; the message is for the person at the screen."""


@dataclass(frozen=True)
class Hit:
    """One entry found by a search, best first; rank is higher for a better match (comparable within one search)."""

    id: int
    question: str
    answer: str
    topic_name: str | None  # Indonesian
    topic_name_en: str | None
    status: FaqStatus
    sample: bool  # shipped with the application to try the search: not the office's word
    rank: float

    def topic(self, lang: str) -> str | None:
        """The topic's name in the given language; the Indonesian one where there is no English name."""
        return (self.topic_name_en if lang == "en" else None) or self.topic_name


@dataclass(frozen=True)
class _Field:
    """A text field's limit and what the person is told when it is missing, too long or hides characters."""

    chars: int
    missing: str | None  # None: may be empty
    too_long: str
    hidden: str
    multiline: bool  # False: line breaks and runs of spaces become one space
    breaks: bool = True  # False: a line break or tab is refused like any control character


QUESTION = _Field(
    500,
    N_("Pertanyaan wajib diisi."),
    N_("Pertanyaan paling banyak {count} karakter."),
    N_("Pertanyaan berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."),
    multiline=False,
)
ANSWER = _Field(
    10_000,
    N_("Jawaban wajib diisi."),
    N_("Jawaban paling banyak {count} karakter."),
    N_("Jawaban berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."),
    multiline=True,
)
REFERENCES = _Field(
    1_000,
    None,
    N_("Dasar hukum paling banyak {count} karakter."),
    N_("Dasar hukum berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."),
    multiline=True,
)
SHORT_NAME = _Field(
    80,  # the column's length
    N_("Nama singkat peraturan wajib diisi, misalnya UU 7/2017."),
    N_("Nama singkat peraturan paling banyak {count} karakter."),
    N_("Nama singkat peraturan berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."),
    multiline=False,
    breaks=False,
)
TITLE = _Field(
    300,  # the column's length
    N_("Judul peraturan wajib diisi."),
    N_("Judul peraturan paling banyak {count} karakter."),
    N_("Judul peraturan berisi karakter tersembunyi atau kode kontrol. Silakan ketik ulang."),
    multiline=False,
    breaks=False,
)
NOT_ALLOWED_TO_APPROVE = N_("Hanya supervisor atau administrator yang dapat menyetujui jawaban di basis pengetahuan.")
NOT_ALLOWED_TO_EDIT = N_("Jawaban yang sudah disetujui hanya dapat diubah oleh supervisor atau administrator.")


# --- search ---------------------------------------------------------------------------------------------------


def search(session: Session, text: str, limit: int = 10, include_drafts: bool = False) -> list[Hit]:
    """Approved entries (and drafts, if asked) matching what the officer has typed so far, best first.

    Every word counts as a prefix ("sipo" finds "SIPOL"); entries holding all the words come first, and only
    when none does, entries holding any of them. Case, accents and punctuation don't matter (accents do on a
    PostgreSQL database whose encoding is not UTF8: see migration 0008).
    """
    words = query_words(text)
    limit = min(limit, MAX_LIMIT)
    if not words or limit < 1:
        return []
    run = _search_postgresql if session.get_bind().dialect.name == "postgresql" else _search_sqlite
    hits = run(session, words, "AND", limit, include_drafts)
    if not hits and len(words) > 1:
        hits = run(session, words, "OR", limit, include_drafts)
    return hits


def query_words(text: str) -> list[list[str]]:
    """The words of a search, lower-cased, each as its parts: "KTA/KTP" is one word of two parts.

    Only letters and digits survive (everything else separates words), so nothing the officer types can be read
    as query syntax. Lone letters are dropped (the officer is still typing); too little left means no search.
    """
    cleaned = "".join(
        char if unicodedata.category(char)[0] in "LN" or char == "/" else " "
        for char in unicodedata.normalize("NFC", text[:MAX_QUERY_CHARS]).lower()
    )
    words = []
    for chunk in cleaned.split():
        parts = [part[:MAX_WORD_CHARS] for part in chunk.split("/") if part]
        if parts and not (len(parts) == 1 and len(parts[0]) == 1 and not parts[0].isdigit()):
            words.append(parts)
    words = words[:MAX_QUERY_WORDS]
    return words if sum(len(part) for word in words for part in word) >= 2 else []


def _sqlite_match(words: list[list[str]], operator: str) -> str:
    # FTS5 splits "7/2017" into 7 and 2017: a quoted phrase of the parts, the last one a prefix. The parts hold
    # only letters and digits, so the quotes can hold nothing that ends them.
    return f" {operator} ".join('"' + " ".join(word) + '"*' for word in words)


def _search_sqlite(session: Session, words: list[list[str]], operator: str, limit: int, drafts: bool) -> list[Hit]:
    weights = ", ".join(str(weight) for weight in SQLITE_WEIGHTS)
    rows = session.execute(
        sql(
            "SELECT f.id, f.question, f.answer, t.name_id, t.name_en, f.status, f.sample,"
            f" -bm25(faq_search, {weights}) AS score"
            " FROM faq_search JOIN faq_entries f ON f.id = faq_search.rowid"
            " LEFT JOIN topics t ON t.id = f.topic_id"
            " WHERE faq_search MATCH :match AND (:drafts OR f.status = :approved)"
            " ORDER BY score DESC, f.id LIMIT :limit"
        ),
        {
            "match": _sqlite_match(words, operator),
            "drafts": drafts,
            "approved": FaqStatus.APPROVED.value,
            "limit": limit,
        },
    )
    return [_hit(row) for row in rows]


def _tsquery(words: list[list[str]], operator: str) -> tuple[str, dict[str, str]]:
    """The tsquery expression for the words, and its parameters: each word among the stems or the written words.

    The stems need the word as typed, parsed the way the stems were ("KTA/KTP" is one token there); the written
    words (migration 0008) have no accents and are split at punctuation, so the word is asked for without accents
    and its parts as a phrase. Every word is a prefix, the last part of a phrase too. The expression holds only
    placeholders of our own naming; the words are bound.
    """
    terms, values = [], {}
    for number, word in enumerate(words):
        values[f"stem{number}"] = "/".join(word) + ":*"
        values[f"word{number}"] = " <-> ".join(_without_accents(part) for part in word) + ":*"
        terms.append(f"(to_tsquery('indonesian', :stem{number}) || to_tsquery('simple', :word{number}))")
    return f" {'&&' if operator == 'AND' else '||'} ".join(terms), values


def _without_accents(word: str) -> str:
    # As migration 0008 treats the indexed text: decompose, drop the accents (combining marks), compose.
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(char for char in decomposed if not unicodedata.combining(char)))


def _search_postgresql(session: Session, words: list[list[str]], operator: str, limit: int, drafts: bool) -> list[Hit]:
    query, values = _tsquery(words, operator)
    rows = session.execute(
        sql(
            "SELECT f.id, f.question, f.answer, t.name_id, t.name_en, f.status, f.sample,"
            " ts_rank_cd(CAST(:weights AS float4[]), f.search, q) AS score"
            f" FROM faq_entries f CROSS JOIN (SELECT {query}) AS typed(q)"
            " LEFT JOIN topics t ON t.id = f.topic_id"
            " WHERE f.search @@ q AND (:drafts OR f.status = :approved)"
            " ORDER BY score DESC, f.id LIMIT :limit"
        ),
        {
            **values,
            "weights": POSTGRESQL_WEIGHTS,
            "drafts": drafts,
            "approved": FaqStatus.APPROVED.value,
            "limit": limit,
        },
    )
    return [_hit(row) for row in rows]


def _hit(row: Any) -> Hit:
    entry_id, question, answer, topic_name, topic_name_en, status, sample, score = row
    return Hit(
        id=entry_id,
        question=question,
        answer=answer,
        topic_name=topic_name,
        topic_name_en=topic_name_en,
        status=FaqStatus(status),
        sample=bool(sample),
        rank=float(score),
    )


# --- entries --------------------------------------------------------------------------------------------------


def add_draft(
    session: Session,
    question: str,
    answer: str,
    topic_id: int | None,
    references: str,
    user_id: int,
    now: datetime,
) -> FaqEntry:
    """Save an answer as a draft entry; search shows it once a supervisor approves it."""
    question, answer, references = _clean(question, QUESTION), _clean(answer, ANSWER), _clean(references, REFERENCES)
    with write(session):
        user = _staff(session, user_id)
        _check_topic(session, topic_id)
        entry = FaqEntry(
            question=question,
            answer=answer,
            topic_id=topic_id,
            references=references,
            status=FaqStatus.DRAFT,
            sample=False,
            created_by=user.id,
            created_at=now,
        )
        session.add(entry)
    return entry


def approve(session: Session, faq_id: int, supervisor_id: int, now: datetime) -> FaqEntry:
    """A supervisor (or admin) makes a draft the office's answer: search shows it from now on."""
    with write(session):
        user = _staff(session, supervisor_id)
        if user.role not in APPROVING_ROLES:
            raise KnowledgeError(NOT_ALLOWED_TO_APPROVE)
        entry = _entry(session, faq_id)
        if entry.status is FaqStatus.APPROVED:
            raise KnowledgeError(N_("Jawaban ini sudah disetujui."))
        entry.status, entry.approved_by, entry.approved_at = FaqStatus.APPROVED, user.id, now
    return entry


def edit(
    session: Session,
    faq_id: int,
    question: str,
    answer: str,
    topic_id: int | None,
    references: str,
    user_id: int,
    now: datetime,
) -> FaqEntry:
    """Change an entry. Anyone may improve a draft; an approved entry is changed only by a supervisor or admin,
    whose change is approved with it, and a changed sample becomes the office's own entry."""
    question, answer, references = _clean(question, QUESTION), _clean(answer, ANSWER), _clean(references, REFERENCES)
    with write(session):
        user = _staff(session, user_id)
        entry = _entry(session, faq_id)
        if entry.status is FaqStatus.APPROVED and user.role not in APPROVING_ROLES:
            raise KnowledgeError(NOT_ALLOWED_TO_EDIT)
        _check_topic(session, topic_id)
        entry.question, entry.answer, entry.topic_id, entry.references = question, answer, topic_id, references
        if entry.status is FaqStatus.APPROVED:
            entry.approved_by, entry.approved_at, entry.sample = user.id, now, False
    return entry


def drafts(session: Session) -> list[FaqEntry]:
    """Entries waiting for a supervisor's approval, oldest first."""
    return list(
        session.scalars(select(FaqEntry).where(FaqEntry.status == FaqStatus.DRAFT).order_by(FaqEntry.created_at))
    )


def _staff(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise KnowledgeError(N_("Akun tidak ada atau sudah dinonaktifkan."))
    return user


def _entry(session: Session, faq_id: int) -> FaqEntry:
    entry = session.scalar(select(FaqEntry).where(FaqEntry.id == faq_id).with_for_update())
    if entry is None:
        raise KnowledgeError(N_("Jawaban tidak ada di basis pengetahuan."))
    return entry


def _check_topic(session: Session, topic_id: int | None) -> None:
    if topic_id is not None and session.get(Topic, topic_id) is None:
        raise KnowledgeError(N_("Pilih topik konsultasi."))


def _clean(value: str, field: _Field) -> str:
    """The value as stored: NFC, line breaks as \\n, outer spaces trimmed (and inner runs, on one line)."""
    if hidden_characters(value, multiline=field.breaks):
        raise KnowledgeError(field.hidden)
    value = typed_text(value, multiline=field.multiline)
    if not value and field.missing is not None:
        raise KnowledgeError(field.missing)
    if len(value) > field.chars:
        raise KnowledgeError(field.too_long, count=field.chars)
    return value


# --- regulations ----------------------------------------------------------------------------------------------


def list_regulations(session: Session, active_only: bool = True) -> list[Regulation]:
    """The rules answers may cite, in the office's order."""
    query = select(Regulation).order_by(Regulation.sort_order, Regulation.short_name)
    if active_only:
        query = query.where(Regulation.active)
    return list(session.scalars(query))


def add_regulation(session: Session, kind: RegulationKind | str, short_name: str, title: str) -> Regulation:
    """Add a rule to the list; a deactivated rule of the same short name comes back with this kind and title."""
    try:
        kind = RegulationKind(kind)
    except ValueError:
        raise KnowledgeError(
            N_("Jenis peraturan tidak dikenal: pilih uu, pkpu, keputusan, juknis atau surat_edaran.")
        ) from None
    short_name, title = _clean(short_name, SHORT_NAME), _clean(title, TITLE)
    try:
        with write(session):
            rule = _regulation(session, short_name)
            if rule is not None and rule.active:
                raise KnowledgeError(N_("Peraturan {name} sudah ada dalam daftar."), name=rule.short_name)
            if rule is None:
                last = session.scalar(select(func.max(Regulation.sort_order)))
                rule = Regulation(short_name=short_name, sort_order=(last or 0) + 1)
                session.add(rule)
            rule.kind, rule.title, rule.active = kind, title, True
    except IntegrityError:
        # Someone added the same short name at the same moment (PostgreSQL; SQLite writes one at a time).
        raise KnowledgeError(N_("Peraturan {name} sudah ada dalam daftar."), name=short_name) from None
    return rule


def deactivate_regulation(session: Session, short_name: str) -> Regulation:
    """Take a rule off the list offered for new answers; answers that cite it keep it."""
    with write(session):
        rule = _regulation(session, " ".join(short_name.split()))
        if rule is None:
            raise KnowledgeError(N_("Peraturan {name} tidak ada dalam daftar."), name=short_name.strip())
        if not rule.active:
            raise KnowledgeError(N_("Peraturan {name} sudah dinonaktifkan."), name=rule.short_name)
        rule.active = False
    return rule


def _regulation(session: Session, short_name: str) -> Regulation | None:
    # Compared in Python: SQLite's lower() folds ASCII only. The list holds dozens of rules, not thousands.
    wanted = short_name.casefold()
    return next((rule for rule in session.scalars(select(Regulation)) if rule.short_name.casefold() == wanted), None)
