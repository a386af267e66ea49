"""Rendering a page template's blocks alone (app/web/templating.render_blocks): the blocks
see what the whole page would give them (imports and macros of every template in the
`extends` chain, blocks they nest), and nothing else of the page is rendered."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment, StrictUndefined

from app.web.templating import render_blocks

TEMPLATES = {
    "macros.html": "{% macro bold(x) %}<b>{{ x }}</b>{% endmacro %}",
    "base.html": "<!doctype html><html>{% block content %}{% endblock %}{{ never() }}</html>",
    "layout.html": ('{% extends "base.html" %}{% from "macros.html" import bold %}'
                    "{% block content %}<h1>{{ title }}</h1>{% block step_form %}"
                    '<section id="step-form">{{ bold(title) }}{% block step %}{% endblock %}'
                    "</section>{% endblock %}{% endblock %}"),
    "child.html": ('{% extends "layout.html" %}{% from "macros.html" import bold as strong %}'
                   "{% macro item(x) %}<i>{{ x }}</i>{% endmacro %}"
                   "{% block step %}<p>{{ strong(x) }}{{ item(x) }}</p>{% endblock %}"
                   "{% block extra %}{% if fragment %}<div hx-swap-oob=\"true\">{{ x }}</div>"
                   "{% endif %}{% endblock %}"),
}


@pytest.fixture
def env() -> Environment:
    return Environment(loader=DictLoader(TEMPLATES), undefined=StrictUndefined)


def never():
    raise AssertionError("the rest of the page must not be rendered")


def test_a_block_of_a_parent_renders_with_the_child_override_and_all_imports(env):
    html = render_blocks(env, "child.html", ["step_form"], {"title": "T", "x": 1, "never": never})
    assert html == '<section id="step-form"><b>T</b><p><b>1</b><i>1</i></p></section>'


def test_several_blocks_come_in_order(env):
    html = render_blocks(env, "child.html", ["step", "extra"],
                         {"title": "T", "x": 2, "never": never, "fragment": True})
    assert html == '<p><b>2</b><i>2</i></p><div hx-swap-oob="true">2</div>'
