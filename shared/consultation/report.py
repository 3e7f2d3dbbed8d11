"""The Laporan Helpdesk (SOP steps 5 and 6): its number, its content as a frozen tree, a digest of it, its A4 PDF.

The PDF is drawn with fpdf2 (pure Python: no GTK or Pango to install on an office's Windows PC) in DejaVu Sans,
from the .woff files of the @fontsource package in node_modules that the screens already need. fpdf2 reads only
TrueType or OpenType well: the first report of a process cuts those fonts down to the characters a report can show
and saves them as TrueType in a private temporary folder (fontTools, a dependency of fpdf2; WOFF is zlib-compressed,
so no Brotli is needed). fpdf2 parses a font for every document, so the cut-down files also make each report faster.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import io
import json
import re
import shutil
import tempfile
import threading
import unicodedata
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fontTools import subset as fonttools_subset
from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.fonts import TTFFont
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from shared.consultation import sop
from shared.dates import clock_time, long_date
from shared.db import write
from shared.i18n import translate

# From shared.models, not shared.consultation.models: importing that first is circular.
from shared.models import (
    Amendment,
    Consultation,
    Escalation,
    Office,
    Photo,
    Problem,
    ProblemReference,
    User,
    Visit,
    VisitorType,
)

ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
FONT_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "@fontsource" / "dejavu-sans" / "files"
FONT_FILES = {"": "dejavu-sans-latin-400-normal.woff", "B": "dejavu-sans-latin-700-normal.woff"}
# What officers and visitors type in Indonesia (Latin, with the accents of European names) and the punctuation and
# signs of both languages. Any other character is printed as U+FFFD, so a reader sees that something was there.
REPORT_UNICODES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 Supplement and Latin Extended-A
    (0x2000, 0x206F),  # General Punctuation: – — ‘ ’ “ ” • …
    (0x20AC, 0x20AC),  # €
    (0x2116, 0x2116),  # №
    (0x2122, 0x2122),  # ™
    (0x2190, 0x2193),  # ← ↑ → ↓
    (0x2212, 0x2212),  # −
    (0x2264, 0x2265),  # ≤ ≥
    (0x2713, 0x2714),  # ✓ ✔
    (0xFFFD, 0xFFFD),  # �
)
DIGEST_FORMAT = 1  # bump when the digest's JSON changes shape, so old and new digests are never confused
# Metadata of the fields that only say how this copy shows the report (its language, where a photo's file is),
# left out of the digest: the same record read in English or Indonesian has one digest.
PRESENTATION = {"digest": False}


class ReportNotFound(LookupError):
    """No consultation has this id."""


class ReportFontMissing(FileNotFoundError):
    """The report's font is not installed: node_modules is missing."""


def roman_month(month: int) -> str:
    """The month as report numbers write it: 1 -> I, 12 -> XII."""
    return ROMAN_MONTHS[month - 1]


def assign_number(
    session: Session, consultation_id: int, pattern: str, code: str, now: datetime, zone: ZoneInfo
) -> str:
    """Give the consultation the office's next report number of the year, once; later calls return the same one.

    The year and month are the office's (zone) at `now`. Numbers are handed out one at a time per office (on
    PostgreSQL a lock on the office row, on SQLite the write lock), so concurrent callers get consecutive numbers.
    """
    with write(session):
        office_id = session.scalar(select(Consultation.office_id).where(Consultation.id == consultation_id))
        if office_id is None:
            raise ReportNotFound(consultation_id)
        # FOR NO KEY UPDATE: the office's other numbering waits, while rows pointing at the office do not.
        session.execute(select(Office.id).where(Office.id == office_id).with_for_update(key_share=True))
        # Read again under the lock: another caller may have numbered it while this one waited.
        consultation = session.scalars(
            select(Consultation).where(Consultation.id == consultation_id).execution_options(populate_existing=True)
        ).one()
        if consultation.report_number:
            return consultation.report_number
        local = now.astimezone(zone)
        last = session.scalar(
            select(func.max(Consultation.report_seq)).where(
                Consultation.office_id == office_id, Consultation.report_year == local.year
            )
        )
        seq = (last or 0) + 1
        number = pattern.format(seq=seq, code=code, month=roman_month(local.month), year=local.year)
        consultation.report_year, consultation.report_seq, consultation.report_number = local.year, seq, number
    return number


@dataclass(frozen=True)
class StepTime:
    """Time spent in one SOP step, all its spans added up, against the step's standard."""

    number: int
    seconds: int
    standard_minutes: int

    @property
    def name(self) -> str:
        """The step's Indonesian name (translate it where it is shown)."""
        return sop.BY_NUMBER[self.number].name

    @property
    def over(self) -> bool:
        """Whether the step took longer than its standard time."""
        return self.seconds > self.standard_minutes * 60


@dataclass(frozen=True)
class Reference:
    """What an answer rests on: a rule and its article ("UU 7/2017", "Pasal 7 ayat (1)"), or a FAQ question."""

    source: str
    article: str = ""
    faq: bool = False

    @property
    def text(self) -> str:
        """The reference in one line."""
        return f"{self.source} {self.article}".strip()


@dataclass(frozen=True)
class EscalationEntry:
    """A problem sent to the provincial helpdesk, and its answer once there is one."""

    problem: int  # the problem's number in the report
    note: str
    escalated_by: str
    escalated_at: datetime
    answer: str
    references: str
    answered_by: str
    answered_at: datetime | None


@dataclass(frozen=True)
class ProblemEntry:
    """One problem of the visit with its answer and what the answer rests on."""

    number: int  # 1, 2, ... in the order of the list
    topic: str  # the topic's Indonesian name
    topic_shown: str = field(metadata=PRESENTATION)  # ... in the report's language
    description: str
    answer: str
    references: tuple[Reference, ...]
    escalations: tuple[EscalationEntry, ...]


@dataclass(frozen=True)
class PhotoEntry:
    """A documentation photo: its caption is content, its file only where to find the picture."""

    caption: str
    file_name: str = field(metadata=PRESENTATION)
    width: int = field(metadata=PRESENTATION)
    height: int = field(metadata=PRESENTATION)


@dataclass(frozen=True)
class AmendmentEntry:
    """A correction made after the receipt was signed."""

    by: str
    at: datetime
    what: str
    why: str


@dataclass(frozen=True)
class ReportData:
    """Everything the Laporan Helpdesk says, read once from the database."""

    consultation_id: int = field(metadata=PRESENTATION)
    office: str
    province: str
    number: str  # "" until assign_number gives one
    zone: str  # the office's IANA time zone, in which the report's dates are written
    ticket: str
    visited_at: datetime
    started_at: datetime
    closed_at: datetime | None
    visitor: str
    visitor_type: str  # a VisitorType value
    party: str  # the party's name, "" for a visitor who does not come for one
    party_shown: str = field(metadata=PRESENTATION)  # party or kind of visitor, in the report's language
    topic: str
    topic_shown: str = field(metadata=PRESENTATION)
    officer: str
    steps: tuple[StepTime, ...]
    problems: tuple[ProblemEntry, ...]
    photos: tuple[PhotoEntry, ...]
    amendments: tuple[AmendmentEntry, ...]
    lang: str = field(metadata=PRESENTATION)  # of the names above; render_pdf's lang sets the labels
    # The digest taken when the visitor signed (the receipt and its proof page show it); later amendments and
    # late escalation answers are printed in the report, so today's content may differ from what was signed.
    signed_digest: str | None = field(default=None, metadata=PRESENTATION)

    @property
    def escalations(self) -> tuple[EscalationEntry, ...]:
        """Every escalation, in the order of the problems."""
        return tuple(entry for problem in self.problems for entry in problem.escalations)


def build_report(session: Session, consultation_id: int, lang: str, zone: ZoneInfo) -> ReportData:
    """Read a consultation and everything its report shows; names of topics and parties in `lang`."""
    consultation = session.scalar(
        select(Consultation)
        .where(Consultation.id == consultation_id)
        .options(
            selectinload(Consultation.visit).selectinload(Visit.party),
            selectinload(Consultation.visit).selectinload(Visit.topic),
            selectinload(Consultation.office).selectinload(Office.province),
            selectinload(Consultation.officer),
            selectinload(Consultation.spans),
            selectinload(Consultation.problems).selectinload(Problem.topic),
            selectinload(Consultation.problems)
            .selectinload(Problem.references)
            .selectinload(ProblemReference.regulation),
            selectinload(Consultation.problems).selectinload(Problem.references).selectinload(ProblemReference.faq),
            selectinload(Consultation.problems).selectinload(Problem.escalations),
        )
    )
    if consultation is None:
        raise ReportNotFound(consultation_id)
    visit = consultation.visit
    escalations = [entry for problem in consultation.problems for entry in problem.escalations]
    people = _names(session, {user for e in escalations for user in (e.escalated_by, e.answered_by) if user})
    photos = session.scalars(
        select(Photo)
        .where(Photo.consultation_id == consultation_id, Photo.removed_at.is_(None))
        .order_by(Photo.taken_at, Photo.id)
    )
    amendments = session.scalars(
        select(Amendment)
        .where(Amendment.consultation_id == consultation_id)
        .options(selectinload(Amendment.user))
        .order_by(Amendment.at, Amendment.id)
    )
    if visit.party is not None:
        party, party_shown = visit.party.name, (visit.party.name_en if lang == "en" else None) or visit.party.name
    else:
        party, party_shown = "", translate(VisitorType(visit.visitor_type).label, lang)
    return ReportData(
        consultation_id=consultation.id,
        office=consultation.office.name,
        province=consultation.office.province.name if consultation.office.province else "",
        number=consultation.report_number or "",
        zone=zone.key,
        ticket=visit.number,
        visited_at=visit.checked_in_at,
        started_at=consultation.started_at,
        closed_at=consultation.closed_at,
        visitor=visit.visitor_name,
        visitor_type=str(visit.visitor_type),
        party=party,
        party_shown=party_shown,
        topic=visit.topic.name_id,
        topic_shown=visit.topic.name(lang),
        officer=consultation.officer.name,
        steps=_step_times(consultation),
        problems=tuple(
            _problem(problem, number, people, lang) for number, problem in enumerate(consultation.problems, 1)
        ),
        photos=tuple(PhotoEntry(p.caption, p.file_name, p.width, p.height) for p in photos),
        amendments=tuple(AmendmentEntry(a.user.name, a.at, a.what, a.why) for a in amendments),
        lang=lang,
        signed_digest=consultation.digest,
    )


def _names(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all())


def _step_times(consultation: Consultation) -> tuple[StepTime, ...]:
    seconds: dict[int, float] = defaultdict(float)
    for span in consultation.spans:
        # A span still open counts up to the close of the consultation; before the close it is left out, so the
        # same record always reads the same.
        end = span.ended_at or consultation.closed_at
        if end is not None:
            seconds[span.step] += max((end - span.started_at).total_seconds(), 0.0)
    return tuple(StepTime(step.number, round(seconds[step.number]), step.minutes) for step in sop.STEPS)


def _problem(problem: Problem, number: int, people: dict[int, str], lang: str) -> ProblemEntry:
    references = tuple(
        Reference(ref.faq.question, "", faq=True)
        if ref.faq is not None
        else Reference(ref.regulation.short_name if ref.regulation else "", ref.article)
        for ref in problem.references
    )
    escalations = tuple(_escalation(entry, number, people) for entry in problem.escalations)
    return ProblemEntry(
        number,
        problem.topic.name_id,
        problem.topic.name(lang),
        problem.description,
        problem.answer,
        references,
        escalations,
    )


def _escalation(entry: Escalation, number: int, people: dict[int, str]) -> EscalationEntry:
    return EscalationEntry(
        problem=number,
        note=entry.note,
        escalated_by=people.get(entry.escalated_by, ""),
        escalated_at=entry.escalated_at,
        answer=entry.answer or "",
        references=entry.references,
        answered_by=people.get(entry.answered_by, "") if entry.answered_by else "",
        answered_at=entry.answered_at,
    )


def digest(data: ReportData) -> str:
    """SHA-256 (hex) of the report's content as canonical JSON: the same record gives the same digest in any
    language and on any run; photos count by their captions, not their bytes."""
    content = {"format": DIGEST_FORMAT, "report": _canonical(data)}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: _canonical(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if item.metadata.get("digest", True)
        }
    if isinstance(value, tuple | list):
        return [_canonical(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value


# --- The PDF ---------------------------------------------------------------------------------------------------

A4_WIDTH = 210.0  # mm
MARGIN = 20.0  # mm, left and right; A4 leaves 170 mm of text width
TEXT = 9.5  # pt
SMALL = 8.0
LINE = 4.8  # mm per line of body text
GREY = (90, 90, 90)
RULE = (160, 160, 160)
SHADE = (235, 235, 235)
OVER = (253, 226, 226)  # the over-standard rows: light enough to print on a black-and-white laser
PHOTO_GAP = 6.0  # mm between the two photos of a row
PHOTO_RATIO = 0.75  # the photo box is 4:3, as the webcam and phone cameras take them
PHOTO_DPI = 200  # enough for a printout; a 1600 px photo at full size would make a 1 MB report
PHOTO_MAX_PIXELS = 40_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
Picture = tuple[io.BytesIO, int, int]  # a photo scaled for the page as JPEG, and its size in pixels


def font_paths(directory: Path = FONT_DIR) -> dict[str, Path]:
    """The report's font files by fpdf2 style ("" regular, "B" bold); raise ReportFontMissing if absent."""
    paths = {style: directory / name for style, name in FONT_FILES.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise ReportFontMissing(f"the report's font is missing ({', '.join(missing)}): run `make deps` (npm ci)")
    return paths


_fonts_lock = threading.Lock()
_font_files: dict[str, Path] = {}


def report_fonts() -> dict[str, Path]:
    """The report's fonts as cut-down TrueType files, made once per process; ReportFontMissing without them."""
    with _fonts_lock:
        # Made again if a temporary-file cleaner took them from a server that has been running for weeks.
        if not _font_files or not all(path.is_file() for path in _font_files.values()):
            sources = font_paths()
            folder = Path(tempfile.mkdtemp(prefix="helpdesk-report-fonts-"))  # readable by this user alone
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            made = {style: _cut_down(source, folder / f"{source.stem}.ttf") for style, source in sources.items()}
            _font_files.update(made)
        return dict(_font_files)


def _cut_down(source: Path, target: Path) -> Path:
    options = fonttools_subset.Options()
    options.hinting = False  # PDF viewers and printers rasterise outlines themselves
    options.name_IDs = ["*"]  # the copyright and licence stay with the font
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]
    font = TTFont(source)
    font.flavor = None
    for tag in ("GDEF", "GPOS", "GSUB", "kern"):  # fpdf2 sets text unshaped: no kerning or ligature tables;
        if tag in font:  # dropped before the subsetter reads them, which is most of its work
            del font[tag]
    subsetter = fonttools_subset.Subsetter(options)
    subsetter.populate(unicodes=[code for first, last in REPORT_UNICODES for code in range(first, last + 1)])
    subsetter.subset(font)
    font.save(target)
    return target


def render_pdf(data: ReportData, photo_dir: Path, lang: str) -> bytes:
    """The report as an A4 PDF in Indonesian, or in English with lang="en"; photos are read from photo_dir."""
    # Photos are scaled in other threads (Pillow lets go of the interpreter while it decodes and encodes) while
    # this one lays out the text.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="report-photo") as pool:
        box = ((A4_WIDTH - 2 * MARGIN - PHOTO_GAP) / 2, (A4_WIDTH - 2 * MARGIN - PHOTO_GAP) / 2 * PHOTO_RATIO)
        pictures = [pool.submit(_scaled_photo, photo_dir / Path(photo.file_name).name, *box) for photo in data.photos]
        document = _Document(data, lang, pictures)
        document.draw()
    return bytes(document.output())


class _Document(FPDF):
    """The report's pages: fpdf2 calls header() and footer() on each one."""

    def __init__(self, data: ReportData, lang: str, pictures: list[Future[Picture | None]]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data, self.lang, self.pictures = data, lang, pictures
        self.zone = ZoneInfo(data.zone)
        for style, path in report_fonts().items():
            self.add_font("DejaVu", style, path)
        # A character neither weight can draw shows as a replacement mark instead of vanishing from the record.
        fonts = [self.fonts[f"dejavu{style}"] for style in FONT_FILES]
        self.glyphs = frozenset.intersection(*(frozenset(font.cmap) for font in fonts if isinstance(font, TTFFont)))
        self.set_margins(MARGIN, 16, MARGIN)
        self.set_auto_page_break(True, margin=18)
        title = self._("Laporan Helpdesk")
        self.set_title(f"{title} {data.number}".strip())
        self.set_author(data.office)
        self.set_creator("KPU Helpdesk")
        self.set_lang(lang)

    def _(self, text: str) -> str:
        return translate(text, self.lang)

    # Page furniture

    def header(self) -> None:
        if self.page_no() == 1:
            return  # the first page has the full letterhead, drawn by draw()
        self.set_font("DejaVu", "", SMALL)
        self.set_text_color(*GREY)
        number = self.data.number
        room = self.epw - self.get_string_width(number) - 4
        title = self._("Laporan Helpdesk")
        self.cell(room, 5, self._fit(f"{self.data.office} · {title}", room))
        self.cell(0, 5, self._text(number), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self._rule(0.2)
        self.ln(4)
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", "", SMALL)
        self.set_text_color(*GREY)
        page = self._("Halaman {page} dari {pages}").format(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, page, align="C")
        self.set_text_color(0)

    # The report

    def draw(self) -> None:
        self.add_page()
        self._letterhead()
        self._visit()
        self._steps()
        self._problems()
        self._escalations()
        self._amendments()
        self._photos()
        self._signatures()

    def _letterhead(self) -> None:
        data = self.data
        self.set_font("DejaVu", "B", 13)
        self.multi_cell(0, 6.5, self._text(data.office).upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if data.province:
            self.set_font("DejaVu", "", SMALL + 1)
            self.set_text_color(*GREY)
            self.multi_cell(0, 5, self._text(data.province), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)
        self.ln(2)
        self._rule(0.6)
        self.ln(0.8)
        self._rule(0.2)
        self.ln(6)
        self.set_font("DejaVu", "B", 15)
        self.cell(0, 8, self._("LAPORAN HELPDESK"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("DejaVu", "", 10)
        number = data.number or self._("(belum diberi nomor)")
        self.multi_cell(
            0, 6, self._("Nomor: {number}").format(number=number), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        if data.signed_digest:
            self.set_font("DejaVu", "", SMALL)
            digest = " ".join(data.signed_digest[i : i + 8] for i in range(0, len(data.signed_digest), 8))
            self.multi_cell(
                0, 4, self._("Sidik laporan saat ditandatangani (SHA-256): {digest}").format(digest=digest),
                align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
            )  # fmt: skip
        self.ln(5)

    def _visit(self) -> None:
        data = self.data
        self._heading(self._("A. Data kunjungan"))
        service = clock_time(data.started_at, self.zone, self.lang)
        if data.closed_at is not None:
            service = f"{service} – {clock_time(data.closed_at, self.zone, self.lang)}"
        rows = (
            (self._("Tanggal kunjungan"), long_date(data.visited_at, self.zone, self.lang)),
            (self._("Waktu layanan"), service),
            (self._("Nomor antrean"), data.ticket),
            (self._("Nama pengunjung"), data.visitor),
            (self._("Partai politik / asal"), data.party_shown),
            (self._("Topik konsultasi"), data.topic_shown),
            (self._("Petugas helpdesk"), data.officer),
        )
        self.set_font("DejaVu", "", TEXT)
        self.set_draw_color(*RULE)
        with self.table(
            col_widths=(48, 122),
            width=self.epw,
            first_row_as_headings=False,
            text_align="LEFT",
            line_height=LINE,
            padding=(1.3, 2),
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=FontFace(emphasis="BOLD", fill_color=SHADE))
                row.cell(self._text(value) or "–")
        self.ln(6)

    def _steps(self) -> None:
        self._heading(self._("B. Waktu layanan per langkah SOP"))
        self.set_font("DejaVu", "", TEXT)
        self.set_draw_color(*RULE)
        heading = FontFace(emphasis="BOLD", fill_color=SHADE)
        with self.table(
            col_widths=(21, 59, 31, 22, 37),  # the widest Indonesian words fit on one line
            width=self.epw,
            text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "LEFT"),
            line_height=LINE,
            padding=(1.3, 2),
            headings_style=heading,
        ) as table:
            row = table.row()
            for label in (
                self._("Langkah"),
                self._("Uraian"),
                self._("Waktu"),
                self._("Standar"),
                self._("Keterangan"),
            ):
                row.cell(label)
            for step in self.data.steps:
                style = FontFace(fill_color=OVER) if step.over else None
                row = table.row(style=style)
                row.cell(str(step.number))
                row.cell(self._(step.name))
                row.cell(self._duration(step.seconds) if step.seconds else "–")
                row.cell(self._minutes(step.standard_minutes))
                if step.over:
                    row.cell(self._("Melebihi standar"), style=FontFace(emphasis="BOLD", fill_color=OVER))
                else:
                    row.cell(self._("Sesuai standar") if step.seconds else self._("Tidak dilalui"))
            total = sum(step.seconds for step in self.data.steps)
            standard = sum(step.standard_minutes for step in self.data.steps)
            row = table.row(style=FontFace(emphasis="BOLD"))
            row.cell("")
            row.cell(self._("Jumlah"))
            row.cell(self._duration(total))
            row.cell(self._minutes(standard))
            row.cell(self._("Melebihi standar") if total > standard * 60 else "")
        self.ln(6)

    def _problems(self) -> None:
        self._heading(self._("C. Permasalahan dan jawaban"))
        if not self.data.problems:
            self._paragraph(self._("Tidak ada permasalahan yang dicatat."), grey=True)
        for problem in self.data.problems:
            self._keep(28)
            self.set_font("DejaVu", "B", TEXT + 0.5)
            title = self._("Permasalahan {number}: {topic}").format(number=problem.number, topic=problem.topic_shown)
            self.multi_cell(0, LINE + 0.4, self._text(title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
            self._label(self._("Uraian permasalahan"))
            self._paragraph(problem.description or self._("(tidak ada uraian)"), grey=not problem.description)
            self._label(self._("Jawaban/solusi"))
            self._paragraph(problem.answer or self._("(belum dijawab)"), grey=not problem.answer)
            if problem.references:
                self._label(self._("Dasar hukum dan referensi"))
                for reference in problem.references:
                    text = (
                        self._("FAQ: {question}").format(question=reference.source) if reference.faq else reference.text
                    )
                    self._paragraph(f"• {text}", indent=4)
            if problem.escalations:
                self._paragraph(self._("Dieskalasi ke helpdesk provinsi: lihat bagian D."), grey=True)
            self.ln(2)
            self._rule(0.1)
            self.ln(3)
        self.ln(2)

    def _escalations(self) -> None:
        self._heading(self._("D. Eskalasi ke helpdesk provinsi"))
        escalations = self.data.escalations
        if not escalations:
            self._paragraph(self._("Tidak ada permasalahan yang dieskalasi."), grey=True)
        for entry in escalations:
            self._keep(24)
            self.set_font("DejaVu", "B", TEXT)
            title = self._("Permasalahan {number}, dieskalasi oleh {name}, {moment}").format(
                number=entry.problem,
                name=self._text(entry.escalated_by) or "–",
                moment=self._moment(entry.escalated_at),
            )
            self.multi_cell(0, LINE, title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
            if entry.note:
                self._label(self._("Catatan petugas"))
                self._paragraph(entry.note)
            self._label(self._("Jawaban helpdesk provinsi"))
            self._paragraph(entry.answer or self._("(belum dijawab)"), grey=not entry.answer)
            if entry.references:
                self._label(self._("Dasar hukum dan referensi"))
                self._paragraph(entry.references)
            if entry.answered_at is not None:
                answered = self._("Dijawab oleh {name}, {moment}").format(
                    name=self._text(entry.answered_by) or "–", moment=self._moment(entry.answered_at)
                )
                self._paragraph(answered, grey=True)
            self.ln(3)
        self.ln(3)

    def _amendments(self) -> None:
        self._heading(self._("E. Perubahan setelah tanda terima"))
        if not self.data.amendments:
            self._paragraph(self._("Tidak ada perubahan."), grey=True)
        for amendment in self.data.amendments:
            self._keep(20)
            self.set_font("DejaVu", "B", TEXT)
            by = self._("{moment}, oleh {name}").format(
                moment=self._moment(amendment.at), name=self._text(amendment.by)
            )
            self.multi_cell(0, LINE, by, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)
            self._label(self._("Yang diubah"))
            self._paragraph(amendment.what)
            self._label(self._("Alasan"))
            self._paragraph(amendment.why)
            self.ln(2)
        self.ln(3)

    def _photos(self) -> None:
        width = (self.epw - PHOTO_GAP) / 2  # the box render_pdf had the photos scaled to
        height = width * PHOTO_RATIO
        self._heading(self._("F. Dokumentasi foto"), then=height + 10 if self.data.photos else 12)
        if not self.data.photos:
            self._paragraph(self._("Tidak ada foto."), grey=True)
            self.ln(3)
            return
        for first in range(0, len(self.data.photos), 2):
            pair = self.data.photos[first : first + 2]
            self.set_font("DejaVu", "", SMALL)
            captions = [self._caption_height(photo, width) for photo in pair]
            self._keep(height + max(captions) + 4)
            top = self.get_y()
            for column, photo in enumerate(pair):
                left = self.l_margin + column * (width + PHOTO_GAP)
                self._photo(self.pictures[first + column].result(), left, top, width, height)
                self.set_xy(left, top + height + 1.5)
                self.set_text_color(*GREY)
                self.multi_cell(width, 3.8, self._photo_caption(photo), align="C")
                self.set_text_color(0)
            self.set_xy(self.l_margin, top + height + max(captions) + 5)
        self.ln(2)

    def _photo(self, picture: Picture | None, left: float, top: float, width: float, height: float) -> None:
        if picture is None:
            self.set_draw_color(*RULE)
            self.rect(left, top, width, height)
            self.set_xy(left, top + height / 2 - 3)
            self.set_text_color(*GREY)
            self.cell(width, 6, self._("Foto tidak tersedia"), align="C")
            self.set_text_color(0)
            return
        data, pixels_wide, pixels_high = picture
        scale = min(width / pixels_wide, height / pixels_high)
        shown_w, shown_h = pixels_wide * scale, pixels_high * scale
        self.image(data, left + (width - shown_w) / 2, top + (height - shown_h) / 2, shown_w, shown_h)

    def _photo_caption(self, photo: PhotoEntry) -> str:
        return self._text(photo.caption) or self._("(tanpa keterangan)")

    def _caption_height(self, photo: PhotoEntry, width: float) -> float:
        lines = self.multi_cell(width, 3.8, self._photo_caption(photo), dry_run=True, output="LINES")
        assert isinstance(lines, list)
        return len(lines) * 3.8

    def _signatures(self) -> None:
        data = self.data
        self._keep(52)
        self.ln(6)
        half = self.epw / 2
        self.set_font("DejaVu", "", TEXT)
        moment = data.closed_at or data.started_at
        self.cell(half, LINE, "")
        self.cell(half, LINE, long_date(moment, self.zone, self.lang), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(half, LINE, self._("Pengunjung"), align="C")
        self.cell(half, LINE, self._("Petugas helpdesk"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(22)
        top = self.get_y()
        self.set_font("DejaVu", "B", TEXT)
        for column, name in enumerate((data.visitor, data.officer)):
            self.set_xy(self.l_margin + column * half + 10, top)
            self.multi_cell(half - 20, LINE, self._text(name), align="C", border="T")

    # Building blocks

    def _heading(self, text: str, then: float = 12) -> None:
        """A section's title, on a new page unless `then` mm of what follows fit below it."""
        self._keep(10 + then)
        self.set_font("DejaVu", "B", TEXT + 1.5)
        self.set_fill_color(*SHADE)
        self.cell(0, 7, f"  {text}", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_fill_color(255)  # a table takes the current fill colour for all its cells
        self.ln(3)

    def _label(self, text: str) -> None:
        self._keep(LINE * 3)  # a label stays with the first lines of its text
        self.set_font("DejaVu", "B", SMALL + 0.5)
        self.set_text_color(*GREY)
        self.set_x(self.l_margin + 4)
        self.multi_cell(0, LINE, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)

    def _paragraph(self, text: str, indent: float = 4, grey: bool = False) -> None:
        self.set_font("DejaVu", "", TEXT)
        if grey:
            self.set_text_color(*GREY)
        width = self.epw - indent
        # Lines set one by one with cell(): fpdf2's multi_cell measures each line again for every character it
        # adds, which made long answers most of a report's rendering time. cell() breaks the page as needed.
        for line in self._wrap(self._text(text), width - 2 * self.c_margin):
            self.set_x(self.l_margin + indent)
            self.cell(width, LINE, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.ln(1.2)

    def _wrap(self, text: str, width: float) -> list[str]:
        """The text's lines at most `width` mm wide in the current font: broken at spaces, and inside a word only
        where the word alone is wider than a line."""
        space = self.get_string_width(" ")
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line: str | None = None
            line_width = 0.0
            for word in paragraph.split(" "):
                word_width = self.get_string_width(word)
                if line is not None and line_width + space + word_width <= width:
                    line, line_width = f"{line} {word}", line_width + space + word_width
                    continue
                if line is not None:
                    lines.append(line)
                if word_width > width:
                    pieces, word, word_width = self._cut_word(word, width)
                    lines.extend(pieces)
                line, line_width = word, word_width
            lines.append(line or "")
        return lines

    def _cut_word(self, word: str, width: float) -> tuple[list[str], str, float]:
        """A word wider than a line cut into lines that fit, and what is left of it with its width."""
        pieces, start, used = [], 0, 0.0
        for index, char in enumerate(word):
            char_width = self.get_string_width(char)
            if used + char_width > width and index > start:
                pieces.append(word[start:index])
                start, used = index, 0.0
            used += char_width
        return pieces, word[start:], used

    def _rule(self, width: float) -> None:
        self.set_draw_color(*RULE if width < 0.5 else (0, 0, 0))
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)

    def _keep(self, height: float) -> None:
        """Start a new page unless `height` mm still fit: no heading is left alone at the bottom of a page."""
        if self.will_page_break(height):
            self.add_page()

    def _text(self, text: str) -> str:
        text = clean(text)
        if all(ord(char) in self.glyphs or char == "\n" for char in text):
            return text
        return "".join(char if ord(char) in self.glyphs or char == "\n" else "\ufffd" for char in text)

    def _fit(self, text: str, width: float) -> str:
        """The text cut short with an ellipsis where it would run past `width` mm in the current font."""
        text = self._text(text).replace("\n", " ")
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def _moment(self, moment: datetime) -> str:
        time = clock_time(moment, self.zone, self.lang).replace(" ", "\u00a0")  # "14.25 WITA" stays on one line
        return self._("{date} pukul {time}").format(date=long_date(moment, self.zone, self.lang), time=time)

    def _minutes(self, minutes: int) -> str:
        return self._("{minutes} menit").format(minutes=minutes)

    def _duration(self, seconds: int) -> str:
        minutes, rest = divmod(seconds, 60)
        return self._("{minutes} mnt {seconds} dtk").format(minutes=minutes, seconds=f"{rest:02d}")


def clean(text: str) -> str:
    """Text as the PDF can set it: one kind of line break, tabs as spaces, control characters as a space."""
    text = unicodedata.normalize("NFC", text)  # an accent typed as a combining mark joins its letter
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL.sub(" ", text).strip()


def _scaled_photo(path: Path, width_mm: float, height_mm: float) -> Picture | None:
    """The photo as a JPEG no larger than its box needs at PHOTO_DPI; None when it is missing or unreadable."""
    box = (round(width_mm / 25.4 * PHOTO_DPI), round(height_mm / 25.4 * PHOTO_DPI))
    try:
        with Image.open(path) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                return None
            image.draft("RGB", box)  # a JPEG decodes straight at a fraction of its size: much faster
            picture = image.convert("RGB")
        picture.thumbnail(box, Image.Resampling.BICUBIC)
        out = io.BytesIO()
        picture.save(out, format="JPEG", quality=85)
    except Exception:  # noqa: BLE001 - a damaged file raises more than OSError; the report goes on without it
        return None
    out.seek(0)
    return out, picture.width, picture.height
