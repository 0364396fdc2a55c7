"""Flask-WTF forms: field rendering, CSRF and input-shape validation (rules live in services)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from app.services.pages import MAX_SUMMARY_CHARS, MAX_TITLE_CHARS
from app.services.tokens import MAX_NAME_CHARS, Scope
from app.services.users import MIN_PASSWORD_LENGTH

PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters; not one of the most common passwords."


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField(
        "Username", validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class SignupForm(FlaskForm):  # type: ignore[misc]
    username = StringField(
        "Username",
        validators=[DataRequired(), Length(min=2, max=32)],
        description="Lowercase letters, digits, dots, dashes and underscores.",
        render_kw={"autocomplete": "username"},
    )
    name = StringField(
        "Full name",
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        "Work email", validators=[DataRequired()], render_kw={"autocomplete": "email"}
    )
    department = SelectField("Department", validators=[DataRequired()], choices=[])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=MAX_NAME_CHARS)],
        description="What uses it, for example “nightly export”.",
    )
    scope = SelectField(
        "Access",
        choices=[
            SelectChoice(Scope.READ.value, "Read only: GET requests"),
            SelectChoice(Scope.WRITE.value, "Read and write: edits, reviews, comments"),
        ],
        default=Scope.READ.value,
    )
    expires = SelectField(
        "Expires",
        choices=[
            SelectChoice("30", "In 30 days"),
            SelectChoice("90", "In 90 days"),
            SelectChoice("365", "In a year"),
            SelectChoice("", "Never"),
        ],
        default="90",
        validators=[Optional()],
    )


class PageForm(FlaskForm):  # type: ignore[misc]
    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE_CHARS)])
    body = TextAreaField("Content (Markdown)", validators=[DataRequired()])
    tags = StringField("Tags", description="Comma-separated, for example: onboarding, laptops")
    department = SelectField("Department", choices=[], validators=[Optional()])
    space = SelectField("Space", choices=[], validators=[Optional()])
    parent = StringField(
        "Under page",
        validators=[Optional(), Length(max=MAX_TITLE_CHARS)],
        description="The title of the page it sits under; empty: the top of the space.",
    )
    summary = StringField(
        "Edit summary",
        validators=[Optional(), Length(max=MAX_SUMMARY_CHARS)],
        description="What did you change, and why? Reviewers read this first.",
    )
    base_revision_id = HiddenField()


class DepartmentForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=80)])
    description = StringField("Description", validators=[Optional(), Length(max=300)])


class ActionForm(FlaskForm):  # type: ignore[misc]
    """A button-only form (archive, restore, sign out): just the CSRF token."""


# ---- spaces ---------------------------------------------------------------------------------


class SpaceForm(FlaskForm):  # type: ignore[misc]
    name = StringField("Name", validators=[DataRequired(), Length(min=2, max=120)])
    slug = StringField(
        "Address", validators=[Optional(), Length(max=80)],
        description="The end of /spaces/…; empty: made from the name.",
    )  # fmt: skip
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    home_page = StringField(
        "Home page", validators=[Optional(), Length(max=MAX_TITLE_CHARS)],
        description="The title of an existing page: it moves to the top of the new space.",
    )  # fmt: skip
    members = StringField("Members", description="Usernames, comma-separated.")
    maintainers = StringField(
        "Maintainers", description="Usernames, comma-separated: they manage members and settings."
    )
    review_interval_days = IntegerField(
        "Review interval (days)", default=180, validators=[NumberRange(1, 3650)],
        description="How long a page stays verified before it is due again.",
    )  # fmt: skip
    verify_cross_department = BooleanField("Verification needs someone from another department")
    feedback_threshold = IntegerField(
        "Feedback threshold", default=3, validators=[NumberRange(1, 100)],
        description="“Didn't work” reports that flag a page for its owners.",
    )  # fmt: skip
    required_approvals = IntegerField(
        "Approvals needed", validators=[Optional(), NumberRange(1, 10)],
        description="Empty: the department's or the wiki's rule.",
    )  # fmt: skip


class MemberForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Username", validators=[DataRequired(), Length(max=32)])
    role = SelectField(
        "Role",
        choices=[SelectChoice("member", "Member"), SelectChoice("maintainer", "Maintainer")],
        default="member",
    )


class MoveForm(FlaskForm):  # type: ignore[misc]
    space = SelectField("Space", choices=[])
    parent = StringField(
        "Under page", validators=[Optional(), Length(max=MAX_TITLE_CHARS)],
        description="The title of the page it goes under; empty: the top of the space.",
    )  # fmt: skip
    position = IntegerField(
        "Position", validators=[Optional(), NumberRange(0, 100_000)],
        description="Its order among its siblings (0 first); empty: last.",
    )  # fmt: skip


def usernames(values: list[str]) -> list[str]:
    """The usernames of a reviewer picker: checked boxes and comma-separated text fields."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]
