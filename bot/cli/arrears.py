"""`fundbot arrears`: the arrears engine's answer per contract, or totals per area or fund."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import click

from bot.cli import pass_runtime, runtime_of
from bot.cli.params import DATE
from bot.cli.tables import table
from bot.errors import UserError
from bot.export_safety import csv_text
from bot.i18n import _, format_date, lazy_gettext, ngettext
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
from models.types import AreaLevel, FundKind

BY_CHOICES = ["village", "subdistrict", "district", "province", "fund"]
FORMATS = ["table", "csv", "json"]

CLASS_LABELS = {
    "normal": lazy_gettext("normal"),
    "late": lazy_gettext("late"),
    "moratorium": lazy_gettext("in moratorium"),
    "restructured": lazy_gettext("restructured"),
    "restructured_late": lazy_gettext("restructured, late"),
    "defaulted": lazy_gettext("defaulted"),
    "paid_off": lazy_gettext("paid off"),
}
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
@pass_runtime
def arrears(lazy, as_of, contract_no, area_path, fund_kind, by, output) -> None:
    """Outstanding principal, overdue amount, days past due, aging and debtor class."""
    runtime = runtime_of(lazy)
    as_of = as_of or datetime.now(runtime.settings.timezone).date()
    if by and contract_no:
        raise click.UsageError(_("--contract lists one contract; it cannot be used with --by"))
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
    province = runtime.settings.province
    if output == "json":
        click.echo(json.dumps([row.to_json() for row in rows], ensure_ascii=False, indent=2))
    elif output == "csv":
        click.echo(_csv(rows), nl=False)
    elif by:
        click.echo(_totals_table(rows, by, as_of, area_path, province))
    else:
        click.echo(_contracts_table(rows, as_of, area_path, province))


def _csv(rows: list) -> str:
    """CSV with English header keys, amounts as decimal strings and dates ISO; text cells
    that a spreadsheet would run as formulas are neutralised (bot/export_safety.py)."""
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
    headers = [
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
            str(CLASS_LABELS[row.debtor_class]),
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
    first = _("Fund") if by == "fund" else _("Area")
    headers = [first, _("Contracts"), _("Outstanding principal"), _("Overdue")]
    headers += [_("Overdue contracts"), *(str(CLASS_LABELS[c]) for c in DEBTOR_CLASSES)]
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
