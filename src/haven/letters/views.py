"""Pages of letters: the owner's drafting and workflow, signing for an organisation, and the
public pages (the letter in each language, the request to sign, its confirmation, a counter)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django_scopes import scope

from haven.abuse.addresses import normalise_email
from haven.abuse.ratelimit import check_public_submission
from haven.accounts.tenancy import OrganisationRequest, organisation_view, public_view
from haven.letters import access, actions
from haven.letters.content import (
    Format,
    embed_code,
    hashtag_list,
    plain_summary,
    render_markdown,
    share_links,
)
from haven.letters.exports import public_signatory_file, signatory_export
from haven.letters.forms import (
    AddLanguageForm,
    ArrangeForm,
    CategoryForm,
    DecisionForm,
    ExportForm,
    LetterCreateForm,
    LetterDetailsForm,
    MoveForm,
    RequestForm,
    SignForm,
    TextForm,
)
from haven.letters.models import Letter, LetterStatus, SignatureStatus
from haven.mail.compose import absolute_url
from haven.organisations.languages import language_name
from haven.privacy import audit
from haven.records.export import generate_passphrase

# An embedded counter may sit on any site; it shows a number and a link, nothing else.
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNTER_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"


def add_errors(form: Any, error: ValidationError) -> None:
    """Put an action's refusal next to the fields it names, the rest above the form."""
    if hasattr(error, "error_dict"):
        for name, found in error.message_dict.items():
            form.add_error(name if name in form.fields else None, found)
    else:
        form.add_error(None, error.messages)


def form_errors(form: Any) -> list[str]:
    return [" ".join(error.messages) for found in form.errors.as_data().values() for error in found]


def _lines(text: str) -> list[str]:
    """The non-blank lines of a multi-line field, such as the addressees."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def refused(request: HttpRequest, errors: list[str], back: str) -> HttpResponse:
    """The answer to a small form posted from another page that could not be acted on."""
    return render(request, "letters/refused.html", {"errors": errors, "back": back}, status=400)


# --- the owner's pages --------------------------------------------------------------------


@organisation_view("advocacy.manage")
@require_GET
def letter_list(request: OrganisationRequest) -> HttpResponse:
    letters = list(access.letters_of(request.organisation))
    return render(request, "letters/list.html", {"letters": letters})


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def letter_create(request: OrganisationRequest) -> HttpResponse:
    form = LetterCreateForm(
        request.POST or None,
        initial={"language": request.LANGUAGE_CODE, "signatory_order": "alphabetical"},
        organisation=request.organisation,
        in_use=access.languages_in_use(request.organisation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            letter = actions.create_letter(
                actor=request.user,
                owner=request.organisation,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                language=form.cleaned_data["language"],
                values=form.letter_values(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("letter_detail", org=request.organisation.slug, letter_id=letter.pk)
    status = 400 if form.is_bound else 200
    return render(request, "letters/create.html", {"form": form}, status=status)


def _owner_context(request: OrganisationRequest, letter: Letter) -> dict[str, Any]:
    languages = access.languages_of(letter)
    return {
        "letter": letter,
        "text": access.text_in(letter, letter.original_language),
        "text_languages": [(code, language_name(code)) for code in languages],
        "is_public": access.is_public(letter),
    }


@organisation_view("advocacy.manage")
@require_GET
def letter_detail(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    waiting = list(
        access.signatures_of(letter, SignatureStatus.PENDING, SignatureStatus.UNCONFIRMED).order_by(
            "requested_at"
        )
    )
    context = {
        **_owner_context(request, letter),
        "groups": access.grouped_signatories(letter, letter.original_language),
        "count": access.approved_count(letter),
        "requests": [signature for signature in waiting if not signature.signed_in_haven],
        "haven_requests": [signature for signature in waiting if signature.signed_in_haven],
        "move_form": MoveForm(),
        "add_language_form": AddLanguageForm(
            existing=access.languages_of(letter),
            organisation=request.organisation,
            in_use=access.languages_in_use(request.organisation),
        ),
        "public_url": absolute_url(
            reverse("letter_public", kwargs={"org": letter.owner.slug, "letter": letter.slug})
        ),
        "request_url": absolute_url(
            reverse("letter_request", kwargs={"org": letter.owner.slug, "letter": letter.slug})
        ),
    }
    return render(request, "letters/detail.html", context)


@organisation_view("advocacy.manage")
@require_GET
def letter_preview(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    language = request.GET.get("lang", "")[:8] or letter.original_language
    return _render_public(request, letter, language, preview=True)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def letter_edit(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    initial = {name: getattr(letter, name) for name in actions.LETTER_FIELDS}
    form = LetterDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_letter(
                actor=request.user, letter=letter, changes=form.letter_values(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("letter_detail", org=request.organisation.slug, letter_id=letter.pk)
    status = 400 if form.is_bound else 200
    return render(request, "letters/edit.html", {"form": form, "letter": letter}, status=status)


@organisation_view("advocacy.manage")
@require_POST
def letter_add_language(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    form = AddLanguageForm(request.POST, existing=access.languages_of(letter))
    if not form.is_valid():
        back = reverse(
            "letter_detail", kwargs={"org": request.organisation.slug, "letter_id": letter.pk}
        )
        return refused(request, form_errors(form), back)
    return redirect(
        "letter_text",
        org=request.organisation.slug,
        letter_id=letter.pk,
        lang=form.cleaned_data["language"],
    )


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def letter_text(request: OrganisationRequest, letter_id: int, lang: str) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    try:
        # "EN" typed in the address is English: never an empty form that would overwrite it.
        lang = actions.check_language(lang[:8])
    except ValidationError as error:
        raise Http404 from error
    existing = letter.texts.filter(language=lang).first()
    original = access.text_in(letter, letter.original_language)
    initial = {name: getattr(existing, name) for name in actions.TEXT_FIELDS} if existing else {}
    form = TextForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_text(
                actor=request.user,
                letter=letter,
                language=lang,
                values=form.cleaned_data,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Text saved."))
            return redirect("letter_detail", org=request.organisation.slug, letter_id=letter.pk)
    status = 400 if form.is_bound else 200
    context = {
        "form": form,
        "letter": letter,
        "language": lang,
        "language_name": language_name(lang),
        "original": original if lang != letter.original_language else None,
        "is_new": existing is None,
        "has_signatures": access.has_live_signatures(letter),
    }
    return render(request, "letters/text.html", context, status=status)


@organisation_view("advocacy.manage")
@require_POST
def letter_move(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    form = MoveForm(request.POST)
    back = reverse(
        "letter_detail", kwargs={"org": request.organisation.slug, "letter_id": letter.pk}
    )
    if not form.is_valid():
        return refused(request, form_errors(form), back)
    try:
        actions.move_letter(
            actor=request.user,
            letter=letter,
            move=form.cleaned_data["move"],
            reason=form.cleaned_data["reason"],
            publish_at=form.cleaned_data["publish_at"],
            request=request,
        )
    except ValidationError as error:
        return refused(request, error.messages, back)
    status = LetterStatus(actions.MOVES[form.cleaned_data["move"]][1]).label
    messages.success(request, _("The letter is now “%(status)s”.") % {"status": status})
    return redirect(back)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def letter_categories(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    others = [code for code in access.languages_of(letter) if code != letter.original_language]
    form = CategoryForm(request.POST or None, languages=others)
    if request.method == "POST" and form.is_valid():
        try:
            values = form.changes()
            actions.add_category(
                actor=request.user,
                letter=letter,
                name=values["name"],
                translations=values["translations"],
                position=values.get("position"),
                open_to_requests=values["open_to_requests"],
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Group added."))
            return redirect("letter_categories", org=request.organisation.slug, letter_id=letter.pk)
    categories = [
        (
            category,
            CategoryForm(
                initial={
                    "name": category.name,
                    "position": category.position,
                    "open_to_requests": category.open_to_requests,
                    **{f"name_{code}": category.translations.get(code, "") for code in others},
                },
                languages=others,
                prefix=f"c{category.pk}",
            ),
        )
        for category in access.categories_of(letter)
    ]
    status = 400 if form.is_bound else 200
    return render(
        request,
        "letters/categories.html",
        {"letter": letter, "form": form, "categories": categories},
        status=status,
    )


@organisation_view("advocacy.manage")
@require_POST
def letter_category(request: OrganisationRequest, letter_id: int, category_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    category = access.category_for(letter, category_id)
    back = reverse(
        "letter_categories", kwargs={"org": request.organisation.slug, "letter_id": letter.pk}
    )
    try:
        if request.POST.get("delete"):
            actions.delete_category(actor=request.user, category=category, request=request)
            messages.success(request, _("Group removed."))
            return redirect(back)
        others = [code for code in access.languages_of(letter) if code != letter.original_language]
        form = CategoryForm(request.POST, languages=others, prefix=f"c{category.pk}")
        if not form.is_valid():
            return refused(request, form_errors(form), back)
        actions.update_category(
            actor=request.user, category=category, changes=form.changes(), request=request
        )
    except ValidationError as error:
        return refused(request, error.messages, back)
    messages.success(request, _("Changes saved."))
    return redirect(back)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def letter_signature(
    request: OrganisationRequest, letter_id: int, signature_id: uuid.UUID
) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    signature = access.signature_for(letter, signature_id)
    categories = access.categories_of(letter)
    suggestions = access.directory_suggestions(signature.name, str(signature.country or ""))
    match = access.strong_match(signature, suggestions)
    already = access.signature_of(letter, match) if match is not None else None
    decision = DecisionForm(
        request.POST if "decision" in request.POST else None,
        categories=categories,
        suggestions=suggestions,
        initial={
            "category": signature.category_id,
            "directory_entry": str(match.pk) if match is not None else "",
        },
    )
    arrange = ArrangeForm(
        request.POST if "position" in request.POST else None,
        categories=categories,
        initial={"category": signature.category_id, "position": signature.position},
    )
    if request.method == "POST":
        try:
            if decision.is_bound and decision.is_valid():
                actions.decide_request(
                    actor=request.user,
                    signature=signature,
                    approve=decision.cleaned_data["decision"] == "approve",
                    category=decision.cleaned_data["category"],
                    directory_entry=decision.chosen_entry(),
                    reason=decision.cleaned_data["reason"],
                    request=request,
                )
                messages.success(request, _("Decision saved; the signer is told by e-mail."))
                return redirect("letter_detail", org=request.organisation.slug, letter_id=letter.pk)
            if arrange.is_bound and arrange.is_valid():
                actions.arrange_signature(
                    actor=request.user,
                    signature=signature,
                    category=arrange.cleaned_data["category"],
                    position=arrange.cleaned_data["position"],
                    request=request,
                )
                messages.success(request, _("Changes saved."))
                return redirect("letter_detail", org=request.organisation.slug, letter_id=letter.pk)
            if not (decision.is_bound or arrange.is_bound):
                decision.add_error(None, _("Choose a decision."))
        except ValidationError as error:
            add_errors(decision if decision.is_bound else arrange, error)
    # The page shows the signer's name and e-mail, as the API's list does: both audited.
    audit.record(
        "letter.signature_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=letter,
        details={"signature_id": str(signature.pk)},
        request=request,
    )
    context = {
        "letter": letter,
        "signature": signature,
        "decision_form": decision,
        "arrange_form": arrange,
        "suggestions": suggestions,
        "may_decide": signature.status == SignatureStatus.PENDING,
        "match": match,
        "already_signed": already is not None and already.pk != signature.pk,
    }
    return render(
        request, "letters/signature.html", context, status=400 if request.method == "POST" else 200
    )


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def letter_export(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_for(request.organisation, letter_id)
    form = ExportForm(request.POST or None, initial={"passphrase": generate_passphrase()})
    if request.method == "POST" and form.is_valid():
        exported = signatory_export(
            letter,
            file_format=form.cleaned_data["file_format"],
            passphrase=form.cleaned_data["passphrase"],
        )
        actions.note_export(
            actor=request.user,
            letter=letter,
            rows=exported.rows,
            file_format=form.cleaned_data["file_format"],
            request=request,
        )
        response = HttpResponse(exported.content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
    status = 400 if form.is_bound else 200
    return render(request, "letters/export.html", {"form": form, "letter": letter}, status=status)


# --- signing in an organisation's name ----------------------------------------------------


@organisation_view("advocacy.sign_for_organisation")
@require_GET
def letters_to_sign(request: OrganisationRequest) -> HttpResponse:
    letters = list(access.letters_to_sign())
    mine = access.signatures_by(request.organisation)
    rows = [
        (letter, access.text_in(letter, request.LANGUAGE_CODE), mine.get(letter.pk))
        for letter in letters
    ]
    return render(request, "letters/to_sign.html", {"rows": rows})


@organisation_view("advocacy.sign_for_organisation")
@require_http_methods(["GET", "POST"])
def letter_sign(request: OrganisationRequest, letter_id: int) -> HttpResponse:
    letter = access.letter_to_sign(letter_id)
    organisation = request.organisation
    signature = access.signature_of(letter, organisation)
    form = SignForm(request.POST if request.POST.get("step") == "sign" else None)
    if request.method == "POST":
        step = request.POST.get("step", "")
        try:
            if step == "sign" and form.is_valid():
                with scope(organisation=letter.owner):
                    actions.sign_as_organisation(
                        actor=request.user,
                        letter=letter,
                        organisation=organisation,
                        signer_role=form.cleaned_data["signer_role"],
                        request=request,
                    )
                messages.success(
                    request, _("Signed in the name of %(name)s.") % {"name": organisation.name}
                )
                return redirect("letter_sign", org=organisation.slug, letter_id=letter.pk)
            if step == "withdraw" and signature is not None:
                actions.withdraw_signature(actor=request.user, signature=signature, request=request)
                messages.success(request, _("Your organisation's signature is withdrawn."))
                return redirect("letter_sign", org=organisation.slug, letter_id=letter.pk)
            if step == "confirm" and signature is not None:
                actions.confirm_version(actor=request.user, signature=signature, request=request)
                messages.success(request, _("Your signature now stands for the current text."))
                return redirect("letter_sign", org=organisation.slug, letter_id=letter.pk)
            if step not in ("sign", "withdraw", "confirm"):
                messages.error(request, _("Choose what to do."))
        except ValidationError as error:
            add_errors(form, error)
    language = request.GET.get("lang", "")[:8] or request.LANGUAGE_CODE
    version = request.GET.get("version", "")
    text: Any = access.text_in(letter, language)
    shown = (
        access.version_of(letter, int(version))
        if version.isdecimal() and len(version) < 6
        else None
    )
    old_texts = shown.texts if shown is not None else None
    addressees = letter.addressees
    if old_texts and shown is not None:
        text = old_texts.get(text.language) or next(iter(old_texts.values()))
        # The version a signatory signed went to the addressees of that version.
        addressees = shown.addressees
    context = {
        "letter": letter,
        "text": text,
        "addressees": _lines(addressees),
        "body_html": render_markdown(text["body"] if isinstance(text, dict) else text.body),
        "showing_version": int(version) if old_texts else None,
        "signature": signature,
        "form": form,
        "accepts": access.accepts_signatures(letter),
        "text_languages": [(code, language_name(code)) for code in access.languages_of(letter)],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "letters/sign.html", context, status=status)


# --- public pages -------------------------------------------------------------------------


def _public_urls(letter: Letter, language: str | None = None) -> dict[str, str]:
    kwargs = {"org": letter.owner.slug, "letter": letter.slug}
    counter = reverse("letter_counter", kwargs=kwargs)
    if language and language != letter.original_language:
        counter += "?" + urlencode({"lang": language})
    return {
        "page": absolute_url(access.public_path(letter, language)),
        "counter": absolute_url(counter),
        "csv": reverse("letter_signatories_csv", kwargs=kwargs),
        "xlsx": reverse("letter_signatories_xlsx", kwargs=kwargs),
        "request": absolute_url(reverse("letter_request", kwargs=kwargs)),
    }


def _render_public(
    request: HttpRequest, letter: Letter, language: str, *, preview: bool = False
) -> HttpResponse:
    with scope(organisation=letter.owner):
        text = access.text_in(letter, language)
        groups = access.grouped_signatories(letter, text.language)
        count = access.approved_count(letter)
        languages = access.languages_of(letter)
    urls = _public_urls(letter, text.language)
    tags = hashtag_list(letter.hashtags)
    context = {
        "letter": letter,
        "text": text,
        "body_html": render_markdown(text.body),
        "annex_html": render_markdown(text.annex),
        "footnote_html": render_markdown(text.footnote),
        "evidence": _lines(text.evidence),
        "addressees": _lines(letter.addressees),
        "groups": groups,
        "count": count,
        "text_languages": [(code, language_name(code)) for code in languages],
        "alternates": [
            (code, absolute_url(access.public_path(letter, code))) for code in languages
        ],
        "urls": urls,
        "share": share_links(urls["page"], text.title, tags),
        "embed_code": embed_code(urls["counter"], text.title),
        "hashtags": tags,
        "summary": plain_summary(text.body),
        "preview": preview,
        "withdrawn": letter.status == LetterStatus.WITHDRAWN,
        "accepts": access.accepts_signatures(letter),
    }
    return render(request, "letters/public.html", context)


def _gone(request: HttpRequest, letter: Letter, language: str = "") -> HttpResponse | None:
    """The 410 of a withdrawn letter: its title, who withdrew it, when and why, without its
    text or its signatories (docs/decisions/0042); None for a letter still public."""
    if letter.status != LetterStatus.WITHDRAWN:
        return None
    with scope(organisation=letter.owner):
        text = access.text_in(letter, language or letter.original_language)
    context = {"letter": letter, "title": text.title, "language": text.language}
    response = render(request, "letters/withdrawn.html", context, status=410)
    # As a withdrawn event's 410 (events.public_views._gone): no cache keeps a copy.
    response["Cache-Control"] = "no-store"
    return response


@public_view
@require_safe
def letter_public(request: HttpRequest, org: str, letter: str) -> HttpResponse:
    found = access.public_letter(org, letter)
    if (gone := _gone(request, found)) is not None:
        return gone
    return _render_public(request, found, found.original_language)


@public_view
@require_safe
def letter_public_language(request: HttpRequest, org: str, letter: str, lang: str) -> HttpResponse:
    found = access.public_letter(org, letter)
    # A language the text was never in is not found, withdrawn or not.
    with scope(organisation=found.owner):
        if lang not in access.languages_of(found):
            raise Http404
    if (gone := _gone(request, found, lang[:8])) is not None:
        return gone
    return _render_public(request, found, lang)


@public_view
@xframe_options_exempt
@require_safe
def letter_counter(request: HttpRequest, org: str, letter: str) -> HttpResponse:
    found = access.public_letter(org, letter)
    # Framed on other sites, a count would go on inviting support for a withdrawn text: the
    # frame still draws something, a plain "Withdrawn", with the 410 of every other address.
    withdrawn = found.status == LetterStatus.WITHDRAWN
    with scope(organisation=found.owner):
        count = 0 if withdrawn else access.approved_count(found)
        text = access.text_in(found, request.GET.get("lang", "")[:8] or found.original_language)
    response = render(
        request,
        "letters/counter.html",
        {
            "count": count,
            "title": text.title,
            "url": _public_urls(found, text.language)["page"],
            "withdrawn": withdrawn,
        },
        status=410 if withdrawn else 200,
    )
    response["Content-Security-Policy"] = COUNTER_POLICY
    # A live count may lag a minute behind (a withdrawal too, at worst); the withdrawn
    # answer is never kept, like the letter's other 410s.
    response["Cache-Control"] = "no-store" if withdrawn else "public, max-age=60"
    return response


@public_view
@require_safe
def letter_signatories_file(
    request: HttpRequest, org: str, letter: str, file_format: Format
) -> HttpResponse:
    found = access.public_letter(org, letter)
    if (gone := _gone(request, found)) is not None:
        return gone
    name, content = public_signatory_file(found, found.original_language, file_format)
    kind = "text/csv; charset=utf-8" if file_format == "csv" else XLSX_TYPE
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@public_view
@require_http_methods(["GET", "HEAD", "POST"])
def letter_request(request: HttpRequest, org: str, letter: str) -> HttpResponse:
    found = access.letter_open_to_requests(org, letter)
    language = request.GET.get("lang", "")[:8] or request.LANGUAGE_CODE
    with scope(organisation=found.owner):
        text = access.text_in(found, language)
        categories = [c for c in access.categories_of(found) if c.open_to_requests]
        languages = access.languages_of(found)
        accepts = access.accepts_signatures(found) and bool(categories)
        form = RequestForm(
            request.POST if request.method == "POST" and accepts else None,
            categories=categories,
            language=text.language,
        )
        if request.method == "POST" and accepts:
            if form.is_valid():
                data = form.cleaned_data
                check_public_submission(
                    request,
                    scope="letter-request",
                    address=normalise_email(data["signer_email"]),
                    target=found.pk,
                )
                try:
                    actions.request_signature(
                        letter=found,
                        name=data["name"],
                        country=data["country"],
                        website=data["website"],
                        category=data["category"],
                        signer_name=data["signer_name"],
                        signer_role=data["signer_role"],
                        signer_email=data["signer_email"],
                        language=request.LANGUAGE_CODE,
                    )
                except ValidationError as error:
                    add_errors(form, error)
                else:
                    return redirect("letter_request_sent", org=found.owner.slug, letter=found.slug)
            else:
                check_public_submission(request, scope="letter-request")
    context = {
        "letter": found,
        "text": text,
        "addressees": _lines(found.addressees),
        "body_html": render_markdown(text.body),
        "form": form,
        "accepts": accepts,
        "text_languages": [(code, language_name(code)) for code in languages],
        "is_public": access.is_public(found),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "letters/request.html", context, status=status)


@public_view
@require_safe
def letter_request_sent(request: HttpRequest, org: str, letter: str) -> HttpResponse:
    found = access.letter_open_to_requests(org, letter)
    return render(request, "letters/request_sent.html", {"letter": found})


@public_view
@require_http_methods(["GET", "HEAD", "POST"])
def letter_request_confirm(request: HttpRequest, org: str, letter: str, token: str) -> HttpResponse:
    found = access.letter_open_to_requests(org, letter)
    signature = access.signature_from_token(found, token)
    if signature is None:
        return render(request, "letters/confirm_invalid.html", {"letter": found}, status=400)
    # A mail scanner that follows the link only GETs this page; the button POSTs.
    confirmed = False
    if request.method == "POST":
        with scope(organisation=found.owner):
            signature = actions.confirm_request(signature=signature)
        confirmed = True
    return render(
        request,
        "letters/confirm.html",
        {
            "letter": found,
            "signature": signature,
            "confirmed": confirmed or signature.status != SignatureStatus.UNCONFIRMED,
            "now": timezone.now(),
        },
    )
