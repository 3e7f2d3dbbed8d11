"""The knowledge base's PostgreSQL index also holds the words as written: no accents, split at punctuation

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

0007 indexed PostgreSQL's Indonesian stems only. The officer searches while typing, every word a prefix, and a
stem is not what a half-typed word begins with ("kelengk" is on its way to "kelengkapan", indexed as "lengkap");
PostgreSQL's parser also keeps "KTA/KTP", "MS/BMS/TMS" and "sipol.kpu.go.id" as single tokens and drops "<Simpan>"
as a tag, and accents counted. SQLite's FTS5 index (unicode61, remove_diacritics 2) has none of these gaps and is
left as it is. The column now also holds the `simple` configuration's words (lower case, unstemmed) of the same
text with its accents taken off and every ASCII punctuation mark made a space, as unicode61 splits them; the
search asks for each word among the stems or among these words (shared.consultation.knowledge).

Accents come off with normalize() (built in, immutable) rather than the unaccent extension. unaccent() is only
stable, which a generated column refuses without a wrapper function declared immutable; and an extension belongs to
the whole database, not to the schema the helpdesk lives in: creating it takes the CREATE privilege on the
database (a superuser before PostgreSQL 13), which a role owning only its schema lacks. normalize() needs a UTF8
database; on any other the words keep their accents (the search still finds a word typed with its accents).
PostgreSQL before 17 cannot change a generated column's expression, so the column and its index are made again,
which recomputes every entry.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FIELDS = (("question", "A"), ("answer", "B"), ('"references"', "C"))
# Regular expressions as E'' strings, which read the same whatever standard_conforming_strings says.
# Every ASCII punctuation mark: the parser makes one token of "KTA/KTP", "7/2017", "a.b.id", "a@b.id" and
# "NIK-nya" and drops "<Simpan>", where the officer types (and FTS5 indexes) the words apart.
PUNCTUATION = r"E'[\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e]'"
# Combining diacritical marks, what NFD leaves of an accent ("é" is "e" and U+0301).
ACCENTS = r"E'[\\u0300-\\u036f]'"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    folds_accents = op.get_bind().exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"
    _make_column(_stems() + " || " + _words(folds_accents))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _make_column(_stems())


def _stems() -> str:
    """0007's expression: the Indonesian stems, weighted by field."""
    return " || ".join(f"setweight(to_tsvector('indonesian', {field}), '{weight}')" for field, weight in FIELDS)


def _words(folds_accents: bool) -> str:
    """The words as written, weighted like the stems."""
    vectors = []
    for field, weight in FIELDS:
        text = field
        if folds_accents:
            text = f"normalize(regexp_replace(normalize({text}, NFD), {ACCENTS}, '', 'g'), NFC)"
        text = f"regexp_replace({text}, {PUNCTUATION}, ' ', 'g')"
        vectors.append(f"setweight(to_tsvector('simple', {text}), '{weight}')")
    return " || ".join(vectors)


def _make_column(expression: str) -> None:
    # Dropping the column drops its index too.
    op.execute("ALTER TABLE faq_entries DROP COLUMN search")
    op.execute(f"ALTER TABLE faq_entries ADD COLUMN search tsvector GENERATED ALWAYS AS ({expression}) STORED")
    op.execute("CREATE INDEX ix_faq_entries_search ON faq_entries USING gin (search)")
