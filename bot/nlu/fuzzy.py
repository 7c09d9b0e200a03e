"""Typo-tolerant lookup of single-word medication names (no third-party dependency)."""

from __future__ import annotations

from collections.abc import Iterable


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance, or ``limit + 1`` once it exceeds ``limit``.

    Counts insertions, deletions, substitutions and swaps of adjacent letters.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        row_min = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            row_min = min(row_min, value)
        if row_min > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def max_edits(length: int) -> int:
    """Edits tolerated for a name of this length: none below 5 letters, 1 up to 7, then 2."""
    if length < 5:
        return 0
    return 1 if length <= 7 else 2


class FuzzyIndex:
    """Finds the lexicon term closest to a misspelt word.

    Terms are bucketed by first letter (patients rarely misspell the first letter), so a
    lookup compares against a few dozen names at most. Results are memoised per word.
    """

    def __init__(self, terms: Iterable[str], min_length: int = 5) -> None:
        self.min_length = min_length
        self._buckets: dict[str, list[str]] = {}
        for term in sorted(set(terms)):
            if len(term) >= min_length and term.isalpha():
                self._buckets.setdefault(term[0], []).append(term)
        self._cache: dict[str, tuple[str, int] | None] = {}

    def lookup(self, word: str) -> tuple[str, int] | None:
        """Return (term, distance) for the closest term within tolerance, else None."""
        word = word.lower()
        if word in self._cache:
            return self._cache[word]
        result = self._search(word)
        if len(self._cache) < 50_000:
            self._cache[word] = result
        return result

    def _search(self, word: str) -> tuple[str, int] | None:
        if len(word) < self.min_length or not word.isalpha():
            return None
        best: tuple[str, int] | None = None
        for term in self._buckets.get(word[0], ()):
            limit = max_edits(len(term))
            if best is not None:
                limit = min(limit, best[1] - 1)
            if limit <= 0 or abs(len(term) - len(word)) > limit:
                continue
            distance = osa_distance(word, term, limit)
            if distance <= limit:
                best = (term, distance)
        return best
