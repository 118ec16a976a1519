"""Measuring how well typed replies to the tutor's prompts are understood (tests/data/prompt_replies).

Each row is a reply someone typed to one kind of prompt and what they meant. The reading goes through the same
functions the dialogue uses (bot.prompts.read, then the prompt's own check for free text), with the prompt and
buttons the tutor really shows.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import messages as msg
from bot import names, understand
from bot.answers import main_menu
from bot.commands import WORD_COMMANDS, parse_command
from bot.prompts import read
from bot.quiz import QUIZ_PROMPT, parse_choice
from bot.registration import CONSENT, _ask, commune_answer, consent_reply
from bot.staffdesk import PEOPLE_BUTTONS, _count_prompt
from bot.types import Button, Prompt
from rag.text import fold
from storage import units

_QUIZ = {
    "q1": ("Đọc mã cho họ để hủy cho nhanh", "Cúp máy, gọi số tổng đài in sau thẻ ngân hàng", "Hỏi tên họ rồi đọc mã",
           "Gửi mã qua Zalo cho họ"),
    "q2": ("Link người lạ gửi qua tin nhắn", "Trang web bất kỳ trên mạng",
           "CH Play hoặc App Store, nhà phát triển Bộ Công an", "Nhóm Zalo hỗ trợ"),
}
_CONFIRM = Prompt("reg.commune.confirm", "yes_no", msg.CONFIRM_AGAIN, yes="/dk commune 1", no="/dk no")
_CONFIRM_BUTTONS = (Button(msg.BTN_YES, "/dk commune 1"), Button(msg.BTN_NO, "/dk no"),
                    Button(msg.BTN_SKIP, "/dk skip"))
_RESULT_BUTTONS = (Button(msg.BTN_RETRY, "/kiemtra bai"), Button(msg.BTN_OTHER_LESSON, "/hoc"))


def _folded(value: str) -> str:
    return " ".join(understand.words(value))


def understood(row: dict[str, Any]) -> Any:
    """What the tutor makes of one typed reply, in the corpus's own terms ("yes", an option key, 12, "other")."""
    kind, text = row["prompt"], row["text"]
    if kind in ("consent", "confirm"):
        prompt, buttons = (CONSENT, consent_reply().buttons) if kind == "consent" else (_CONFIRM, _CONFIRM_BUTTONS)
        reading = read(prompt, text, buttons)
        if reading is None:
            return "other"
        return {prompt.yes: "yes", prompt.no: "no"}.get(reading.value, "other")
    if kind in ("group", "age", "vneid"):
        asked = _ask(kind)
        assert asked.prompt is not None
        reading = read(asked.prompt, text, asked.buttons)
        if reading is None:
            return "other"
        return "skip" if reading.value == "/dk skip" else reading.value.split()[-1]
    if kind == "quiz":
        options = _QUIZ[row["quiz_id"]]
        buttons = tuple(Button(letter, f"/traloi 1 0 {i}") for i, letter in enumerate("ABCD"))
        reading = read(QUIZ_PROMPT, text, buttons + (Button(msg.BTN_STOP_QUIZ, "/dungkiemtra"),))
        if reading is not None and reading.kind == "command":
            return int(reading.value.split()[-1]) if reading.value.startswith("/traloi") else "other"
        if parse_command(text) is not None:
            return "other"  # "dừng lại", "bỏ qua": a request, never an option
        chosen = parse_choice(text, options)
        return "other" if chosen is None else chosen
    if kind == "count":
        prompt = _count_prompt("vneid")
        buttons = tuple(Button(str(n), f"/nhatky vneid {n}") for n in PEOPLE_BUTTONS)
        reading = read(prompt, text, (*buttons, Button(msg.BTN_LOG_MORE, "/nhatky vneid ?")))
        if reading is None or reading.kind != "command" or not reading.value.split()[-1].isdigit():
            return "other"
        return int(reading.value.split()[-1])
    if kind in ("name", "hamlet", "commune"):
        asked = _ask(kind)
        assert asked.prompt is not None
        reading = read(asked.prompt, text, asked.buttons)
        if reading is None or (reading.kind == "text" and parse_command(text) is not None):
            return "other"
        if reading.value == "/dk skip":
            return "skip"
        if kind == "name":
            name = names.name_answer(text)
            return "other" if name is None else {"name": name.value}
        if kind == "hamlet":
            return "answer" if names.hamlet_answer(text) else "other"
        found = commune_answer(text)
        if not found:
            return "other"
        return {"commune": found[0].name, "province": units.province_name(found[0].province_code) or ""}
    buttons = _RESULT_BUTTONS if kind == "result" else main_menu()
    pressed = understand.match_button(text, buttons)
    value = pressed.value if pressed is not None else (WORD_COMMANDS.get(" ".join(understand.words(text)))
                                                       if parse_command(text) is None else parse_command(text)[0])  # type: ignore[index]
    if kind == "result":
        return {"/hoc": "other_lesson"}.get(value or "", "retry" if (value or "").startswith(("/kiemtra", "/lamlai"))
                                            else "other")
    return {"/hoc": "learn", "/hoctiep": "learn", "/tiendo": "progress", "/trogiup": "help"}.get(value or "", "other")


def _same(expect: Any, got: Any) -> bool:
    if isinstance(expect, dict) and isinstance(got, dict):
        if "name" in expect:
            return _folded(str(expect["name"])) == _folded(str(got.get("name", "")))
        return (fold(str(expect.get("commune"))) == fold(str(got.get("commune")))
                and fold(str(expect.get("province"))) == fold(str(got.get("province"))))
    return bool(expect == got)


@dataclass
class Result:
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    # (prompt, expected class, what was understood): counts only, so a held-out file can be read without its text
    errors: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def rate(self, kind: str | None = None) -> float:
        total = self.total[kind] if kind else sum(self.total.values())
        right = self.right[kind] if kind else sum(self.right.values())
        return right / total if total else 0.0


def _cls(value: Any) -> str:
    if isinstance(value, dict):
        return "name" if "name" in value else "commune"
    if isinstance(value, int):
        return "number"
    return str(value)


def evaluate(path: Path) -> Result:
    """Every row of a corpus file read as the dialogue reads it."""
    result = Result()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        got = understood(row)
        result.total[row["prompt"]] += 1
        if _same(row["expect"], got):
            result.right[row["prompt"]] += 1
        else:
            result.errors[(row["prompt"], _cls(row["expect"]), _cls(got))] += 1
    return result


def report(paths: dict[str, Path], show_errors: bool) -> str:
    """A table of understood shares per prompt kind and split (and error categories when asked)."""
    results = {name: evaluate(p) for name, p in paths.items()}
    kinds = sorted({k for r in results.values() for k in r.total})
    lines = ["| prompt | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
    for kind in kinds:
        cells = [f"{r.rate(kind):.1%} ({r.right[kind]}/{r.total[kind]})" for r in results.values()]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("| **all** | " + " | ".join(
        f"**{r.rate():.1%}** ({sum(r.right.values())}/{sum(r.total.values())})" for r in results.values()) + " |")
    if show_errors:
        by: dict[str, list[str]] = defaultdict(list)
        for name, r in results.items():
            for (kind, expect, got), n in r.errors.most_common():
                by[name].append(f"  {kind}: expected {expect}, understood {got} × {n}")
        for name, rows in by.items():
            lines += ["", f"errors ({name}), by category:"] + rows
    return "\n".join(lines)


def situations_report(paths: dict[str, Path], model: Any) -> str:
    """Situation routing on labelled real-case messages: rules alone and rules with the model, per split."""
    from bot.situation import CALM, MISTAKE, PAY_NOW, SCAM_NOW, classify, route

    lines = ["| split | routing | scam now → emergency first | asked to pay → alarm | "
             "calm alarmed | honest mistake → scam alert |", "|---|---|---|---|---|---|"]
    for name, path in paths.items():
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        for label, with_model in (("rules", False), ("rules + model", True)):
            got = [(r["situation"], (route(r["text"], model) if with_model else classify(r["text"])).kind)
                   for r in rows]
            n = Counter(want for want, _ in got)
            hit = Counter(want for want, kind in got if kind == SCAM_NOW and want == SCAM_NOW)
            alarm_pay = sum(1 for want, kind in got if want == PAY_NOW and kind in (PAY_NOW, SCAM_NOW))
            calm_alarm = sum(1 for want, kind in got if want == CALM and kind in (PAY_NOW, SCAM_NOW))
            mistake_alarm = sum(1 for want, kind in got if want == MISTAKE and kind in (PAY_NOW, SCAM_NOW))
            lines.append(
                f"| {name} | {label} | {hit[SCAM_NOW]}/{n[SCAM_NOW]} ({hit[SCAM_NOW] / max(1, n[SCAM_NOW]):.0%}) | "
                f"{alarm_pay}/{n[PAY_NOW]} | {calm_alarm}/{n[CALM]} ({calm_alarm / max(1, n[CALM]):.0%}) | "
                f"{mistake_alarm}/{n[MISTAKE]} |")
    return "\n".join(lines)
