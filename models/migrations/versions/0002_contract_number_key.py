"""contract.number_key: contract numbers matched without spaces

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def upgrade() -> None:
    with op.batch_alter_table("contract") as batch:
        batch.add_column(sa.Column("number_key", sa.String(length=60), nullable=True))
    contract = sa.table(
        "contract", sa.column("id", sa.Integer), sa.column("contract_no"), sa.column("number_key")
    )
    connection = op.get_bind()
    # The same rule as models.contract.contract_number_key, frozen here as migrations must be.
    rows = connection.execute(sa.select(contract.c.id, contract.c.contract_no)).all()
    for row in rows:
        key = "".join(row.contract_no.translate(_THAI_DIGITS).split()).casefold()
        connection.execute(
            contract.update().where(contract.c.id == row.id).values(number_key=key)
        )
    with op.batch_alter_table("contract") as batch:
        batch.alter_column("number_key", existing_type=sa.String(length=60), nullable=False)
        batch.create_index(batch.f("ix_contract_number_key"), ["number_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contract") as batch:
        batch.drop_index(batch.f("ix_contract_number_key"))
        batch.drop_column("number_key")
