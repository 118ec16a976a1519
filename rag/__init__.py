"""Knowledge in, passages out: lessons, chunks, embeddings, indexes and retrieval."""
