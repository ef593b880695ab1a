"""membership.launch_role: the role a person's own launch gave, which a roster sync never lowers

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-11 10:00:00

Memberships of people who have launched take their current role as their launch role: until
then a sync overwrote it, so it may be the roster's, but their next launch sets it right.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MEMBERSHIP = sa.table(
    'membership', sa.column('role', sa.String), sa.column('launch_role', sa.String),
    sa.column('last_launch_at', sa.DateTime),
)


def upgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'launch_role',
            sa.Enum('student', 'coach', 'coordinator', name='role', native_enum=False, length=20),
            nullable=True,
        ))
    op.execute(
        MEMBERSHIP.update()
        .where(MEMBERSHIP.c.last_launch_at.is_not(None))
        .values(launch_role=MEMBERSHIP.c.role)
    )


def downgrade() -> None:
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('launch_role')
