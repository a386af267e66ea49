"""Text as search compares it: case, accents and Arabic spelling variants folded, so
'gestao' finds 'Gestão' and 'اداره' finds 'إدارة'; word tokens; typo budgets; and marking
matches in the original text for highlights."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from html import escape

# Arabic letters written several ways: taa marbuta as haa, alif maqsura as yaa, the
# tatweel (kashida) that only stretches a word. Hamza-carrying alifs and diacritics are
# combining marks after NFKD and go with them.
_ARABIC = str.maketrans({"ة": "ه", "ى": "ي", "ـ": None, "ؤ": "و", "ئ": "ي"})
# Letters and digits; "_" separates words, as in Tantivy's simple tokenizer (and
# Meilisearch), or a query "snake_case" would match nothing indexed as "snake" "case".
WORD = re.compile(r"[^\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Case-, accent- and Arabic-variant-insensitive form of a text."""
    if text.isascii():  # nothing to decompose or translate (most names, codes, skills)
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.translate(_ARABIC).split())


# Words too common to mean anything in a query of many words (matching a whole request):
# English, Portuguese, French and Arabic, folded.
STOPWORDS = frozenset(fold(word) for word in """
a an and are as at be by for from in into is of on or the to with without
o os as um uma e em no na nos nas do da dos das de para por com sem ao aos que
le la les un une et en au aux du des pour par avec sans sur dans
في من على الى عن مع او و ال
""".split())


def words(text: str, drop_stopwords: bool = False) -> list[str]:
    """The folded words of a text, in order (without the very common ones if asked: for
    queries where any word may match, 'of' and 'the' would match everything)."""
    found = WORD.findall(fold(text))
    if drop_stopwords:
        found = [w for w in found if w not in STOPWORDS and len(w) > 1]
    return found


def typo_budget(word: str) -> int:
    """How many typos a query word may carry: none for short words, one from 5 letters,
    two from 9 (as Meilisearch does, so both backends forgive the same mistakes)."""
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


def within_typos(candidate: str, word: str, budget: int, prefix: bool) -> bool:
    """Whether candidate matches word with at most `budget` edits (optimal string alignment,
    so a swap of two letters is one typo); with prefix, candidate may go on after it."""
    if prefix and len(candidate) > len(word):
        candidate = candidate[:len(word) + budget]
        return any(_distance(candidate[:n], word) <= budget
                   for n in range(max(0, len(word) - budget), len(candidate) + 1))
    if abs(len(candidate) - len(word)) > budget:  # an edit changes the length by one at most
        return False
    return candidate == word if budget == 0 else _distance(candidate, word) <= budget


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance, or 3 for any more than 2 (no typo budget is
    larger): highlighting compares every word of the hits shown with every query word, in
    pure Python, so only what can still come under 3 is computed."""
    if abs(len(a) - len(b)) > 2:
        return 3
    # Each letter of one word that the other lacks takes an edit of its own.
    if len(set(a).difference(b)) > 2 or len(set(b).difference(a)) > 2:
        return 3
    # A common start or end costs nothing and takes no part in a cheaper alignment.
    start, shorter = 0, min(len(a), len(b))
    while start < shorter and a[start] == b[start]:
        start += 1
    end = 0
    while end < shorter - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    if not a or not b:
        return min(3, len(a) + len(b))
    # Every cell is at least |i - j|: only the band of width 2 around the diagonal can
    # stay under 3, the rest is left at 3.
    before: list[int] = []
    above = [min(j, 3) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        row = [min(i, 3)] + [3] * len(b)
        for j in range(max(1, i - 2), min(len(b), i + 2) + 1):
            cb = b[j - 1]
            value = above[j - 1] + (ca != cb)
            if above[j] + 1 < value:
                value = above[j] + 1
            if row[j - 1] + 1 < value:
                value = row[j - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb \
                    and before[j - 2] + 1 < value:
                value = before[j - 2] + 1
            row[j] = value if value < 3 else 3
        if min(row) == 3 and min(above) == 3:  # two rows at 3: nothing after comes lower
            return 3
        before, above = above, row
    return above[-1]


MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def query_words(text: str, matching: str) -> list[str]:
    """The words a query (SearchQuery.text and .matching) searches and marks with."""
    return words(text, drop_stopwords=matching == "any")


def marked_fields(document: dict, fields: tuple[str, ...], query_words: list[str],
                  matching: str) -> dict[str, str]:
    """A hit's highlights (SearchQuery.highlight) as the embedded backend gives them:
    each field's text (a list's items joined by " · ") with its matching words marked;
    fields without a match left out. Also for a caller that marks only the hits it shows."""
    marks = {}
    for name in fields:
        value = document.get(name)
        shown = " · ".join(value) if isinstance(value, list) else value
        marked = highlight(shown or "", query_words, prefix_last=matching == "all")
        if marked:
            marks[name] = marked
    return marks


def highlight(text: str, query_words: list[str], prefix_last: bool = True) -> str | None:
    """The text, HTML-escaped, with every word matching a query word in <mark>; None when
    nothing matches. Words are compared folded, with the same typo budget as search."""
    if not text or not query_words:
        return None
    pieces = _PIECES.split(text)
    hits = _marker(tuple(query_words), prefix_last)(pieces[1::2])
    if not hits:
        return None
    if _ESCAPED.search(text):  # never in a word: only what lies between words is escaped
        pieces[::2] = map(escape, pieces[::2])
    return "".join([MARK_OPEN + piece + MARK_CLOSE if piece in hits else piece
                    for piece in pieces])


# A text split into what lies between words and the words, alternately (split by WORD,
# kept): it starts and ends with what lies between, "" when nothing does.
_PIECES = re.compile(f"({WORD.pattern})", re.UNICODE)
# What html.escape changes.
_ESCAPED = re.compile("[&<>\"']")
# Words a query remembers having judged (per query: the same words come back in every hit).
MARKER_MEMORY = 16_384


@lru_cache(maxsize=64)
def _marker(query_words: tuple[str, ...], prefix_last: bool) -> Callable[[list[str]], set[str]]:
    """Which words of a text match one of the query's words (the same, or within the
    query word's typo budget; the last one as a prefix with prefix_last). Made once per
    query and remembering each word it judged, as the typo check is pure Python: a text's
    words are told from those judged before by set operations, and only the new ones are
    looked at; the query words are looked at once here rather than for every word."""
    same = frozenset(query_words)
    last = len(query_words) - 1
    # Words without a typo budget match only themselves (in `same`), unless a prefix. The
    # others are looked at only for words of a length they can reach within their budget.
    prefixes = [(w, typo_budget(w)) for i, w in enumerate(query_words)
                if prefix_last and i == last]
    near = [(w, typo_budget(w)) for i, w in enumerate(query_words)
            if typo_budget(w) and not (prefix_last and i == last)]
    # With their letters: a letter of one word missing from the other takes an edit of its
    # own, so words with more such letters than the budget are told apart without
    # computing the distance (the words of a hit's text are judged against several query
    # words each; _distance's own check at 3 comes to the same answer, later).
    by_length: dict[int, list[tuple[str, int, frozenset[str]]]] = {}
    for w, budget in near:
        for size in range(len(w) - budget, len(w) + budget + 1):
            by_length.setdefault(size, []).append((w, budget, frozenset(w)))
    judged: dict[str, bool] = {}
    matching: set[str] = set()  # the words judged that match

    def judge(word: str) -> bool:
        candidate = fold(word)
        if candidate in same:
            return True
        if alike := by_length.get(len(candidate)):
            letters = frozenset(candidate)
            if any(len(letters - own) <= budget and len(own - letters) <= budget
                   and within_typos(candidate, w, budget, False) for w, budget, own in alike):
                return True
        return any(within_typos(candidate, w, budget, True) for w, budget in prefixes)

    def hits(text_words: list[str]) -> set[str]:
        distinct = set(text_words)
        found = distinct & matching
        for word in distinct.difference(judged):
            marked = judge(word)
            if marked:
                found.add(word)
            if len(judged) < MARKER_MEMORY:
                judged[word] = marked
                if marked:
                    matching.add(word)
        return found

    return hits


def mark_between(text: str, open_tag: str, close_tag: str) -> str:
    """An engine's highlighted text (its own tags around matches, text unescaped) as safe
    HTML with <mark>."""
    parts = []
    for i, piece in enumerate(text.split(open_tag)):
        if i == 0:
            parts.append(escape(piece))
            continue
        inside, _, rest = piece.partition(close_tag)
        parts.append(MARK_OPEN + escape(inside) + MARK_CLOSE + escape(rest))
    return "".join(parts)
