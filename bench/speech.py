"""Speech-to-text benchmark: word error rate and real-time factor on ../shared/eval/speech.

Each clip is transcribed as recorded (clean) and after re-encoding the way phones send voice notes:
OGG/Opus at 24 kbit/s (Telegram), AAC (Zalo and most phones) and MP3 at 16 kbit/s, then quieter and noisier.
Every clip is heard twice: by the bare engine (decoded to 16 kHz, nothing else) and by the tutor's whole voice
path (`voice.listen`: decode, silence check, trim, level, transcribe), and the two are compared clip by clip,
per recording set: vieneu (the path was tuned on it), vivos and diadiem (reported only, never tuned on). The
diadiem answer words are also read by the read-back step ("đúng", "không", "trở lại").

    .venv/bin/python bench/speech.py [--dir ../shared/eval/speech] [--group vieneu] [--show] [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(ROOT))

from bot.config import shared_dir  # noqa: E402
from bot.voice import HEARD  # noqa: E402

SPEECH_DIR = shared_dir() / "eval" / "speech"

# (container, codec, sample rate, bit rate): what a voice note looks like on the way in.
OPUS = ("ogg", "libopus", 48000, 24000)
ENCODINGS = {
    "clean": None,
    "opus-24k": OPUS,
    "aac-32k": ("adts", "aac", 16000, 32000),
    "mp3-16k": ("mp3", "libmp3lame", 16000, 16000),
    # Harder, closer to a phone held at arm's length in a noisy room (then sent as a Telegram voice note).
    "quiet-opus": OPUS,  # at 1/20 of the recorded level
    "noisy-opus": OPUS,  # white noise at 10 dB signal-to-noise ratio
}

_UNITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def number_words(n: int) -> str:
    """A whole number 0–999,999 read in Vietnamese ("19" → "mười chín", "105" → "một trăm linh năm")."""
    if n < 10:
        return _UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        head = "mười" if tens == 1 else f"{_UNITS[tens]} mươi"
        if unit == 0:
            return head
        tail = {1: "mốt" if tens > 1 else "một", 4: "tư" if tens > 1 else "bốn", 5: "lăm"}.get(unit, _UNITS[unit])
        return f"{head} {tail}"
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_UNITS[hundreds]} trăm"
        if rest == 0:
            return head
        return f"{head} linh {_UNITS[rest]}" if rest < 10 else f"{head} {number_words(rest)}"
    thousands, rest = divmod(n, 1000)
    head = f"{number_words(thousands)} nghìn"
    if rest == 0:
        return head
    if rest < 100:
        return f"{head} không trăm {number_words(rest) if rest >= 10 else 'linh ' + _UNITS[rest]}"
    return f"{head} {number_words(rest)}"


def words(text: str) -> list[str]:
    """Words compared by the error rate: lower case, NFC, no punctuation, digits read out."""
    text = unicodedata.normalize("NFC", text.lower())
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} " if len(m.group()) <= 6 else m.group(), text)
    return re.findall(r"[^\W_]+", text)


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Substitutions + deletions + insertions turning `ref` into `hyp` (word level)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(pairs: list[tuple[str, str]]) -> float:
    """Corpus word error rate: total edits over total reference words."""
    edits = sum(edit_distance(words(r), words(h)) for r, h in pairs)
    total = sum(len(words(r)) for r, _ in pairs)
    return edits / max(1, total)


@dataclass
class ClipResult:
    """One clip in one condition, heard by the bare engine and by the tutor's whole voice path."""

    file: str
    encoding: str
    reference: str
    hypothesis: str  # the whole path, as `kynangso hear` and the tutor run it
    seconds: float
    compute: float  # seconds spent on the whole path (decode included)
    raw: str = ""  # the bare engine on the decoded 16 kHz samples: no silence check, trim or level
    outcome: str = ""

    @property
    def group(self) -> str:
        return group_of(self.file)

    @property
    def raw_edits(self) -> int:
        return edit_distance(words(self.reference), words(self.raw))

    @property
    def path_edits(self) -> int:
        return edit_distance(words(self.reference), words(self.hypothesis))


def degrade(samples: np.ndarray, condition: str, seed_text: str) -> np.ndarray:
    """The clip made quieter or noisier for the harder conditions (the same noise on every run)."""
    if condition == "quiet-opus":
        return (samples.astype(np.float32) / 20).astype(np.int16)
    if condition == "noisy-opus":
        rng = np.random.default_rng(sum(seed_text.encode()))
        power = float((samples.astype(np.float32) ** 2).mean())
        noisy = samples + rng.normal(0.0, (power / 10.0) ** 0.5, samples.size)
        return np.clip(noisy, -32768, 32767).astype(np.int16)
    return samples


def group_of(file: str) -> str:
    """The recording set a clip belongs to, from its file name: vieneu, vivos or diadiem."""
    return file.split("_", 1)[0]


GROUPS = ("vieneu", "vivos", "diadiem")
TUNED = "vieneu"  # the voice path was tuned on these clips only; the others are reported, never tuned on


def run(speech_dir: Path = SPEECH_DIR, groups: tuple[str, ...] = (TUNED,), raw: bool = True,
        encodings: tuple[str, ...] = tuple(ENCODINGS)) -> list[ClipResult]:
    """Transcribe every clip of the given groups in every encoding with the bundled engine, through the whole
    voice path (`voice.listen`) and, with `raw`, by the bare engine on the same decoded samples.

    The vieneu clips are the ones the voice path was tuned on; vivos and diadiem (added to the shared folder
    later) are kept apart so that tuned and untuned figures are never mixed."""
    from bot import voice

    transcriber = voice.make_transcriber("viet-asr")
    if transcriber is None:
        raise SystemExit("viet-asr is not installed: pip install '.[voice]'")
    assert isinstance(transcriber, voice.VietAsr)
    transcriber.load()
    out = []
    for line in (speech_dir / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if group_of(item["file"]) not in groups:
            continue
        original = (speech_dir / item["file"]).read_bytes()
        clean = voice.decode(original)
        for name, enc in ENCODINGS.items():
            if name not in encodings:
                continue
            data = original if enc is None else voice.encode(degrade(clean, name, item["file"]), *enc)
            started = time.perf_counter()
            heard = voice.listen(data, transcriber)  # decoding is part of the cost of a voice note, as in the tutor
            compute = time.perf_counter() - started
            samples = voice.decode(data)
            bare = transcriber.transcribe(samples) if raw else ""
            out.append(ClipResult(item["file"], name, item["text"], heard.text, voice.seconds(samples), compute,
                                  bare, heard.outcome))
    return out


def summary(results: list[ClipResult]) -> dict[str, dict[str, float]]:
    """Per encoding: WER of the whole path (and of the bare engine), real-time factor (compute / audio length)
    and audio seconds. Mixes the groups given: call it on one group's results."""
    table = {}
    for name in ENCODINGS:
        rows = [r for r in results if r.encoding == name]
        if not rows:
            continue
        audio = sum(r.seconds for r in rows)
        table[name] = {"wer": round(wer([(r.reference, r.hypothesis) for r in rows]), 4),
                       "raw_wer": round(wer([(r.reference, r.raw) for r in rows]), 4),
                       "rtf": round(sum(r.compute for r in rows) / max(audio, 1e-9), 3),
                       "audio_seconds": round(audio, 1), "clips": len(rows)}
    return table


def by_group(results: list[ClipResult]) -> dict[str, dict[str, dict[str, float]]]:
    """`summary` for each group apart, plus how many clips the path heard worse or better than the bare engine."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for group in GROUPS:
        mine = [r for r in results if r.group == group]
        if not mine:
            continue
        table = summary(mine)
        for name, row in table.items():
            rows = [r for r in mine if r.encoding == name]
            row["words"] = sum(len(words(r.reference)) for r in rows)
            row["worse"] = sum(r.path_edits > r.raw_edits for r in rows)
            row["better"] = sum(r.path_edits < r.raw_edits for r in rows)
        out[group] = table
    return out


# What each diadiem answer word means said to the read-back "Cháu nghe bác hỏi «…». Có phải vậy không ạ?":
# True, heard right; False, say it again.
ANSWER_WORDS = {"đúng": True, "không": False, "trở lại": False}


def readback(results: list[ClipResult]) -> list[tuple[ClipResult, bool | None, bool | None]]:
    """The diadiem answer words as the read-back step takes what the whole path heard: (clip, meant, understood);
    understood is None when it would be taken as a new question, or when nothing was heard."""
    from bot.values import heard_right

    out = []
    for r in results:
        if r.group != "diadiem":
            continue
        got = heard_right(r.hypothesis) if r.outcome == HEARD else None
        out.append((r, ANSWER_WORDS.get(r.reference.lower().strip(" .")), got))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=SPEECH_DIR)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="print every transcript, bare engine and whole path")
    parser.add_argument("--group", action="append", default=None, choices=GROUPS,
                        help="recording set: vieneu (tuned on), vivos, diadiem; repeat for several (default: all)")
    args = parser.parse_args(argv)
    results = run(args.dir, tuple(args.group or GROUPS))
    tables = by_group(results)
    understood = readback(results)
    if args.json:
        print(json.dumps({"groups": tables, "readback": [
            {"file": r.file, "encoding": r.encoding, "heard": r.hypothesis, "meant": meant, "understood": got}
            for r, meant, got in understood]}, indent=2, ensure_ascii=False))
        return 0
    if args.show:
        for r in results:
            print(f"{r.encoding:10} {r.file:32} raw: {r.raw} | path: {r.hypothesis}")
        print()
    print("| group | audio | clips | words | WER bare engine | WER whole path | clips worse / better | RTF |")
    print("|---|---|---|---|---|---|---|---|")
    for group, table in tables.items():
        label = f"{group} (tuned on)" if group == TUNED else group
        for name, row in table.items():
            print(f"| {label} | {name} | {row['clips']} | {row['words']} | {row['raw_wer'] * 100:.1f}% | "
                  f"{row['wer'] * 100:.1f}% | {row['worse']} / {row['better']} | {row['rtf']:.2f} |")
    differ = [r for r in results if r.path_edits != r.raw_edits]
    if differ:
        print("\nClips the whole path heard differently from the bare engine (word errors: bare → path):")
        for r in differ:
            print(f"  {r.group:8} {r.encoding:10} {r.file:32} {r.raw_edits} → {r.path_edits}  "
                  f"bare: «{r.raw}»  path: «{r.hypothesis}»")
    if understood:
        right = sum(meant is not None and got is meant for _, meant, got in understood)
        print(f"\nRead-back step on the diadiem answer words (whole path): {right}/{len(understood)} understood")
        names = {True: "đúng (yes)", False: "nói lại (again)", None: "a new question"}
        for r, meant, got in understood:
            mark = "ok " if got is meant else "NO "
            taken = names[got] if r.outcome == HEARD else f"nothing heard ({r.outcome}): asked to say it again"
            print(f"  {mark} {r.encoding:10} {r.file:28} said «{r.reference}», heard «{r.hypothesis}» → {taken}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
