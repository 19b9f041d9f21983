"""One e-mail goes through a real SMTP server on loopback and is read back from it."""

from __future__ import annotations

from haven.accounts.actions import invite_user


def test_an_invitation_travels_through_a_real_smtp_server_with_text_and_html(
    smtp_server, alice, north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite_user(actor=alice, organisation=north, email="newcomer@example.org", roles=["viewer"])
    assert len(smtp_server.messages) == 1
    sender, recipients, message = smtp_server.messages[0]
    assert sender == "haven@example.org"
    assert recipients == ["newcomer@example.org"]
    assert message["Subject"] == "You are invited to join North Shelter on Haven"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "/invitations/" in text.get_content()
    assert "<html" in html.get_content()
