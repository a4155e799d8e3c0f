"""docs/nodes.md matches the code (topics, params dataclasses, config defaults)."""
from lcc_plus.nodes import node_docs, topics


def test_nodes_md_is_up_to_date():
    assert node_docs.main(["--check"]) == 0, "run: python -m lcc_plus.nodes.node_docs"


def test_every_node_topic_has_a_type_and_every_node_a_table():
    assert set(node_docs.NODES) == set(topics.TOPICS)
    for name, table in topics.TOPICS.items():
        for private, default in table.items():
            assert private.startswith(("~/input/", "~/output/")), (name, private)
            assert default in node_docs.TYPES, (name, default)
