"""Quizzes: starting one (a lesson's or a review set), grading typed, pressed or spoken answers, results,
retakes and the learner's progress. Every bit of state is in the attempt row and the database session given."""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from bot import conversation
from bot import messages as msg
from bot.answers import main_menu
from bot.commands import Call, Commands, parse_command
from bot.conversation import Conversation
from bot.learning import Learning
from bot.quiz import (
    LETTERS,
    feedback_text,
    in_order,
    option_orders,
    parse_choice,
    parse_spoken_choice,
    pass_mark,
    question_reply,
)
from bot.types import Button, Reply
from rag.knowledge import KnowledgeBase
from rag.lessons import QuizQuestion
from rag.text import syllables
from storage import repo
from storage.models import QuizAttempt, User, utcnow

REVIEW_ID = "on-tap"  # lesson_id of review attempts, whose questions come from several lessons


class QuizDesk:
    """Shared by every chat: holds only the knowledge base, the learning path and the pass rule."""

    def __init__(self, kb: KnowledgeBase, learning: Learning, pass_ratio: float) -> None:
        self.kb = kb
        self.learning = learning
        self.pass_ratio = pass_ratio

    def register(self, commands: Commands) -> None:
        commands.add("/kiemtra", self._quiz_command)
        commands.add("/traloi", self._pressed)
        commands.add("/tieptuc", self._resume)
        commands.add("/dungkiemtra", self._stop)
        commands.add("/tiendo", lambda c: self._progress(c.s, c.user), aside=True)
        commands.add("/lamlai", lambda c: self._retake(c.s, c.user, c.ctx))
        commands.add("/ontap", lambda c: self.start_review(c.s, c.user, c.ctx, c.arg))

    async def _quiz_command(self, c: Call) -> list[Reply]:
        lesson_id = c.arg or conversation.reading(c.ctx)
        if not lesson_id:
            return [self.learning.menu(None)]
        return await self.start(c.s, c.user, lesson_id)

    async def _pressed(self, c: Call) -> list[Reply]:
        if len(c.args) != 3 or not all(a.isdigit() for a in c.args):
            return [Reply(msg.HELP, main_menu())]
        return await self._button_answer(c.s, c.user, c.ctx, int(c.args[0]), int(c.args[1]), int(c.args[2]))

    async def _resume(self, c: Call) -> list[Reply]:
        attempt = await repo.active_attempt(c.s, c.user.id)
        return await self.current_question(c.s, attempt) if attempt else [Reply(msg.ASK_OTHER)]

    async def _stop(self, c: Call) -> list[Reply]:
        attempt = await repo.active_attempt(c.s, c.user.id)
        if attempt is None:
            return [Reply(msg.ASK_OTHER, main_menu())]
        attempt.status = "abandoned"
        attempt.finished_at = utcnow()
        return [Reply(msg.QUIZ_STOPPED, main_menu())]

    async def start(self, s: AsyncSession, user: User, lesson_id: str) -> list[Reply]:
        lesson = self.kb.lesson(lesson_id)
        if lesson is None:
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        if not lesson.quiz:
            return [Reply(msg.QUIZ_NONE, main_menu())]
        attempt = await repo.start_attempt(s, user.id, lesson.id, len(lesson.quiz),
                                           orders=option_orders(list(lesson.quiz)))
        intro = Reply(msg.QUIZ_START.format(title=lesson.title, n=len(lesson.quiz)))
        questions = self.questions(attempt)
        assert questions is not None
        return [intro, question_reply(questions[0], 0, len(questions), attempt.id)]

    async def start_review(self, s: AsyncSession, user: User, ctx: Conversation,
                            lesson_id: str | None) -> list[Reply]:
        items = await self.learning.review_items(s, user, lesson_id)
        if not items:
            return [Reply(msg.REVIEW_NONE, main_menu())]
        picked = [q for lid, i in items if (x := self.kb.lesson(str(lid))) for q in x.quiz[int(i):int(i) + 1]]
        attempt = await repo.start_attempt(s, user.id, REVIEW_ID, len(items), kind="review", items=items,
                                           orders=option_orders(picked))
        if lesson_id:
            ctx["reviewed"] = {**(ctx.get("reviewed") or {}), lesson_id: utcnow().date().isoformat()}
        questions = self.questions(attempt)
        assert questions is not None
        return [Reply(msg.REVIEW_START.format(n=len(items))), question_reply(questions[0], 0, len(items), attempt.id)]

    def questions(self, attempt: QuizAttempt) -> list[QuizQuestion] | None:
        """The attempt's questions as shown (options in the attempt's stored order), or None if the lessons
        changed under a running quiz."""
        questions = self._lesson_questions(attempt)
        if questions is None:
            return None
        orders = attempt.orders or []
        return [in_order(q, orders[i] if i < len(orders) else None) for i, q in enumerate(questions)]

    def _lesson_questions(self, attempt: QuizAttempt) -> list[QuizQuestion] | None:
        """The attempt's questions in the lessons' own option order."""
        if attempt.kind == "review":
            out = []
            for lesson_id, index in attempt.items or []:
                lesson = self.kb.lesson(str(lesson_id))
                if lesson is None or int(index) >= len(lesson.quiz):
                    return None
                out.append(lesson.quiz[int(index)])
            return out if len(out) == attempt.n_questions else None
        lesson = self.kb.lesson(attempt.lesson_id)
        if lesson is None or len(lesson.quiz) != attempt.n_questions:
            return None
        return list(lesson.quiz)

    async def current_question(self, s: AsyncSession, attempt: QuizAttempt) -> list[Reply]:
        questions = self.questions(attempt)
        if questions is None:
            attempt.status = "abandoned"
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        index = await repo.answered_count(s, attempt.id)
        return [question_reply(questions[index], index, len(questions), attempt.id)]

    async def _button_answer(self, s: AsyncSession, user: User, ctx: Conversation, attempt_id: int,
                             index: int, chosen: int) -> list[Reply]:
        attempt = await repo.active_attempt(s, user.id)
        if attempt is None or attempt.id != attempt_id:
            return [Reply(msg.QUIZ_STALE.split(".")[0] + ".", main_menu())]
        answered = await repo.answered_count(s, attempt.id)
        if index != answered:
            return [Reply(msg.QUIZ_STALE)] + await self.current_question(s, attempt)
        return await self.grade(s, user, attempt, answered, chosen)

    async def typed(self, s: AsyncSession, user: User, ctx: Conversation, attempt: QuizAttempt,
                         text: str) -> list[Reply] | None:
        questions = self.questions(attempt)
        if questions is None:
            attempt.status = "abandoned"
            return None
        index = await repo.answered_count(s, attempt.id)
        chosen = parse_choice(text, questions[index].options)
        if chosen is not None:
            return await self.grade(s, user, attempt, index, chosen)
        if len(syllables(text)) >= 4:  # looks like a question: answer it, then offer to go back
            return None
        return [Reply(msg.QUIZ_UNCLEAR)] + await self.current_question(s, attempt)

    async def grade(self, s: AsyncSession, user: User, attempt: QuizAttempt, index: int,
                     chosen: int) -> list[Reply]:
        questions = self.questions(attempt)
        if questions is None:
            attempt.status = "abandoned"
            return [Reply(msg.UNKNOWN_LESSON, main_menu())]
        q = questions[index]
        if not 0 <= chosen < len(q.options):
            return [Reply(msg.QUIZ_UNCLEAR)] + await self.current_question(s, attempt)
        orders = attempt.orders or []
        order = orders[index] if index < len(orders) and sorted(orders[index]) == list(range(len(q.options))) else None
        # Stored as the lesson's option number, so answers compare across attempts whatever the order shown.
        await repo.record_answer(s, attempt, index, order[chosen] if order else chosen, chosen == q.answer)
        replies = [Reply(feedback_text(q, chosen))]
        if index + 1 < len(questions):
            replies.append(question_reply(questions[index + 1], index + 1, len(questions), attempt.id))
            return replies
        await repo.finish_attempt(s, attempt)
        if attempt.kind == "review":
            replies.append(Reply(msg.REVIEW_RESULT.format(right=attempt.n_correct, n=attempt.n_questions),
                                 (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_PROGRESS, "/tiendo"))))
            return replies
        lesson = self.kb.lesson(attempt.lesson_id)
        assert lesson is not None
        need = pass_mark(attempt.n_questions, self.pass_ratio)
        if attempt.n_correct >= need:
            text = msg.QUIZ_RESULT_PASS.format(right=attempt.n_correct, n=attempt.n_questions, title=lesson.title)
            buttons: tuple[Button, ...] = (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_PROGRESS, "/tiendo"))
            replies.append(Reply(text, buttons))
            completed = await self.learning.check_completion(s, user)
            if completed is not None:
                replies += [completed, self.learning.platform_reply(user)]
        else:
            text = msg.QUIZ_RESULT_FAIL.format(right=attempt.n_correct, n=attempt.n_questions, need=need)
            buttons = (Button(msg.BTN_RETRY, f"/kiemtra {lesson.id}"), Button(msg.BTN_OTHER_LESSON, "/hoc"))
            replies.append(Reply(text, buttons))
        return replies

    async def _retake(self, s: AsyncSession, user: User, ctx: Conversation) -> list[Reply]:
        """"Làm lại", "thi lại": the quiz of the lesson last tried, else of the lesson being read."""
        results = await repo.lesson_results(s, user.id)
        last = max(results, key=lambda k: results[k].last_at or utcnow(), default=None) if results else None
        lesson_id = last or conversation.reading(ctx)
        if not lesson_id or self.kb.lesson(str(lesson_id)) is None:
            return [self.learning.menu(None)]
        return await self.start(s, user, str(lesson_id))

    async def _progress(self, s: AsyncSession, user: User) -> list[Reply]:
        results = await repo.lesson_results(s, user.id)
        if not results:
            return [Reply(msg.PROGRESS_EMPTY, main_menu())]
        passed = await self.learning.passed(s, user)
        lessons = [x for x in self.kb.lessons if x.id in results]
        # The same count as the progress picture: the core programme's lessons; others said apart.
        programme = self.kb.programme
        core = set(programme.core_lessons) if programme else {x.id for x in self.kb.lessons}
        lines = [msg.PROGRESS_HEAD.format(passed=len(core & set(passed)), total=len(core))]
        if extra := len(set(passed) - core):
            lines.append(msg.PROGRESS_EXTRA.format(n=extra))
        ordered = sorted(lessons, key=lambda x: results[x.id].last_at or utcnow(), reverse=True)
        for x in ordered[:8]:
            pct = round(results[x.id].best_score * 100)
            line = msg.PROGRESS_LINE_PASS if x.id in passed else msg.PROGRESS_LINE_FAIL
            lines.append(line.format(title=x.title, score=pct))
        if len(ordered) > 8:
            lines.append(msg.PROGRESS_MORE.format(n=len(ordered) - 8))
        buttons = (Button(msg.BTN_CONTINUE, "/hoctiep"), Button(msg.BTN_REVIEW, "/ontap"))
        image = await self.learning.progress_image(s, user)
        return [Reply("\n".join(lines), buttons, image_path=image)]

    async def spoken(self, s: AsyncSession, user: User, attempt: QuizAttempt,
                             text: str) -> list[Reply] | None:
        """An option said aloud in a quiz, graded with what was heard shown; asked again when unsure.

        None when the note sounds like a question rather than an answer (it is answered as one)."""
        questions = self.questions(attempt)
        if questions is None:
            return None
        index = await repo.answered_count(s, attempt.id)
        chosen = parse_spoken_choice(text, questions[index].options)
        if chosen is None:
            if len(syllables(text)) >= 7 and parse_command(text) is None:
                return None
            return [Reply(msg.VOICE_QUIZ_UNSURE.format(heard=text))] + await self.current_question(s, attempt)
        graded = await self.grade(s, user, attempt, index, chosen)
        head = msg.VOICE_CHOSE.format(letter=LETTERS[chosen])
        return [dataclasses.replace(graded[0], text=f"{head}\n{graded[0].text}"), *graded[1:]]
