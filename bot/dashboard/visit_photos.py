"""Visit photos on the debtor page: served only to staff whose areas hold the debtor.

The photos live in the instance folder (`field_photos/<yyyy>/<mm>/<message id>.jpg`, written
by handlers/officer_visit.py), never under a public URL: this route checks the login (the
blueprint) and the scope, and sends the file with no-store caching like every page.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, send_file

from bot.dashboard.auth import runtime
from bot.dashboard.blueprint import bp
from bot.dashboard.views import db_session, scope
from models.case_timeline import visit_photo

PHOTO_FOLDER = "field_photos"


@bp.get("/debtor/<int:borrower_id>/visit/<int:report_id>/photo/<int:index>")
def visit_photo_file(borrower_id: int, report_id: int, index: int):
    """The photo, or 404 for a report outside one's areas, a wrong index or a missing file."""
    relative = visit_photo(db_session(), scope(), borrower_id, report_id, index)
    if relative is None:
        abort(404)
    folder = (Path(runtime().settings.instance_path) / PHOTO_FOLDER).resolve()
    target = (Path(runtime().settings.instance_path) / relative).resolve()
    # The path comes from the database; a stored "../" must still not leave the folder.
    if not target.is_relative_to(folder) or not target.is_file():
        abort(404)
    response = send_file(target, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"  # a debtor's photo stays off any cache
    return response
