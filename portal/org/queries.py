"""Reading the department tree (실·국 → 과 → 팀)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from portal.org.models import Department


def subtree_ids(root_id: int) -> Select[tuple[int]]:
    """The ids of the department and every department below it, as one SELECT.

    A recursive CTE, usable as ``User.department_id.in_(subtree_ids(...))`` or run on its
    own. UNION rather than UNION ALL: a loop in stored data ends the walk instead of
    repeating it forever.
    """
    tree = select(Department.id).where(Department.id == root_id).cte("dept_tree", recursive=True)
    child = aliased(Department)
    tree = tree.union(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)
