"""The demo data set: a node seeded with a living, realistic and entirely fictional picture.

Real public reference data (the US–Mexico ports of entry, the publicly designated criminal
organizations, the shape of the CBP seizure series) and invented people, guns, vehicles and
events, under a realistic mix of markings. :func:`puente.demo.seed.seed` is the entry point.
"""
