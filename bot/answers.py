"""Turning a question into an extractive answer: kind, a short text from the best section, sources."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

from bot import messages as msg
from bot.mistake_signs import CHARGED, LATER_STORY, RECOVERY_FEE
from bot.relatives import about_relative
from bot.scam_signs import CALL_DEMAND, FOUND_OUT, TAKEN_OVER, words
from bot.situation import (
    CALM,
    MISTAKE,
    PAY_NOW,
    SCAM_NOW,
    Situation,
    SituationModel,
    classify,
    never_decline,
    route,
    scam_signals,
)
from bot.story_acts import goods_handed
from bot.types import Button, Reply
from bot.visit_signs import written_only
from rag.kinds import question_kind
from rag.knowledge import KnowledgeBase
from rag.lessons import Lesson, Section
from rag.questions import QuestionEntry, find_section
from rag.retriever import LessonHit, Mode, Retrieval, UnitHit
from rag.text import syllables

MAX_CHARS = 600
CLARIFY_MARGIN = 0.05  # units closer than this (in first-rank votes) and about different topics: ask
CLEAR_LEXICAL_LEAD = 1.3  # the top lesson's word score over the next one's, for a voice question answered at once
_STOP = frozenset(
    "la gi the nao sao lam cach duoc khong co toi bac minh thi a ah nhe voi cho cua va o".split()
)
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_PASSWORD = re.compile(r"\b(?:mat khau|mk|pass|password)\b")


@dataclass
class Answer:
    kind: str  # answer | out_of_scope | safety | clarify
    replies: list[Reply]
    retrieval: Retrieval
    lesson: Lesson | None = None
    section: Section | None = None
    offset: int = 0  # characters of the section already shown
    units: list[UnitHit] = dataclasses.field(default_factory=list)  # what was answered (or offered), first


    @property
    def hits(self) -> list[LessonHit]:
        return self.retrieval.hits

    def text_all(self) -> str:
        """Every reply's text, as the person reads them."""
        return "\n\n".join(r.text for r in self.replies)


def plain(text: str) -> str:
    """Markdown emphasis removed; the channels send plain text."""
    return _BOLD.sub(lambda m: m.group(1) or m.group(2), text)


def excerpt(body: str, start: int = 0, limit: int = MAX_CHARS) -> tuple[str, int]:
    """Up to `limit` characters of a section from `start`, cut at a line (or sentence) boundary.

    Returns the text and the offset where the next excerpt would begin (len(body) when done).
    """
    rest = body[start:].lstrip("\n")
    start = len(body) - len(rest)
    if len(rest) <= limit:
        return rest.strip(), len(body)
    cut = rest.rfind("\n", 0, limit)
    if cut < limit // 3:
        cut = max(rest.rfind(". ", 0, limit) + 1, rest.rfind(" ", 0, limit))
    # A lead-in ("Cách tránh:") goes with the list it introduces, to the next part; never alone at the end.
    while rest[:cut].rstrip().endswith(":") and (back := rest[:cut].rstrip().rfind("\n")) >= limit // 3:
        cut = back
    return rest[:cut].strip(), start + cut


MAX_BUTTONS = 5  # Zalo shows at most five quick replies; more become numbered lines


def lesson_buttons(lesson: Lesson, more: bool) -> tuple[Button, ...]:
    """Follow-up choices under a part of a lesson: read on, take the quiz, send it to the family."""
    buttons = [Button(msg.BTN_MORE, "/xemtiep")] if more else []
    if lesson.quiz:
        buttons.append(Button(msg.BTN_QUIZ, f"/kiemtra {lesson.id}"))
    buttons.append(Button(msg.BTN_SHARE, f"/guinguoithan {lesson.id}"))
    return tuple(buttons)


def with_feedback(reply: Reply, question_id: int) -> Reply:
    """An answer to a question, with 👍 and "👎 Chưa đúng ý tôi" before its last button (still at most five)."""
    rate = (Button(msg.BTN_FEEDBACK_UP, f"/danhgia {question_id} tot"),
            Button(msg.BTN_FEEDBACK_DOWN, f"/danhgia {question_id} chuadung"))
    buttons = list(reply.buttons)
    head, tail = buttons[:-1], buttons[-1:]
    while len(head) + len(rate) + len(tail) > MAX_BUTTONS:
        head.pop()  # "Xem tiếp" goes first: the learner can still type "xem tiếp"
    return dataclasses.replace(reply, buttons=(*head, *rate, *tail))


def entry_reply(entry: QuestionEntry, lesson: Lesson) -> Reply:
    """A question entry's short answer, with the lesson it leads to as source and a button to read it."""
    source = msg.SOURCE_LINE.format(title=lesson.title)
    buttons = [Button(msg.BTN_FULL_LESSON, "/xemtiep")]
    if lesson.quiz:
        buttons.append(Button(msg.BTN_QUIZ, f"/kiemtra {lesson.id}"))
    buttons.append(Button(msg.BTN_SHARE, f"/guinguoithan {lesson.id}"))
    # The question this answers comes first: whoever asked something else sees at once that this is not it.
    asked = msg.ENTRY_QUESTION.format(question=entry.headline.strip())
    return Reply(f"{asked}\n{plain(entry.answer.strip())}\n\n{source}", tuple(buttons), (lesson.id,))


def unit_reply(unit: UnitHit) -> tuple[Reply, int]:
    """The reply for a unit: an entry's answer (the section then waits behind "Xem bài đầy đủ", offset 0) or
    the start of a section."""
    if unit.entry is not None:
        return entry_reply(unit.entry, unit.lesson), 0
    return section_reply(unit.lesson, unit.section)


def choice_label(unit: UnitHit) -> str:
    """A button naming what the learner may have meant, in the words people use."""
    label = unit.entry.asks[0] if unit.entry is not None else unit.section.heading or unit.lesson.title
    label = label.rstrip("?").strip()
    return label if len(label) <= 48 else label[:46].rsplit(" ", 1)[0] + "…"


def _distinct_lessons(units: list[UnitHit], n: int) -> list[UnitHit]:
    """The first `n` units that lead to different lessons."""
    out: list[UnitHit] = []
    for u in units:
        if u.lesson.id not in {o.lesson.id for o in out}:
            out.append(u)
        if len(out) == n:
            break
    return out


# What shows the act already happened: "rồi", "đã", "lỡ", "vừa", "xong", money gone.
_DONE = re.compile(r"\b(?:roi|lo|vua|xong|mat (?:het |(?:gan |hon |khoang |toi |ca |tong cong )?\d)|"
                   r"bi (?:tru|mat|lua|chiem)|sau khi|"
                   r"da (?:chuyen|doc|gui|cai|bam|nhap|dua|chup|cho|nop|dong|quet|lam|bi|dang nhap|ck|chuyen khoan))\b|"
                   # "bố tin nên chuyển gần 100 triệu": "nên" (so) before the act tells what followed; not "có nên",
                   # "tôi nên chuyển không" (should I)
                   r"\b(?<!co )(?<!khong )(?<!ko )(?<!toi )(?<!minh )(?<!em )(?<!bac )(?<!ba )(?<!ong )nen "
                   r"(?:toi |me |bo |ba |ong |minh |em )?(?:chuyen|ck|gui|nap|doc|cai|bam|dua)\b"
                   r"(?!(?: \w+){0,4} (?:khong|ko|k|hay|chua)\b)")


def done_already(text: str) -> bool:
    """True when the message tells of something done ("tôi đọc mã rồi"), not something asked for."""
    folded = " ".join(syllables(text))
    return bool(_DONE.search(folded) or TAKEN_OVER.search(folded) or FOUND_OUT.search(folded))


def stage_of(situation: Situation, question: str = "") -> str:
    """Where the asker stands: asked to pay (before), in the scam now (during), or after the harmful act; calm when
    the message shows no sign of a scam at all ("quét mặt không được, ngân hàng bảo ra quầy, giờ làm sao")."""
    if situation.kind == PAY_NOW:
        return "before"
    if situation.kind == SCAM_NOW:
        return "during" if situation.act in (None, "none_yet") else "after"
    if situation.kind == CALM and question and goods_handed(question):
        return "after"  # "khách đưa hóa đơn chuyển khoản, tôi giao hàng rồi mà không thấy tiền": goods gone
    if situation.kind == CALM and question and not scam_signals(question):
        return "calm"
    return "any"


def section_reply(lesson: Lesson, section: Section, offset: int = 0) -> tuple[Reply, int]:
    """A reply showing part of a section, with the lesson as source; returns the next offset."""
    body = plain(section.body)
    heading = f"{section.heading}\n" if offset == 0 and section.heading else ""
    source = msg.SOURCE_LINE.format(title=lesson.title)
    # The whole message stays within MAX_CHARS: small screens, one idea at a time.
    text, next_offset = excerpt(body, offset, MAX_CHARS - len(heading) - len(source) - 2)
    more = next_offset < len(body) or section.index + 1 < len(lesson.sections)
    reply = Reply(f"{heading}{text}\n\n{source}",
                  lesson_buttons(lesson, more), (lesson.id,))
    return reply, next_offset


class Answerer:
    """Answers questions from the knowledge base; shared by the dialogue and `kynangso ask`."""

    def __init__(self, kb: KnowledgeBase, mode: Mode = "hybrid") -> None:
        self.kb = kb
        self.mode = mode
        # Trained once at start-up and only read afterwards: safe to share between chats.
        self.situations = SituationModel.load(kb.situations_file, kb.model_cache) if kb.situations_file else None
        # Which honest mistake each entry is written for, worked out from its own ways of asking on first use (a
        # fact of the knowledge base, the same for every chat).
        self._mistake_of: dict[str, tuple[str, bool] | None] = {}

    def situation(self, question: str) -> Situation:
        """The situation behind a message (rules, with the model's second opinion)."""
        return route(question, self.situations)

    def unit(self, key: str) -> UnitHit | None:
        """A unit by its key (`q:<entry id>` or `<lesson id>#<section index>`), for a clarification button."""
        retriever = self.kb.retriever
        if key.startswith("q:"):
            entry = retriever.entries.get(key[2:])
            if entry is None:
                return None
            lesson = retriever.lessons[entry.lesson_id]
            section = find_section(lesson, entry.section_heading) or lesson.sections[0]
            return UnitHit(0.0, lesson, section, entry)
        lesson_id, _, index = key.partition("#")
        found = retriever.lessons.get(lesson_id)
        if found is None or not index.isdigit() or int(index) >= len(found.sections):
            return None
        return UnitHit(0.0, found, found.sections[int(index)])

    def chosen(self, unit: UnitHit, retrieval: Retrieval | None) -> Answer:
        """The answer made of one unit (an entry or a section); `retrieval` is None for a pressed choice."""
        reply, offset = unit_reply(unit)
        found = retrieval or Retrieval(unit.key, self.mode, [], True, units=[unit])
        return Answer("answer", [reply], found, unit.lesson, unit.section, offset, [unit])

    def answer(self, question: str, mode: Mode | None = None) -> Answer:
        """Decide the kind of answer and compose it: the situation first, then retrieval."""
        situation = self.situation(question)
        # "Họ bảo cài ứng dụng, có nên không?": the act is asked for, not done; no "you have been robbed" steps. (An
        # account taken over is a state told, not an act.)
        if situation.act not in (None, "none_yet", "account_taken") and situation.kind == SCAM_NOW \
                and not done_already(question):
            situation = dataclasses.replace(situation, act="none_yet")
        retrieval = self.kb.retriever.search(question, mode or self.mode, stage=stage_of(situation, question))
        if situation.kind in (SCAM_NOW, PAY_NOW):
            return self._safety(situation, retrieval, question)
        if situation.kind == MISTAKE:
            # An honest mistake: practical steps, no alarm, not counted as a scam alert. An entry written for the
            # same mistake answers what exactly was asked ("ngân hàng bảo không đòi được", "mất bao lâu"); else
            # the first steps.
            unit = self._mistake_unit(question, situation, retrieval)
            if unit is not None:
                return self.chosen(unit, retrieval)
            steps = {"received": msg.MISTAKE_RECEIVED, "charged_twice": msg.MISTAKE_CHARGED_TWICE}.get(
                situation.act or "", msg.MISTAKE_WRONG_TRANSFER)
            return Answer("answer", [Reply(steps, main_menu())], retrieval)
        if not retrieval.hits or (not retrieval.in_scope and not never_decline(question, self.situations)):
            if retrieval.unsure and len(retrieval.units) >= 2:
                # Not clearly off-topic: the closest things the tutor knows, as choices, instead of a refusal.
                offered = _distinct_lessons(retrieval.units, 3)
                buttons = tuple(Button(choice_label(u), f"/chon {u.key}") for u in offered)
                return Answer("clarify", [Reply(msg.UNSURE_CHOICES, (*buttons, Button(msg.BTN_LEARN, "/hoc")))],
                              retrieval, units=offered)
            return Answer("out_of_scope", [Reply(msg.OUT_OF_SCOPE, main_menu())], retrieval)
        content = [s for s in syllables(question) if s not in _STOP]
        # A bare word ("vneid") is asked back; "VNeID là gì?" says what is wanted and is answered.
        if len(content) <= 1 and len(retrieval.hits) > 1 and not (retrieval.units and question_kind(question)):
            buttons = tuple(Button(h.lesson.title, f"/bai {h.lesson.id}") for h in retrieval.hits[:3])
            return Answer("clarify", [Reply(msg.CLARIFY, buttons)], retrieval)
        choices = [] if never_decline(question, self.situations) else self._close_choices(retrieval)
        if choices:  # never a menu for someone who may be in a scam: they get the closest answer at once
            buttons = tuple(Button(choice_label(u), f"/chon {u.key}") for u in choices)
            return Answer("clarify", [Reply(msg.CLARIFY_CHOICES, buttons)], retrieval, units=choices)
        if retrieval.units:
            return self._with_footer(question, self.chosen(retrieval.units[0], retrieval))
        hit = retrieval.hits[0]
        reply, offset = section_reply(hit.lesson, hit.section)
        return Answer("answer", [reply], retrieval, hit.lesson, hit.section, offset)

    def _safety(self, situation: Situation, retrieval: Retrieval, question: str) -> Answer:
        """Someone in a scam or asked to pay: the emergency steps first, then the unit that fits."""
        # The emergency steps come first, tailored to what already happened, with a way to reach a person;
        # never declined, whatever the wording.
        told = words(question)
        # Asked for an older relative or neighbour: nobody is calling the writer; the steps are for whoever helps.
        relative = situation.kind == SCAM_NOW and about_relative(question, told)
        helper = f"\n{msg.RELATIVE_NOTE}" if relative else ""
        if RECOVERY_FEE.search(told) and situation.act in (None, "none_yet", "money_sent"):
            first = f"{msg.RECOVERY_FEE_FIRST}\n\n{msg.SCAM_REPORT}"  # "lấy lại được hết, chỉ cần nộp trước phí"
        elif situation.kind == PAY_NOW:
            first = msg.PAY_NOW_ALERT
        elif situation.act in (None, "none_yet"):
            # Charges the person did not make: lock the card first. No "cúp máy" for a scam that came as a message
            # or a post, with no call in the story.
            if CHARGED.search(told):
                first = f"{msg.CARD_CHARGED_FIRST}{helper}\n\n{msg.SCAM_REPORT}"
            elif written_only(told):
                first = msg.RELATIVE_ALERT_WRITTEN if relative else msg.SCAM_ALERT_WRITTEN
            else:
                first = msg.RELATIVE_ALERT if relative else msg.SCAM_ALERT
        else:
            first = f"{msg.SCAM_ACT_FIRST[situation.act]}{helper}\n\n{msg.SCAM_REPORT}"
        replies = [Reply(first, (Button(msg.BTN_HANDOFF, "/gapnguoi"),))]
        # Then what fits the stage: an entry or section about scams or money, never an unrelated lesson.
        # A scam unit among the closest first: a payment entry that happens to match a word ("ví MoMo") may
        # say "thường không phải lừa đảo" under the alert.
        # Nor an entry about money that came in when the person sent money out ("tiền lạ vào tài khoản" under
        # "I transferred 50 million to them").
        fitting = [u for u in retrieval.units if not self._other_way(u, situation)]
        # Once something is done or a payment is asked for ("quét mã ở quầy hiện tên người lạ", "loa báo thiếu
        # tiền"), the closest unit about money, scams or safety answers what happened; unless it reassures ("An toàn
        # nếu…", "Có thể là thật"), which would contradict the steps above. A story with nothing done yet gets a
        # scam unit, as a payment entry matching a word would miss the danger.
        acted = situation.kind == PAY_NOW or situation.act not in (None, "none_yet")
        fitting = [u for u in fitting if not (situation.kind == PAY_NOW and _how_to_pay(u))]  # no "how to pay"
        top = fitting[0] if fitting and fitting[0] is retrieval.units[0] else None
        # A password is what was asked about ("email bị hack, mật khẩu mới thế này đã an toàn chưa") even before
        # anything is done: the closest unit on passwords answers under the steps.
        guards = top is not None and "safety.passwords" in top.topics and bool(_PASSWORD.search(told))
        unit = top if (acted or guards) and top is not None and _on_danger(top) and not _reassures(top) else None
        if situation.act == "account_taken":  # what to do with an account taken, not how the trick is played
            unit = _after_takeover(fitting) or unit
        unit = unit or next((u for u in fitting[:5] if any(t.startswith("scam") for t in u.topics)), None) or \
            next((u for u in fitting if any(t.startswith(("scam", "payment")) for t in u.topics)), None)
        if unit is not None:
            reply, offset = unit_reply(unit)
            replies.append(reply)
            return Answer("safety", replies, retrieval, unit.lesson, unit.section, offset, [unit])
        return Answer("safety", replies, retrieval)

    def _mistake_unit(self, question: str, situation: Situation, retrieval: Retrieval) -> UnitHit | None:
        """Among the three closest units, an entry written for the same mistake at the same point of the story: the
        next steps once the bank or the other side has said no; else the first steps, from an entry that tells what
        to do now or answers the same kind of question ("có lấy lại được không?", "kiện được không?")."""
        later = bool(LATER_STORY.search(words(question)))
        kind = question_kind(question)
        same = [(u, read) for u in retrieval.units[:3]
                if u.entry is not None and (read := self._mistake(u.entry)) is not None and read[0] == situation.act]
        if same and same[0][0] is retrieval.units[0]:
            top, read = same[0]
            # The closest unit is an entry on the same mistake: it answers what was asked ("ngân hàng có tự lấy lại
            # được không?", "gửi thêm khoản nhỏ kèm lời nhắn có được không?") better than the first steps; unless
            # the story is past the point that entry is written for and another close one is written for later.
            first_steps = top.entry is not None and top.entry.kind == "what_now"
            if not (later and not read[1] and (first_steps or any(r[1] for _, r in same[1:]))):
                return top
        for unit, read in same:
            entry = unit.entry
            assert entry is not None
            if (later and (read[1] or entry.kind == kind != "what_now")) or \
                    (not later and not read[1] and entry.kind in ("what_now", kind)):
                return unit
        return None

    def _other_way(self, unit: UnitHit, situation: Situation) -> bool:
        """An entry about money received, for someone whose money went out."""
        read = self._mistake(unit.entry) if unit.entry is not None else None
        return situation.act == "money_sent" and read is not None and read[0] == "received"

    def _mistake(self, entry: QuestionEntry) -> tuple[str, bool] | None:
        """The honest mistake an entry answers (`wrong_transfer` | `received` | `charged_twice`) and whether for a
        later point of the story: what most of its ways of asking are read as by the rules; None for an entry about
        anything else."""
        if entry.id not in self._mistake_of:
            read = [(s.act, bool(LATER_STORY.search(words(ask)))) for ask in entry.asks
                    if (s := classify(ask)).kind == MISTAKE and s.act is not None]
            best = max(set(read), key=read.count) if read else None
            self._mistake_of[entry.id] = best if best and 2 * read.count(best) > len(entry.asks) else None
        return self._mistake_of[entry.id]

    def _with_footer(self, question: str, found: Answer) -> Answer:
        """Someone who may be in a scam read as calm still gets the verdict and who to call under the text; under
        an entry on another subject (a payment, an account, an ATM), a reminder of the same steps."""
        scam_unit = any(t.startswith("scam") for t in found.units[0].topics)
        footer = msg.SCAM_FOOTER if scam_unit and never_decline(question, self.situations) else \
            msg.CALLER_FOOTER if CALL_DEMAND.search(words(question)) else \
            msg.STRANGER_FOOTER if scam_signals(question) else None
        if footer:
            top = found.replies[0]
            found.replies[0] = dataclasses.replace(top, text=f"{top.text}\n\n{footer}")
        return found

    def _close_choices(self, retrieval: Retrieval) -> list[UnitHit]:
        """Two or three units of different lessons that score too close to pick one: ask rather than guess."""
        # By the first ranking's scores: the reranker chooses which unit answers, not whether the question is clear.
        units = sorted(retrieval.units, key=lambda u: -u.score)
        if len(units) < 2:
            return []
        vote = 1.0 / (self.kb.retriever.rrf_k + 1)
        top = units[0]
        close = [top]
        for u in units[1:]:
            if (top.score - u.score) / vote > CLARIFY_MARGIN:
                break
            if u.lesson.id not in {c.lesson.id for c in close} and not set(u.topics) & set(top.topics):
                close.append(u)
            if len(close) == 3:
                break
        if any(t.startswith("scam") for u in close for t in u.topics):
            return []  # a message that may be about a scam is answered at once, with its warning, never asked back
        return close if len(close) > 1 else []


_REASSURING = re.compile(r"^(?:khá |thường )?an toàn\b|^(?:có thể |đúng )?là (?:tin )?thật\b|^có thể là thật\b|"
                         r"^(?:thường |đây )?không phải (?:là )?lừa|^(?:thường )?bình thường\b|^không sao\b|"
                         r"^yên tâm\b|^không bắt buộc\b", re.IGNORECASE)


def _on_danger(unit: UnitHit) -> bool:
    """A unit about money, scams or keeping data safe: fit to stand under the emergency steps."""
    return any(t.startswith(("scam", "payment", "safety")) for t in unit.topics)


def _after_takeover(units: list[UnitHit]) -> UnitHit | None:
    """Among the five closest, a unit about accounts taken over that is not for before it happens."""
    return next((u for u in units[:5] if "scam.account_takeover" in u.topics
                 and (u.entry is None or u.entry.stage in ("after", "any"))), None)


def _how_to_pay(unit: UnitHit) -> bool:
    """An entry on how or by what rule to make a payment, with nothing of scams in it ("gửi tiền cho con du học cần giấy
    tờ gì", "chuyển bao nhiêu thì phải quét mặt"): no answer under "don't pay" to someone pressed to pay."""
    return unit.entry is not None and unit.entry.kind in ("howto", "rule") \
        and not any(t.startswith("scam") for t in unit.topics)


def _reassures(unit: UnitHit) -> bool:
    """An entry whose verdict, its first words, is that all is well ("An toàn nếu…", "Có thể là thật")."""
    return unit.entry is not None and bool(_REASSURING.match(unit.entry.answer.strip()))


def is_clear(answer: Answer) -> bool:
    """True when one lesson wins on meaning and on words alike, clearly ahead on words: a transcript that
    matches like this is answered at once (its read-back shown above); anything less is confirmed first."""
    if answer.kind == "safety":
        return True  # the emergency steps are right whatever was misheard around them
    if answer.kind != "answer" or not answer.hits:
        return False
    top, rest = answer.hits[0], answer.hits[1:]
    if math.isnan(top.dense) or top.lexical <= 0:
        return False
    if any(h.dense > top.dense or h.lexical > top.lexical for h in rest):
        return False
    second = max((h.lexical for h in rest), default=0.0)
    return top.lexical >= CLEAR_LEXICAL_LEAD * second


def main_menu() -> tuple[Button, ...]:
    """The three main actions, offered whenever the learner may be lost."""
    return (Button(msg.BTN_LEARN, "/hoc"), Button(msg.BTN_PROGRESS, "/tiendo"), Button(msg.BTN_HELP, "/trogiup"))
