"""Cell addresses of any length: an answer's address names its sheet, and a returned file may
name a sheet at length (Excel stops at 31 characters; a file from elsewhere need not), which
PostgreSQL refused in an 80-character column, losing the reply.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("answers", "problems")


def upgrade() -> None:
    for table in TABLES:
        # Batch mode: SQLite rebuilds the table (nothing refers to these two), PostgreSQL alters it.
        with op.batch_alter_table(table) as batch:
            batch.alter_column("cell", type_=sa.Text(), existing_type=sa.String(length=80), existing_nullable=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("cell", type_=sa.String(length=80), existing_type=sa.Text(), existing_nullable=True)
