"""Scheduled jobs (APScheduler 3, AsyncIOScheduler): spaced-review reminders, admins' weekly digest and
quarterly report, and the push of quarterly totals to a parent instance (bot/reports.py).

Every run claims a (job, period) row first, so a second scheduler or a restart never repeats it, and
each learner is handled in their own transaction with their row locked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import conversation, privacy, reports
from bot.capabilities import capability, pushable
from bot.community import Community
from bot.reach import quiet as _quiet
from storage import cells, community, repo, schedule
from storage.models import TZ, ClassEvent, Staff, User, as_utc, utcnow

if TYPE_CHECKING:
    from bot.config import PrivacySettings
    from bot.learning import Learning
    from storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobDeps:
    """What the scheduled jobs use (wired in bot.app)."""

    db: Database
    learning: Learning  # review offers
    community: Community  # class reminders
    privacy: PrivacySettings  # retention
    data_dir: Path  # data exports left behind
    reports: reports.ReportDeps  # the admins' reports and the upstream push


async def review_reminders(db: Database, learning: Learning, now: datetime | None = None) -> int:
    """Queue today's review offers for learners a channel lets us reach; return how many were queued."""
    now = now or utcnow()
    if _quiet(now):
        return 0
    period = now.astimezone(TZ).strftime("%Y-%m-%dT%H")
    async with db.transaction() as s:
        if not await repo.job_claim(s, "review-reminders", period):
            return 0
        ids = await schedule.reachable_ids(s, pushable())
    queued = 0
    for user_id in ids:
        async with db.transaction() as s:
            user = await schedule.lock_user(s, user_id)
            window = capability(user.channel).push_window if user else None
            if user is None or window is None:
                continue
            if now - as_utc(user.last_seen_at) > window:
                continue  # outside the channel's window: kept for the next visit
            if await repo.active_attempt(s, user.id) is not None:
                continue
            ctx = conversation.load(user.context)
            offer = await learning.review_due(s, user, ctx, now)
            if offer is None:
                continue
            user.context = conversation.dump(ctx)
            await repo.outbox_push(s, user.channel, user.channel_user_id, offer.to_payload())
            queued += 1
    log.info("review reminders for %s: %d queued", period, queued)
    return queued


async def class_reminders(db: Database, classes: Community, now: datetime | None = None) -> int:
    """The day before a class (or one of a province's campaign days): remind opted-in learners of its unit, once
    each (a province's campaign days that fall on one day make one message).

    A learner outside their channel's window is skipped (a reminder after the class would be no use);
    the unique (class, day, learner) row keeps a second scheduler or a later hour from sending it again.
    Organisers of yesterday's classes are asked, once, how many came.
    """
    now = now or utcnow()
    if _quiet(now):
        return 0
    local = now.astimezone(TZ).date()
    tomorrow, yesterday = local + timedelta(days=1), local - timedelta(days=1)
    channels = pushable()
    async with db.transaction() as s:
        events = await schedule.active_events(s)
        # An event whose dates cannot be worked out has none (community.occurrences logs it): the others are
        # still reminded.
        due = []
        campaign_days: set[int | None] = set()
        # Yearly campaign days before monthly ones: two campaigns of a province on one day make one message.
        for e in sorted(events, key=lambda e: (e.kind != "campaign" or e.repeat != "yearly", e.id)):
            if not community.occurrences(e, tomorrow, tomorrow):
                continue
            if e.kind == "campaign":
                if e.province_code in campaign_days:
                    continue
                campaign_days.add(e.province_code)
            due.append((e.id, e.province_code, e.ward_code))
        ended = [e.id for e in events if e.kind == "class" and e.staff_id is not None
                 and community.occurrences(e, yesterday, yesterday)]
    queued = 0
    for class_id, province_code, ward_code in due:
        async with db.transaction() as s:
            ids = await schedule.class_audience(s, province_code, ward_code, channels)
        for user_id in ids:
            async with db.transaction() as s:
                user = await schedule.lock_user(s, user_id)
                window = capability(user.channel).push_window if user else None
                if user is None or window is None or now - as_utc(user.last_seen_at) > window:
                    continue
                event = await s.get(ClassEvent, class_id)
                if event is None or not await community.claim_reminder(s, class_id, tomorrow, user_id):
                    continue
                await repo.outbox_push(s, user.channel, user.channel_user_id,
                                       classes.reminder(event, tomorrow).to_payload())
                queued += 1
    for class_id in ended:
        async with db.transaction() as s:
            event = await s.get(ClassEvent, class_id)
            staff = await s.get(Staff, event.staff_id) if event and event.staff_id else None
            person = await s.get(User, staff.user_id) if staff and staff.user_id else None
            if event is None or person is None or not person.active:
                continue
            if not await repo.job_claim(s, "class-attendance", f"{class_id}:{yesterday.isoformat()}"):
                continue
            await repo.outbox_push(s, person.channel, person.channel_user_id,
                                   Community.attendance_prompt(event, yesterday).to_payload())
    log.info("class reminders for %s: %d queued", tomorrow, queued)
    return queued


async def purge_old_records(db: Database, cfg: PrivacySettings, data_dir: Path,
                            now: datetime | None = None) -> dict[str, int]:
    """Delete records past their retention (settings.privacy); returns how many rows per table."""
    now = now or utcnow()
    async with db.transaction() as s:
        done = await schedule.purge_expired(s, now, cfg.question_log_days, cfg.inbox_days, cfg.audit_days)
    # A data export is deleted as soon as it is sent; one never sent (a failed send) goes after a day.
    done["exports"] = privacy.remove_exports(data_dir / "exports", older_than=now - timedelta(days=1))
    log.info("retention purge: %s", done)
    return done


async def refresh_statistics(db: Database, pass_ratio: float) -> int:
    """Count again the statistics cells that changed since the last refresh (storage/cells.py); how many marks.
    Reports refresh before they read too, so this only keeps that step short."""
    async with db.transaction() as s:
        return await cells.refresh(s, pass_ratio)


def build_scheduler(deps: JobDeps) -> AsyncIOScheduler:
    """The scheduler with every job registered (not started)."""
    scheduler = AsyncIOScheduler(timezone=TZ)
    scheduler.add_job(review_reminders, "cron", minute=5, args=[deps.db, deps.learning], id="review-reminders",
                      coalesce=True, max_instances=1, misfire_grace_time=600)
    scheduler.add_job(class_reminders, "cron", minute=10, args=[deps.db, deps.community], id="class-reminders",
                      coalesce=True, max_instances=1, misfire_grace_time=600)
    # Every minute: refreshes take turns (a lock), so several schedulers are harmless.
    scheduler.add_job(refresh_statistics, "interval", minutes=1, args=[deps.db, deps.reports.kb.pass_ratio],
                      id="statistics-refresh", coalesce=True, max_instances=1, misfire_grace_time=60)
    # Every night; deleting twice is harmless, so no claim is needed.
    scheduler.add_job(purge_old_records, "cron", hour=3, minute=20, args=[deps.db, deps.privacy, deps.data_dir],
                      id="retention-purge", coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
    rep = deps.reports
    cfg = rep.cfg
    if cfg.weekly:
        # Monday morning; a scheduler that was down then catches up the same day (claims keep it to once).
        scheduler.add_job(reports.weekly_digest, "cron", day_of_week="mon", hour="7-20", minute=30,
                          args=[rep.db, rep.kb], id="weekly-digest", coalesce=True, max_instances=1,
                          misfire_grace_time=3600)
    if cfg.quarterly:
        # Every morning; reports.due_period makes it a no-op except in the days after a report period ends
        # (by default the 15th to the 19th of a quarter's last month), and claims keep it to once per period.
        scheduler.add_job(reports.quarterly_report, "cron", hour=8, minute=0,
                          args=[rep], id="quarterly-report", coalesce=True, max_instances=1,
                          misfire_grace_time=3600)
        # The year's report on the same periods, after its fourth quarter (a no-op the rest of the year).
        scheduler.add_job(reports.annual_report, "cron", hour=8, minute=5,
                          args=[rep], id="annual-report", coalesce=True, max_instances=1,
                          misfire_grace_time=3600)
    if cfg.upstream_url:
        scheduler.add_job(reports.push_upstream, "cron", hour="9-17", minute=15,
                          args=[rep], id="upstream-push", coalesce=True, max_instances=1, misfire_grace_time=3600)
    return scheduler
