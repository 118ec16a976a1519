"""a sent reply's mark as one call on PostgreSQL: the lease renewed, the reply marked, the lease given up when
nothing more waits (each step reads what was committed before it, as separate statements of one transaction do)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 21:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# States: 'released' (marked; nothing else waits; the lease given up), 'queued' (marked; more waits; the lease kept),
# 'kept' (marked; `p_release` false: more of the batch follows),
# 'taken' (another holder has the lease: nothing done), 'erased' (a reply to a deletion request: lease renewed,
# nothing marked — the caller tidies in its own transaction). `marked` is false when another sender had already
# marked the reply (it went out twice). In a PL/pgSQL function each statement takes a new snapshot (READ
# COMMITTED), so the release sees every reply committed before the renewal locked the lease row, as
# `Tutor.mark_and_next` does with three statements in one transaction.
FUNCTION = """
CREATE OR REPLACE FUNCTION kns_mark_sent(p_channel text, p_chat text, p_holder text, p_now timestamptz,
                                         p_expires timestamptz, p_outbox bigint, p_error text, p_release boolean,
                                         OUT state text, OUT marked boolean)
LANGUAGE plpgsql AS $$
DECLARE
    took text;
BEGIN
    marked := false;
    INSERT INTO delivery_leases (channel, channel_user_id, holder, expires_at)
    VALUES (p_channel, p_chat, p_holder, p_expires)
    ON CONFLICT (channel, channel_user_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
    WHERE delivery_leases.holder = p_holder OR delivery_leases.expires_at < p_now
    RETURNING holder INTO took;
    IF took IS NULL THEN
        state := 'taken';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM outbox o JOIN inbox i ON i.id = o.inbox_id
               WHERE o.id = p_outbox AND (i.payload ->> 'erased') = 'true') THEN
        state := 'erased';
        RETURN;
    END IF;
    UPDATE outbox SET sent_at = p_now, error = p_error WHERE id = p_outbox AND sent_at IS NULL;
    marked := FOUND;
    IF NOT p_release THEN
        state := 'kept';
        RETURN;
    END IF;
    DELETE FROM delivery_leases
    WHERE channel = p_channel AND channel_user_id = p_chat AND holder = p_holder
      AND NOT EXISTS (SELECT 1 FROM outbox WHERE channel = p_channel AND channel_user_id = p_chat
                      AND sent_at IS NULL);
    state := CASE WHEN FOUND THEN 'released' ELSE 'queued' END;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS "
                   "kns_mark_sent(text, text, text, timestamptz, timestamptz, bigint, text, boolean)")
