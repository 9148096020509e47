"""Readers of the public datasets the joint action plan's indicators observe.

Each reader streams one kind of public file into :class:`~.common.Observation` rows (one
figure of one series for one calendar month) and an :class:`~.common.ImportReport`:

- :func:`~.cbp_drugs.read_cbp_drugs`: CBP Nationwide Drug Seizures (``cbp.drugs``),
- :func:`~.cbp_weapons.read_cbp_weapons`: CBP Weapons and Ammunition Seizures
  (``cbp.weapons``),
- :func:`~.sesnsp.read_sesnsp`: SESNSP crime incidence by state (``sesnsp.incidence``),
- :func:`~.shipped.read_shipped`: the compact subset of all three that Puente ships.
"""
