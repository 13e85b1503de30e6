"""bot/parse.py: a mention's link and question, read without any Slack call (the listener's old inline code)."""

from __future__ import annotations

from bot.mrkdwn import escape, unescape
from bot.parse import parse_mention


def test_a_mention_with_a_link_and_no_question_wants_the_brief():
    m = parse_mention({"text": "<@UBOT> <https://n.example/a?x=1&amp;y=2|story>", "ts": "1.0"})
    assert m.url == "https://n.example/a?x=1&y=2" and not m.wants_answer and not m.in_thread


def test_a_question_keeps_its_words_without_the_mention_or_the_link():
    m = parse_mention({"text": "<@UBOT> who are the partners in https://n.example/b ?", "thread_ts": "1.0"})
    assert m.url == "https://n.example/b" and m.question == "who are the partners in ?" and m.wants_answer
    assert m.in_thread


def test_in_a_thread_the_link_comes_from_the_first_message_when_the_mention_has_none():
    m = parse_mention({"text": "<@UBOT> what did Sorensen say?", "thread_ts": "1.0"})
    assert m.url is None
    found = m.with_thread_link("New deal: <https://n.example/c>")
    assert found.url == "https://n.example/c" and found.question == "what did Sorensen say?"
    own = parse_mention({"text": "<@UBOT> https://n.example/own", "thread_ts": "1.0"})
    assert own.with_thread_link("<https://n.example/other>").url == "https://n.example/own"


def test_escape_is_html_escape_without_quotes_and_unescape_undoes_only_slacks_three():
    assert escape('a & <b> "q" \'s\'') == 'a &amp; &lt;b&gt; "q" \'s\''
    assert escape("\u202eexe.txt") == "exe.txt" and escape(None) == ""
    assert unescape("AT&amp;T &lt;3 &amp;lt; &quot;") == "AT&T <3 &lt; &quot;"
