"""Quiz rules: reading an answer however it is given, rendering questions, the pass mark."""

from __future__ import annotations

import math
import random
import re
from dataclasses import replace
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from bot import messages as msg
from bot import understand
from bot.types import Button, Prompt, Reply
from rag.lessons import QuizQuestion
from rag.programme import DEFAULT_PASS_RATIO
from rag.text import fold, normalize, syllables

LETTERS = "ABCDEFGH"
QUIZ_PROMPT = Prompt("quiz", "quiz", msg.QUIZ_AGAIN)
_LETTER = re.compile(r"^(?:cau|dap an|chon|phuong an|y)?\s*([a-h])\s*[.)]?$")
_NUMBER = re.compile(r"^(?:cau|dap an|chon|phuong an|so)?\s*([1-8])\s*[.)]?$")
_ORDINAL = re.compile(r"^(?:cai|cau|y|phuong an|dap an|chon)?\s*(?:cai\s+)?thu\s+(\w+)$")
_ORDINALS = {"nhat": 1, "mot": 1, "hai": 2, "nhi": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5}
_WORD_NUMBERS = {"mot": 1, "nhat": 1, "hai": 2, "nhi": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5}


def parse_choice(text: str, options: tuple[str, ...]) -> int | None:
    """0-based option chosen by a letter ("b", "B."), a number ("2"), or the option's words."""
    text = understand.settle(text)  # "b hả?", "c đúng ko": the hesitant answer
    raw = fold(normalize(text)).strip(" .!?")
    if m := _LETTER.match(raw):  # "câu A" before the polite "ạ" is taken off
        idx = LETTERS.lower().index(m.group(1))
        return idx if idx < len(options) else None
    t = " ".join(understand.words(understand.core(text), reply=True))
    t = re.sub(r"\s+(?:dung|chac|chac luon|chac chan)$", "", t)
    if not t or re.search(r"\b(?:bo qua|khong biet|khong chon|chiu thua|khong tra loi)\b", t):
        return None
    if m := _ANCHORED.search(t):
        # "chọn phương án thứ hai, vì…", "đáp án bê", "cái cuối": the choice named anywhere in the reply.
        named = _choice_word(m.group(1), len(options))
        if named is not None:
            return named
    if m := _ORDINAL.match(t):
        n = int(m.group(1)) if m.group(1).isdigit() else _ORDINALS.get(m.group(1), 0)
        return n - 1 if 1 <= n <= len(options) else None
    if m := _LETTER.match(t):
        idx = LETTERS.lower().index(m.group(1))
        return idx if idx < len(options) else None
    if m := _NUMBER.match(t):
        idx = int(m.group(1)) - 1
        return idx if idx < len(options) else None
    words = t.split()
    if len(words) <= 3 and words[-1] in _WORD_NUMBERS and words[0] in ("cau", "dap", "chon", "so", words[-1]):
        idx = _WORD_NUMBERS[words[-1]] - 1
        return idx if idx < len(options) else None
    folded = [fold(o).strip(" .") for o in options]
    if t in folded:
        return folded.index(t)
    # Typed part of an option's text: accept only a clear best match.
    ratios = [SequenceMatcher(None, t, o).ratio() for o in folded]
    contained = [i for i, o in enumerate(folded) if len(t) >= 6 and t in o]
    if len(contained) == 1:
        return contained[0]
    best = max(range(len(options)), key=lambda i: ratios[i])
    second = max((r for i, r in enumerate(ratios) if i != best), default=0.0)
    if ratios[best] >= 0.75 and ratios[best] - second >= 0.15:
        return best
    # Some of an option's words, in other order or with slips ("cup may goi tong dai", "ch pley").
    if len(t) >= 5 and not understand.asks(text):
        scores = [max(fuzz.token_set_ratio(t, o), fuzz.partial_ratio(t, o) if len(t) >= 6 else 0.0) for o in folded]
        best = max(range(len(options)), key=lambda i: scores[i])
        second_score = max((r for i, r in enumerate(scores) if i != best), default=0.0)
        if scores[best] >= 75 and scores[best] - second_score >= 12:
            return best
        return _by_content_words(t, folded)
    return None


# Words that say nothing about which option: verbs of choosing, places, fillers.
_CHOICE_FILLERS = frozenset("toi ba ong minh em con chau la cai chon dap an phuong an cau y thi tren o trong cua "
                            "hinh nhu chac vao bang qua de cho tai hang dien thoai".split())


def _word_in(w: str, option_words: list[str]) -> bool:
    return any(w == o or (len(w) == 2 and o.startswith(w)) or (len(w) >= 3 and fuzz.ratio(w, o) >= 75)
               for o in option_words)


def _by_content_words(t: str, folded: list[str]) -> int | None:
    """The one option that the typed words point to: each word found in a single option is a vote for it,
    slips allowed ("tai tren ap sto" -> "CH Play hoặc App Store…"); a word found in several options says nothing."""
    typed = [w for w in t.split() if w not in _CHOICE_FILLERS and len(w) > 1]
    if not typed:
        return None
    words_of = [re.findall(r"[a-z0-9]+", option) for option in folded]
    votes = [0] * len(folded)
    for w in typed:
        holders = [i for i, ows in enumerate(words_of) if _word_in(w, ows)]
        if len(holders) == 1:
            votes[holders[0]] += 1
    best = max(range(len(folded)), key=lambda i: votes[i])
    second = max((v for i, v in enumerate(votes) if i != best), default=0)
    if (second == 0 and votes[best] >= 1 and (votes[best] >= 2 or len(typed) <= 3)) or (
            votes[best] >= 2 and votes[best] >= 2 * second + 1):
        return best
    return None


_ANCHORED = re.compile(r"\b(?:chon|dap an|phuong an|cau|y|cai)(?: so| thu)? (\w+)\b")


def _choice_word(word: str, n: int) -> int | None:
    """An option named by one word after "đáp án/phương án/câu/cái": a letter, its spoken name, a number, an
    ordinal, "cuối" or "đầu"."""
    spoken = {"be": 1, "xe": 2, "se": 2, "de": 3, "ce": 2}
    if len(word) == 1 and word in LETTERS.lower()[:n]:
        return LETTERS.lower().index(word)
    if word in spoken and spoken[word] < n:
        return spoken[word]
    if word.isdigit() and 1 <= int(word) <= n:
        return int(word) - 1
    if word in _ORDINALS and 1 <= _ORDINALS[word] <= n:
        return _ORDINALS[word] - 1
    if word in ("cuoi", "chot"):
        return n - 1
    if word in ("dau", "dau tien"):
        return 0
    return None


# A transcript names an option by its letter as Vietnamese say it, by a number, or by its words.
_SPOKEN_LETTERS = {
    "a": 0, "á": 0,
    "b": 1, "bê": 1, "bờ": 1, "bi": 1, "bế": 1,
    "c": 2, "xê": 2, "cờ": 2, "xi": 2, "sê": 2, "si": 2, "cê": 2,
    "d": 3, "đê": 3, "dê": 3, "đờ": 3, "dờ": 3, "đi": 3, "đề": 3,
    "e": 4, "ê": 4,
}
# Words that introduce a choice ("câu B", "đáp án hai", "tôi chọn ý C").
_ANCHORS = ("đáp án", "phương án", "câu trả lời", "câu", "ý", "chọn", "số", "lựa chọn", "thứ")
# Words around a choice that carry nothing ("dạ, câu bê ạ", "tôi chọn là câu hai nhé").
_FILLERS = frozenset("dạ vâng ừ ừm ờ à ạ nhé nhá nha thì là tôi cháu bác em con mình chọn trả lời cái đó "
                     "ấy đi thôi chắc có lẽ theo ý".split())


def _spoken_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", normalize(text).lower())


def _spoken_index(word: str) -> int | None:
    """0-based option a single spoken word names: a letter as said ("bê"), a number ("hai", "2"), or None."""
    if word in _SPOKEN_LETTERS:
        return _SPOKEN_LETTERS[word]
    if word.isdigit() and 1 <= int(word) <= len(LETTERS):
        return int(word) - 1
    number = _WORD_NUMBERS.get(fold(word))
    return None if number is None else number - 1


def parse_spoken_choice(text: str, options: tuple[str, ...]) -> int | None:
    """0-based option named in a transcript ("câu bê", "đáp án hai", "A ạ", or most of an option's words);
    None when no option, or more than one, is clearly named (the question is then asked again)."""
    words = _spoken_words(text)
    if not words:
        return None
    found: set[int] = set()
    joined = " ".join(words)
    for anchor in _ANCHORS:
        for m in re.finditer(rf"(?:^| ){anchor} (\w+)", joined):
            nxt = m.group(1)
            idx = _spoken_index(nxt)
            if idx is not None:
                found.add(idx)
    rest = [w for w in words if w not in _FILLERS and w not in ("câu", "đáp", "án", "phương", "số")]
    if not found and len(rest) == 1:
        idx = _spoken_index(rest[0])
        if idx is not None:
            found.add(idx)
    if len(found) == 1:
        idx = found.pop()
        return idx if idx < len(options) else None
    if found:
        return None  # "câu A hay câu B": not sure, ask again
    return _spoken_option_words(words, options)


def _spoken_option_words(words: list[str], options: tuple[str, ...]) -> int | None:
    """The option most of whose words were said, when it clearly beats the others."""
    heard = {fold(w) for w in words if w not in _FILLERS}
    if not heard:
        return None
    scores = []
    for opt in options:
        terms = set(syllables(opt, expand=False))
        shared = len(terms & heard)
        # How much of the option was said, and how much of what was said is the option.
        scores.append(min(shared / max(1, len(terms)), 1.0) * 0.6 + shared / len(heard) * 0.4)
    best = max(range(len(options)), key=lambda i: scores[i])
    second = max((x for i, x in enumerate(scores) if i != best), default=0.0)
    if scores[best] >= 0.55 and scores[best] - second >= 0.2:
        return best
    return None


def option_orders(questions: list[QuizQuestion], rng: random.Random | None = None) -> list[list[int]]:
    """A fresh order of options for each question of an attempt, so the right answer's place teaches nothing.

    No question keeps the lesson's own order when another exists: a retry after a failed attempt does not
    show the options where the learner saw them the first time."""
    rng = rng or random.SystemRandom()
    orders = []
    for q in questions:
        order = list(range(len(q.options)))
        while True:
            rng.shuffle(order)
            if len(order) < 2 or order != list(range(len(order))):
                break
        orders.append(order)
    return orders


def in_order(q: QuizQuestion, order: list[int] | None) -> QuizQuestion:
    """The question as shown: options in `order` (lesson indices), the answer index moved with them."""
    if not order or sorted(order) != list(range(len(q.options))):
        return q
    return replace(q, options=tuple(q.options[i] for i in order), answer=order.index(q.answer))


def pass_mark(n_questions: int, ratio: float = DEFAULT_PASS_RATIO) -> int:
    """Correct answers needed to pass."""
    return math.ceil(n_questions * ratio - 1e-9)


def question_reply(q: QuizQuestion, index: int, total: int, attempt_id: int) -> Reply:
    """A question with its options in the text and one big button per letter."""
    lines = [msg.QUIZ_QUESTION.format(i=index + 1, n=total, question=q.question), ""]
    lines += [f"{LETTERS[i]}. {opt}" for i, opt in enumerate(q.options)]
    buttons = tuple(Button(LETTERS[i], f"/traloi {attempt_id} {index} {i}") for i in range(len(q.options)))
    return Reply("\n".join(lines), buttons + (Button(msg.BTN_STOP_QUIZ, "/dungkiemtra"),), prompt=QUIZ_PROMPT)


def feedback_text(q: QuizQuestion, chosen: int) -> str:
    """Right or wrong, and the one-line explanation."""
    if chosen == q.answer:
        head = msg.QUIZ_RIGHT
    else:
        head = msg.QUIZ_WRONG.format(letter=LETTERS[q.answer], option=q.options[q.answer])
    return f"{head}\n{q.explain}"
