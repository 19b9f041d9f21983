"""The advocacy staff's pages of news posts: writing, translating, linking, publishing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.letters.actions import check_language
from haven.letters.views import add_errors, form_errors, refused
from haven.news import access, actions
from haven.news.forms import (
    AddLanguageForm,
    LinkForm,
    MoveForm,
    PostCreateForm,
    PostDetailsForm,
    TextForm,
)
from haven.news.models import Post, PostStatus
from haven.news.public_views import post_url, render_post
from haven.ordering import answer_move
from haven.organisations.languages import language_name


def _back(post: Post, name: str = "news_detail") -> str:
    return reverse(name, kwargs={"org": post.owner.slug, "post_id": post.pk})


def _post_id(request: OrganisationRequest, name: str) -> int | None:
    value = request.POST.get(name, "")[:12]
    return int(value) if value.isdecimal() else None


@organisation_view("advocacy.manage")
@require_GET
def news_list(request: OrganisationRequest) -> HttpResponse:
    language = request.LANGUAGE_CODE
    rows = [
        {
            "post": post,
            "text": access.text_in(post, language),
            "languages": [language_name(code) for code in access.languages_of(post)],
            "public": access.is_public(post),
        }
        for post in access.posts_of(request.organisation)
    ]
    return render(request, "news/list.html", {"rows": rows})


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def news_create(request: OrganisationRequest) -> HttpResponse:
    form = PostCreateForm(
        request.POST or None,
        initial={"language": request.LANGUAGE_CODE},
        organisation=request.organisation,
        in_use=access.languages_in_use(request.organisation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            post = actions.create_post(
                actor=request.user,
                owner=request.organisation,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Draft saved. Link the events and letters it is about."))
            return redirect(_back(post))
    status = 400 if form.is_bound else 200
    return render(request, "news/create.html", {"form": form}, status=status)


def _links_context(request: OrganisationRequest, post: Post) -> dict[str, Any]:
    language = request.LANGUAGE_CODE
    return {
        "post": post,
        "links": [(link, access.card_of(link, language)) for link in access.links_of(post)],
    }


@organisation_view("advocacy.manage")
@require_GET
def news_detail(request: OrganisationRequest, post_id: int) -> HttpResponse:
    post = access.post_for(request.organisation, post_id)
    language = request.LANGUAGE_CODE
    context = {
        **_links_context(request, post),
        "text": access.text_in(post, post.language),
        "text_languages": [(code, language_name(code)) for code in access.languages_of(post)],
        "is_public": access.is_public(post),
        "public_url": post_url(post) if access.is_public(post) else "",
        "move_form": MoveForm(),
        "add_language_form": AddLanguageForm(
            existing=access.languages_of(post),
            organisation=request.organisation,
            in_use=access.languages_in_use(request.organisation),
        ),
        "link_form": LinkForm(choices=access.linkable(request.organisation, language)),
    }
    return render(request, "news/detail.html", context)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def news_edit(request: OrganisationRequest, post_id: int) -> HttpResponse:
    post = access.post_for(request.organisation, post_id)
    form = PostDetailsForm(
        request.POST or None, initial={"hashtags": post.hashtags, "publish_at": post.publish_at}
    )
    if request.method == "POST" and form.is_valid():
        changes = {"hashtags": form.cleaned_data["hashtags"]}
        if not access.is_public(post):
            changes["publish_at"] = form.cleaned_data["publish_at"]
        try:
            actions.update_post(actor=request.user, post=post, changes=changes, request=request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(_back(post))
    status = 400 if form.is_bound else 200
    context = {"form": form, "post": post, "is_public": access.is_public(post)}
    return render(request, "news/edit.html", context, status=status)


@organisation_view("advocacy.manage")
@require_POST
def news_add_language(request: OrganisationRequest, post_id: int) -> HttpResponse:
    post = access.post_for(request.organisation, post_id)
    form = AddLanguageForm(request.POST)
    if not form.is_valid():
        return refused(request, form_errors(form), _back(post))
    return redirect(
        "news_text",
        org=request.organisation.slug,
        post_id=post.pk,
        lang=form.cleaned_data["language"],
    )


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def news_text(request: OrganisationRequest, post_id: int, lang: str) -> HttpResponse:
    post = access.post_for(request.organisation, post_id)
    existing = post.texts.filter(language=lang[:8]).first()
    if existing is None:
        try:
            check_language(lang)
        except ValidationError as error:
            raise Http404 from error
    if request.method == "POST" and "remove" in request.POST:
        try:
            actions.remove_text(actor=request.user, post=post, language=lang, request=request)
        except ValidationError as error:
            return refused(request, error.messages, _back(post))
        messages.success(request, _("Translation removed."))
        return redirect(_back(post))
    initial = (
        {"title": existing.title, "summary": existing.summary, "body": existing.body}
        if existing
        else {}
    )
    form = TextForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_text(
                actor=request.user,
                post=post,
                language=lang,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Text saved."))
            return redirect(_back(post))
    original = access.text_in(post, post.language)
    context = {
        "form": form,
        "post": post,
        "language": lang,
        "language_name": language_name(lang),
        "original": original if lang != post.language else None,
        "is_new": existing is None,
        "is_original": lang == post.language,
    }
    status = 400 if form.is_bound else 200
    return render(request, "news/text.html", context, status=status)


@organisation_view("advocacy.manage")
@require_POST
def news_links(request: OrganisationRequest, post_id: int) -> HttpResponse:
    post = access.post_for(request.organisation, post_id)
    back = _back(post)
    try:
        if "move" in request.POST:
            link_id = _post_id(request, "move")
            if link_id is None:
                return refused(request, [_("Choose a card to move.")], back)
            moved = actions.move_link(
                actor=request.user,
                post=post,
                link_id=link_id,
                direction=request.POST.get("direction", "")[:10],
                request=request,
            )
            return answer_move(
                request,
                moved=moved,
                back=f"{back}#link-{link_id}",
                template="news/_link_list.html",
                context=_links_context(request, post),
            )
        if "remove" in request.POST:
            link_id = _post_id(request, "remove")
            if link_id is None:
                return refused(request, [_("Choose a card to remove.")], back)
            actions.remove_link(actor=request.user, post=post, link_id=link_id, request=request)
            messages.success(request, _("Removed."))
            return redirect(f"{back}#links-heading")
        form = LinkForm(
            request.POST, choices=access.linkable(request.organisation, request.LANGUAGE_CODE)
        )
        if not form.is_valid():
            return refused(request, form_errors(form), back)
        kind, item_id = form.item()
        actions.add_link(actor=request.user, post=post, kind=kind, item_id=item_id, request=request)
    except ValidationError as error:
        return refused(request, error.messages, back)
    messages.success(request, _("Linked."))
    return redirect(f"{back}#links-heading")


@organisation_view("advocacy.manage")
@require_POST
def news_move(request: OrganisationRequest, post_id: int) -> HttpResponse:
    post = access.post_for(request.organisation, post_id)
    form = MoveForm(request.POST)
    back = _back(post)
    if not form.is_valid():
        return refused(request, form_errors(form), back)
    try:
        if form.cleaned_data["move"] == "delete":
            actions.delete_post(actor=request.user, post=post, request=request)
            messages.success(request, _("Draft deleted."))
            return redirect("news_list", org=request.organisation.slug)
        moved = actions.move_post(
            actor=request.user,
            post=post,
            move=form.cleaned_data["move"],
            publish_at=form.cleaned_data["publish_at"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as error:
        return refused(request, error.messages, back)
    status = PostStatus(moved.status).label
    messages.success(request, _("The post is now “%(status)s”.") % {"status": status})
    return redirect(back)


@organisation_view("advocacy.manage")
@require_GET
def news_preview(request: OrganisationRequest, post_id: int) -> HttpResponse:
    post = access.post_for(request.organisation, post_id)
    language = request.GET.get("lang", "")[:8] or post.language
    return render_post(request, post, language, preview=True)
