"""Console settings (``REELQ_CONSOLE_`` prefix), read where the console is mounted."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELQ_CONSOLE_", env_file=".env", extra="ignore")

    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="User names (comma list) who see the console's admin page.",
    )

    @field_validator("admins", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        if isinstance(value, str):
            return [n.strip() for n in value.split(",") if n.strip()]
        return value
