"""Words for the debtor timeline (models/case_timeline.py): what each event is, how it stands."""

from __future__ import annotations

from bot.i18n import _


def event_label(kind: str) -> str:
    """What kind of event it is, as a short heading."""
    return {
        "payment": _("Payment"),
        "reversal": _("Reversal"),
        "relief": _("Relief measure"),
        "reminder": _("Reminder"),
        "visit": _("Visit"),
        "note": _("Note"),
        "promise": _("Promise to pay"),
        "hardship": _("Hardship request"),
        "slip": _("Transfer slip"),
        "link": _("LINE"),
        "case": _("Collection case"),
    }.get(kind, kind)


def state_label(kind: str, state: str | None) -> str:
    """How the event stands, in words ("" when there is nothing to say)."""
    if state is None:
        return ""
    words = {
        "reminder": {
            "planned": _("planned"),
            "sending": _("being sent"),
            "sent": _("sent"),
            "failed": _("failed"),
            "held": _("held back (monthly quota)"),
            "dropped": _("dropped (no longer due)"),
            "visit_instead": _("not on LINE: a visit instead"),
        },
        "promise": {
            "open": _("awaiting its date"),
            "kept": _("kept"),
            "partial": _("partly kept"),
            "broken": _("broken"),
            "reversed": _("cancelled"),
        },
        "hardship": {"open": _("awaiting a decision")},
        "link": {
            "link_code.issue": _("link code issued"),
            "link": _("linked"),
            "unlink": _("unlinked"),
        },
        "case": {"open": _("opened"), "close": _("closed: the arrears are cleared")},
        "visit": {"reversed": _("cancelled")},
        "note": {"reversed": _("cancelled")},
    }
    return words.get(kind, {}).get(state, state)


def measure_label(measure: str | None) -> str:
    """The relief a hardship request asks for."""
    return {"moratorium": _("moratorium"), "restructure": _("restructuring")}.get(
        measure or "", _("not said")
    )


def map_link(location: dict) -> str:
    """OpenStreetMap at the visit's coordinates (a link the reader follows, nothing loaded)."""
    lat, lon = location.get("latitude"), location.get("longitude")
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


TIMELINE_LABELS = {
    "event_label": event_label,
    "state_label": state_label,
    "measure_label": measure_label,
    "map_link": map_link,
}
