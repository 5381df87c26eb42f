"""The demo's KKCJ fund register: each village fund's capital, chair and monthly figures.

About one fund in ten is under accelerated follow-up, as in Saraburi's 2021 report (23 of
229 funds, 2,015,377 baht problem money and 286,158 baht damaged money); their problem
money comes down a little most months. Drawn from its own random stream, so adding it
leaves the rest of the demo as it was.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.demo import names
from models.audit import Actor
from models.fund import Fund
from models.fund_register import FundStatus, record_entries

FOLLOWUP_SHARE = 0.1
MONTHS = 3  # month-end reports: the last three complete months


def seed_fund_register(
    session: Session, actor: Actor, funds: list[Fund], today: date, seed: int
) -> int:
    """Register entries for `funds` at the last MONTHS month ends before `today`; how many."""
    rng = random.Random(f"fund-register-{seed}")
    month_ends = []
    day = today.replace(day=1)
    for _ in range(MONTHS):
        day -= timedelta(days=1)
        month_ends.append(day)
        day = day.replace(day=1)
    month_ends.reverse()
    items = []
    for fund in funds:
        title, name = names.person(rng, female=rng.random() < 0.4)
        phone = f"08{rng.randrange(10_000_000, 99_999_999)}"
        capital = Decimal(rng.randrange(1500, 4500) * 100)
        followup = rng.random() < FOLLOWUP_SHARE
        problem = Decimal(rng.randrange(200, 1600) * 100) if followup else Decimal(0)
        damaged = Decimal(rng.randrange(0, 300) * 100) if followup else Decimal(0)
        for month_end in month_ends:
            figures = {
                "capital": capital,
                "status": FundStatus.FOLLOWUP if problem or damaged else FundStatus.NORMAL,
                "problem_money": problem,
                "damaged_money": damaged,
                "chair_name": f"{title}{name}",
                "chair_phone": phone,
                "committee": None,
            }
            items.append((fund, month_end, figures))
            repaid = Decimal(rng.randrange(0, 60) * 100) if rng.random() < 0.6 else Decimal(0)
            problem = max(problem - repaid, Decimal(0))
    return len(record_entries(session, actor, items))
