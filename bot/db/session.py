"""The async engine and session factory for DATABASE_URL (SQLite or PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker


def make_engine(database_url: str) -> AsyncEngine:
    return create_async_engine(database_url, future=True, pool_pre_ping=True)


def make_sessions(engine: AsyncEngine) -> sessionmaker:
    # expire_on_commit=False: objects stay readable after commit, no lazy loads under asyncio.
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
