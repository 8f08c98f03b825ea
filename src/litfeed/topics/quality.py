"""How well a topic's label hangs together: normalised pointwise mutual information (NPMI) of
its phrases over the papers (Bouma 2009; the coherence measure of Lau et al. 2014, which
follows human judgements best among the cheap ones): for two phrases a and b of a label,

    NPMI(a, b) = ln(p(a, b) / (p(a) p(b))) / −ln p(a, b)

where p(x) is the share of papers whose title and abstract contain x; 1 when they always come
together, 0 when independent, −1 when never. A label's coherence is the mean over its pairs;
the map's the mean over its labels (`bench/topics.py` reports it)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from litfeed.topics.labels import analyser


def coherence(labels: Sequence[Sequence[str]], texts: Sequence[str]) -> list[float]:
    """The NPMI coherence of each label (its phrases) over ``texts``; NaN for a label of
    fewer than two phrases."""
    from sklearn.feature_extraction.text import CountVectorizer

    vocabulary = sorted({phrase for label in labels for phrase in label})
    if not vocabulary or not texts:
        return [float("nan")] * len(labels)
    column = {phrase: n for n, phrase in enumerate(vocabulary)}
    present = CountVectorizer(analyzer=analyser(), vocabulary=vocabulary, binary=True)
    matrix = present.fit_transform(texts).tocsc().astype(np.float64)
    papers = matrix.shape[0]
    scores = []
    for label in labels:
        pairs = list(combinations([column[p] for p in label], 2))
        if not pairs:
            scores.append(float("nan"))
            continue
        values = []
        for a, b in pairs:
            p_a = matrix[:, a].sum() / papers
            p_b = matrix[:, b].sum() / papers
            p_ab = matrix[:, a].multiply(matrix[:, b]).sum() / papers
            if p_ab == 0:
                values.append(-1.0)
            elif p_ab == 1:
                values.append(1.0)
            else:
                values.append(float(np.log(p_ab / (p_a * p_b)) / -np.log(p_ab)))
        scores.append(float(np.mean(values)))
    return scores
