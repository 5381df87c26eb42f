"""`fundbot arrears`: the arrears engine's answer per contract, or totals per area or fund."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.params import DATE
from bot.cli.tables import table
from bot.errors import UserError
from bot.export_safety import csv_text
from bot.i18n import _, format_date, lazy_gettext, ngettext
from bot.kkcj_export import area_title
from bot.labels import bucket_label, class_label
from bot.spreadsheet import table_csv, table_xlsx
from handlers.texts import fund_label
from models.area import SEPARATOR, find_area
from models.arrears import (
    AGING_BUCKETS,
    DEBTOR_CLASSES,
    ArrearsTotals,
    ContractArrears,
    area_arrears,
    contract_arrears,
    fund_totals,
)
from models.thai_order import thai_key
from models.types import AreaLevel, FundKind

BY_CHOICES = ["village", "subdistrict", "district", "province", "fund"]
FORMATS = ["table", "csv", "xlsx", "json"]

FUND_LABELS = {
    FundKind.WOMENS_FUND.value: lazy_gettext("Women's Fund"),
    FundKind.KKCJ.value: lazy_gettext("KKCJ"),
}
CONTRACT_FIELDS = [
    "fund",
    "contract_no",
    "borrower_name",
    "area",
    "outstanding_principal",
    "overdue_amount",
    "days_past_due",
    "aging_bucket",
    "debtor_class",
    "next_due_date",
    "next_due_amount",
]
CONTRACT_WIDTHS = (26, 14, 28, 34, 16, 16, 10, 16, 18, 16, 14)
# The columns holding names and labels; every other column of the CSV is a number.
TEXT_FIELDS = {
    "fund",
    "contract_no",
    "borrower_name",
    "area",
    "level",
    "aging_bucket",
    "debtor_class",
    "next_due_date",
}


@click.command("arrears")
@click.option("--as-of", "as_of", type=DATE, help="Date: 2026-03-15 or 15/3/2569 (default today).")
@click.option("--contract", "contract_no", help="Only this contract number.")
@click.option("--area", "area_path", help='Only this area, e.g. "แก่งคอย/หินซ้อน".')
@click.option("--fund", "fund_kind", type=click.Choice([k.value for k in FundKind]))
@click.option("--by", "by", type=click.Choice(BY_CHOICES), help="Totals per area or fund.")
@click.option("--format", "output", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--raw", is_flag=True,
    help="With --format csv: English codes, ISO dates, no BOM and no totals, for scripts.",
)  # fmt: skip
@click.option(
    "--output", "-o", "path", type=click.Path(dir_okay=False, path_type=Path),
    help="Write the answer (an xlsx, a csv...) to this file instead of the standard output.",
)  # fmt: skip
@pass_runtime
def arrears(lazy, as_of, contract_no, area_path, fund_kind, by, output, raw, path) -> None:
    """Outstanding principal, overdue amount, days past due, aging and debtor class.

    --format csv and xlsx are for Excel: Thai headers and words, Buddhist-Era dates, rows in
    Thai dictionary order and a totals row (csv with a BOM); --format csv --raw and
    --format json are for scripts."""
    runtime = runtime_of(lazy)
    as_of = as_of or datetime.now(runtime.settings.timezone).date()
    if by and contract_no:
        raise click.UsageError(_("--contract lists one contract; it cannot be used with --by"))
    if raw and output != "csv":
        raise click.UsageError(_("--raw goes with --format csv only"))
    if output == "xlsx" and path is None and _on_terminal():
        raise UserError(_("An xlsx file cannot be shown on the screen; name a file with -o"))
    with runtime.db.session() as session:
        scope = None
        if area_path:
            area = find_area(session, area_path, runtime.settings.province)
            if area is None:
                raise UserError(_("Unknown area: %(path)s", path=area_path))
            scope = [area.path]
        if by == "fund":
            rows = fund_totals(session, as_of, scope=scope, fund_kind=fund_kind)
        elif by:
            level = AreaLevel(by)
            rows = area_arrears(session, as_of, level=level, scope=scope, fund_kind=fund_kind)
        else:
            rows = contract_arrears(
                session, as_of, scope=scope, contract_no=contract_no, fund_kind=fund_kind
            )
    if contract_no and not rows:
        raise UserError(
            _("No contract %(no)s in force on %(date)s", no=contract_no, date=format_date(as_of))
        )
    _write(_render(rows, output, raw, by, as_of, area_path, scope, runtime.settings.province), path)


def _render(rows: list, output: str, raw: bool, by, as_of, area_path, scope, province: str):
    """The answer in the format asked for: text, or the bytes of an xlsx."""
    if output == "json":
        return json.dumps([row.to_json() for row in rows], ensure_ascii=False, indent=2) + "\n"
    if output == "csv" and raw:
        return _csv(rows)
    rows = _in_thai_order(rows, by)
    if output == "table":
        if by:
            return _totals_table(rows, by, as_of, area_path, province) + "\n"
        return _contracts_table(rows, as_of, area_path, province) + "\n"
    headers, body = _sheet(rows, by, province)
    if output == "csv":
        return table_csv([], headers, body)
    where = area_title([scope[0] if scope else province], province)
    title = f"{_title(as_of, None)} — {where}"
    widths = (34, *[14] * (len(headers) - 1)) if by else CONTRACT_WIDTHS
    return table_xlsx(_("Arrears"), [title], headers, body, widths)


def _write(data: str | bytes, path: Path | None) -> None:
    """`data` to the file `path`, or to the standard output."""
    if path is not None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
    else:
        click.echo(data, nl=False)  # bytes go to the binary stream: `> file.xlsx` works


def _on_terminal() -> bool:
    """Whether the standard output is a screen (an xlsx there is only noise)."""
    return sys.stdout.isatty()


def _in_thai_order(rows: list, by: str | None) -> list:
    """Rows by area in Thai dictionary order (แก่งคอย before เสาไห้), each level of the path
    in turn; contracts then by borrower and number. Funds keep their order."""
    if by == "fund":
        return rows
    if by:
        return sorted(rows, key=lambda row: _path_key(row.group))
    return sorted(rows, key=lambda r: (_path_key(r.area), thai_key(r.borrower_name), r.contract_no))


def _path_key(path: str) -> tuple:
    return tuple(thai_key(name) for name in path.split(SEPARATOR))


def _sheet(rows: list, by: str | None, province: str) -> tuple[list[str], list[list]]:
    """Headers and rows for Excel (words, BE dates, money as Decimal), the totals row last."""
    if not by:
        return _contract_sheet(rows, province)
    headers = [*_totals_headers(by), *(bucket_label(b) for b in AGING_BUCKETS)]
    body = [
        [
            fund_label(row.group) if by == "fund" else _short_path(row.group, province),
            row.contracts,
            row.outstanding_principal,
            row.overdue_amount,
            row.overdue_contracts,
            *(row.debtor_classes[c] for c in DEBTOR_CLASSES),
            *(row.aging_buckets[b] for b in AGING_BUCKETS),
        ]
        for row in rows
    ]
    # Every column after the name is a count or an amount: the totals row adds them all up.
    totals = [sum((line[i] for line in body), 0) for i in range(1, len(headers))]
    return headers, [*body, [_("Total"), *totals]]


def _contract_headers() -> list[str]:
    """The columns of one line per contract, for the screen and for Excel."""
    return [
        _("Fund"),
        _("Contract"),
        _("Borrower"),
        _("Area"),
        _("Outstanding principal"),
        _("Overdue"),
        _("Days past due"),
        _("Aging"),
        _("Class"),
        _("Next due"),
        _("Next amount"),
    ]


def _totals_headers(by: str) -> list[str]:
    """The columns of one line per area or fund: amounts, then contracts in each class."""
    first = _("Fund") if by == "fund" else _("Area")
    headers = [first, _("Contracts"), _("Outstanding principal"), _("Overdue")]
    return [*headers, _("Overdue contracts"), *(class_label(c) for c in DEBTOR_CLASSES)]


def _contract_sheet(rows: list[ContractArrears], province: str) -> tuple[list[str], list[list]]:
    headers = _contract_headers()
    body = [
        [
            fund_label(row.fund),
            row.contract_no,
            row.borrower_name,
            _short_path(row.area, province),
            row.outstanding_principal,
            row.overdue_amount,
            row.days_past_due,
            bucket_label(row.aging_bucket),
            class_label(row.debtor_class),
            format_date(row.next_due_date) if row.next_due_date else "",
            row.next_due_amount if row.next_due_date else None,
        ]
        for row in rows
    ]
    count = ngettext("%(num)d contract", "%(num)d contracts", len(rows))
    outstanding = sum((r.outstanding_principal for r in rows), Decimal(0))
    overdue = sum((r.overdue_amount for r in rows), Decimal(0))
    totals = [_("Total"), count, "", "", outstanding, overdue, None, "", "", "", None]
    return headers, [*body, totals]


def _csv(rows: list) -> str:
    """The machine CSV (--raw): English header keys and codes, amounts as decimal strings,
    dates ISO, no BOM, no totals; text cells that a spreadsheet would run as formulas are
    still neutralised (bot/export_safety.py)."""
    if rows and isinstance(rows[0], ArrearsTotals):
        records = [_flat(row.to_json()) for row in rows]
    else:
        records = [row.to_json() for row in rows]
    fields = list(records[0]) if records else CONTRACT_FIELDS
    return csv_text(fields, records, numeric=[f for f in fields if f not in TEXT_FIELDS])


def _flat(record: dict) -> dict:
    """A totals record with its class and bucket counts as columns of their own."""
    classes = record.pop("debtor_classes")
    buckets = record.pop("aging_buckets")
    return {**record, **classes, **{f"aging_{name}": n for name, n in buckets.items()}}


def _title(as_of, area_path: str | None) -> str:
    """The line above a table: the date, and the area when scoped."""
    title = _("Arrears as of %(date)s", date=format_date(as_of))
    return f"{title} — {area_path}" if area_path else title


def _contracts_table(rows: list[ContractArrears], as_of, area_path, province: str) -> str:
    """One line per contract, with translated headers, Thai dates and baht amounts."""
    if not rows:
        return _title(as_of, area_path) + "\n" + _("No contracts.")
    headers = _contract_headers()
    body = [
        [
            str(FUND_LABELS.get(row.fund, row.fund)),
            row.contract_no,
            row.borrower_name,
            _short_path(row.area, province),
            _amount(row.outstanding_principal),
            _amount(row.overdue_amount),
            str(row.days_past_due),
            _bucket(row.aging_bucket),
            class_label(row.debtor_class),
            format_date(row.next_due_date) if row.next_due_date else "-",
            _amount(row.next_due_amount) if row.next_due_date else "-",
        ]
        for row in rows
    ]
    summary = ngettext(
        "%(num)d contract; outstanding principal %(outstanding)s; overdue %(overdue)s",
        "%(num)d contracts; outstanding principal %(outstanding)s; overdue %(overdue)s",
        len(rows),
        outstanding=_amount(sum((r.outstanding_principal for r in rows), Decimal(0))),
        overdue=_amount(sum((r.overdue_amount for r in rows), Decimal(0))),
    )
    right = {4, 5, 6, 10}
    return "\n".join([_title(as_of, area_path), table(headers, body, right), summary])


def _totals_table(rows: list, by: str, as_of, area_path, province: str) -> str:
    """One line per area or fund: amounts, then how many contracts in each class."""
    if not rows:
        return _title(as_of, area_path) + "\n" + _("No contracts.")
    headers = _totals_headers(by)
    body = []
    for row in rows:
        name = str(FUND_LABELS.get(row.group, row.group)) if by == "fund" else row.group
        body.append(
            [
                name if by == "fund" else _short_path(name, province),
                str(row.contracts),
                _amount(row.outstanding_principal),
                _amount(row.overdue_amount),
                str(row.overdue_contracts),
                *(str(row.debtor_classes[c]) for c in DEBTOR_CLASSES),
            ]
        )
    right = set(range(1, len(headers)))
    return "\n".join([_title(as_of, area_path), table(headers, body, right)])


def _amount(value: Decimal) -> str:
    """Baht with thousands separators and two decimals: 1,234.50."""
    return f"{value:,.2f}"


def _bucket(name: str) -> str:
    """An aging bucket for people: "current" translated, day ranges as they are."""
    return _("current") if name == AGING_BUCKETS[0] else name


def _short_path(path: str, province: str) -> str:
    """An area path without the province's own name in front (every row shares it)."""
    prefix = province + SEPARATOR
    return path.removeprefix(prefix) if path.startswith(prefix) else path


def register(main: click.Group) -> None:
    """Add `arrears` to the command line."""
    main.add_command(arrears)
