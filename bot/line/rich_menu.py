"""A rich menu: its picture drawn from its layout, the body LINE takes, and installing it.

The picture is not a file kept beside the code: it is drawn with Pillow from the same layout
that gives LINE the tappable areas (and the chat simulator its buttons), in Sarabun, an
open-licence (OFL-1.1) Thai font that the `fontpkg-sarabun` package ships. Changing a label
or a colour is one edit, and the picture can never disagree with the areas.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import fontpkg_sarabun
from PIL import Image, ImageDraw, ImageFont

from bot.line.client import LineClient, LineError

# LINE's limits for the picture: 800 to 2500 pixels wide, at least 250 high, at least 1.45
# times as wide as high, JPEG or PNG, 1 MB at most.
MAX_IMAGE_BYTES = 1024 * 1024
FULL_SIZE = (2500, 1686)
# Space between the buttons, so each reads as its own button on a phone.
GAP = 18
BACKGROUND = "#f4f6f3"
INK = "#ffffff"


@dataclass(frozen=True)
class MenuButton:
    """One area: its words, the message a tap sends (as if typed) and its colour."""

    label: str
    hint: str
    text: str
    colour: str

    def action(self) -> dict:
        """LINE's message action: the tap sends `text` into the chat, as the user."""
        return {"type": "message", "label": self.label[:20], "text": self.text}


@dataclass(frozen=True)
class MenuLayout:
    """A grid of buttons over a picture of `size` pixels, filled row by row."""

    name: str
    chat_bar_text: str
    buttons: tuple[MenuButton, ...]
    columns: int = 3
    size: tuple[int, int] = FULL_SIZE

    @property
    def rows(self) -> int:
        return -(-len(self.buttons) // self.columns)

    def bounds(self) -> list[tuple[int, int, int, int]]:
        """x, y, width, height of each button; together they tile the picture exactly."""
        width, height = self.size
        found = []
        for index in range(len(self.buttons)):
            row, column = divmod(index, self.columns)
            left = width * column // self.columns
            right = width * (column + 1) // self.columns
            top = height * row // self.rows
            bottom = height * (row + 1) // self.rows
            found.append((left, top, right - left, bottom - top))
        return found

    def request_body(self) -> dict:
        """The body of POST /v2/bot/richmenu (LINE's RichMenuRequest)."""
        width, height = self.size
        return {
            "size": {"width": width, "height": height},
            "selected": True,
            "name": self.name,
            "chatBarText": self.chat_bar_text,
            "areas": [
                {
                    "bounds": {"x": x, "y": y, "width": w, "height": h},
                    "action": button.action(),
                }
                for button, (x, y, w, h) in zip(self.buttons, self.bounds(), strict=True)
            ],
        }


def font_file(weight: str = "Bold") -> Path:
    """A Sarabun TTF from the fontpkg-sarabun package."""
    return Path(fontpkg_sarabun.ROOT) / "files" / f"Sarabun-{weight}.ttf"


@cache
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    # Raqm (bundled with Pillow's wheels) places Thai vowels and tone marks above and below.
    return ImageFont.truetype(str(font_file(weight)), size)


def draw_png(layout: MenuLayout) -> bytes:
    """The menu's picture as PNG bytes: one rounded, coloured button per area."""
    image = Image.new("RGB", layout.size, BACKGROUND)
    pen = ImageDraw.Draw(image)
    height = layout.size[1] // layout.rows
    label_font = _font("Bold", height * 17 // 100)
    hint_font = _font("Medium", height * 8 // 100)
    for button, (x, y, w, h) in zip(layout.buttons, layout.bounds(), strict=True):
        box = (x + GAP, y + GAP, x + w - GAP, y + h - GAP)
        pen.rounded_rectangle(box, radius=h // 10, fill=button.colour)
        middle_x, middle_y = x + w / 2, y + h / 2
        label_font_fit = _fitting(pen, button.label, label_font, w - 6 * GAP)
        label_at = (middle_x, middle_y - h * 0.06)
        pen.text(label_at, button.label, font=label_font_fit, fill=INK, anchor="ms")
        if button.hint:
            hint_at = (middle_x, middle_y + h * 0.16)
            pen.text(hint_at, button.hint, font=hint_font, fill=INK, anchor="ms")
    out = io.BytesIO()
    # A palette of the few colours used keeps the file far under LINE's 1 MB.
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"the rich menu picture is {len(data)} bytes, over LINE's 1 MB")
    return data


def _fitting(pen: ImageDraw.ImageDraw, text: str, font, room: int):
    """`font`, or a smaller size of it, so that `text` fits in `room` pixels."""
    size = font.size
    while size > 20 and pen.textlength(text, font=font) > room:
        size = size * 9 // 10
        font = _font("Bold", size)
    return font


@dataclass(frozen=True)
class Installed:
    """What `install` did: the new default menu, and the older ones of that name deleted."""

    rich_menu_id: str
    replaced: tuple[str, ...]


def install(client: LineClient, layout: MenuLayout) -> Installed:
    """Create the menu, upload its picture, make it every user's default, delete older ones.

    Older menus of the same name go only once the new one is the default, so users never see
    the chat without a menu; a failed upload deletes the half-made new menu. Raises LineError.
    """
    older = [m["richMenuId"] for m in client.rich_menus() if m.get("name") == layout.name]
    rich_menu_id = client.create_rich_menu(layout.request_body())
    try:
        client.set_rich_menu_image(rich_menu_id, draw_png(layout))
        client.set_default_rich_menu(rich_menu_id)
    except LineError:
        client.delete_rich_menu(rich_menu_id)
        raise
    for old in older:
        client.delete_rich_menu(old)
    return Installed(rich_menu_id, tuple(older))


def installed(client: LineClient, name: str) -> tuple[list[dict], str | None]:
    """The menus of that name LINE has, and the id of the default menu (any name)."""
    menus = [m for m in client.rich_menus() if m.get("name") == name]
    return menus, client.get_default_rich_menu_id()


def remove(client: LineClient, name: str) -> list[str]:
    """Delete every menu of that name (LINE drops a deleted default); returns their ids."""
    menus, _default = installed(client, name)
    for menu in menus:
        client.delete_rich_menu(menu["richMenuId"])
    return [m["richMenuId"] for m in menus]
