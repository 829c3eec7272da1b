"""The people's vocabulary in the backend: region administrators add and change synonym groups (written like a
line of ``synonyms.txt``), and see which searches that found nothing a group would now answer (issue 20,
point 1). Every process uses a change at its next search."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from welfarepoint import search
from welfarepoint.catalog import taxonomy
from welfarepoint.extensions import db
from welfarepoint.insights import demand
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.helpers import requires
from welfarepoint.vocabulary import synonyms
from welfarepoint.vocabulary.models import SearchSynonym

#: Searches that found nothing, the most frequent first, that a group being curated is tried on.
TRIED_SEARCHES = 300


class SynonymForm(FlaskForm):
    """One group of the vocabulary."""

    line = StringField(
        _l("Group"),
        description=_l(
            "Ways of saying one thing, separated by |, optionally after the need codes they name in brackets: "
            "[summer_closure] cred | centro ricreativo estivo"
        ),
        validators=[DataRequired(), Length(max=1000)],
    )

    def validate_line(self, field) -> None:
        text = " ".join((field.data or "").split())
        groups, names = synonyms.parse(text)
        if not groups and not names:
            raise ValidationError(
                gettext("Write at least two ways of saying it, or one after the codes it names.")
            )
        known = set(taxonomy.need_codes()) | set(taxonomy.codes("categories")) | set(synonyms.MARKS)
        unknown = sorted({code for group in groups for code in group.codes} - known)
        if unknown:
            raise ValidationError(gettext("Unknown codes: %(codes)s.", codes=", ".join(unknown)))
        field.data = text


def _zero_result_searches() -> list[str]:
    """The searches of the last year that found nothing, only those made often enough to be shown (the same
    threshold as the insights page: a rare search may say something about the one person who made it)."""
    period = demand.Period.last_weeks(52)
    return [text for text, _count in demand.zero_result_searches(period, TRIED_SEARCHES)]


def _page(form: SynonymForm, group: SearchSynonym | None, status: int = 200):
    answered = None
    if request.method == "POST" and request.form.get("action") == "preview" and not form.errors:
        answered = search.newly_answered(_zero_result_searches(), form.line.data)
    groups = db.session.execute(select(SearchSynonym).order_by(SearchSynonym.id)).scalars()
    return (
        render_template(
            "manage/vocabulary.html", form=form, groups=list(groups), group=group, answered=answered
        ),
        status,
    )


@bp.route("/vocabulary", methods=["GET", "POST"])
@requires("vocabulary")
def vocabulary():
    """The groups curated in the backend; add one (after seeing which searches it would answer)."""
    form = SynonymForm()
    if request.method == "POST" and form.validate() and request.form.get("action") != "preview":
        db.session.add(SearchSynonym(line=form.line.data, author=current_user.email))
        db.session.commit()
        flash(gettext("The group is in use: every search uses it from now on."), "success")
        return redirect(url_for("manage.vocabulary"))
    return _page(form, None, 400 if form.errors else 200)


@bp.route("/vocabulary/<int:group_id>", methods=["GET", "POST"])
@requires("vocabulary")
def edit_vocabulary(group_id: int):
    """Change or remove one curated group."""
    group = db.get_or_404(SearchSynonym, group_id)
    if (
        request.method == "POST" and request.form.get("action") == "delete"
    ):  # the form token is checked for all
        db.session.delete(group)
        db.session.commit()
        flash(gettext("The group is removed."), "success")
        return redirect(url_for("manage.vocabulary"))
    form = SynonymForm(obj=group) if request.method == "GET" else SynonymForm()
    if request.method == "POST" and form.validate() and request.form.get("action") != "preview":
        group.line, group.author = form.line.data, current_user.email
        db.session.commit()
        flash(gettext("The group is in use: every search uses it from now on."), "success")
        return redirect(url_for("manage.vocabulary"))
    return _page(form, group, 400 if form.errors else 200)
