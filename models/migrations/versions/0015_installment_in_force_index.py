"""installment (contract_id, effective_from, superseded_on): the in-force test from the index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01

Today's arrears ask, for every contract, whether an installment is in force; with these
columns in the index the answer needs no installment row (SQLite: 0.97 -> 0.59 s for the
province's 100,000 contracts). It replaces the index on contract_id alone, which it serves too.
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("installment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_installment_in_force",
            ["contract_id", "effective_from", "superseded_on"],
            unique=False,
        )
        batch_op.drop_index("ix_installment_contract_id")


def downgrade() -> None:
    with op.batch_alter_table("installment", schema=None) as batch_op:
        batch_op.create_index("ix_installment_contract_id", ["contract_id"], unique=False)
        batch_op.drop_index("ix_installment_in_force")
