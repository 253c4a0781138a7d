"""Small podpack snapshots built in code for the tests."""

from schedcert.instances.podpack import _make


def node(name, cpu, mem=8 * 2 ** 30, pods=110, **kw):
    return dict(name=name, allocatable={"cpu": cpu, "memory": mem, "pods": pods}, **kw)


def pod(name, cpu, prio=0, at=None, mem=2 ** 20, created=None, movable=True, **kw):
    return dict(name=name, requests={"cpu": cpu, "memory": mem}, priority=prio, node=at,
                created=created or name, movable=movable, owner="ReplicaSet" if movable else None, **kw)


def snapshot(nodes, pods, arrival=False, name="t"):
    return _make(name, nodes, pods, arrival)


def fragmentation():
    """Two 4-core nodes, each running a 2-core pod; a pending 4-core pod of
    the same priority fits only if one running pod moves."""
    return snapshot([node("n1", 4000), node("n2", 4000)],
                    [pod("a", 2000, 5, "n1"), pod("b", 2000, 5, "n2"), pod("c", 4000, 5)])
