"""Layering rules, read from the source: controllers parse input, call one service and pick a
template; business rules, queries and commits live in services.

A controller module (app/**/*controllers.py) may not query (`select(`, `.execute(`,
`.scalar(`, `.scalars(`), write (`.commit(`, `.flush(`, `db.add(`, `db.delete(`), look a row
up by id (`db.get(`) or open a mission's scope (`tenant_scope(`) itself.

`.rollback()` stays allowed: when a service refuses a form, the controller shows the form
again with the refusal next to its field, and it first rolls back what the service may have
written (and the row locks it took) so the page it renders reads the database as it was.

Anywhere under app/, a row is looked up by id through a helper that scopes it to the
mission and checks the actor may see it (or, for global rows such as users, a named helper
like app.accounts.services.get_user), never with a bare `session.get(Model, id)`.
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

QUERY_METHODS = {"execute", "commit", "scalar", "scalars", "flush"}
SESSION_METHODS = {"get", "add", "delete"}   # only on a session: a dict's .get is fine
SESSION_NAMES = {"db", "session"}


def _modules(pattern: str) -> list[Path]:
    return sorted(APP.rglob(pattern))


def _name(path: Path) -> str:
    return str(path.relative_to(APP.parent))


def _calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _controller_violation(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in ("select", "tenant_scope"):
        return f"{func.id}("
    if isinstance(func, ast.Attribute):
        if func.attr in QUERY_METHODS:
            return f".{func.attr}("
        if func.attr == "tenant_scope":
            return "tenant_scope("
        if (func.attr in SESSION_METHODS and isinstance(func.value, ast.Name)
                and func.value.id in SESSION_NAMES):
            return f"{func.value.id}.{func.attr}("
    return None


def test_controllers_neither_query_nor_commit():
    found = []
    for path in _modules("*controllers.py"):
        for call in _calls(path):
            what = _controller_violation(call)
            if what:
                found.append(f"{_name(path)}:{call.lineno} calls {what}")
    assert not found, ("controllers call one service instead of querying or committing:\n"
                       + "\n".join(found))


def _is_bare_lookup(call: ast.Call) -> bool:
    """`<session>.get(Model, id)`: a method `get` whose first argument is a class name
    (capitalised), as a SQLAlchemy session takes it; dict.get("key") does not match."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "get" and call.args):
        return False
    first = call.args[0]
    model = first.id if isinstance(first, ast.Name) else \
        first.attr if isinstance(first, ast.Attribute) else ""
    return model[:1].isupper() and not model.isupper()


def test_no_bare_lookup_by_id():
    found = []
    for path in _modules("*.py"):
        for call in _calls(path):
            if _is_bare_lookup(call):
                found.append(f"{_name(path)}:{call.lineno} calls "
                             f"{ast.unparse(call.func)}({ast.unparse(call.args[0])}, ...)")
    assert not found, ("look rows up by id through a get_x(db, tenant, actor, id) helper "
                       "(or get_user for users):\n" + "\n".join(found))
