"""SQLAlchemy tables. Portable types only, so SQLite and PostgreSQL share one schema.

One import for all of them: `from storage.models import User, …` (the tables live in base, core, reports,
community and cells)."""

from __future__ import annotations

from storage.models.base import NAMING as NAMING
from storage.models.base import TIMEZONE as TIMEZONE
from storage.models.base import TZ as TZ
from storage.models.base import Base as Base
from storage.models.base import as_utc as as_utc
from storage.models.base import utcnow as utcnow
from storage.models.cells import ALL_DAYS as ALL_DAYS
from storage.models.cells import COMMUNE_LEVEL as COMMUNE_LEVEL
from storage.models.cells import QUESTIONS_THON as QUESTIONS_THON
from storage.models.cells import THON_LEVEL as THON_LEVEL
from storage.models.cells import StatCell as StatCell
from storage.models.cells import StatGroup as StatGroup
from storage.models.cells import StatLesson as StatLesson
from storage.models.cells import StatMark as StatMark
from storage.models.cells import StatRepass as StatRepass
from storage.models.cells import StatState as StatState
from storage.models.cells import StatText as StatText
from storage.models.cells import StatTopic as StatTopic
from storage.models.community import ClassAttendance as ClassAttendance
from storage.models.community import ClassEvent as ClassEvent
from storage.models.community import ClassReminder as ClassReminder
from storage.models.community import ClassReply as ClassReply
from storage.models.community import Household as Household
from storage.models.community import Nudge as Nudge
from storage.models.community import StaffHamlet as StaffHamlet
from storage.models.core import AdminSession as AdminSession
from storage.models.core import AuditEvent as AuditEvent
from storage.models.core import ChannelToken as ChannelToken
from storage.models.core import Completion as Completion
from storage.models.core import Consent as Consent
from storage.models.core import DeliveryLease as DeliveryLease
from storage.models.core import Handoff as Handoff
from storage.models.core import InboxItem as InboxItem
from storage.models.core import JobRun as JobRun
from storage.models.core import OutboxItem as OutboxItem
from storage.models.core import QuestionLog as QuestionLog
from storage.models.core import QuizAnswer as QuizAnswer
from storage.models.core import QuizAttempt as QuizAttempt
from storage.models.core import ReferralLink as ReferralLink
from storage.models.core import Staff as Staff
from storage.models.core import StaffToken as StaffToken
from storage.models.core import SupportSession as SupportSession
from storage.models.core import User as User
from storage.models.core import VolunteerLink as VolunteerLink
from storage.models.reports import ActivityDay as ActivityDay
from storage.models.reports import ReportNote as ReportNote
from storage.models.reports import UnitTarget as UnitTarget
from storage.models.reports import UpstreamReport as UpstreamReport
from storage.models.reports import local_year as local_year
