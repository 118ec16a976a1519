"""Voice notes: decode any phone format to 16 kHz mono, transcribe off the event loop, read answers aloud.

The speech engine sits behind `Transcriber` (one method, samples in, text out). The bundled engine is
`viet-asr` (the `voice` extra); without it voice notes are answered with a kind request to type.
Audio is decoded in memory and never written anywhere: only the (redacted) transcript is kept.
"""

from __future__ import annotations

import asyncio
import io
import logging
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

RATE = 16000
MAX_BYTES = 5 * 1024 * 1024  # a minute of any voice-note codec is well under this

# What became of a voice note; the dialogue answers each kind differently.
HEARD = "ok"  # words were heard: `text` holds them
TOO_LONG = "too_long"  # over the length limit: asked for a shorter question
SILENT = "silent"  # decoded, but no words came out
UNREADABLE = "unreadable"  # not audio we can decode, or it could not be fetched
BUSY = "busy"  # too many voice notes waiting to be transcribed in this process
UNAVAILABLE = "unavailable"  # no speech engine installed


class AudioError(ValueError):
    """The bytes are not audio we can decode."""


class TooLong(AudioError):
    """The audio is longer than allowed (found while decoding, before it is all decoded)."""


def decode(data: bytes, max_seconds: float | None = None) -> np.ndarray:
    """Any container/codec FFmpeg knows (OGG/Opus, AAC/M4A, MP3, AMR, WAV…) → int16 mono at 16 kHz.

    Raises TooLong as soon as more than `max_seconds` have been decoded, AudioError for anything else.
    """
    import av  # imported here: the web pages and the CLI never need it

    limit = None if max_seconds is None else int((max_seconds + 0.5) * RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioError("no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    chunks.append(samples)
                    total += samples.size
                if limit is not None and total > limit:
                    raise TooLong(f"over {max_seconds} s")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except AudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds for bad input; all mean "not audio"
        raise AudioError(type(exc).__name__) from exc
    if not chunks:
        raise AudioError("no audio frames")
    return np.concatenate(chunks).astype(np.int16, copy=False)


def encode(samples: np.ndarray, fmt: str = "ogg", codec: str = "libopus", rate: int = 48000,
           bit_rate: int = 24000) -> bytes:
    """int16 mono 16 kHz samples → a compressed file in memory (OGG/Opus like a Telegram voice note)."""
    import av
    from av.audio.stream import AudioStream

    buf = io.BytesIO()
    with av.open(buf, mode="w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        assert isinstance(stream, AudioStream)
        stream.layout = "mono"
        if bit_rate:
            stream.bit_rate = bit_rate
        resampler = av.AudioResampler(format=stream.format, layout="mono", rate=rate)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1).astype(np.int16), format="s16", layout="mono")
        frame.sample_rate = RATE
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def seconds(samples: np.ndarray) -> float:
    """Length of 16 kHz samples in seconds."""
    return float(samples.size) / RATE


_WINDOW = 480  # 30 ms at 16 kHz


def _window_rms(samples: np.ndarray) -> np.ndarray:
    """Loudness (int16 RMS) of each whole 30 ms window."""
    n = samples.size // _WINDOW
    frames = samples[: n * _WINDOW].astype(np.float32).reshape(n, _WINDOW)
    rms: np.ndarray = np.sqrt((frames**2).mean(axis=1))
    return rms


def is_silent(samples: np.ndarray, threshold: float = 200.0) -> bool:
    """True when no 30 ms window rises above a quiet room: nothing worth transcribing."""
    return samples.size < RATE // 10 or bool(_window_rms(samples).max() < threshold)


MARGIN = 0.3  # seconds kept after the last sound (and before the first, when a long wait is cut)
LONG_WAIT = 2.0  # seconds of silence before the first sound beyond which the start is cut at all


def speech_span(samples: np.ndarray, margin: float = MARGIN, long_wait: float = LONG_WAIT) -> tuple[int, int]:
    """The part of a recording worth transcribing, as a (start, end) sample range: up to `margin` seconds after
    its last sound; from its very start, unless the person waited over `long_wait` seconds before the first
    sound (then from `margin` seconds before it). The whole recording when it has no clear silence.

    The end is cut because it costs compute and nothing else: past the last sound the engine's words do not change
    (the 11 vieneu clips heard the same with 0.05 to 1 s kept after it). The start is left alone because the
    engine's words depend on where the recording starts, to 10 ms: on those clips, moving the start by 0 to 1 s
    of room noise gave 4 to 10 word errors in 150, with no trend. Cutting it only pays off after a long wait.

    A 30 ms window counts as sound when it is louder than twice the room (the quietest tenth of the windows)
    and than 1/100 of the loudest window (40 dB down, well below a soft last syllable). A pause inside speech is
    never cut, and a recording whose quietest tenth is within 14 dB of its loudest window (noise all along, or
    speech from end to end) is left whole: telling its silence from soft speech would be a guess.
    """
    n = samples.size
    if n < 2 * _WINDOW:
        return 0, n
    rms = _window_rms(samples)
    peak = float(rms.max())
    room = float(np.percentile(rms, 10))
    if peak <= 0 or 2.0 * room > 0.1 * peak:
        return 0, n
    loud = np.flatnonzero(rms > max(2.0 * room, 0.01 * peak))
    keep = int(margin * RATE)
    first, last = int(loud[0]) * _WINDOW, (int(loud[-1]) + 1) * _WINDOW
    start = first - keep if first > long_wait * RATE else 0
    return start, min(n, last + keep)


def prepare(samples: np.ndarray, peak: float = 0.7, max_gain: float = 30.0, quiet_below: float = 0.3) -> np.ndarray:
    """Silence after the last sound trimmed (0.3 s kept; the start only after a long wait: `speech_span`) and a
    quiet recording raised to a steady level without clipping.

    Older people often hold the phone far away: the recordings at 1/20 of their level were transcribed with
    6.0% word errors, 4.0% once raised (bench/speech.py). Notes already at a normal level are left alone
    (raising them too made one more error in 150 words on AAC and MP3).
    """
    if samples.size < _WINDOW:
        return samples
    start, end = speech_span(samples)
    samples = samples[start:end]
    top = float(np.abs(samples.astype(np.float32)).max()) if samples.size else 0.0
    if top <= 0:
        return samples
    if top >= quiet_below * 32767.0:
        return samples
    gain = min(max_gain, peak * 32767.0 / top)
    raised: np.ndarray = np.clip(samples.astype(np.float32) * gain, -32768, 32767).astype(np.int16)
    return raised


class Transcriber(Protocol):
    """Speech to text: 16 kHz mono int16 samples in, lower-case Vietnamese words out ("" for none)."""

    name: str

    def transcribe(self, samples: np.ndarray) -> str: ...


class VietAsr:
    """The `viet-asr` engine: its Vietnamese model is embedded in the wheel (no download, no network)."""

    name = "viet-asr"

    def __init__(self) -> None:
        import vietasr  # noqa: F401 - fail now, at start-up, when the extra is missing

        self._pipeline: object | None = None
        self._lock = threading.Lock()  # one pipeline, used by one thread at a time

    def load(self) -> None:
        """Load the model (about half a second); done on first use otherwise."""
        with self._lock:
            self._load()

    def _load(self) -> object:
        if self._pipeline is None:
            import vietasr

            self._pipeline = vietasr.Pipeline.preset("transcribe")
        return self._pipeline

    def transcribe(self, samples: np.ndarray) -> str:
        with self._lock:
            pipeline = self._load()
            result = pipeline.transcribe(np.ascontiguousarray(samples, dtype=np.int16), float(RATE))  # type: ignore[attr-defined]
        return " ".join(str(result.text or "").split())


def make_transcriber(engine: str) -> Transcriber | None:
    """The configured engine, or None when it is off or not installed (voice notes then get a kind refusal)."""
    if engine == "off":
        return None
    try:
        return VietAsr()
    except ImportError:
        log.warning("voice notes are off: viet-asr is not installed (pip install '.[voice]')")
        return None


# Foreign names as Vietnamese speakers say them, and as a speech engine writes them down in Vietnamese
# syllables ("vê en ai đi"): put back the way the lessons write them, so retrieval finds them and the
# read-back looks familiar. Each term is a sequence of syllable sets; "?" marks an optional syllable.
_SPOKEN_TERMS: list[tuple[str, list[frozenset[str]], frozenset[int]]] = []


def _term(canonical: str, *parts: str, optional: tuple[int, ...] = ()) -> None:
    _SPOKEN_TERMS.append((canonical, [frozenset(p.split("|")) for p in parts], frozenset(optional)))


_term("VNeID", "vê|vi|vờ|v|vy", "en|nờ|nê|n|ne|nơ", "e|ê|i|y|ây|ơ", "ai|i|y|ay|ài", "đi|đê|dê|di|đờ|d", optional=(2,))
_term("VNeID", "vê|vi|vờ", "nây|nai|nê|ne", "ai|i|đi|di", "đi|đê|di", optional=(2,))
_term("OTP", "ô|o|âu", "tê|ti|tờ|tơ", "pê|pi|pờ|bê")
_term("QR", "qui|quy|kiu|cu|kiều", "a|ar|rờ|e-rờ|ơ")
_term("Zalo", "da|za|gia|ja|dà|giá", "lô|lồ|lố")
_term("Facebook", "phây|phê|phết|fây|phay|phầy", "búc|bút|bục|buc|bốc")
_term("YouTube", "diu|iu|du|yu|giu|dìu", "túp|tiúp|tút|típ|tu")
_term("Google", "gu|gú|gù", "gồ|gô|gơ|gờ")
_term("wifi", "oai|wai|quai|goai|quay", "phai|fai|phay")
_term("internet", "in|inh", "tơ|tờ|tê", "nét|nẹt")
_term("banking", "banh|bem|ban|băng|beng", "king|kinh|kin|kìn")
_term("Smart", "xì|sờ|xờ|ét|sì", "mát|mạt|mat")
_term("SMS", "ét|ếch|ét-xì", "em|mờ|mơ", "ét|ếch|xì")
_term("iPhone", "ai|ay", "phôn|phon|phồn")
_term("Android", "an|en|ăn", "đờ|đơ|đ", "roi|rôi|rội|roai", optional=(1,))


def spoken_terms(text: str) -> str:
    """'làm sao cài vê en ai đi' → 'làm sao cài VNeID'; other words unchanged."""
    tokens = text.split()
    low = [t.lower().strip(",.?!") for t in tokens]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for canonical, parts, optional in _SPOKEN_TERMS:
            j = _match(low, i, parts, optional)
            if j is not None:
                out.append(canonical)
                i = j
                break
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)


def _match(low: list[str], start: int, parts: list[frozenset[str]], optional: frozenset[int]) -> int | None:
    """End index of the term's syllables from `start`, or None (optional syllables may be skipped)."""
    i = start
    for n, part in enumerate(parts):
        if i < len(low) and low[i] in part:
            i += 1
        elif n not in optional:
            return None
    return i


_DIGIT_WORDS = {"không": "0", "linh": "0", "một": "1", "mốt": "1", "hai": "2", "ba": "3", "bốn": "4", "tư": "4",
                "năm": "5", "lăm": "5", "sáu": "6", "bảy": "7", "bẩy": "7", "tám": "8", "chín": "9"}


def spoken_digits(text: str, at_least: int = 4) -> str:
    """Numbers read out digit by digit become digits: "mã là bốn tám hai chín một ba" → "mã là 482913".

    A speech engine writes what it hears as words; an OTP, a card or an ID number read aloud must reach the
    redaction as digits, or it would be stored. Runs shorter than `at_least` words ("hai ba ngày") stay words.
    """
    tokens = text.split()
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= at_least:
            out.append("".join(_DIGIT_WORDS.get(t.lower(), t) for t in run))
        else:
            out.extend(run)
        run.clear()

    for tok in tokens:
        if tok.lower() in _DIGIT_WORDS or tok.isdigit():
            run.append(tok)
        else:
            flush()
            out.append(tok)
    flush()
    return " ".join(out)


@dataclass(frozen=True)
class Heard:
    """What a voice note said, or why there is nothing to read."""

    outcome: str
    text: str = ""
    seconds: float = 0.0


def listen(data: bytes, transcriber: Transcriber, max_seconds: float = 60.0) -> Heard:
    """One voice note, the whole way: decode to 16 kHz, refuse silence, trim and level, transcribe, put back
    foreign names and read-out digits. The tutor (`Listener`), `kynangso hear` and bench/speech.py all use this."""
    try:
        samples = decode(data, max_seconds)
    except TooLong:
        return Heard(TOO_LONG, seconds=max_seconds)
    except AudioError as exc:
        log.info("voice note not decodable: %s", exc)
        return Heard(UNREADABLE)
    length = seconds(samples)
    if length > max_seconds:
        return Heard(TOO_LONG, seconds=length)
    if is_silent(samples):
        return Heard(SILENT, seconds=length)
    text = spoken_digits(spoken_terms(transcriber.transcribe(prepare(samples)))).strip()
    return Heard(HEARD if text else SILENT, text, length)


class Listener:
    """Transcribes voice notes in worker threads with a bounded queue, so one long note never holds up
    the event loop or other people's messages; notes beyond the queue are answered "busy" at once."""

    def __init__(self, transcriber: Transcriber | None, max_seconds: float = 60.0, threads: int = 1,
                 queue: int = 8) -> None:
        self.transcriber = transcriber
        self.max_seconds = max_seconds
        self.queue = queue
        self._executor = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="asr")
        self._waiting = 0

    @property
    def available(self) -> bool:
        return self.transcriber is not None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _work(self, data: bytes) -> Heard:
        assert self.transcriber is not None
        return listen(data, self.transcriber, self.max_seconds)

    async def hear(self, fetch: Callable[[], Awaitable[bytes]], declared_seconds: float | None = None) -> Heard:
        """Fetch, decode and transcribe one note; never raises for bad audio."""
        if self.transcriber is None:
            return Heard(UNAVAILABLE)
        if declared_seconds is not None and declared_seconds > self.max_seconds:
            return Heard(TOO_LONG, seconds=declared_seconds)  # not even downloaded
        if self._waiting >= self.queue:
            return Heard(BUSY)
        self._waiting += 1
        try:
            try:
                data = await fetch()
            except Exception as exc:  # noqa: BLE001 - a download that failed: say so kindly, keep going
                log.warning("voice note could not be fetched: %s", type(exc).__name__)
                return Heard(UNREADABLE)
            if not data or len(data) > MAX_BYTES:
                return Heard(TOO_LONG if data else UNREADABLE)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._work, data)
        finally:
            self._waiting -= 1


# ---------------------------------------------------------------- reading aloud


def tts_available() -> bool:
    """True when Debian's espeak-ng (the only offline Vietnamese voice found) is installed."""
    return shutil.which("espeak-ng") is not None


def speak(text: str, voice: str = "vi", speed: int = 130) -> bytes:
    """The text read by espeak-ng, as an OGG/Opus voice note (raises RuntimeError when it cannot)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        # The text goes on stdin, never through a shell.
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(wav), "--stdin"], input=text.encode(),
                       check=True, capture_output=True, timeout=60)
        samples = decode(wav.read_bytes())
    return encode(samples)
