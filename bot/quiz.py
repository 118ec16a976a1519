"""Quiz rules: reading an answer however it is given, rendering questions, the pass mark."""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher

from bot import messages as msg
from bot.types import Button, Reply
from rag.lessons import QuizQuestion
from rag.text import fold, normalize

LETTERS = "ABCDEFGH"
PASS_RATIO = 0.8
_LETTER = re.compile(r"^(?:cau|dap an|chon|phuong an|y)?\s*([a-h])\s*[.)]?$")
_NUMBER = re.compile(r"^(?:cau|dap an|chon|phuong an|so)?\s*([1-8])\s*[.)]?$")
_WORD_NUMBERS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5}


def parse_choice(text: str, options: tuple[str, ...]) -> int | None:
    """0-based option chosen by a letter ("b", "B."), a number ("2"), or the option's words."""
    t = fold(normalize(text)).strip(" .!?")
    if not t:
        return None
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
    return None


def pass_mark(n_questions: int, ratio: float = PASS_RATIO) -> int:
    """Correct answers needed to pass."""
    return math.ceil(n_questions * ratio - 1e-9)


def question_reply(q: QuizQuestion, index: int, total: int, attempt_id: int) -> Reply:
    """A question with its options in the text and one big button per letter."""
    lines = [msg.QUIZ_QUESTION.format(i=index + 1, n=total, question=q.question), ""]
    lines += [f"{LETTERS[i]}. {opt}" for i, opt in enumerate(q.options)]
    buttons = tuple(Button(LETTERS[i], f"/traloi {attempt_id} {index} {i}") for i in range(len(q.options)))
    return Reply("\n".join(lines), buttons + (Button(msg.BTN_STOP_QUIZ, "/dungkiemtra"),))


def feedback_text(q: QuizQuestion, chosen: int) -> str:
    """Right or wrong, and the one-line explanation."""
    if chosen == q.answer:
        head = msg.QUIZ_RIGHT
    else:
        head = msg.QUIZ_WRONG.format(letter=LETTERS[q.answer], option=q.options[q.answer])
    return f"{head}\n{q.explain}"
