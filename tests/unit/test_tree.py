"""Building a space's navigation tree and refusing moves that make a cycle (no database)."""

from __future__ import annotations

from app.services.spaces import TreeNode, TreeRow, build_tree, would_cycle


def _shape(nodes: list[TreeNode]) -> list[object]:
    return [(node.slug, _shape(node.children)) if node.children else node.slug for node in nodes]


def test_build_tree_nests_children_under_parents_at_any_depth() -> None:
    rows = [
        TreeRow(1, None, "handbook", "Handbook"),
        TreeRow(2, 1, "people", "People"),
        TreeRow(3, 2, "leave", "Leave"),
        TreeRow(4, 3, "parental", "Parental"),
        TreeRow(5, None, "runbooks", "Runbooks"),
    ]
    assert _shape(build_tree(rows)) == [
        ("handbook", [("people", [("leave", ["parental"])])]),
        "runbooks",
    ]


def test_build_tree_orders_siblings_by_position_then_title() -> None:
    rows = [
        TreeRow(1, None, "zeta", "Zeta", position=0),
        TreeRow(2, None, "beta", "beta", position=1),
        TreeRow(3, None, "alpha", "Alpha", position=1),
    ]
    assert _shape(build_tree(rows)) == ["zeta", "alpha", "beta"]


def test_build_tree_puts_a_page_under_its_nearest_shown_ancestor() -> None:
    # Page 2 is hidden (a draft, say): its child goes under 1; a child of a missing page goes up.
    rows = [
        TreeRow(1, None, "top", "Top"),
        TreeRow(3, 2, "child", "Child"),
        TreeRow(4, 99, "x", "X"),
    ]
    assert _shape(build_tree(rows, parent_of={2: 1})) == [("top", ["child"]), "x"]


def test_build_tree_survives_a_cycle_in_the_data() -> None:
    rows = [TreeRow(1, 2, "one", "One"), TreeRow(2, 1, "two", "Two")]
    built = build_tree(rows)
    assert {node.slug for node in built} <= {"one", "two"}
    assert len(built) + sum(len(node.children) for node in built) == 2


def test_would_cycle_refuses_a_page_under_itself_or_a_descendant() -> None:
    parent_of = {1: None, 2: 1, 3: 2, 4: None}
    assert would_cycle(1, 1, parent_of)
    assert would_cycle(1, 3, parent_of)  # 3 is under 2, which is under 1
    assert not would_cycle(3, 1, parent_of)
    assert not would_cycle(1, 4, parent_of)
    assert not would_cycle(1, None, parent_of)


def test_would_cycle_ends_on_a_cycle_that_does_not_involve_the_page() -> None:
    assert not would_cycle(9, 1, {1: 2, 2: 1})
