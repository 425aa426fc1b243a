"""Hook points: how a lower app lets the apps built on it react, without importing them.

Layers run one way (core ← leads ← scoring ← handoff ← feedback). Where a lower app must let a
higher one react to what it did (a stage changed, a contact's data changed), it declares a `Hook`
in its own `hooks.py` and calls it; the higher app registers a receiver in its
`AppConfig.ready()`. Receivers run in registration order, which is `INSTALLED_APPS` order, inside
the caller's transaction. Unlike Django signals, the order is fixed and each app's `hooks.py`
lists who listens; `tests/test_hooks.py` asserts the wiring.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    """A piece of a page that another app renders (what a page's panels hook returns): the
    page includes `template` with `panel` = context."""

    template: str
    context: Any
    scripts: tuple[str, ...] = ()  # static paths the page loads (deferred) in its head


@dataclass(frozen=True)
class Column:
    """A column that another app adds to a list page (what a list's columns hook returns): the
    header `label`, `values(ids)` giving each shown row's cell value by row id (one query for
    the page, not one per row), and the `template` that renders a cell with `value`."""

    label: str
    values: Callable[[list[int]], dict[int, Any]]
    template: str


class Hook:
    """One hook point: a name, what it is for, and its receivers in call order."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc
        self._receivers: list[Callable[..., Any]] = []

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {', '.join(self.names()) or 'no receivers'}>"

    @property
    def receivers(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._receivers)

    def names(self) -> list[str]:
        """The receivers as dotted paths, in call order (what the wiring test compares)."""
        return [f"{r.__module__}.{r.__qualname__}" for r in self._receivers]

    def register(self, receiver: Callable[..., Any]) -> Callable[..., Any]:
        """Add a receiver (once: `ready()` may run again in tests); usable as a decorator."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def __call__(self, **kwargs) -> list[Any]:
        """Call every receiver with these keyword arguments; their results, in order."""
        return [receiver(**kwargs) for receiver in self._receivers]
