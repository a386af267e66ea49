"""Text as search compares it: case, accents and Arabic spelling variants folded, so
'gestao' finds 'Gestão' and 'اداره' finds 'إدارة'; word tokens; typo budgets; and marking
matches in the original text for highlights."""

from __future__ import annotations

import re
import unicodedata
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
    if abs(len(a) - len(b)) > 2:
        return 3
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, rows[-2][j - 2] + 1)
            row.append(value)
        rows.append(row)
    return rows[-1][-1]


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
    out, last, found = [], 0, False
    wanted = tuple(query_words)  # hashable, for _marked's cache
    for match in WORD.finditer(text):
        if _marked(match.group(), wanted, prefix_last):
            found = True
            out.append(escape(text[last:match.start()]))
            out.append(MARK_OPEN + escape(match.group()) + MARK_CLOSE)
            last = match.end()
    if not found:
        return None
    out.append(escape(text[last:]))
    return "".join(out)


@lru_cache(maxsize=16_384)
def _marked(word: str, query_words: tuple[str, ...], prefix_last: bool) -> bool:
    """Whether a word of a text matches a query word. Cached: the same words come back in
    every hit of a search (and the typo check is pure Python)."""
    candidate = fold(word)
    return any(candidate == w or within_typos(candidate, w, typo_budget(w),
                                              prefix_last and i == len(query_words) - 1)
               for i, w in enumerate(query_words))


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
