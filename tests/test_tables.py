"""The box a wide table scrolls in takes the keyboard's focus and is named (haven/tables.py)."""

from __future__ import annotations

from django.template import engines


def render(source: str, **context: object) -> str:
    return engines["django"].from_string("{% load haven_tables %}" + source).render(context)


def test_the_box_is_a_focusable_region_named_by_the_tables_caption() -> None:
    html = render(
        '{% table_scroll "stays" %}<table><caption id="stays">Stays</caption></table>'
        "{% endtable_scroll %}"
    )
    assert html == (
        '<div class="table-scroll" role="region" aria-labelledby="stays" tabindex="0">'
        '<table><caption id="stays">Stays</caption></table></div>'
    )


def test_an_id_given_in_parts_is_joined_and_escaped() -> None:
    html = render(
        '{% table_scroll "grid-" key %}<table></table>{% endtable_scroll %}', key='7"><b>'
    )
    assert 'aria-labelledby="grid-7&quot;&gt;&lt;b&gt;"' in html
    assert "<b>" not in html


def test_the_table_inside_is_not_escaped_twice() -> None:
    html = render(
        '{% table_scroll "t" %}<table><td>{{ name }}</td></table>{% endtable_scroll %}',
        name="Ana & <Ben>",
    )
    assert "<table><td>Ana &amp; &lt;Ben&gt;</td></table>" in html
