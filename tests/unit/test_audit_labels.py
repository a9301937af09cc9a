"""Every audit action the code records has a readable label (and unknown codes do not crash)."""

from __future__ import annotations

import ast
from pathlib import Path

from portal.assistant.models import GuardDecision
from portal.audit import labels

PORTAL = Path(__file__).resolve().parents[2] / "portal"
AUDIT_FUNCTIONS = {"record", "record_many"}
# Codes built with an f-string, expanded here by hand (a new one fails until listed).
DYNAMIC = {
    "assistant.guard_{decision.value}": {f"assistant.guard_{d.value}" for d in GuardDecision},
}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _codes(node: ast.expr, problems: list[str], where: str) -> set[str] | None:
    """The action codes an expression can take, or None when it is a plain variable."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return (_codes(node.body, problems, where) or set()) | (
            _codes(node.orelse, problems, where) or set()
        )
    if isinstance(node, ast.JoinedStr):
        text = ast.unparse(node)[2:-1]
        if text in DYNAMIC:
            return DYNAMIC[text]
        problems.append(f"{where}: f-string action {text!r}: add its expansion to DYNAMIC")
        return set()
    if isinstance(node, ast.Name):
        return None
    problems.append(f"{where}: action {ast.unparse(node)!r} cannot be read statically")
    return set()


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def recorded_actions() -> tuple[set[str], list[str]]:
    """Every action code passed to record()/record_many() under portal/, and what is unreadable.

    A code passed through a helper's parameter (``def _audit(action, ...): record(action...)``)
    is followed to the helper's callers in the same module.
    """
    found: set[str] = set()
    problems: list[str] = []
    for path in sorted(PORTAL.rglob("*.py")):
        if path.parent.name == "audit" and path.name == "operations.py":
            continue  # the implementation itself copies entry["action"]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = _parents(tree)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        for call in calls:
            name = _name(call.func)
            where = f"{path.relative_to(PORTAL.parent)}:{call.lineno}"
            if name == "record" and call.args:
                codes = _codes(call.args[0], problems, where)
                if codes is None:
                    codes = _through_helper(call, parents, calls, problems, where)
                found |= codes
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "action"
                        and not (
                            isinstance(value, ast.Constant) and not isinstance(value.value, str)
                        )
                    ):
                        where = f"{path.relative_to(PORTAL.parent)}:{node.lineno}"
                        found |= _codes(value, problems, where) or set()
    return found, problems


def _through_helper(call, parents, calls, problems, where) -> set[str]:
    variable = call.args[0].id
    node = call
    while node in parents and not isinstance(node, ast.FunctionDef):
        node = parents[node]
    params = [a.arg for a in node.args.args] if isinstance(node, ast.FunctionDef) else []
    if variable not in params:
        problems.append(f"{where}: action variable {variable!r} is not a helper's parameter")
        return set()
    position = params.index(variable)
    codes: set[str] = set()
    for other in calls:
        if _name(other.func) == node.name and len(other.args) > position:
            codes |= _codes(other.args[position], problems, where) or set()
    if not codes:
        problems.append(f"{where}: no caller of {node.name}() passes a literal action")
    return codes


def test_the_scan_finds_actions_of_every_kind():
    found, _ = recorded_actions()
    # A literal, a conditional, a helper's parameter, a bulk dict and an f-string.
    assert {
        "login.succeeded",
        "hours.approved",
        "checkin.open",
        "enrollment.added_for_user",
        "attendance.changed",
        "assistant.guard_masked",
    } <= found


def test_every_recorded_action_has_a_label():
    found, problems = recorded_actions()
    assert problems == []
    missing = sorted(found - labels.ACTION_LABELS.keys())
    assert missing == [], f"add these to portal/audit/labels.py ACTION_LABELS: {missing}"


def test_personal_data_actions_are_labelled_and_really_recorded():
    assert labels.ACTION_LABELS.keys() >= labels.PERSONAL_DATA_ACTIONS
    found, _ = recorded_actions()
    # A code the report looks for but nothing records would silently hide accesses.
    assert sorted(labels.PERSONAL_DATA_ACTIONS - found) == []


def test_unknown_codes_show_raw(app):
    with app.test_request_context():
        assert labels.action_label("long.gone") == "long.gone"
        assert labels.action_label("login.succeeded") == "로그인 성공"
        assert labels.target_label("mystery") == "mystery"
        assert labels.detail_label("whatever") == "whatever"
