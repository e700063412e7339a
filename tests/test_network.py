"""The cluster network: topologies, user graph files, evolving ties."""

import networkx as nx
import numpy as np
import pytest
from mesa.discrete_space import Network

from abm import TradeClusterModel
from abm.agents import ForeignTradeFirm, Government, ResearchInstitute
from abm.network import GRAPH_FILE_MAX_BYTES, Ties, read_graph_file, sbm_edges
from abm.params import PARAMETERS
from tests.conftest import run_model


@pytest.mark.parametrize("topology", ["sbm", "small_world", "scale_free"])
def test_topologies_build_a_mesa_network_with_firms_and_institutes(topology):
    m = TradeClusterModel(topology=topology, n_firms=90, n_clusters=3, rng=2)
    assert isinstance(m.grid, Network)
    g = m.grid.G
    assert g.number_of_nodes() == 90 + 3 * m.params.institutes_per_cluster
    firms = m.agents_by_type[ForeignTradeFirm]
    assert len(firms) == 90
    assert all(a.cell.coordinate == a.row for a in firms)
    for inst in m.agents_by_type[ResearchInstitute]:
        node = inst.cell.coordinate
        members = {i for i in range(90) if m.firms.cluster[i] == inst.cluster}
        assert {x for x in g.neighbors(node)} == members
    assert m.ties.u.size > 0


def test_sbm_ties_are_dense_within_and_sparse_between_clusters():
    rng = np.random.default_rng(0)
    sizes = np.array([200, 200, 200])
    u, v = sbm_edges(rng, sizes, d_in=6.0, d_out=0.5)
    cl = np.repeat(np.arange(3), 200)
    within = (cl[u] == cl[v]).sum()
    between = (cl[u] != cl[v]).sum()
    assert within / 600 * 2 == pytest.approx(6.0, rel=0.15)
    assert between / 600 * 2 == pytest.approx(0.5, rel=0.4)
    assert np.all(u < v)


def test_graph_file_edgelist_and_graphml(tmp_path):
    g = nx.karate_club_graph()
    edgelist = tmp_path / "karate.edges"
    nx.write_edgelist(g, edgelist, data=False)
    m = TradeClusterModel(topology=str(edgelist), rng=1, n_clusters=2)
    assert m.n_firms == 34
    assert m.ties.u.size == g.number_of_edges()
    for node in g.nodes:
        g.nodes[node]["cluster"] = g.nodes[node]["club"]
    graphml = tmp_path / "karate.graphml"
    nx.write_graphml(g, graphml)
    m2 = TradeClusterModel(topology=str(graphml), rng=1)
    assert m2.n_clusters == 2


def test_malformed_graph_file_gives_a_clear_error(tmp_path):
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><graph><node id='a'></graph>")
    with pytest.raises(ValueError, match="topology.*bad.graphml"):
        TradeClusterModel(topology=str(bad), rng=1)
    with pytest.raises(ValueError, match="topology"):
        TradeClusterModel(topology=str(tmp_path / "missing.edges"), rng=1)


def ring(n: int) -> str:
    return "".join(f"f{i} f{(i + 1) % n}\n" for i in range(n))


def test_edge_list_with_comments_blank_lines_and_graphml_without_extension(tmp_path):
    edges = tmp_path / "ring.txt"
    edges.write_text("# a ring of 12 firms\n\n" + ring(12).replace("\n", "  # tie\n", 1))
    g = read_graph_file(str(edges))
    assert g.number_of_nodes() == 12 and g.number_of_edges() == 12
    graphml = tmp_path / "ring.net"
    nx.write_graphml(g, graphml)
    again = read_graph_file(str(graphml))
    assert set(again.nodes) == set(g.nodes)
    assert {frozenset(e) for e in again.edges} == {frozenset(e) for e in g.edges}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Dear reader,\nthis is a letter.\n", [", line 2:", "got 4 fields"]),  # prose
        ("root:x:0:0:root:/root:/bin/bash\n", ["line 1", "got 1 field "]),
        (ring(12) + "lonely\n", ["line 13", "got 1 field ", "'lonely'"]),
        ("# weighted\n" + ring(12).replace("f1 f2", "f1 f2 0.5"), ["line 3", "got 3 fields"]),
    ],
)
def test_edge_lines_must_hold_exactly_two_names(tmp_path, text, words):
    path = tmp_path / "edges.txt"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        read_graph_file(str(path))
    message = str(info.value)
    assert message.startswith(f"parameter 'topology': graph file {str(path)!r}, line ")
    assert all(w in message for w in words), message
    assert "GraphML" in message and "\n" not in message


@pytest.mark.parametrize("n", ["low", "high"])
def test_node_count_must_be_within_the_bounds_of_n_firms(tmp_path, n):
    bounds = PARAMETERS["n_firms"]
    count = bounds.low - 1 if n == "low" else bounds.high + 1
    path = tmp_path / "edges.txt"
    path.write_text(ring(count))
    with pytest.raises(ValueError, match=f"has {count:,} nodes; allowed: {bounds.low:,} to "):
        read_graph_file(str(path))
    path.write_text(ring(bounds.low))
    assert read_graph_file(str(path)).number_of_nodes() == bounds.low


def test_graphml_node_count_is_checked_too(tmp_path):
    path = tmp_path / "tiny.graphml"
    nx.write_graphml(nx.path_graph(3), path)
    with pytest.raises(ValueError, match="has 3 nodes; allowed: 10 "):
        read_graph_file(str(path))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:  # sparse: no newline in GRAPH_FILE_MAX_BYTES + 1 bytes
        fh.truncate(GRAPH_FILE_MAX_BYTES + 1)

    def no_open(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr("builtins.open", no_open)
    with pytest.raises(ValueError, match=r"is 100\.0 MiB; allowed: at most 100 MiB"):
        read_graph_file(str(path))


def test_binary_files_and_folders_are_refused(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="is not a text file"):
        read_graph_file(str(path))
    with pytest.raises(ValueError, match="is not a file"):
        read_graph_file(str(tmp_path))


def test_collaboration_adds_and_strengthens_ties():
    m = TradeClusterModel(n_firms=150, rng=3, collaboration_propensity=0.8, new_tie_share=0.8)
    edges0 = m.grid.G.number_of_edges()
    ties0 = m.ties.u.size
    for _ in range(4):
        m.step()
    assert m.ties.u.size > ties0
    assert m.grid.G.number_of_edges() - edges0 == m.ties.u.size - ties0
    assert m.ties.weight.max() > 1.0
    for a, b in zip(m.ties.u[ties0:], m.ties.v[ties0:], strict=True):
        assert m.grid.G.has_edge(int(a), int(b))


def test_the_mesa_layer_is_built_when_first_looked_at_the_same_as_at_the_start():
    """A headless run never builds Mesa's network or firm agents; built late, after ties
    opened and firms turned over, they hold today's ties and firms with the ids reserved at
    construction, firms and institutes before the government."""
    kw = dict(n_firms=150, rng=3, collaboration_propensity=0.8, new_tie_share=0.8)
    early = TradeClusterModel(**kw)
    early_nodes = early.grid.G.number_of_nodes()  # built at the start, then kept up to date
    late = TradeClusterModel(**kw)
    for m in (early, late):
        for _ in range(6):
            m.step()
    assert late._grid is None and late._firm_agents == []  # never looked at
    assert late.model_frame().equals(early.model_frame())
    assert late.ties.u.size > run_model(steps=0, **kw).ties.u.size  # ties were opened
    g_late, g_early = late.grid.G, early.grid.G
    assert g_late.number_of_nodes() == early_nodes
    assert set(map(frozenset, g_late.edges())) == set(map(frozenset, g_early.edges()))
    assert sorted(a.unique_id for a in late.agents) == sorted(a.unique_id for a in early.agents)
    assert [a.unique_id for a in late.firm_agents] == late.firm_ids.tolist()
    assert [a.row for a in late.firm_agents] == list(range(150))
    assert isinstance(list(late.agents)[-1], Government)


def test_ties_neighbour_operations_match_networkx():
    rng = np.random.default_rng(5)
    g = nx.gnm_random_graph(40, 90, seed=5)
    e = np.array(g.edges())
    ties = Ties(40, np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1]))
    x = rng.random(40)
    mx = ties.neighbour_max(x)
    mean = ties.neighbour_mean(x)
    for i in range(40):
        nb = list(g.neighbors(i))
        if nb:
            assert mx[i] == pytest.approx(max(x[j] for j in nb))
            assert mean[i] == pytest.approx(np.mean([x[j] for j in nb]))
    picks = ties.random_neighbour(np.arange(40), rng)
    for i, j in enumerate(picks):
        assert (j == -1) == (g.degree(i) == 0)
        if j >= 0:
            assert g.has_edge(i, int(j))


def test_exits_replace_agents_and_keep_network_places():
    m = run_model(
        steps=30, n_firms=200, rng=4, income_growth_domestic=-0.15, income_growth_ROW=-0.15
    )
    df = m.model_frame()
    assert df.exits.sum() > 0
    assert (df.entries == df.exits).all()
    firms = m.agents_by_type[ForeignTradeFirm]
    assert len(firms) == 200
    assert sorted(a.row for a in firms) == list(range(200))
    assert len(set(m.firm_ids.tolist())) == 200


def test_incremental_tie_insertion_matches_a_full_rebuild():
    rng = np.random.default_rng(9)
    g = nx.gnm_random_graph(60, 100, seed=9)
    e = np.array(g.edges())
    ties = Ties(60, np.minimum(e[:, 0], e[:, 1]), np.maximum(e[:, 0], e[:, 1]))
    for _ in range(5):
        a, b = rng.integers(0, 60, 30), rng.integers(0, 60, 30)
        new_u, new_v = ties.add(a, b)
        assert np.all(new_u < new_v)
        again_u, _ = ties.add(a, b)
        assert len(again_u) == 0  # nothing is added twice
        indptr, indices, edge_of = ties.indptr.copy(), ties.indices.copy(), ties.edge_of.copy()
        ties.rebuild()
        np.testing.assert_array_equal(indptr, ties.indptr)
        for i in range(60):
            row = slice(indptr[i], indptr[i + 1])
            assert sorted(indices[row]) == sorted(ties.indices[row])
            assert sorted(edge_of[row]) == sorted(ties.edge_of[row])
    idx = ties.find(ties.v[:10], ties.u[:10])
    np.testing.assert_array_equal(idx, np.arange(10))
    assert ties.find(np.array([0]), np.array([0]))[0] == -1


def test_insert_sorted_is_numpys_insert():
    from abm.network import _insert_sorted

    rng = np.random.default_rng(0)
    for _ in range(100):
        n, k = rng.integers(0, 50), rng.integers(0, 10)
        a, b = rng.integers(0, 100, n), rng.random(n)
        at = np.sort(rng.integers(0, n + 1, k))
        va, vb = rng.integers(0, 100, k), rng.random(k)
        x, y = _insert_sorted((a, b), at, (va, vb))
        np.testing.assert_array_equal(x, np.insert(a, at, va))
        np.testing.assert_array_equal(y, np.insert(b, at, vb))
        assert x.dtype == a.dtype
