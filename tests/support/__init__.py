"""What tests share: nodes and users, databases copied from one migrated template, two nodes
linked in one process, servers on loopback, sample records. Tests import from here, never
from another test module."""
