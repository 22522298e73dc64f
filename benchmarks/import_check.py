"""Import check benchmark: how long ``consult.imports.check_file`` takes on a large file.

    python benchmarks/import_check.py                    # 150,001 rows of XLSX and of CSV
    python benchmarks/import_check.py --rows 20000       # a quicker look
    CONSULT_TREE=/tmp/before python benchmarks/import_check.py --rows 20000   # another tree

It loads the 2021 consultation into a scratch SQLite database, writes a file of ``--rows``
realistic responses in the import template's columns (an XLSX with XlsxWriter, and the same
rows as CSV), then times, for each, reading the table alone (``read_table``) and the whole check
(reading and validating every row), and prints the rows per second. Figures are medians of
``--repeat`` runs.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# CONSULT_TREE=/path/to/another/checkout times that tree's code on the same file, side by side.
TREE = Path(os.environ.get("CONSULT_TREE") or ROOT)
sys.path.insert(0, str(TREE))

THEMES = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
          "robust_enforcement"]
SUPPORT = ["strongly_support", "support", "neither", "oppose", "strongly_oppose", "dont_know", ""]
DISTRICTS = ["cambridge", "fenland", "peterborough", "huntingdonshire", ""]
COMMENTS = ["More officers on foot in the town centre, please.", "", "",
            "Speeding through our village is never enforced.", "Więcej policji na ulicach."]


def rows(count: int, header: list[str], seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        kind = rng.choice(["resident"] * 6 + ["victim_or_witness", "business"])
        cells = {"received_on": f"2021-06-{rng.randint(10, 28)}",
                 "channel": rng.choice(["paper", "event", "email", "letter"]),
                 "respondent_type": kind, "district": rng.choice(DISTRICTS),
                 "postcode_district": rng.choice(["CB1", "PE13", ""])}
        for theme in THEMES:
            cells[f"support__{theme}"] = rng.choice(SUPPORT)
            comment = rng.choice(COMMENTS)
            cells[f"comment__{theme}"] = f"{comment} ({rng.randint(1, 10**6)})" if comment else ""
        if rng.random() < 0.5:
            for rank, theme in enumerate(rng.sample(THEMES, len(THEMES)), start=1):
                cells[f"rank__{theme}"] = str(rank)
        if kind == "victim_or_witness":
            cells["victim_crime_types"] = "burglary;theft"
            cells["victim_support_offered"] = "yes"
        out.append([cells.get(name, "") for name in header])
    return out


def write_xlsx(header: list[str], table: list[list[str]]) -> bytes:
    import xlsxwriter

    data = io.BytesIO()
    workbook = xlsxwriter.Workbook(data, {"constant_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("responses")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(table, start=1):
        for c, value in enumerate(row):
            if value.isdigit():
                sheet.write_number(r, c, int(value))
            elif value:
                sheet.write_string(r, c, value)
    workbook.close()
    return data.getvalue()


def write_csv(header: list[str], table: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(table)
    return out.getvalue().encode("utf-8")


def median_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150_001)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from consult import create_app
    from consult.definitions import load_file
    from consult.extensions import db
    from consult.imports import MAX_ROWS, check_file, read_table, template_columns
    from consult.models import Consultation

    scratch = tempfile.mkdtemp(prefix="import-bench-")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/bench.db",
                                 "IMPORTS_DIR": scratch})
    with app.app_context():
        db.create_all()
        load_file(TREE / "instance" / "consultations" / "police-and-crime-plan-2021.yaml")
        consultation = db.session.query(Consultation).filter_by(
            slug="police-and-crime-plan-2021").one()
        header = template_columns(consultation)
        table = rows(args.rows, header)
        load = os.getloadavg()[0]
        print(f"code: {Path(sys.modules['consult'].__file__).parent.parent}")
        print(f"conditions: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, "
              f"{os.cpu_count()} cores, load average {load:.2f}; {args.rows:,} rows, "
              f"{len(header)} columns, median of {args.repeat}")
        for name, content in (("responses.xlsx", write_xlsx(header, table)),
                              ("responses.csv", write_csv(header, table))):
            def read_only() -> None:
                table = read_table(name, content)
                for _ in getattr(table, "rows", table):  # a Table, or the rows themselves
                    pass

            read = median_time(read_only, args.repeat)
            result = {}

            def check() -> None:
                result["check"] = check_file(consultation, name, content)

            whole = median_time(check, args.repeat)
            report = result["check"]
            print(f"{name}: {len(content) / 1e6:.1f} MB; reading {read:.1f} s; whole check "
                  f"{whole:.1f} s ({args.rows / whole:,.0f} rows/s); {report.rows:,} rows read, "
                  f"{len(report.problems)} problems"
                  + (f" (at most {MAX_ROWS:,} rows a file)" if args.rows > MAX_ROWS else ""))


if __name__ == "__main__":
    main()
