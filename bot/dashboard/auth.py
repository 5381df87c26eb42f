"""Logging in and out: the form, the session, and who the logged-in person is."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from bot.dashboard.blueprint import bp, render_page
from bot.dashboard.labels import role_label
from bot.i18n import _
from bot.runtime import Runtime
from models.staff_login import attempt_login, load_login, scope_of


@dataclass(frozen=True)
class DashboardUser:
    """The logged-in person, read once per request: who they are and what they may see."""

    login_id: int
    username: str
    name: str
    role: str
    scope: tuple[str, ...]

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.login_id)

    @property
    def role_label(self) -> str:
        return role_label(self.role)


def runtime() -> Runtime:
    """The app's settings and database."""
    return current_app.extensions["fundbot"]


def load_user(user_id: str) -> DashboardUser | None:
    """Flask-Login's loader: the active login of this id, with its scope."""
    if not user_id.isdigit():
        return None
    rt = runtime()
    with rt.db.sessions() as db_session:
        login = load_login(db_session, int(user_id))
        return None if login is None else _user_of(login, rt.settings.province)


def _user_of(login, province: str) -> DashboardUser:
    return DashboardUser(
        login_id=login.id,
        username=login.username,
        name=login.staff.name,
        role=str(login.staff.role),
        scope=tuple(scope_of(login.staff, province)),
    )


class LoginForm(FlaskForm):
    """Username and password (the CSRF token comes with FlaskForm)."""

    username = StringField(validators=[DataRequired(), Length(max=64)])
    password = PasswordField(validators=[DataRequired(), Length(max=256)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; after five failures in 15 minutes the username is locked."""
    form = LoginForm()
    error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            rt = runtime()
            with rt.db.session() as db_session:
                result = attempt_login(db_session, form.username.data, form.password.data)
                user = _user_of(result.login, rt.settings.province) if result.login else None
            if user is not None:
                # A fresh session on login: nothing from before survives (session fixation).
                session.clear()
                session.permanent = True
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            if result.locked:
                error = _("Too many failed attempts. Try again in 15 minutes.")
                status = 429
            else:
                error = _("Wrong username or password.")
                status = 401
        else:
            error = _("Enter your username and password.")
            status = 400
    return render_page("dashboard/login.html", status, form=form, error=error)


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if target and target.startswith(("/staff", "/simulator")) and not target.startswith("//"):
        return target
    return url_for("dashboard.overview")


def simulator_login_check():
    """The simulator's login check: staff only; a page goes to the login form, the API 401s."""
    if current_user.is_authenticated:
        return None
    if request.path.startswith("/simulator/api"):
        response = jsonify(error=_("Log in to the staff dashboard first."))
        response.status_code = 401
        return response
    return redirect(url_for("dashboard.login", next=request.path))


@bp.post("/logout")
@login_required
def logout():
    """End the session (a POST with the CSRF token, so no other site can log you out)."""
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"))
