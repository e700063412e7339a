"""Innovation: stochastic R&D, collaborative innovation with institutes and firms, spillovers
over ties scaled by absorptive capacity, and adoption / imitation of green technology.

These are the self-propelled technology-innovation model of seed 000 (foreign-trade firms
and research institutes in clusters, guided by government policy) in vectorised form.
"""

from __future__ import annotations

import numpy as np

from abm import abatement, innovation_loops
from abm.categories import (
    BASE_EMISSION,
    LABOUR_COST,
    RD_INTENSITY,
    by_category,
    energy_cost,
)
from abm.markets import Market
from abm.network import Groups, Ties
from abm.params import Params
from abm.state import FirmState, InstituteState

#: Shape of the Beta(a, a) draw of a process innovation's outcome on [-width, width]
#: (Dosi, Fagiolo & Roventini 2010, Table 1: a = 3).
PROCESS_DRAW_SHAPE = 3.0
#: Mean of max(2B - 1, 0) for B ~ Beta(3, 3): a success's expected kept gain per unit of
#: ``process_draw_width`` (a worse draw is not used).
PROCESS_KEPT_GAIN = 5.0 / 32.0

#: Share of the gap to its preferred R&D split a firm closes in a year.
GREEN_SHARE_ADJUSTMENT = 0.2


def rd_intensity(mix: np.ndarray, rd_taste: np.ndarray, boost: float) -> np.ndarray:
    """Each firm's R&D intensity (share of revenue): its mix of category norms x taste x boost."""
    return (mix @ RD_INTENSITY) * rd_taste * boost


def absorptive_capacity(knowledge: np.ndarray, half: float) -> np.ndarray:
    """Absorptive capacity k / (k + half), in [0, 1)."""
    return knowledge / (knowledge + half)


def do_rd(
    f: FirmState,
    inst: InstituteState,
    p: Params,
    rng: np.random.Generator,
    m: Market | None = None,
    terms: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Draw this year's green and process R&D outcomes and apply them; return successes.

    Process R&D is the K+S two-step draw (Dosi, Fagiolo & Roventini 2010): success with
    probability ``1 - exp(-zeta x intensity)``, then a productivity outcome ``1 + d`` with
    ``d`` on ``[-process_draw_width, process_draw_width]`` from a Beta(3, 3), kept only when
    it beats the firm's current technology, except for the rare radical result whose ``d``
    comes from a Pareto tail (:func:`process_gain`); as in the DSK model (Lamperti et al. 2018) the
    new technique's energy efficiency has its own draw, on ``[-energy_draw_width,
    energy_draw_width]``, and energy use per unit of output is divided by ``1 + d`` when
    ``d > 0``. Partnered firms pool research
    (``collaboration_bonus``); a firm partnered with an institute draws its green level toward
    the institute's frontier. Knowledge depreciates
    at ``knowledge_depreciation`` and grows by ``knowledge_step`` per process success (half
    that per green success), so a firm keeps the capabilities it keeps using. Given this
    year's market ``m``, a firm puts a green result into use only when its value (see
    :func:`green_gain_value`) is positive, as K+S firms adopt a new technology only when it
    beats the old (``terms`` as in :func:`green_gain_value`). (The green R&D subsidy is paid
    as cash in the accounts and not counted again here.)
    """
    g_ok, p_ok, gain = innovation_loops.rd_outcomes(
        f.rd_spend,
        f.revenue,
        f.green_rd_share,
        f.partner_firm,
        f.partner_inst,
        inst.frontier,
        f.green,
        -np.log(1.0 - rng.random((f.n, 2))),  # unit exponential hurdles
        p.rd_effectiveness,
        p.collaboration_bonus,
        p.green_step,
    )
    use = g_ok
    if m is not None:  # a firm puts a green result into use only when it pays (K+S)
        value = green_gain_value(f, gain, m, p, terms, rows=np.flatnonzero(g_ok))
        use = g_ok & (value > 0.0)
    f.green += gain * use  # gain >= 0: adds 0 where R&D failed or is not used
    # the second step (K+S): the outcome around the firm's technology, kept when better,
    # and now and then a radical jump from a heavy tail
    draw = 2.0 * rng.beta(PROCESS_DRAW_SHAPE, PROCESS_DRAW_SHAPE, f.n) - 1.0
    gain = process_gain(draw, rng.random(f.n), rng.pareto(p.radical_tail, f.n), p)
    f.productivity *= 1.0 + p.process_draw_width * gain * p_ok
    # and the new technique's energy use per unit of output, its own draw (DSK)
    draw = 2.0 * rng.beta(PROCESS_DRAW_SHAPE, PROCESS_DRAW_SHAPE, f.n) - 1.0
    f.energy /= 1.0 + p.energy_draw_width * np.maximum(draw, 0.0) * p_ok
    f.knowledge *= 1.0 - p.knowledge_depreciation
    f.knowledge += p.knowledge_step * (p_ok + 0.5 * g_ok)
    np.clip(f.green, 0.0, 1.0, out=f.green)
    return g_ok | p_ok


def process_gain(draw: np.ndarray, u: np.ndarray, lomax: np.ndarray, p: Params) -> np.ndarray:
    """A successful process project's kept productivity gain, in units of
    ``process_draw_width``: ``max(draw, 0)`` for an incremental result (``draw`` on [-1, 1]),
    and for the share ``radical_share`` of results (``u`` uniform below it) a radical jump
    ``1 + lomax``, at least the incremental maximum, Pareto-distributed with tail index
    ``radical_tail`` (``lomax`` from ``numpy``'s ``pareto``)."""
    return np.where(u < p.radical_share, 1.0 + lomax, np.maximum(draw, 0.0))


def green_coef(m: Market) -> np.ndarray:
    """(D, K) the rise in a firm's logit share per unit of its price cut by consumers'
    green preference: ``beta x WTP / mean price`` in each destination-category market."""
    p_mean = np.nan_to_num(m.p_sellers, nan=1.0)
    return m.beta * m.wtp[:, None] / p_mean


def green_value_terms(
    f: FirmState, m: Market, won: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """What one t CO2 per USD m less is worth to each firm in each category a year, USD, as
    two (n, K) terms of :func:`green_gain_value`: the carbon payments and CBAM it saves,
    and the margin consumers' green preference wins (``won``, when the caller has it: the
    unit margin x sales in each destination times :func:`green_coef`, summed over
    destinations)."""
    # the CBAM per t embedded in sales (0.0 + each charging destination's, in order)
    saved = m.carbon_price * f.output
    for charged in np.flatnonzero(m.cbam_rate.any(1)):
        saved += by_category(np.multiply, f.q[charged], m.cbam_rate[charged])
    if won is None:
        won = m.margins(f.q, green_coef(m))[2]
    return saved, won


def green_gain_value(
    f: FirmState,
    gain: np.ndarray,
    m: Market,
    p: Params,
    terms: tuple[np.ndarray, np.ndarray] | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Yearly value to each firm of raising its green level by ``gain``, USD m, on this
    year's sales: the carbon payments saved at home, the CBAM saved in each destination,
    and the margin on the sales consumers' willingness to pay for lower emissions brings,
    read off the demand system (the logit share rises by ``beta x WTP x d_emissions /
    price`` in each destination), minus the higher running cost of the deeper abatement
    (``abm.abatement``); negative when abating further costs more than it brings. The
    emissions cut are ``gain x BASE_EMISSION x energy x energy_carbon`` per unit of output.
    ``terms``: :func:`green_value_terms` of this year, when the caller has them. With
    ``rows``, only those firms' values are computed (each firm's value is its own); the
    others are 0."""
    saved, won = green_value_terms(f, m) if terms is None else terms
    gain = np.broadcast_to(np.asarray(gain, float), (f.n,))
    rows = np.arange(f.n) if rows is None else rows
    green, e = f.green[rows], f.energy[rows] * m.energy_carbon
    b, theta = m.backstop, p.abatement_exponent
    running = abatement.unit_cost(green + gain[rows], b, theta, e) - abatement.unit_cost(
        green, b, theta, e
    )
    return innovation_loops.gain_value(
        gain, f.energy, f.output, saved, won, rows, running, m.energy_carbon, BASE_EMISSION
    )


def choose_green_share(
    f: FirmState, p: Params, m: Market, terms: tuple[np.ndarray, np.ndarray] | None = None
) -> None:
    """Firms steer their R&D split toward the line whose success is worth more.

    The yearly value of a green success is the carbon payments (at home and at the border)
    it saves and the sales consumers' green preference brings; that of a process success the
    labour and energy cost it saves, with the carbon payments, CBAM and green margin of the
    emissions the saved energy carried. The green share moves a fifth of the way toward
    ``V_green / (V_green + V_process)``. ``terms`` as in :func:`green_gain_value`.
    """
    terms = green_value_terms(f, m) if terms is None else terms
    v_green = np.maximum(green_gain_value(f, p.green_step * (1.0 - f.green), m, p, terms), 0.0)
    v_proc = innovation_loops.process_value(
        f.productivity,
        f.energy,
        f.green,
        f.output,
        *terms,
        m.energy_carbon,
        LABOUR_COST,
        energy_cost(p.energy_price),
        BASE_EMISSION,
        p.process_draw_width,
        p.energy_draw_width,
        PROCESS_KEPT_GAIN,
    )
    total = v_green + v_proc
    target = np.divide(v_green, total, out=f.green_rd_share.copy(), where=total > 0)
    f.green_rd_share += GREEN_SHARE_ADJUSTMENT * (target - f.green_rd_share)


def advance_institutes(inst: InstituteState, f: FirmState, p: Params, funding: float) -> None:
    """Institutes' frontiers grow toward 1 with funding and with joint projects: the rate is
    ``frontier_growth`` x the mean of the funding term ``funding / (funding + funding_half)``
    and the share of the institute's partner places filled by firms."""
    inst.funding[:] = funding
    partners = np.bincount(f.partner_inst[f.partner_inst >= 0], minlength=inst.n)
    projects = np.minimum(partners / np.maximum(inst.partner_capacity, 1), 1.0)
    rate = p.frontier_growth * 0.5 * (funding / (funding + p.funding_half) + projects)
    inst.frontier += rate * (1.0 - inst.frontier)


def collaborate(
    f: FirmState,
    inst: InstituteState,
    ties: Ties,
    p: Params,
    members: Groups,
    inst_of_cluster: Groups,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """End finished collaborations and start new ones; return new firm-firm tie pairs.

    A firm without a partner starts a collaboration with probability
    ``collaboration_propensity``: with an institute of its cluster (share
    ``institute_partner_share``, within the institute's partner capacity), else with a
    neighbouring firm, or (share ``new_tie_share``, or when it has no neighbour) with a random
    firm of its cluster, which opens a new tie. Collaboration strengthens the tie.
    """
    free = innovation_loops.end_collaborations(f.partner_firm, f.partner_inst, f.partner_years)
    seek = np.flatnonzero(free & (rng.random(f.n) < p.collaboration_propensity))
    r = rng.random((len(seek), 3))
    years = p.collaboration_years
    new_u = np.zeros(0, np.int64)
    new_v = np.zeros(0, np.int64)

    # institutes
    if inst.n:
        wants = r[:, 0] < p.institute_partner_share
        pick = inst_of_cluster.pick(f.cluster[seek[wants]], r[wants, 1])
        to_inst = seek[wants][pick >= 0]
        pick = pick[pick >= 0]
        inst.partners[:] = np.bincount(f.partner_inst[f.partner_inst >= 0], minlength=inst.n)
        if len(pick):
            order = np.argsort(pick, kind="stable")
            ps = pick[order]
            first = np.searchsorted(ps, ps)
            rank = np.arange(len(ps)) - first
            room = inst.partner_capacity[ps] - inst.partners[ps]
            acc = order[rank < room]
            f.partner_inst[to_inst[acc]] = pick[acc]
            f.partner_years[to_inst[acc]] = years
            inst.partners += np.bincount(pick[acc], minlength=inst.n)
        firm_seek = seek[r[:, 0] >= p.institute_partner_share]
    else:
        firm_seek = seek

    # firms
    if len(firm_seek):
        rr = rng.random((len(firm_seek), 2))
        nb = ties.random_neighbour(firm_seek, rng)
        fresh = (rr[:, 0] < p.new_tie_share) | (nb < 0)
        rnd = members.pick(f.cluster[firm_seek], rr[:, 1])
        partner = np.where(fresh, rnd, nb)
        ok = (partner != firm_seek) & (f.partner_firm[partner] < 0) & (f.partner_inst[partner] < 0)
        a, b = firm_seek[ok], partner[ok]
        # one partnership per firm: keep the first claim on each partner
        _, first = np.unique(b, return_index=True)
        a, b = a[first], b[first]
        claimed = np.zeros(f.n, bool)
        claimed[b] = True
        keep = ~claimed[a]
        a, b = a[keep], b[keep]
        f.partner_firm[a] = b
        f.partner_firm[b] = a
        f.partner_years[a] = years
        f.partner_years[b] = years
        new_u, new_v = ties.add(a, b)
        ties.strengthen(a, b, 0.5, 5.0)
    return new_u, new_v


def spill_over(f: FirmState, ties: Ties, p: Params) -> None:
    """Knowledge spills over ties: each firm absorbs ``spillover_rate x absorptive capacity``
    of the tie-weighted mean lead its neighbours have over it."""
    absorb = absorptive_capacity(f.knowledge, p.absorptive_half)
    f.knowledge += p.spillover_rate * absorb * ties.pull(f.knowledge)


def adopt(
    f: FirmState,
    inst: InstituteState,
    ties: Ties,
    p: Params,
    m: Market,
    adoption_subsidy: float,
    rng: np.random.Generator,
    terms: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Adoption and imitation of better green technology; return (adopters, adoption cost).

    A firm reviews its technology with Bass-like probability ``p + q x (share of green
    neighbours)``. It can reach ``imitation_fraction`` of the gap to the best green level it
    sees: its network neighbours' and, while it collaborates with one, its partner
    institute's frontier. Deeper abatement costs more: raising the level from ``g0`` to
    ``g1`` costs ``adoption_cost x capacity x ln((1 - g0) / (1 - g1))`` (each halving of
    emissions costs the same), so no level is a ceiling but full abatement is never free.
    It adopts when the value of the gain over ``adoption_horizon`` years (see
    :func:`green_gain_value`, with its ``terms``) beats that cost net of the subsidy.
    """
    green_nb = ties.neighbour_mean((f.green >= p.green_threshold).astype(float))
    review = rng.random(f.n) < p.awareness_innovation + p.awareness_imitation * green_nb
    best = np.maximum(ties.neighbour_max(f.green), partner_frontier(f, inst))
    step = p.imitation_fraction * np.maximum(0.0, best - f.green)
    depth = np.log(np.maximum(1.0 - f.green, 1e-9) / np.maximum(1.0 - f.green - step, 1e-9))
    cost = p.adoption_cost * depth * f.capacity
    candidates = review & (step > 1e-6)  # only their benefit is needed
    value = green_gain_value(f, step, m, p, terms, rows=np.flatnonzero(candidates))
    benefit = p.adoption_horizon * value
    go = candidates & (benefit > cost * (1.0 - adoption_subsidy))
    f.green += step * go  # step >= 0: adds 0 where the firm does not adopt
    return go, np.where(go, cost, 0.0)


def partner_frontier(f: FirmState, inst: InstituteState) -> np.ndarray:
    """Frontier of each firm's partner institute (0 for firms without one)."""
    frontier = np.append(inst.frontier, 0.0)  # the last entry: no partner (index -1)
    return frontier[np.maximum(f.partner_inst, -1)]
