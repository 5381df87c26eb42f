"""Funds: the province's Women's Development Fund and each village's KKCJ fund."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.area import Area, village_label
from models.base import Base
from models.types import FundKind, enum_type


class Fund(Base):
    """A lending fund; a KKCJ fund belongs to one village, the Women's Fund to a province."""

    __tablename__ = "fund"
    __table_args__ = (UniqueConstraint("kind", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FundKind] = mapped_column(enum_type(FundKind, "fund_kind"))
    name: Mapped[str] = mapped_column(String(200))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)

    area: Mapped[Area] = relationship()

    def __repr__(self) -> str:
        return f"<Fund {self.kind} {self.name}>"


# What people write for each fund, compared after fund_word_key: the one vocabulary that the
# register import, the chat and the command line all read.
_FUND_WORDS = {
    FundKind.WOMENS_FUND: (
        "womens_fund",
        "women",
        "กองทุนพัฒนาบทบาทสตรี",
        "กองทุนสตรี",
        "สตรี",
        "สกส",
    ),
    FundKind.KKCJ: ("kkcj", "กขคจ", "กองทุนกขคจ", "โครงการกขคจ"),
}


def fund_word_key(text: str) -> str:
    """A fund word as compared: case folded, without spaces, dots, dashes or underscores."""
    return "".join(ch for ch in text.casefold() if ch not in " ._-\u200b")


_KIND_BY_WORD = {fund_word_key(word): kind for kind, words in _FUND_WORDS.items() for word in words}


def fund_kind_from_text(text: str) -> FundKind | None:
    """The fund a person means by `text` ("กข.คจ.", "kkcj", "กองทุนพัฒนาบทบาทสตรี"...), if any."""
    return _KIND_BY_WORD.get(fund_word_key(text))


def fund_name(kind: FundKind, area: Area) -> str:
    """The one name of a fund: the province's Women's Fund, or the village's KKCJ fund."""
    if kind is FundKind.WOMENS_FUND:
        return f"กองทุนพัฒนาบทบาทสตรีจังหวัด{area.name}"
    village = village_label(area.village_no, area.name)
    if village != area.name:
        village = f"{village} {area.name}"  # "หมู่ 3 บ้านหนองน้ำ"
    subdistrict = area.parent
    district = subdistrict.parent if subdistrict is not None else None
    where = "".join(
        f" {prefix}{a.name}" for prefix, a in (("ต.", subdistrict), ("อ.", district)) if a
    )
    return f"กองทุน กข.คจ. {village}{where}"
