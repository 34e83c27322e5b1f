"""Plain-text mode: the visible-lines dump of a page and the learned line scorer's inputs."""

from __future__ import annotations

import json
from html import escape

from cleaner.boilerplate.html import visible_text


def test_visible_text_of_a_script_rendered_thread_is_its_posts() -> None:
    # A Discourse thread shows nothing until its script runs; a browser then shows the posts.
    posts = [{"cooked": "<p>First post of the thread.</p>"}, {"cooked": "<p>A reply, with <b>bold</b>.</p>"}]
    topic = json.dumps({"post_stream": {"posts": posts}})
    html = f'<body><section id="splash"></section><div data-preloaded="{escape(json.dumps({"topic_7": topic}))}">'
    assert visible_text(html) == "First post of the thread.\n\nA reply, with bold."
    # A page with text of its own keeps it, and the data is not added.
    assert visible_text(html.replace("</section>", "Loading the forum</section>")) == "Loading the forum"
    assert visible_text("<body></body>") == ""
