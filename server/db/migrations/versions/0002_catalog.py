"""catalog: products, SKUs with prices, model uploads, blobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The catalog moves into the database: product descriptions, fit profiles and their current model
upload; SKU colour, size, price and the model variant they show; every model upload (original and
prepared) with its import report; the file bytes themselves, content-addressed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.db.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blobs',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('created_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blobs'))
    )
    op.create_table('product_assets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('source_format', sa.String(length=8), nullable=False),
    sa.Column('original_sha256', sa.String(length=64), nullable=False),
    sa.Column('prepared_sha256', sa.String(length=64), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('size_mm', sa.JSON(), nullable=False),
    sa.Column('original_triangles', sa.Integer(), nullable=False),
    sa.Column('prepared_triangles', sa.Integer(), nullable=False),
    sa.Column('created_at', server.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['original_sha256'], ['blobs.sha256'], name=op.f('fk_product_assets_original_sha256_blobs')),
    sa.ForeignKeyConstraint(['prepared_sha256'], ['blobs.sha256'], name=op.f('fk_product_assets_prepared_sha256_blobs')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_assets_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_assets'))
    )
    with op.batch_alter_table('product_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_assets_product_id'), ['product_id'], unique=False)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='bundled', nullable=False))
        batch_op.add_column(sa.Column('fit', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column('default_variant', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('asset_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('edited', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))
        batch_op.add_column(sa.Column('updated_at', server.db.types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.add_column(sa.Column('colour', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('size', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('model_variant', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('price_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='EUR', nullable=False))
        batch_op.add_column(sa.Column('position', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.drop_column('position')
        batch_op.drop_column('currency')
        batch_op.drop_column('price_cents')
        batch_op.drop_column('model_variant')
        batch_op.drop_column('size')
        batch_op.drop_column('colour')

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('edited')
        batch_op.drop_column('revision')
        batch_op.drop_column('asset_id')
        batch_op.drop_column('default_variant')
        batch_op.drop_column('fit')
        batch_op.drop_column('source')
        batch_op.drop_column('description')

    with op.batch_alter_table('product_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_assets_product_id'))

    op.drop_table('product_assets')
    op.drop_table('blobs')
