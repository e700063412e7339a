"""The cluster network: generation, user graph files, firm-firm ties as arrays.

The graph lives twice, for two readers: ``model.grid`` (a Mesa ``Network`` over a networkx
graph) is the public, navigable view; :class:`Ties` holds the firm-firm ties as numpy
arrays (end points, weights, and a CSR adjacency) for the vectorised mechanisms. Both are
updated together when collaboration opens a tie.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from abm import network_loops
from abm.params import TOPOLOGIES


def cluster_sizes(n: int, k: int) -> np.ndarray:
    """Split ``n`` firms into ``k`` clusters of near-equal size."""
    k = max(1, min(k, n))
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    return sizes


def _random_pairs(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, m: int):
    """Draw ``m`` node pairs, each end uniform in its [lo, hi) range."""
    return rng.integers(lo[0], hi[0], m), rng.integers(lo[1], hi[1], m)


def sbm_edges(rng: np.random.Generator, sizes: np.ndarray, d_in: float, d_out: float):
    """Edges of a sparse stochastic block model with given mean degrees, in O(edges).

    Within each cluster the number of edges is Poisson with mean ``size * d_in / 2``,
    between clusters ``n * d_out / 2`` in all; end points are uniform, loops and
    duplicates are dropped.
    """
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    us, vs = [], []
    for s0, size in zip(starts, sizes, strict=True):
        if size < 2:
            continue
        m = rng.poisson(size * d_in / 2)
        lo, hi = np.array([s0, s0]), np.array([s0 + size, s0 + size])
        u, v = _random_pairs(rng, lo, hi, m)
        us.append(u)
        vs.append(v)
    n = int(sizes.sum())
    if len(sizes) > 1 and d_out > 0:
        cross = 1.0 - float(((sizes / n) ** 2).sum())  # share of uniform pairs that cross
        m = rng.poisson(n * d_out / 2 / cross)
        u, v = rng.integers(0, n, m), rng.integers(0, n, m)
        cl = np.repeat(np.arange(len(sizes)), sizes)
        keep = cl[u] != cl[v]
        us.append(u[keep])
        vs.append(v[keep])
    if not us:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return _canonical(np.concatenate(us), np.concatenate(vs))


def _canonical(u: np.ndarray, v: np.ndarray):
    """Order each pair (low, high), drop loops and duplicates; sorted for determinism."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    key = np.unique(lo[keep].astype(np.int64) * (1 << 32) + hi[keep])
    return (key >> 32).astype(np.int64), (key & 0xFFFFFFFF).astype(np.int64)


#: Largest graph file read, in bytes (checked before reading).
GRAPH_FILE_MAX_BYTES = 100 * 2**20


def _graph_error(path: str, message: str) -> ValueError:
    return ValueError(f"parameter 'topology': graph file {path!r} {message}")


def _read_edge_list(path: str, text: str) -> nx.Graph:
    """A whitespace edge list: two node names per line; ``#`` starts a comment."""
    g = nx.Graph()
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        if len(tokens) != 2:
            raise ValueError(
                f"parameter 'topology': graph file {path!r}, line {number}: "
                "expected an edge as two node names separated by "
                f"whitespace, got {len(tokens)} field{'s' if len(tokens) != 1 else ''} "
                f"({line.strip()[:60]!r}); allowed: GraphML (.graphml, .xml) or an edge list",
            )
        g.add_edge(*tokens)
    return g


def read_graph_file(path: str) -> nx.Graph:
    """Read a user's graph: GraphML (``.graphml``/``.xml``, or a file that starts with
    ``<``) or a whitespace edge list (exactly two node names per line, ``#`` comments).

    The file must be at most :data:`GRAPH_FILE_MAX_BYTES` (checked before it is read) and
    hold a node count within the bounds of ``n_firms``; anything else raises ``ValueError``
    naming the file, the line where that applies, and what is allowed.
    """
    from abm.params import PARAMETERS

    if not os.path.isfile(path):
        what = "is not a file" if os.path.exists(path) else "does not exist"
        raise _graph_error(path, what)
    try:
        size = os.path.getsize(path)
        if size > GRAPH_FILE_MAX_BYTES:
            raise _graph_error(
                path,
                f"is {size / 2**20:,.1f} MiB; allowed: at most {GRAPH_FILE_MAX_BYTES // 2**20} MiB",
            )
        with open(path, "rb") as fh:
            data = fh.read(GRAPH_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise _graph_error(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise _graph_error(path, "is not a text file; allowed: GraphML or an edge list")
    if path.lower().endswith((".graphml", ".xml")) or text.lstrip().startswith("<"):
        try:
            g = nx.parse_graphml(data)  # the bytes already read and checked
        except Exception as exc:  # networkx and XML parsers raise many types
            message = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise _graph_error(path, f"is not valid GraphML: {message}") from None
    else:
        g = _read_edge_list(path, text)
    low, high = PARAMETERS["n_firms"].low, PARAMETERS["n_firms"].high
    n = g.number_of_nodes()
    if not low <= n <= high:
        raise _graph_error(
            path, f"has {n:,} nodes; allowed: {low:,} to {high:,} (the bounds of n_firms)"
        )
    return nx.Graph(g)


def firm_graph(
    topology: str, n: int, n_clusters: int, d_in: float, d_out: float, rng: np.random.Generator
):
    """Firm-firm ties and cluster ids for a topology name or a graph file.

    Returns ``(u, v, cluster)`` with canonical edge arrays over firm rows ``0..n-1``.
    For a graph file, ``n`` is the file's node count and clusters come from a node
    attribute ``cluster`` when every node has one, else from contiguous blocks of nodes.
    """
    if topology in TOPOLOGIES:
        sizes = cluster_sizes(n, n_clusters)
        cluster = np.repeat(np.arange(len(sizes)), sizes)
        if topology == "sbm":
            u, v = sbm_edges(rng, sizes, d_in, d_out)
            return u, v, cluster
        seed = int(rng.integers(2**31 - 1))
        degree = max(2, int(round(d_in + d_out)))
        if topology == "small_world":
            g = nx.watts_strogatz_graph(n, min(degree, n - 1), 0.1, seed=seed)
        else:
            g = nx.barabasi_albert_graph(n, max(1, min(degree // 2, n - 1)), seed=seed)
        e = np.array(g.edges(), dtype=np.int64).reshape(-1, 2)
        u, v = _canonical(e[:, 0], e[:, 1])
        return u, v, cluster
    g = read_graph_file(topology)
    nodes = list(g.nodes())
    index = {node: i for i, node in enumerate(nodes)}
    e = np.array([(index[a], index[b]) for a, b in g.edges()], dtype=np.int64).reshape(-1, 2)
    u, v = _canonical(e[:, 0], e[:, 1])
    labels = [g.nodes[node].get("cluster") for node in nodes]
    if all(label is not None for label in labels):
        _, cluster = np.unique(np.array([str(x) for x in labels]), return_inverse=True)
    else:
        sizes = cluster_sizes(len(nodes), n_clusters)
        cluster = np.repeat(np.arange(len(sizes)), sizes)
    return u, v, cluster.astype(np.int64)


class Groups:
    """Members of each group (e.g. the firms of each cluster) as one sorted array."""

    def __init__(self, labels: np.ndarray, n_groups: int):
        self.members = np.argsort(labels, kind="stable")
        self.size = np.bincount(labels, minlength=n_groups)
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]]).astype(np.int64)

    def __getitem__(self, group: int) -> np.ndarray:
        return self.members[self.start[group] : self.start[group] + self.size[group]]

    def pick(self, groups: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One member of each group in ``groups``, chosen by uniforms ``u`` in [0, 1);
        -1 for an empty group."""
        size = self.size[groups]
        idx = self.start[groups] + np.minimum((u * size).astype(np.int64), size - 1)
        out = np.full(len(groups), -1, np.int64)
        has = size > 0
        out[has] = self.members[idx[has]]
        return out


def _insert_sorted(
    arrays: tuple[np.ndarray, ...], at: np.ndarray, values: tuple[np.ndarray, ...]
) -> list[np.ndarray]:
    """``np.insert(a, at, v)`` for each pair (a, v) of arrays of one length, ``at`` sorted
    (values at one position keep their order)."""
    return [
        network_loops.insert_at(a, at, v.astype(a.dtype, copy=False))
        for a, v in zip(arrays, values, strict=True)
    ]


@dataclass(init=False)
class Ties:
    """Firm-firm ties as arrays: end points ``u < v``, weights (1 each when not given), and
    a CSR adjacency."""

    n: int
    u: np.ndarray
    v: np.ndarray
    weight: np.ndarray
    indptr: np.ndarray = field(init=False)
    indices: np.ndarray = field(init=False)
    edge_of: np.ndarray = field(init=False)

    def __init__(
        self, n: int, u: np.ndarray, v: np.ndarray, weight: np.ndarray | None = None
    ) -> None:
        self.n, self.u, self.v = n, u, v
        self.weight = np.ones(len(u)) if weight is None else weight
        # (weights, each firm's sum of tie weights), see _weight_sums
        self._sums: tuple[np.ndarray, np.ndarray] | None = None
        keys = self.u * self.n + self.v
        self._key_order = np.argsort(keys, kind="stable")
        self._keys = keys[self._key_order]  # sorted keys, for look-ups
        self.rebuild()

    def rebuild(self) -> None:
        """Recompute the CSR adjacency (both directions) from the edge arrays."""
        src = np.concatenate([self.u, self.v])
        dst = np.concatenate([self.v, self.u])
        eid = np.concatenate([np.arange(len(self.u))] * 2)
        order = np.argsort(src, kind="stable")
        self.indices = dst[order]
        self.edge_of = eid[order]
        self.indptr = np.zeros(self.n + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=self.n), out=self.indptr[1:])

    @property
    def degree(self) -> np.ndarray:
        """Number of ties of each firm."""
        return np.diff(self.indptr)

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge index of the tie between each pair (a, b), -1 where there is none."""
        want = np.minimum(a, b) * self.n + np.maximum(a, b)
        if len(self._keys) == 0:
            return np.full(len(want), -1, np.int64)
        pos = np.searchsorted(self._keys, want).clip(0, len(self._keys) - 1)
        return np.where(self._keys[pos] == want, self._key_order[pos], -1)

    def add(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add ties between firm pairs not yet tied; return the pairs added (sorted).

        The CSR adjacency and the sorted keys are updated in place by insertion, so adding
        a few ties costs a copy of the arrays, not a sort of all ties.
        """
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keys = np.unique((lo * self.n + hi)[lo != hi])
        keys = keys[self.find(keys // self.n, keys % self.n) < 0]
        if len(keys) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        new_u, new_v = keys // self.n, keys % self.n
        first = len(self.u)
        ids = np.arange(first, first + len(keys))
        self.u = np.concatenate([self.u, new_u])
        self.v = np.concatenate([self.v, new_v])
        self.weight = np.concatenate([self.weight, np.ones(len(keys))])
        pos = np.searchsorted(self._keys, keys)
        self._keys, self._key_order = _insert_sorted(
            (self._keys, self._key_order), pos, (keys, ids)
        )
        # each new tie goes at the end of both end points' rows, in id order
        src = np.concatenate([new_u, new_v])
        dst = np.concatenate([new_v, new_u])
        eid = np.concatenate([ids, ids])
        order = np.lexsort((eid, src))
        src, dst, eid = src[order], dst[order], eid[order]
        at = self.indptr[src + 1]
        self.indices, self.edge_of = _insert_sorted((self.indices, self.edge_of), at, (dst, eid))
        self.indptr[1:] += np.cumsum(np.bincount(src, minlength=self.n))
        return new_u, new_v

    def strengthen(self, a: np.ndarray, b: np.ndarray, amount: float, cap: float) -> None:
        """Raise the weight of existing ties between pairs (a, b), up to ``cap``."""
        idx = self.find(a, b)
        idx = idx[idx >= 0]
        np.add.at(self.weight, idx, amount)
        np.minimum(self.weight, cap, out=self.weight)
        self._sums = None

    def _weight_sums(self) -> np.ndarray:
        """Each firm's sum of tie weights, kept until ties are added or strengthened."""
        if self._sums is None or self._sums[0] is not self.weight:
            w = self.weight
            self._sums = (w, network_loops.neighbour_sums(self.u, self.v, w, np.ones(self.n)))
        return self._sums[1]

    def neighbour_mean(self, x: np.ndarray, weighted: bool = True) -> np.ndarray:
        """Tie-weighted mean of ``x`` over each firm's neighbours (0 where none)."""
        w = self.weight if weighted else np.ones(len(self.u))
        num = network_loops.neighbour_sums(self.u, self.v, w, np.asarray(x, float))
        den = self._weight_sums() if weighted else self.degree.astype(float)
        return np.divide(num, den, out=np.zeros(self.n), where=den > 0)

    def neighbour_max(self, x: np.ndarray) -> np.ndarray:
        """Maximum of ``x`` over each firm's neighbours (-inf where none)."""
        return network_loops.neighbour_max(self.u, self.v, np.asarray(x, float))

    def pull(self, x: np.ndarray) -> np.ndarray:
        """Tie-weighted mean lead of neighbours over each firm: mean of max(0, x_j - x_i)."""
        num = network_loops.neighbour_lead(self.u, self.v, self.weight, np.asarray(x, float))
        den = self._weight_sums()
        return np.divide(num, den, out=np.zeros(self.n), where=den > 0)

    def random_neighbour(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One uniformly drawn neighbour for each firm in ``rows`` (-1 where it has none)."""
        deg = self.degree[rows]
        pick = np.floor(rng.random(len(rows)) * np.maximum(deg, 1)).astype(np.int64)
        out = np.full(len(rows), -1, np.int64)
        has = deg > 0
        out[has] = self.indices[self.indptr[rows[has]] + pick[has]]
        return out


def build_graph(
    n_firms: int, ties: Ties, cluster: np.ndarray, inst_cluster: np.ndarray
) -> nx.Graph:
    """The networkx graph of firms (nodes ``0..n-1``) and institutes (``n..``).

    Firm nodes carry ``kind='firm'`` and ``cluster``; institute nodes ``kind='institute'``;
    each institute is tied to every firm of its cluster.
    """
    g = nx.Graph()
    g.add_nodes_from(
        (i, {"kind": "firm", "cluster": int(c)}) for i, c in enumerate(cluster.tolist())
    )
    g.add_edges_from(zip(ties.u.tolist(), ties.v.tolist(), strict=True))
    members = Groups(cluster, int(cluster.max()) + 1)
    for j, c in enumerate(inst_cluster.tolist()):
        node = n_firms + j
        g.add_node(node, kind="institute", cluster=int(c))
        g.add_edges_from((node, f) for f in members[c].tolist())
    return g
