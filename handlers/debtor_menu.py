"""The debtors' rich menu: six buttons under the chat, each a command the router already knows.

A tap sends the command word as the debtor's own message (a LINE message action), so it is
answered exactly as if typed, even mid-way through a conversation, and shows in the chat.
This one layout gives LINE its areas and picture (`fundbot richmenu install`) and the chat
simulator its buttons. The words come from the catalogs: Thai, the default language, large,
with the English below it, since LINE shows one picture to everyone.
"""

from __future__ import annotations

from bot.i18n import _, lazy_gettext, use_locale
from bot.line.rich_menu import MenuButton, MenuLayout
from handlers.common import HELP_WORDS
from handlers.debtor import BALANCE_WORDS, OFFICER_WORDS, PAY_WORDS
from handlers.language import CHOOSE
from handlers.transfer_report import PAID_WORDS

# LINE tells menus apart by name only: `install` replaces the menus of this name.
NAME = "fundbot-debtors"

# (label, command sent, colour); white text stays readable on each colour.
BUTTONS = (
    (lazy_gettext("Balance"), BALANCE_WORDS[0], "#0b7a3e"),
    (lazy_gettext("Pay"), PAY_WORDS[0], "#1565c0"),
    (lazy_gettext("Send a slip"), PAID_WORDS[0], "#6a1b9a"),
    (lazy_gettext("Contact my officer"), OFFICER_WORDS[0], "#b7410e"),
    (lazy_gettext("Help"), HELP_WORDS[0], "#37474f"),
    (lazy_gettext("Language"), CHOOSE[0], "#00695c"),
)


def debtor_menu(locale: str = "th") -> MenuLayout:
    """The menu with its labels in `locale`, and each label's English under it."""
    with use_locale("en"):
        hints = [str(label) for label, _text, _colour in BUTTONS]
    with use_locale(locale):
        labels = [str(label) for label, _text, _colour in BUTTONS]
        chat_bar = _("Menu")
    buttons = tuple(
        MenuButton(label=label, hint=hint if hint != label else "", text=text, colour=colour)
        for label, hint, (_label, text, colour) in zip(labels, hints, BUTTONS, strict=True)
    )
    return MenuLayout(name=NAME, chat_bar_text=chat_bar, buttons=buttons)
