"""What every entry point (web app, CLI, scheduler) builds first: settings and a database."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings, set_office_zone
from bot.i18n import set_default_locale
from models.base import Database


@dataclass
class Runtime:
    """Settings plus the database they name."""

    settings: Settings
    db: Database = field(init=False)

    def __post_init__(self) -> None:
        self.db = Database(self.settings.database_url)
        set_default_locale(self.settings.locale)
        set_office_zone(self.settings.timezone)
        # Slip approvals and rejections tell the debtor, however staff make them.
        from bot.slip_notice_text import install

        install()

    @classmethod
    def from_env(cls) -> Runtime:
        """Read the environment and connect (lazily: no connection is made yet)."""
        return cls(Settings.from_env())
