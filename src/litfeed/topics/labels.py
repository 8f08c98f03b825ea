"""A topic's label: the phrases that set its papers apart from the rest (class-based TF-IDF,
BERTopic's recipe): each topic's titles and abstracts are one document; a phrase scores by its
share of the topic's words times log(1 + the average words of a topic / its count in all
topics). Words of research writing at large are left out, as `similar`'s reasons leave them
(the same shares, of 74,728 arXiv computer-science papers): a word said by more than 2 % of
papers alone, and a phrase made only of words said by more than 10 %; so a label reads like
"speculative decoding / draft model", never "model / method / results"."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

LABEL_TERMS = 3
_TOKENS = r"(?u)\b[^\W\d_][\w\-]*[^\W_]\b"  # words of 2+ characters, not numbers


def label_topics(
    members: Mapping[int, Sequence[int]], texts: Sequence[str], terms: int = LABEL_TERMS
) -> dict[int, str]:
    """A label per topic: ``members`` maps a topic to the rows of ``texts`` (one text per
    paper of the map, title and abstract) it holds."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not members or not texts:
        return {}
    from litfeed.search.keyword import analysed_word
    from litfeed.search.similar import common_terms, generic_terms

    analyse = analyser()
    generic, common = generic_terms(), common_terms()

    def shown(term: str) -> bool:
        parts = term.split()
        stems = [analysed_word(part) for part in parts]
        if len(parts) == 1:
            return not stems[0] & generic
        return parts[0] != parts[1] and not all(stem & common for stem in stems)

    topics = list(members)
    documents = [" ".join(texts[row] for row in members[topic]) for topic in topics]
    counting = CountVectorizer(analyzer=analyse, min_df=1)
    counts = counting.fit_transform(documents).astype(np.float64)
    names = counting.get_feature_names_out()
    keep = np.asarray([shown(str(name)) for name in names])
    totals = np.asarray(counts.sum(axis=1)).ravel()
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = totals.mean() if len(totals) else 1.0
    idf = np.log1p(average / np.maximum(frequency, 1.0))
    labels: dict[int, str] = {}
    for place, topic in enumerate(topics):
        row = counts.getrow(place).toarray().ravel()
        scores = (row / max(totals[place], 1.0)) * idf * keep
        chosen: list[str] = []
        for column in np.argsort(-scores, kind="stable"):
            if scores[column] <= 0 or len(chosen) == terms:
                break
            term = str(names[column])
            words = _stems(term)  # "skill" and "skills" alike
            if any(words <= _stems(kept) for kept in chosen):
                continue  # "decoding" beside "speculative decoding" says nothing more
            shorter = [kept for kept in chosen if _stems(kept) < words]
            if shorter:  # "speculative decoding" says more than "speculative": in its place
                chosen[chosen.index(shorter[0])] = term
                chosen = [kept for kept in chosen if kept not in shorter[1:]]
                continue
            chosen.append(term)
        labels[topic] = " / ".join(chosen) if chosen else f"topic {topic}"
    return labels


def analyser() -> Callable[[str], list[str]]:
    """A text's words and two-word phrases, as labels are made of (stop words left out)."""
    from sklearn.feature_extraction.text import CountVectorizer

    built: Callable[[str], list[str]] = CountVectorizer(
        ngram_range=(1, 2), stop_words="english", token_pattern=_TOKENS, lowercase=True
    ).build_analyzer()
    return built


def _stems(term: str) -> set[str]:
    return {word.removesuffix("s") for word in term.split()}
