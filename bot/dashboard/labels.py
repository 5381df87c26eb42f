"""Words for the codes the dashboard shows: debtor classes, aging buckets, statuses, funds
(bot/labels.py, shared with the command line), and roles."""

from __future__ import annotations

from bot.labels import bucket_label, class_label, status_label
from handlers.texts import fund_label, role_label

__all__ = ["bucket_label", "class_label", "fund_label", "role_label", "status_label"]
