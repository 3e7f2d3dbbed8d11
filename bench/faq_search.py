"""Knowledge-base search benchmark: what each keystroke of an officer's search costs on a large knowledge base.

Migrates and seeds a fresh SQLite file (and, with --database-url, a fresh schema on that PostgreSQL server as
bench/checkin.py makes one), adds --entries (5,000) varied FAQ entries, a fifth of them drafts, then types
realistic officer searches one character at a time, as the search box sends them: every prefix of two characters
or more is one search through shared.consultation.knowledge.search (query building, SQL, rows to hits), timed in
the process, after --warmup searches left out.

Exit code 0 when every database meets the goal (p95 <= 100 ms per search), 1 when one does not, 2 if the benchmark
could not run.
"""

from __future__ import annotations

import argparse
import random
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/checkin.py, also when imported from elsewhere

from checkin import BenchError, fresh_database, machine, run_and_report, summary  # noqa: E402
from sqlalchemy import Engine, select  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from shared import migrate  # noqa: E402
from shared.consultation.knowledge import search  # noqa: E402
from shared.db import make_engine, write  # noqa: E402
from shared.models import FaqEntry, FaqStatus, Topic  # noqa: E402
from shared.seed import seed  # noqa: E402

GOAL_P95_MS = 100.0
NOW = datetime(2026, 11, 28, 6, 5, tzinfo=UTC)

# What officers type into the search box, whole; the benchmark types each one character at a time.
SEARCHES = (
    "lupa kata sandi sipol",
    "login sipol gagal",
    "akun sipol terkunci",
    "nik tidak valid",
    "unggah data anggota",
    "kta ktp tidak sesuai",
    "KTA/KTP",
    "kode wilayah salah",
    "keanggotaan ganda",
    "ganda beda partai",
    "status bms",
    "anggota luar kabupaten",
    "domisili kantor tetap",
    "surat keterangan domisili",
    "sk kepengurusan",
    "30 persen perempuan",
    "keterwakilan perempuan pengurus",
    "kelengkapan dokumen pendaftaran",
    "hasil verifikasi administrasi",
    "perbaikan dokumen",
    "verifikasi faktual",
    "nama dicatut partai",
    "pencatutan identitas",
    "UU 7/2017",
    "PKPU 4/2022",
    "jadwal tahapan pendaftaran",
    "berita acara",
    "operator sipol ganti",
    "format berkas unggahan",
    "tanggapan masyarakat",
)

# The corpus: questions and answers put together from the words of the office's topics, so that prefixes match
# many entries (as they would on a real knowledge base) and no two entries are the same.
SUBJECTS = (
    "akun SIPOL",
    "kata sandi SIPOL",
    "operator SIPOL",
    "data anggota",
    "NIK anggota",
    "KTA/KTP anggota",
    "kode wilayah",
    "keanggotaan ganda",
    "anggota di luar kabupaten",
    "SK kepengurusan",
    "keterwakilan 30% perempuan",
    "kantor tetap",
    "surat keterangan domisili",
    "kelengkapan dokumen",
    "hasil verifikasi administrasi",
    "verifikasi faktual",
    "perbaikan dokumen",
    "pencatutan identitas",
    "berita acara",
    "jadwal tahapan",
    "berkas unggahan",
    "tanggapan masyarakat",
)
PROBLEMS = (
    "tidak bisa dibuka",
    "ditolak sistem",
    "tidak valid",
    "berstatus BMS",
    "berstatus TMS",
    "belum lengkap",
    "tercatat ganda",
    "tidak sesuai KTP elektronik",
    "salah diunggah",
    "terlambat disampaikan",
    "berbeda dengan data kabupaten",
    "perlu diperbaiki",
)
ASKERS = ("operator partai", "LO partai", "pengurus partai", "warga", "staf Bawaslu", "anggota partai")
STEPS = (
    "Periksa data bersama pengunjung dan catat nomor NIK yang bermasalah.",
    "Cocokkan berkas dengan dokumen asli, lalu unggah ulang baris yang ditolak.",
    "Jelaskan status hasil verifikasi MS, BMS atau TMS dan tindak lanjutnya.",
    "Teruskan ke helpdesk provinsi bila menyangkut substansi persyaratan.",
    "Sampaikan jadwal tahapan perbaikan yang sedang berjalan.",
    "Minta pengunjung membawa surat keterangan domisili dan SK kepengurusan.",
    "Jangan menunjukkan data anggota partai lain kepada pengunjung.",
    "Catat jawaban dalam laporan helpdesk dan serahkan tanda terimanya.",
    "Arahkan operator untuk mengganti kata sandi melalui menu akun SIPOL.",
    "Pastikan format berkas unggahan sesuai templat dari aplikasi.",
)
REFERENCES = ("UU 7/2017", "PKPU 4/2022", "Juknis verifikasi", "Keputusan KPU 519/2022", "SOP helpdesk", "")


@dataclass
class Run:
    """One database's figures."""

    database: str
    entries: int
    build_s: float
    searches: int
    ms: dict[str, float] = field(default_factory=dict)
    ms_by_length: dict[str, dict[str, float]] = field(default_factory=dict)
    hits_mean: float = 0.0
    empty_share: float = 0.0
    slowest: list[dict[str, Any]] = field(default_factory=list)
    passed: bool = False


@dataclass
class Report:
    """The benchmark as written to JSON."""

    command: str
    machine: dict[str, Any]
    options: dict[str, Any]
    runs: list[Run] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000, help="FAQ entries to build (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="times every search is typed (default 3)")
    parser.add_argument("--warmup", type=int, default=30, help="searches left out at the start (default 30)")
    parser.add_argument("--limit", type=int, default=10, help="hits per search, as the screen asks (default 10)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed for the corpus (default 2026)")
    parser.add_argument(
        "--database-url", default="", help="also run on a fresh schema of this PostgreSQL server (postgresql://...)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (the SQLite file)")
    return parser.parse_args(argv)


def entries(count: int, topic_ids: list[int], rng: random.Random) -> list[FaqEntry]:
    """count distinct entries, a fifth of them drafts."""
    made = []
    for number in range(count):
        subject, problem = rng.choice(SUBJECTS), rng.choice(PROBLEMS)
        question = (
            f"{rng.choice(ASKERS).capitalize()} bertanya: {subject} {problem}, apa yang harus dilakukan? ({number})"
        )
        answer = " ".join(rng.sample(STEPS, rng.randint(2, 5))) + f" Berlaku untuk {rng.choice(SUBJECTS)}."
        status = FaqStatus.DRAFT if number % 5 == 4 else FaqStatus.APPROVED
        made.append(
            FaqEntry(
                question=question,
                answer=answer,
                topic_id=rng.choice(topic_ids),
                references=rng.choice(REFERENCES),
                status=status,
                sample=False,
                created_at=NOW,
                approved_at=NOW + timedelta(hours=1) if status is FaqStatus.APPROVED else None,
            )
        )
    return made


def typed(searches: tuple[str, ...]) -> list[str]:
    """Every state of the search box while the officer types each search, from two characters on."""
    return [whole[:end] for whole in searches for end in range(2, len(whole) + 1)]


def build(engine: Engine, args: argparse.Namespace) -> float:
    """Migrate and seed the database and add the entries; returns the seconds it took."""
    started = time.perf_counter()
    migrate.upgrade(engine)
    with Session(engine) as session:
        seed(session, "KPU Kota Kupang", "Asia/Makassar", desks=3, now=NOW)
        topic_ids = list(session.scalars(select(Topic.id)))
        with write(session):
            session.add_all(entries(args.entries, topic_ids, random.Random(args.seed)))
    return time.perf_counter() - started


def timed_searches(engine: Engine, args: argparse.Namespace) -> list[tuple[str, float, int]]:
    """(query, milliseconds, hits) for every typed search, after the warm-up."""
    queries = typed(SEARCHES) * args.rounds
    timings = []
    with Session(engine) as session:
        for query in queries[: args.warmup]:
            search(session, query, limit=args.limit)
            session.rollback()
        for query in queries:
            started = time.perf_counter()
            hits = search(session, query, limit=args.limit)
            timings.append((query, (time.perf_counter() - started) * 1000, len(hits)))
            session.rollback()  # end the read transaction, as the end of a request does
    return timings


def measure(name: str, url: str, args: argparse.Namespace) -> Run:
    """Build one database and time every typed search on it."""
    engine = make_engine(url)
    try:
        build_s = build(engine, args)
        timings = timed_searches(engine, args)
    except SQLAlchemyError as error:
        raise BenchError(f"the {name} run failed: {error}") from error
    finally:
        engine.dispose()
    ms = [elapsed for _, elapsed, _ in timings]
    by_length: dict[str, list[float]] = {}
    for query, elapsed, _ in timings:
        by_length.setdefault(
            "2-3 chars" if len(query) < 4 else "4-7 chars" if len(query) < 8 else "8+ chars", []
        ).append(elapsed)
    run = Run(
        database=name,
        entries=args.entries,
        build_s=round(build_s, 2),
        searches=len(timings),
        ms=summary(ms),
        ms_by_length={length: summary(values) for length, values in sorted(by_length.items())},
        hits_mean=round(statistics.mean(count for _, _, count in timings), 2),
        empty_share=round(sum(1 for _, _, count in timings if count == 0) / len(timings), 3),
        slowest=[
            {"query": query, "ms": round(elapsed, 2), "hits": count}
            for query, elapsed, count in sorted(timings, key=lambda item: -item[1])[:5]
        ],
    )
    run.passed = run.ms.get("p95", float("inf")) <= GOAL_P95_MS
    return run


def render_report(report: Report) -> str:
    """The human-readable report."""
    lines = [
        "Knowledge-base search: one search per keystroke (2 characters on), in process, "
        f"{report.options['entries']:,} entries (a fifth drafts), {report.options['limit']} hits per search",
        f"command: {report.command}",
        "",
    ]
    for run in report.runs:
        lines += [
            f"{run.database}: built in {run.build_s:.1f} s; {run.searches} searches, "
            f"{run.hits_mean:.1f} hits on average, {run.empty_share:.0%} found nothing",
            f"  all          p50 {run.ms['p50']:7.2f}  p95 {run.ms['p95']:7.2f}  max {run.ms['max']:7.2f} ms",
        ]
        for length, figures in run.ms_by_length.items():
            lines.append(
                f"  {length:<12} p50 {figures['p50']:7.2f}  p95 {figures['p95']:7.2f}  max {figures['max']:7.2f} ms"
                f"   ({figures['n']})"
            )
        slowest = ", ".join(f"{item['query']!r} {item['ms']:.1f} ms" for item in run.slowest[:3])
        lines += [f"  slowest: {slowest}", ""]
    lines.append("Goals")
    for run in report.runs:
        lines.append(
            f"  {'PASS' if run.passed else 'FAIL'}  {run.database}: p95 <= {GOAL_P95_MS:.0f} ms per search   "
            f"({run.ms['p95']:.2f} ms)"
        )
    return "\n".join(lines)


def benchmark(args: argparse.Namespace, tmp: Path) -> Report:
    """Build each database, type the searches, add it up."""
    report = Report(shlex.join([sys.executable, *sys.argv]), machine(), vars(args).copy())
    report.options["database_url"] = bool(args.database_url)  # the figures say which server, not its address
    with fresh_database(tmp, "") as url:
        report.runs.append(measure("SQLite", url, args))
    if args.database_url:
        with fresh_database(tmp, args.database_url) as url:
            report.runs.append(measure("PostgreSQL", url, args))
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the report, save the JSON; 1 if a goal is missed."""
    return run_and_report(
        parse_args(argv),
        "helpdesk-faq-",
        benchmark,
        render_report,
        "faq-search",
        lambda report: all(run.passed for run in report.runs),
    )


if __name__ == "__main__":
    sys.exit(main())
