"""The advocacy staff's pages of events: drafting, the programme, registrations, export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.events import access, actions
from haven.events.content import public_url
from haven.events.exports import registrant_export
from haven.events.forms import (
    CodeForm,
    EventCreateForm,
    EventForm,
    ExportForm,
    MeetingForm,
    MoveForm,
    PartnerForm,
    QuestionForm,
    QuestionTextForm,
    SessionForm,
    SessionSpeakerForm,
    SpeakerForm,
    TextForm,
)
from haven.events.models import (
    Event,
    EventPartner,
    EventStatus,
    EventText,
    InvitationCode,
    PartnerRole,
    Question,
    RegistrationStatus,
    Session,
    SessionSpeaker,
)
from haven.letters.views import add_errors, form_errors, refused
from haven.ordering import answer_move
from haven.organisations.languages import language_name
from haven.privacy import audit
from haven.records.export import generate_passphrase

REGISTRATIONS_PER_PAGE = 100
LONGEST_SEARCH = 100


def _back(event: Event, name: str = "event_detail") -> str:
    return reverse(name, kwargs={"org": event.owner.slug, "event_id": event.pk})


def _post_id(request: OrganisationRequest, name: str) -> int | None:
    value = request.POST.get(name, "")[:12]
    return int(value) if value.isdecimal() else None


@organisation_view("advocacy.manage")
@require_GET
def event_list(request: OrganisationRequest) -> HttpResponse:
    events = list(access.events_of(request.organisation))
    return render(request, "events/list.html", {"events": events})


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_create(request: OrganisationRequest) -> HttpResponse:
    form = EventCreateForm(
        request.POST or None,
        initial={"language": request.LANGUAGE_CODE},
        organisation=request.organisation,
        in_use=access.languages_in_use(request.organisation),
    )
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            event = actions.create_event(
                actor=request.user,
                owner=request.organisation,
                title=values.pop("title"),
                language=form.cleaned_data["language"],
                starts_at=values.pop("starts_at"),
                ends_at=values.pop("ends_at"),
                values=values,
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(_back(event))
    status = 400 if form.is_bound else 200
    return render(request, "events/form.html", {"form": form, "event": None}, status=status)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_edit(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = EventForm(request.POST or None, initial=EventForm.initial_for(event))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_event(
                actor=request.user, event=event, changes=form.values(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_back(event))
    status = 400 if form.is_bound else 200
    return render(request, "events/form.html", {"form": form, "event": event}, status=status)


def _public_link(event: Event) -> str:
    if event.status != EventStatus.PUBLISHED:
        return ""
    try:
        return public_url(event)
    except NoReverseMatch:
        return ""


@organisation_view("advocacy.manage")
@require_GET
def event_detail(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    counts = access.counts(event)
    places_left = (
        max(0, event.capacity - event.places_taken) if event.capacity is not None else None
    )
    context = {
        "event": event,
        "counts": counts,
        "places_left": places_left,
        "public_url": _public_link(event),
        "can_publish": event.status == EventStatus.DRAFT,
        "can_cancel": event.status in actions.MOVES["cancel"],
        "can_withdraw": event.status in actions.MOVES["withdraw"],
        "anonymise_on": actions.anonymisation_due(event),
    }
    return render(request, "events/detail.html", context)


@organisation_view("advocacy.manage")
@require_POST
def event_move(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return refused(request, form_errors(form), _back(event))
    move, reason = form.cleaned_data["move"], form.cleaned_data["reason"].strip()
    if move == "withdraw" and reason and form.cleaned_data["confirm"] != "yes":
        # Nothing brings a withdrawn event back: say what it does, and ask again.
        context = {"event": event, "reason": reason, "counts": access.counts(event)}
        return render(request, "events/withdraw_confirm.html", context)
    try:
        actions.move_event(
            actor=request.user,
            event=event,
            move=move,
            reason=reason,
            request=request,
        )
    except ValidationError as error:
        return refused(request, error.messages, _back(event))
    messages.success(
        request,
        _("Withdrawn: the event is off every public page.") if move == "withdraw" else _("Saved."),
    )
    return redirect(_back(event))


def _text_form(request: OrganisationRequest, event: Event, data: Any = None) -> TextForm:
    # The original is changed on the event itself: its language is not on the menu.
    return TextForm(
        data,
        organisation=request.organisation,
        in_use=access.languages_in_use(request.organisation),
        without=[event.language],
    )


def _texts_page(
    request: OrganisationRequest,
    event: Event,
    text_form: TextForm | None = None,
    meeting_form: MeetingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    secret = actions.secret_of(event)
    context = {
        "event": event,
        "texts": list(EventText.objects.filter(event=event).order_by("language")),
        "text_form": text_form or _text_form(request, event),
        "meeting_form": meeting_form
        or MeetingForm(
            initial={"meeting_url": secret.meeting_url, "joining_details": secret.joining_details}
        ),
        "secret": secret,
    }
    return render(request, "events/texts.html", context, status=status)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_texts(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    if request.method != "POST":
        return _texts_page(request, event)
    form = _text_form(request, event, request.POST)
    if form.is_valid():
        try:
            actions.set_text(
                actor=request.user,
                event=event,
                language=form.cleaned_data["language"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Translation saved."))
            return redirect(_back(event, "event_texts"))
    return _texts_page(request, event, text_form=form, status=400)


@organisation_view("advocacy.manage")
@require_POST
def event_meeting(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = MeetingForm(request.POST)
    if form.is_valid():
        try:
            actions.set_secret(
                actor=request.user,
                event=event,
                meeting_url=form.cleaned_data["meeting_url"],
                joining_details=form.cleaned_data["joining_details"],
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Meeting link saved."))
            return redirect(_back(event, "event_texts"))
    return _texts_page(request, event, meeting_form=form, status=400)


def _direction(request: OrganisationRequest) -> str:
    return request.POST.get("direction", "")[:10]


def _partner_groups(event: Event) -> list[tuple[str, list[EventPartner]]]:
    """The event's partners under their roles, in the order the public page shows them."""
    partners = list(
        EventPartner.objects.filter(event=event)
        .select_related("organisation")
        .order_by("position", "pk")
    )
    groups = []
    for role, label in PartnerRole.choices:
        members = [partner for partner in partners if partner.role == role]
        if members:
            groups.append((str(label), members))
    return groups


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_partners(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = PartnerForm()
    if request.method == "POST":
        back = _back(event, "event_partners")
        try:
            if "move" in request.POST:
                partner_id = _post_id(request, "move")
                if partner_id is None:
                    return refused(request, [_("Choose an organisation to move.")], back)
                moved = actions.move_partner(
                    actor=request.user,
                    event=event,
                    partner_id=partner_id,
                    direction=_direction(request),
                    request=request,
                )
                return answer_move(
                    request,
                    moved=moved,
                    back=f"{back}#partner-{partner_id}",
                    template="events/_partner_list.html",
                    context={"event": event, "groups": _partner_groups(event)},
                )
            if "remove" in request.POST:
                partner_id = _post_id(request, "remove")
                if partner_id is None:
                    return refused(request, [_("Choose an organisation to remove.")], back)
                actions.remove_partner(
                    actor=request.user, event=event, partner_id=partner_id, request=request
                )
                messages.success(request, _("Removed."))
                return redirect(back)
            form = PartnerForm(request.POST)
            if form.is_valid():
                actions.add_partner(
                    actor=request.user,
                    event=event,
                    organisation=form.cleaned_data["organisation"],
                    role=form.cleaned_data["role"],
                    request=request,
                )
                messages.success(request, _("Saved."))
                return redirect(back)
        except ValidationError as error:
            if not form.is_bound:
                return refused(request, error.messages, back)
            add_errors(form, error)
    context = {"event": event, "groups": _partner_groups(event), "form": form}
    return render(request, "events/partners.html", context, status=400 if form.is_bound else 200)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def speaker_list(request: OrganisationRequest) -> HttpResponse:
    form = SpeakerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_speaker(
                actor=request.user, owner=request.organisation, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Speaker saved."))
            return redirect("speaker_list", org=request.organisation.slug)
    context = {"speakers": list(access.speakers_of(request.organisation)), "form": form}
    status = 400 if form.is_bound else 200
    return render(request, "events/speakers.html", context, status=status)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def speaker_edit(request: OrganisationRequest, speaker_id: int) -> HttpResponse:
    speaker = access.speaker_for(request.organisation, speaker_id)
    form = SpeakerForm(request.POST or None, initial=SpeakerForm.initial_for(speaker))
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_speaker(
                actor=request.user,
                owner=request.organisation,
                speaker=speaker,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Speaker saved."))
            return redirect("speaker_list", org=request.organisation.slug)
    status = 400 if form.is_bound else 200
    return render(request, "events/speaker.html", {"form": form, "speaker": speaker}, status=status)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_programme_edit(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = SessionForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            session = actions.save_session(
                actor=request.user, event=event, values=form.cleaned_data, request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Session added."))
            return redirect(
                "event_session",
                org=request.organisation.slug,
                event_id=event.pk,
                session_id=session.pk,
            )
    context = {"event": event, "sessions": access.programme_of(event), "form": form}
    status = 400 if form.is_bound else 200
    return render(request, "events/programme.html", context, status=status)


def _placements(session: Session) -> list[SessionSpeaker]:
    return list(session.speakers.select_related("speaker").order_by("position", "pk"))


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_session(request: OrganisationRequest, event_id: int, session_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    session = access.session_for(event, session_id)
    session.event = event
    speakers = access.speakers_of(request.organisation)
    form = SessionForm(initial=SessionForm.initial_for(session, event.timezone), event=event)
    speaker_form = SessionSpeakerForm(speakers=speakers)
    back = reverse(
        "event_session",
        kwargs={"org": event.owner.slug, "event_id": event.pk, "session_id": session.pk},
    )
    bound: Any = None
    if request.method == "POST":
        action = request.POST.get("action", "")[:20]
        try:
            if action == "remove":
                actions.remove_session(
                    actor=request.user, event=event, session=session, request=request
                )
                messages.success(request, _("Session removed."))
                return redirect(_back(event, "event_programme_edit"))
            if action == "move_speaker":
                placement_id = _post_id(request, "placement")
                if placement_id is None:
                    return refused(request, [_("Choose a speaker to move.")], back)
                moved = actions.move_session_speaker(
                    actor=request.user,
                    session=session,
                    placement_id=placement_id,
                    direction=_direction(request),
                    request=request,
                )
                return answer_move(
                    request,
                    moved=moved,
                    back=f"{back}#placement-{placement_id}",
                    template="events/_speaker_list.html",
                    context={
                        "event": event,
                        "session": session,
                        "placements": _placements(session),
                    },
                )
            if action == "remove_speaker":
                placement_id = _post_id(request, "placement")
                if placement_id is None:
                    return refused(request, [_("Choose a speaker to remove.")], back)
                actions.remove_session_speaker(
                    actor=request.user, session=session, placement_id=placement_id, request=request
                )
                messages.success(request, _("Removed."))
                return redirect(back)
            if action == "add_speaker":
                bound = speaker_form = SessionSpeakerForm(request.POST, speakers=speakers)
                if speaker_form.is_valid():
                    actions.add_session_speaker(
                        actor=request.user,
                        session=session,
                        speaker=speaker_form.cleaned_data["speaker"],
                        role=speaker_form.cleaned_data["role"],
                        talk_title=speaker_form.cleaned_data["talk_title"],
                        request=request,
                    )
                    messages.success(request, _("Speaker added."))
                    return redirect(back)
            elif action == "save":
                bound = form = SessionForm(request.POST, event=event)
                if form.is_valid():
                    actions.save_session(
                        actor=request.user,
                        event=event,
                        values=form.cleaned_data,
                        session=session,
                        request=request,
                    )
                    messages.success(request, _("Session saved."))
                    return redirect(back)
            else:
                return refused(request, [_("Unknown step.")], back)
        except ValidationError as error:
            if bound is None:
                return refused(request, error.messages, back)
            add_errors(bound, error)
    context = {
        "event": event,
        "session": session,
        "form": form,
        "speaker_form": speaker_form,
        "placements": _placements(session),
    }
    status = 400 if bound is not None else 200
    return render(request, "events/session.html", context, status=status)


@dataclass(frozen=True)
class _Translating:
    question: int
    language: str
    form: QuestionTextForm


def _translation_forms(
    question: Question, languages: list[str], bound: _Translating | None
) -> list[tuple[str, str, QuestionTextForm]]:
    """A form per language the question may be translated into (the one being saved, bound)."""
    texts = {text.language: text for text in question.texts.all()}
    return [
        (
            language,
            language_name(language),
            bound.form
            if bound is not None and (bound.question, bound.language) == (question.pk, language)
            else QuestionTextForm(
                initial=QuestionTextForm.initial_for(texts.get(language)),
                question=question,
                prefix=f"t{question.pk}-{language}",
            ),
        )
        for language in languages
    ]


def _question_rows(
    event: Event,
    bound: QuestionForm | None = None,
    editing: int | None = None,
    translating: _Translating | None = None,
) -> list[tuple[Question, QuestionForm, list[tuple[str, str, QuestionTextForm]]]]:
    """Each question with its form to change it in place and its translations' forms (the
    one being saved, bound)."""
    languages = access.translation_languages(event)
    return [
        (
            question,
            bound
            if bound is not None and question.pk == editing
            else QuestionForm(initial=QuestionForm.initial_for(question), prefix=f"q{question.pk}"),
            _translation_forms(question, languages, translating),
        )
        for question in access.questions_of(event)
    ]


def _translate_question(
    request: OrganisationRequest, event: Event, back: str
) -> HttpResponse | _Translating:
    """Save one translation of a question: where to go next, or the form with its errors."""
    question = access.question_on(event, _post_id(request, "translate"))
    language = request.POST.get("language", "")[:8]
    if question is None or language not in access.translation_languages(event):
        return refused(request, [_("Choose a question and one of the event's languages.")], back)
    form = QuestionTextForm(request.POST, question=question, prefix=f"t{question.pk}-{language}")
    if form.is_valid():
        try:
            actions.set_question_text(
                actor=request.user,
                event=event,
                question=question,
                language=language,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Translation saved."))
            return redirect(f"{back}#question-{question.pk}")
    return _Translating(question=question.pk, language=language, form=form)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_questions(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = QuestionForm()
    back = _back(event, "event_questions")
    bound: QuestionForm | None = None
    editing = None
    translating: _Translating | None = None
    if request.method == "POST" and "translate" in request.POST:
        outcome = _translate_question(request, event, back)
        if isinstance(outcome, HttpResponse):
            return outcome
        translating = outcome
    elif request.method == "POST":
        if "move" in request.POST:
            question_id = _post_id(request, "move")
            if question_id is None:
                return refused(request, [_("Choose a question to move.")], back)
            try:
                moved = actions.move_question(
                    actor=request.user,
                    event=event,
                    question_id=question_id,
                    direction=_direction(request),
                    request=request,
                )
            except ValidationError as error:
                return refused(request, error.messages, back)
            return answer_move(
                request,
                moved=moved,
                back=f"{back}#question-{question_id}",
                template="events/_question_list.html",
                context={"event": event, "rows": _question_rows(event)},
            )
        if "remove" in request.POST:
            question_id = _post_id(request, "remove")
            if question_id is None:
                return refused(request, [_("Choose a question to remove.")], back)
            try:
                actions.remove_question(
                    actor=request.user, event=event, question_id=question_id, request=request
                )
            except ValidationError as error:
                return refused(request, error.messages, back)
            messages.success(request, _("Removed."))
            return redirect(back)
        if "edit" in request.POST:
            editing = _post_id(request, "edit")
            question = access.question_on(event, editing)
            if question is None:
                return refused(request, [_("This question is not on the form.")], back)
            bound = QuestionForm(request.POST, prefix=f"q{question.pk}")
            if bound.is_valid():
                try:
                    actions.save_question(
                        actor=request.user,
                        event=event,
                        question=question,
                        request=request,
                        **bound.cleaned_data,
                    )
                except ValidationError as error:
                    add_errors(bound, error)
                else:
                    messages.success(request, _("Question saved."))
                    return redirect(f"{back}#question-{question.pk}")
        else:
            bound = form = QuestionForm(request.POST)
            if form.is_valid():
                try:
                    actions.save_question(
                        actor=request.user, event=event, request=request, **form.cleaned_data
                    )
                except ValidationError as error:
                    add_errors(form, error)
                else:
                    messages.success(request, _("Question added."))
                    return redirect(back)
    context = {
        "event": event,
        "rows": _question_rows(event, bound, editing, translating),
        "editing": editing,
        "translating": translating,
        "form": form,
    }
    status = 400 if bound is not None or translating is not None else 200
    return render(request, "events/questions.html", context, status=status)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_codes(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = CodeForm()
    back = _back(event, "event_codes")
    if request.method == "POST":
        if "revoke" in request.POST:
            code_id = _post_id(request, "revoke")
            if code_id is None:
                return refused(request, [_("Choose a code to revoke.")], back)
            try:
                actions.revoke_invitation_code(
                    actor=request.user, event=event, code_id=code_id, request=request
                )
            except ValidationError as error:
                return refused(request, error.messages, back)
            messages.success(request, _("Code revoked."))
            return redirect(back)
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                actions.create_invitation_code(
                    actor=request.user, event=event, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Code created."))
                return redirect(back)
    codes = list(InvitationCode.objects.filter(event=event).order_by("-created_at", "-pk"))
    context = {"event": event, "codes": codes, "form": form}
    status = 400 if form.is_bound else 200
    return render(request, "events/codes.html", context, status=status)


@organisation_view("advocacy.manage")
@require_GET
def event_registrations(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    status = request.GET.get("status", "")[:20]
    if status and status not in RegistrationStatus.values:
        return refused(request, [_("Choose one of the statuses.")], _back(event))
    search = request.GET.get("q", "").strip()
    if len(search) > LONGEST_SEARCH:
        return refused(request, [_("Search with at most 100 characters.")], _back(event))
    registrations: Any = access.registrations_of(event, status)
    if search:
        # Names are encrypted: the search runs over the decrypted rows of this event only.
        wanted = search.casefold()
        registrations = [
            row
            for row in registrations.iterator(chunk_size=2000)
            if wanted in row.name.casefold() or wanted in row.email.casefold()
        ]
    page = Paginator(registrations, REGISTRATIONS_PER_PAGE).get_page(request.GET.get("page"))
    audit.record(
        "event.registrations_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=event,
        details={"count": len(page.object_list), "status": status, "searched": bool(search)},
        request=request,
    )
    questions = list(Question.objects.filter(event=event).order_by("position", "pk"))
    rows = []
    for row in page.object_list:
        answers = row.answers
        labelled = [
            (question.label, question.answer_label(answers.get(str(question.pk), "")))
            for question in questions
        ]
        rows.append({"registration": row, "answers": labelled})
    query = urlencode({name: value for name, value in (("status", status), ("q", search)) if value})
    context = {
        "event": event,
        "page": page,
        "rows": rows,
        "status": status,
        "search": search,
        "query": query,
        "statuses": RegistrationStatus.choices,
        "counts": access.counts(event),
    }
    return render(request, "events/registrations.html", context)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_registration_detail(
    request: OrganisationRequest, event_id: int, registration_id: Any
) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    registration = access.registration_for(event, registration_id)
    registration.event = event
    back = reverse(
        "event_registration_detail",
        kwargs={"org": event.owner.slug, "event_id": event.pk, "registration_id": registration.pk},
    )
    if request.method == "POST":
        action = request.POST.get("action", "")[:20]
        try:
            if action == "cancel":
                actions.cancel_registrations(
                    event=event, registrations=[registration], actor=request.user, request=request
                )
                messages.success(request, _("Registration cancelled."))
            elif action == "revoke_link":
                actions.revoke_link(actor=request.user, registration=registration, request=request)
                if event.status == EventStatus.PUBLISHED:
                    messages.success(request, _("The link was revoked; a new one is on its way."))
                else:
                    messages.success(
                        request,
                        _("The link was revoked. The event will not take place: nothing was sent."),
                    )
            else:
                return refused(request, [_("Unknown step.")], back)
        except ValidationError as error:
            return refused(request, error.messages, back)
        return redirect(back)
    audit.record(
        "event.registration_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=event,
        details={"registration": str(registration.pk)},
        request=request,
    )
    questions = list(Question.objects.filter(event=event).order_by("position", "pk"))
    answers = [
        (question.label, question.answer_label(registration.answers.get(str(question.pk), "")))
        for question in questions
    ]
    context = {
        "event": event,
        "registration": registration,
        "answers": answers,
        "group": access.group_of(registration),
        "active": registration.status in access.ACTIVE,
    }
    return render(request, "events/registration.html", context)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def event_export(request: OrganisationRequest, event_id: int) -> HttpResponse:
    event = access.event_for(request.organisation, event_id)
    form = ExportForm(request.POST or None, initial={"passphrase": generate_passphrase()})
    if request.method == "POST" and form.is_valid():
        exported = registrant_export(
            event,
            file_format=form.cleaned_data["file_format"],
            passphrase=form.cleaned_data["passphrase"],
        )
        actions.note_export(
            actor=request.user,
            event=event,
            rows=exported.rows,
            file_format=form.cleaned_data["file_format"],
            request=request,
        )
        response = HttpResponse(exported.content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
    context = {"form": form, "event": event, "counts": access.counts(event)}
    status = 400 if form.is_bound else 200
    return render(request, "events/export.html", context, status=status)
