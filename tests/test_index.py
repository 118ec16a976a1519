"""Chunking, incremental indexing by content hash, and rebuilding a damaged vector store."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.config import ROOT
from rag.embeddings import BUNDLED_MODEL_ID, BundledE5Embeddings
from rag.index import ASKS_SECTION, LexicalIndex, VectorIndex, build_chunks, collection_name
from rag.knowledge import KnowledgeBase
from rag.lessons import Topics, load_lessons

EMB = BundledE5Embeddings()


def small_knowledge(tmp: Path, ids: tuple[str, ...] = ("vneid-cai-dat", "thanh-toan-otp")) -> Path:
    (tmp / "lessons").mkdir(parents=True)
    shutil.copy(ROOT / "knowledge" / "topics.yaml", tmp / "topics.yaml")
    for lesson_id in ids:
        shutil.copy(ROOT / "knowledge" / "lessons" / f"{lesson_id}.md", tmp / "lessons")
    return tmp


def test_chunks_follow_sections_and_keep_metadata(kb: KnowledgeBase) -> None:
    chunks = build_chunks(kb.lessons)
    lesson = kb.lessons[0]
    mine = [c for c in chunks if c.lesson_id == lesson.id]
    assert len(mine) == len(lesson.sections) + 1
    assert mine[0].section == ASKS_SECTION and all(c.topics == lesson.topics for c in mine)
    assert len({c.key for c in chunks}) == len(chunks)


def test_bm25_is_accent_insensitive(kb: KnowledgeBase) -> None:
    chunks = build_chunks(kb.lessons)
    lexical = LexicalIndex(chunks)
    a, b = lexical.scores("quên mật khẩu VNeID"), lexical.scores("quen mat khau vneid")
    assert (a == b).all() and a.max() > 0


def test_incremental_sync_embeds_only_changes(tmp_path: Path) -> None:
    knowledge = small_knowledge(tmp_path / "k")
    store = tmp_path / "chroma"
    topics = Topics.load(knowledge / "topics.yaml")
    chunks = build_chunks(load_lessons(knowledge / "lessons", topics))
    first = VectorIndex(EMB, BUNDLED_MODEL_ID, "embedded", store).sync(chunks)
    assert first.embedded == len(chunks) and first.deleted == 0
    again = VectorIndex(EMB, BUNDLED_MODEL_ID, "embedded", store).sync(chunks)
    assert again.embedded == 0 and again.deleted == 0
    # Edit one section of one lesson: exactly that chunk is re-embedded.
    path = knowledge / "lessons" / "thanh-toan-otp.md"
    text = path.read_text(encoding="utf-8")
    marker = "## Cần nhớ\n"
    path.write_text(text.replace(marker, marker + "- Một dòng mới để thử.\n"), encoding="utf-8")
    chunks2 = build_chunks(load_lessons(knowledge / "lessons", topics))
    changed = VectorIndex(EMB, BUNDLED_MODEL_ID, "embedded", store).sync(chunks2)
    assert changed.embedded == 1 and changed.deleted == 1
    # Remove a lesson: its chunks are deleted, nothing is embedded.
    (knowledge / "lessons" / "thanh-toan-otp.md").unlink()
    chunks3 = build_chunks(load_lessons(knowledge / "lessons", topics))
    removed = VectorIndex(EMB, BUNDLED_MODEL_ID, "embedded", store).sync(chunks3)
    assert removed.embedded == 0 and removed.deleted == len(chunks2) - len(chunks3)


def test_damaged_store_is_rebuilt(tmp_path: Path) -> None:
    knowledge = small_knowledge(tmp_path / "k", ("vneid-cai-dat",))
    store = tmp_path / "chroma"
    kb = KnowledgeBase.load(knowledge, EMB, BUNDLED_MODEL_ID, "embedded", store)
    assert kb.sync is not None and kb.sync.embedded > 0
    for f in store.rglob("*"):
        if f.is_file():
            f.write_bytes(b"not a database")
    rebuilt = KnowledgeBase.load(knowledge, EMB, BUNDLED_MODEL_ID, "embedded", store)
    assert rebuilt.sync is not None and rebuilt.sync.embedded == kb.sync.total
    assert rebuilt.retriever.search("cài VNeID ở đâu").hits[0].lesson.id == "vneid-cai-dat"


def test_memory_mode_and_collection_names() -> None:
    assert collection_name("lessons", "multilingual-e5-small-q4") == "lessons-multilingual-e5-small-q4"
    assert collection_name("lessons", "a/b c") != collection_name("lessons", "a/b d")
    chunks = build_chunks(load_lessons(ROOT / "knowledge" / "lessons",
                                       Topics.load(ROOT / "knowledge" / "topics.yaml")))[:5]
    index = VectorIndex(EMB, BUNDLED_MODEL_ID, "memory")
    assert index.sync(chunks).embedded == 5
    assert index.search(EMB.embed_query(chunks[0].text), 1)[0][0] == chunks[0].key


def test_server_mode_against_a_real_chroma_server(tmp_path: Path) -> None:
    """`chroma.mode = server`: the same sync and search through HttpClient to `chroma run` on loopback."""
    from bench.scale_load import free_port, start_chroma

    port = free_port()
    server = start_chroma(tmp_path / "srv", port)
    try:
        knowledge = small_knowledge(tmp_path / "k", ("vneid-cai-dat",))
        chunks = build_chunks(load_lessons(knowledge / "lessons", Topics.load(knowledge / "topics.yaml")))
        index = VectorIndex(EMB, BUNDLED_MODEL_ID, "server", host="127.0.0.1", port=port)
        assert index.sync(chunks).embedded == len(chunks)
        again = VectorIndex(EMB, BUNDLED_MODEL_ID, "server", host="127.0.0.1", port=port)
        assert again.sync(chunks).embedded == 0
        assert again.search(EMB.embed_query(chunks[1].text), 1)[0][0] == chunks[1].key
    finally:
        server.terminate()
        server.wait(timeout=10)
