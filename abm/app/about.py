"""The page's "About this model" panel: a short ODD summary (the full one is docs/ODD.md)."""

ABOUT = """
### About this model

**Purpose.** How technology innovation, government policy, enterprise linkage in clusters
and green consumption, together with digital trade and a foreign carbon border adjustment
(CBAM), move foreign-trade firms toward low-carbon technology, and how that shifts what they
produce (industrial structure) and what they export, with how much embedded carbon (trade
structure).

**Entities.** Foreign-trade firms (capacity, product mix over labour-, resource- and
technology-intensive goods (LIB, RIB, TIB) and digital services (DS), productivity, green
technology level, knowledge, exporter and digital-platform status, net worth); research
institutes (green knowledge frontier, funding); the government (carbon prices, CBAM,
subsidies, research funding); domestic and foreign markets. Firms and institutes sit in
industrial clusters linked by a network of firm ties. One step is one year; money is in
USD m, emissions in tonnes of CO2.

**Process, every year.** The government sets the carbon prices and CBAM; firms' unit costs
and prices follow; the foreign market clears among exporters, then the domestic market;
firms book revenue, costs, carbon payments, CBAM and subsidies; they do R&D (process
projects raise labour productivity and save energy; the power grid also gets cleaner each
year), collaborate with institutes and other firms and learn from neighbours; adopt or
imitate greener technology; shift their product mix toward better margins; enter or leave
export markets; join digital platforms; grow, exit or are replaced by entrants. The model
then records the year.

**Design concepts.** Structure, adoption, exporting and emissions emerge from firms'
decisions: cost-benefit adoption, margin-seeking product mix, selection of the more
productive firms into exporting, diffusion over ties. Firms are myopic (this year's prices
and policy). All random draws come from one seeded generator: the same settings and seed
give the same run.

**Initialisation and input.** A population of firms with lognormal productivity and
capacity, a main product category and a low green level; a fifth to a quarter of firms
export. No external data are read; parameter defaults and their sources are listed by
`abm params`.

**Observation.** Output and export shares by category, exports, exporters, export
concentration, emissions and intensities, green and digital shares, the government's
accounts and a low-carbon innovation performance index (0-100), every year.

**Reading the results.** Costs, emission intensities and mark-ups are orders of magnitude
(the preset `calibrated` fits a few of them to China's data around 2020): compare scenarios
and policies with each other rather than reading levels as forecasts.
The full description is the ODD protocol in `docs/ODD.md` of the project.
"""
