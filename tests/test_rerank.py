"""The reranker: what its features measure, how it is trained and where it may and may not change an answer."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np
import pytest

from bot.answers import Answerer
from bot.cli.rerank import choose, cmd_rerank, cross_validate, fit
from bot.config import Settings
from rag.knowledge import KnowledgeBase
from rag.rerank import FEATURES, RERANK_FILE, Reranker, UnitVocabulary, unit_features


def test_coverage_counts_rare_words_more_and_reads_one_way_of_asking_alone() -> None:
    vocab = UnitVocabulary([
        ("đổi số điện thoại trên VNeID", "quên mật khẩu VNeID", "Vào mục tài khoản, chọn đổi số."),
        ("đổi điện thoại mới thì VNeID ra sao", "Đăng nhập trên máy mới, xác thực lại."),
        ("VNeID là gì", "Ứng dụng định danh điện tử của Bộ Công an."),
    ])
    whole, one, pair = vocab.coverage("doi so dien thoai vneid", 0)
    assert whole == pytest.approx(1.0) and one == pytest.approx(1.0) and pair > 0.5
    # The second unit lacks "số": the rarer word, so it covers less than the share of words it has.
    whole2, _, pair2 = vocab.coverage("doi so dien thoai vneid", 1)
    assert whole2 < whole and pair2 < pair
    # Words spread over two ways of asking cover the unit as a whole, not one way of asking.
    whole3, one3, _ = vocab.coverage("quen mat khau doi so", 0)
    assert whole3 == pytest.approx(1.0) and one3 < 0.9
    assert vocab.coverage("thì làm sao", 0) == (0.0, 0.0, 0.0)  # nothing but the frame of a question


class _Table:
    def __init__(self) -> None:
        # Unit 0: chunks 0–1 (answer 1); unit 1: chunks 2–3 (answer 3).
        self.unit_chunks = [np.array([0, 1]), np.array([2, 3])]
        self.unit_answer = np.array([1, 3])


def test_a_hidden_way_of_asking_is_read_as_if_never_written_and_comes_back() -> None:
    texts = [("đổi số điện thoại vneid", "quên mật khẩu vneid", "Vào mục tài khoản."),
             ("chuyển tiền nhầm", "Gọi ngân hàng.")]
    vocab = UnitVocabulary(texts)
    query = "quen mat khau vneid"
    before = vocab.coverage(query, 0)
    vocab.hide({0: {1}})
    assert vocab.coverage(query, 0) == UnitVocabulary([(texts[0][0], texts[0][2]), texts[1]]).coverage(query, 0)
    assert vocab.coverage(query, 0) != before
    vocab.hide({})
    assert vocab.coverage(query, 0) == before
    assert vocab.coverage("goi ngan hang chuyen nham", 1)[2] == 0.5  # "goi_ngan", "ngan_hang" of its 4 pairs


def test_the_shipped_model_prefers_the_unit_that_says_what_was_asked_only_when_the_first_ranking_is_close() -> None:
    reranker = Reranker.load()
    assert reranker is not None, "rag/rerank.json is shipped with the package"
    vocab = UnitVocabulary([
        ("chuyển tiền nhầm tài khoản", "Gọi ngân hàng của bác ngay."),
        ("chuyển tiền nhầm tài khoản ngân hàng đã báo không đòi được thì sao",
         "Đề nghị ngân hàng tra soát, rồi báo công an."),
    ])
    query = "ngân hàng báo không đòi được tiền chuyển nhầm"
    dense = np.array([0.86, 0.80, 0.85, 0.82])
    lex = np.array([3.0, 1.0, 4.0, 1.5])
    vote = 1 / 61
    close = unit_features(_Table(), vocab, query, [0, 1], np.array([0.050, 0.049]), vote, dense, lex)
    assert reranker.order(close)[0] == 1
    far = unit_features(_Table(), vocab, query, [0, 1], np.array([0.050, 0.050 - 6 * vote]), vote, dense, lex)
    assert reranker.order(far)[0] == 0
    assert list(FEATURES) == json.loads(RERANK_FILE.read_text(encoding="utf-8"))["features"]


def test_a_weights_file_for_other_features_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "rerank.json"
    path.write_text(json.dumps({"features": ["value_gap"], "weights": [1.0]}), encoding="utf-8")
    assert Reranker.load(path) is None
    assert Reranker.load(tmp_path / "missing.json") is None


def test_training_learns_which_candidate_the_judges_scored_higher() -> None:
    rng = np.random.default_rng(7)
    data = []
    for q in range(120):
        rows = rng.normal(size=(5, len(FEATURES)))
        coverage = rows[:, FEATURES.index("coverage")]
        scores = np.where(coverage == coverage.max(), 2.0, np.where(coverage > 0, 1.0, 0.0))
        data.append((f"site{q % 17}", rows, scores))
    weights = fit(data, 1.0)
    assert weights[FEATURES.index("coverage")] == max(weights)
    chosen, _ = cross_validate(data, 1.0)
    assert sum(s == 2 for s in chosen) >= 110  # learnt on other sites' questions
    assert choose(weights, data[0][1]) == int(np.argmax(data[0][1][:, FEATURES.index("coverage")]))


def test_training_refuses_labels_of_test_split_questions(tmp_path: Path, settings: Settings) -> None:
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"id": "rq9999", "question": "?"}) + "\n", encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "rq9999", "keys": ["a", "b"], "scores": [2, 0]}) + "\n", encoding="utf-8")
    args = argparse.Namespace(labels=[labels], questions=[test], test=test, penalty=[1.0], save=False,
                              hide_near=0.5)
    with pytest.raises(SystemExit, match="tune split only"):
        cmd_rerank(settings, args, io.StringIO())


@pytest.mark.parametrize("question", [
    "đổi số điện thoại đăng ký vneid thế nào",
    "chuyen nham tien ngan hang bao khong doi duoc thi sao",
    "nguoi xung cong an goi bat cai ung dung",
    "quét mã QR trên căn cước báo lỗi",
])
def test_the_reranker_only_chooses_among_the_units_found_and_never_decides_to_ask_back(
        kb: KnowledgeBase, question: str) -> None:
    retriever = kb.retriever
    kept = retriever.reranker
    assert kept is not None, "the tests run with the shipped reranker"
    answerer = Answerer(kb)
    with_it = answerer.answer(question)
    try:
        retriever.use_reranker(None)
        without = answerer.answer(question)
    finally:
        retriever.use_reranker(kept)
    assert {u.key for u in with_it.retrieval.units} == {u.key for u in without.retrieval.units}
    assert with_it.retrieval.units[1:] == [u for u in without.retrieval.units if u != with_it.retrieval.units[0]]
    assert with_it.kind == without.kind  # asked back, answered, warned: the first ranking's decision


def test_labels_of_one_question_from_several_rounds_are_joined() -> None:
    """A question judged again once the knowledge grew keeps one label: every unit judged, the later score standing."""
    from bot.cli.rerank import merged

    joined = merged([{"id": "rq1", "keys": ["q:a", "q:b"], "scores": [2, 0]},
                     {"id": "rq2", "keys": ["q:a"], "scores": [1]},
                     {"id": "rq1", "keys": ["q:b", "q:c"], "scores": [1, 2]}])
    assert joined == [{"id": "rq1", "keys": ["q:a", "q:b", "q:c"], "scores": [2, 1, 2]},
                      {"id": "rq2", "keys": ["q:a"], "scores": [1]}]
